import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { listenForStop, pauseUnlessStopped, STOP_FORCED_EXIT, type StopListener } from './stop.js';

/** A listener whose forced exits are recorded instead of ending the test process. */
function listen(options: { signal?: AbortSignal; processSignals?: boolean; boundMs?: number } = {}) {
  const exits: number[] = [];
  let err = '';
  const stop = listenForStop({
    ...options,
    stderr: { write: (t: string) => (err += t) },
    exit: (code) => exits.push(code),
  });
  opened.push(stop);
  return { stop, exits, err: () => err };
}

const opened: StopListener[] = [];
afterEach(() => {
  for (const s of opened.splice(0)) s.dispose();
  vi.useRealTimers();
});

describe('listenForStop', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('stops on %s and ends the process only past the bound', (sig) => {
    vi.useFakeTimers();
    const { stop, exits, err } = listen({ boundMs: 5000 });
    expect(stop.signal.aborted).toBe(false);
    process.emit(sig);
    expect(stop.signal.aborted).toBe(true);
    vi.advanceTimersByTime(4999);
    expect(exits).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(exits).toEqual([STOP_FORCED_EXIT]);
    expect(err()).toBe('palisade: closing took longer than 5s after the stop signal; exiting\n');
  });

  it('resolves `requested` on a signal', async () => {
    const { stop } = listen();
    process.emit('SIGTERM');
    await expect(stop.requested).resolves.toBeUndefined();
  });

  it('does not end a process that closed within the bound', () => {
    vi.useFakeTimers();
    const { stop, exits } = listen({ boundMs: 1000 });
    process.emit('SIGTERM');
    stop.dispose();
    vi.advanceTimersByTime(60_000);
    expect(exits).toEqual([]);
  });

  it('ends the process at once on a second signal while closing', () => {
    const { exits, err } = listen();
    process.emit('SIGTERM');
    expect(exits).toEqual([]);
    process.emit('SIGINT');
    expect(exits).toEqual([STOP_FORCED_EXIT]);
    expect(err()).toMatch(/second stop signal/);
  });

  it('stops on the injected signal, already aborted or later, without arming the bound', async () => {
    vi.useFakeTimers();
    const early = new AbortController();
    early.abort();
    const a = listen({ signal: early.signal, boundMs: 10 });
    expect(a.stop.signal.aborted).toBe(true);
    const late = new AbortController();
    const b = listen({ signal: late.signal, boundMs: 10 });
    expect(b.stop.signal.aborted).toBe(false);
    late.abort();
    expect(b.stop.signal.aborted).toBe(true);
    await b.stop.requested;
    vi.advanceTimersByTime(1000);
    expect([...a.exits, ...b.exits]).toEqual([]);
  });

  it('leaves the process signals alone when asked to (registry watch --once) and after dispose', () => {
    const before = [process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')];
    const quiet = listen({ processSignals: false });
    expect([process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')]).toEqual(before);
    const loud = listen();
    expect([process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')]).toEqual(
      before.map((n) => n + 1),
    );
    loud.stop.dispose();
    loud.stop.dispose();
    expect([process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')]).toEqual(before);
    expect(quiet.stop.signal.aborted).toBe(false);
  });
});

describe('pauseUnlessStopped', () => {
  it('waits the time when not stopped and leaves no listener', async () => {
    vi.useFakeTimers();
    const ac = new AbortController();
    let done = false;
    const p = pauseUnlessStopped(250, ac.signal).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(249);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await p;
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });

  it('ends early on abort, and at once when already aborted', async () => {
    const ac = new AbortController();
    const p = pauseUnlessStopped(3_600_000, ac.signal);
    ac.abort();
    await p;
    await pauseUnlessStopped(3_600_000, ac.signal);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });
});
