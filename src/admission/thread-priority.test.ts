import { execFile } from 'node:child_process';
import { getPriority } from 'node:os';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { currentThreadId, threadCpuClock } from './thread-priority.js';

describe('thread priority', () => {
  it.each([
    ['12/task/34', 34],
    ['12', undefined],
    ['self/task/x', undefined],
    ['', undefined],
  ])('reads the thread id from /proc/thread-self -> %s', (target, tid) => {
    expect(currentThreadId(() => target)).toBe(tid);
  });

  it('is undefined without /proc', () => {
    expect(
      currentThreadId(() => {
        throw new Error('ENOENT');
      }),
    ).toBeUndefined();
  });

  it('reads a thread CPU clock in ms from schedstat, or none', () => {
    const clock = threadCpuClock(
      () => 3,
      (_fd, buffer) => buffer.write('1500000 77 9\n', 'latin1'),
    );
    expect(clock?.()).toBe(1.5);
    expect(
      threadCpuClock(() => {
        throw new Error('ENOENT');
      }),
    ).toBeUndefined();
    expect(
      threadCpuClock(
        () => 3,
        (_fd, buffer) => buffer.write('x y', 'latin1'),
      ),
    ).toBeUndefined();
  });

  it.runIf(process.platform === 'linux')('the thread clock counts this thread only', async () => {
    const clock = threadCpuClock();
    expect(clock).toBeDefined();
    if (!clock) return;
    const before = clock();
    // Another thread spins for 200 ms of wall time; this one waits.
    const spinner = new Worker('const end = Date.now() + 200; while (Date.now() < end);', { eval: true });
    await new Promise((resolve) => spinner.once('exit', resolve));
    const waited = clock() - before;
    let x = 0;
    const start = clock();
    for (let i = 0; i < 2e7; i++) x += i;
    expect(x).toBeGreaterThan(0);
    const spun = clock() - start;
    expect(spun).toBeGreaterThan(0);
    // The spinner's 200 ms are not ours (our own wait costs a few ms at most).
    expect(waited).toBeLessThan(100);
  });

  it.runIf(process.platform === 'linux')(
    'lowers every other thread of a process, the calling one kept',
    async () => {
      // In a process of its own: this one's threads are left alone.
      const script = [
        "import { getPriority } from 'node:os';",
        "import { readdirSync } from 'node:fs';",
        `const m = await import(${JSON.stringify(new URL('./thread-priority.ts', import.meta.url).href)});`,
        'const lowered = m.lowerOtherThreadsPriority(10);',
        "const nice = readdirSync('/proc/self/task').map((t) => [Number(t), getPriority(Number(t))]);",
        'console.log(JSON.stringify({ pid: process.pid, lowered, nice }));',
      ].join('\n');
      const out = await new Promise<string>((resolve, reject) => {
        execFile(
          process.execPath,
          ['--import', 'tsx', '--input-type=module', '-e', script],
          { timeout: 30_000 },
          (e: Error | null, stdout: string) => {
            if (e) reject(e);
            else resolve(stdout);
          },
        );
      });
      const r = JSON.parse(out) as { pid: number; lowered: number; nice: [number, number][] };
      expect(r.lowered).toBeGreaterThan(0);
      for (const [tid, nice] of r.nice)
        expect(nice, `thread ${tid}`).toBe(tid === r.pid ? getPriority() : Math.max(10, getPriority()));
    },
  );

  it.runIf(process.platform === 'linux')(
    'lowers the priority of the calling thread only, never raising it',
    async () => {
      const mainBefore = getPriority();
      // A worker thread lowers its own priority and reports what the kernel says of itself.
      const worker = new Worker(new URL('./thread-priority-probe.js', import.meta.url));
      const reply = await new Promise<{ first?: number; again?: number; tid?: number; own: number }>(
        (resolve, reject) => {
          worker.once('message', resolve);
          worker.once('error', reject);
        },
      );
      await worker.terminate();
      expect(reply.first).toBe(Math.max(10, mainBefore));
      // 5 is a higher priority than 10: left at 10.
      expect(reply.again).toBe(Math.max(10, mainBefore));
      expect(reply.tid).not.toBe(process.pid);
      expect(reply.own).toBe(Math.max(10, mainBefore));
      // The process (its main thread) keeps its priority.
      expect(getPriority()).toBe(mainBefore);
    },
  );
});
