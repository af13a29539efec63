import { describe, expect, it } from 'vitest';
import { ImageJobThread, parseImageJobMessage, type ImageJobThreadEvent } from './admission-images-thread.js';
import type { GateJobEvent } from '../../images/gate-job.js';

const PROBE = new URL('./admission-images-thread-probe.js', import.meta.url);

describe('the image job thread', () => {
  it.each([
    [{ type: 'ready' }, { type: 'ready' }],
    [
      { type: 'start', ref: 'a' },
      { type: 'start', ref: 'a' },
    ],
    [{ type: 'finish', ref: 7 }, undefined],
    [{ type: 'failed' }, undefined],
    [
      { type: 'event', event: { ref: 'a', outcome: 'scanned' } },
      { type: 'event', event: { ref: 'a', outcome: 'scanned' } },
    ],
    [{ type: 'event', event: null }, undefined],
    [{ type: 'other' }, undefined],
    [null, undefined],
    ['ready', undefined],
  ])('reads the message %j', (value, expected) => {
    expect(parseImageJobMessage(value)).toEqual(expected);
  });

  it('does its work off the main thread, which keeps running meanwhile', async () => {
    const events: (GateJobEvent | ImageJobThreadEvent)[] = [];
    let finished: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (finished = resolve));
    const thread = await ImageJobThread.start({
      filename: PROBE,
      workerData: (d) => ({ done: d, script: [{ ref: 'big', spinMs: 1500 }] }),
      deadlineMs: 60_000,
      onEvent: (e) => {
        events.push(e);
        if (e.ref === 'big') finished();
      },
    });
    try {
      // The main thread's timers while the thread spends 1.5 s of CPU on one image: with the
      // work on this thread there would be one tick at its end.
      let ticks = 0;
      const timer = setInterval(() => ticks++, 10);
      await expect.poll(() => thread.running(), { interval: 1 }).toBe('big');
      await done;
      clearInterval(timer);
      expect(events).toEqual([{ ref: 'big', outcome: 'scanned', message: 'ok' }]);
      expect(ticks).toBeGreaterThanOrEqual(20);
      await expect.poll(() => thread.running()).toBeUndefined();
    } finally {
      await thread.close();
    }
  });

  it('cuts an image at its deadline, replaces the thread and leaves that image alone', async () => {
    const events: (GateJobEvent | ImageJobThreadEvent)[] = [];
    const thread = await ImageJobThread.start({
      filename: PROBE,
      workerData: (done) => ({
        done,
        script: [{ ref: 'hang', spinMs: Infinity }, { ref: 'next' }],
      }),
      deadlineMs: 300,
      onEvent: (e) => events.push(e),
    });
    try {
      await expect
        .poll(() => events.map((e) => e.outcome), { timeout: 10_000 })
        .toEqual(['deadline', 'thread-restarted', 'scanned']);
      expect(events[0]).toMatchObject({ ref: 'hang', outcome: 'deadline' });
      expect(events[0]?.message).toMatch(/^not done within 300 ms/);
      // The replacement was told to leave `hang` alone and went on with `next`.
      expect(events[2]).toMatchObject({ ref: 'next' });
      expect(thread.replacements()).toBe(1);
    } finally {
      await thread.close();
    }
  });

  it('a thread that cannot start says why', async () => {
    await expect(
      ImageJobThread.start({
        filename: PROBE,
        workerData: (done) => ({ done, script: [], fail: 'keys/cosign.pub: cannot read the public key' }),
        deadlineMs: 1000,
        onEvent: () => undefined,
      }),
    ).rejects.toThrow('keys/cosign.pub: cannot read the public key');
  });
});
