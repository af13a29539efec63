/**
 * Threads of the webhook process, as the kernel sees them.
 *
 * Lowers the scheduling priority of the calling thread only (Linux: a thread is a task with its
 * own nice value, set through its thread id). Background threads of the webhook (evaluation
 * workers, the image job) call it so that, when they and the main thread want the same CPU,
 * the main thread (TLS, HTTP, the probes and the small reviews) runs first; they still get
 * every CPU the main thread leaves idle. Raising a nice value needs no privilege.
 */
import { openSync, readdirSync, readlinkSync, readSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** The kernel id of the calling thread, from `/proc/thread-self` (`PID/task/TID`); undefined elsewhere. */
export function currentThreadId(readlink: (p: string) => string = readlinkSync): number | undefined {
  let target: string;
  try {
    target = readlink('/proc/thread-self');
  } catch {
    return undefined;
  }
  const match = /^\d+\/task\/(\d+)$/.exec(target);
  return match?.[1] !== undefined ? Number(match[1]) : undefined;
}

/**
 * Sets the calling thread's nice value to at least `nice` (never raises its priority); returns
 * the nice value in force, or undefined when the platform offers no per-thread priority.
 */
export function lowerThreadPriority(nice: number): number | undefined {
  const tid = currentThreadId();
  if (tid === undefined) return undefined;
  try {
    const current = getPriority(tid);
    if (current < nice) setPriority(tid, nice);
    return getPriority(tid);
  } catch {
    return undefined;
  }
}

/**
 * Sets every thread of the process but the calling one (which must be the main thread) to a
 * nice value of at least `nice`: V8's helper threads, which collect garbage for every isolate
 * (a worker building megabytes of strings keeps them busy at the main thread's priority
 * otherwise: as much CPU as the main thread's in a measured burst), and the libuv pool. Returns
 * how many threads were lowered; 0 where the platform offers no per-thread priority.
 */
export function lowerOtherThreadsPriority(
  nice: number,
  list: () => string[] = () => readdirSync('/proc/self/task'),
): number {
  const self = currentThreadId();
  if (self === undefined) return 0;
  let tasks: string[];
  try {
    tasks = list();
  } catch {
    return 0;
  }
  let lowered = 0;
  for (const name of tasks) {
    const tid = Number(name);
    if (!Number.isInteger(tid) || tid === self) continue;
    try {
      if (getPriority(tid) < nice) {
        setPriority(tid, nice);
        lowered++;
      }
    } catch {
      // Gone meanwhile.
    }
  }
  return lowered;
}

/** The nice value of the webhook's background threads: about a tenth of a CPU's share against the main thread's. */
export const BACKGROUND_NICE = 10;

/**
 * A clock of the CPU time of the thread that calls this (Linux: the first field of
 * `/proc/thread-self/schedstat`, nanoseconds on a CPU, read through a descriptor opened here,
 * so the clock keeps reading that thread wherever it is called), in milliseconds; undefined
 * where there is no such file. Unlike `process.cpuUsage()` it does not count the other
 * threads: a worker busy with a long review does not make the main thread look busy.
 */
export function threadCpuClock(
  open: () => number = () => openSync('/proc/thread-self/schedstat', 'r'),
  read: (fd: number, buffer: Buffer) => number = (fd, buffer) => readSync(fd, buffer, 0, buffer.length, 0),
): (() => number) | undefined {
  let fd: number;
  try {
    fd = open();
  } catch {
    return undefined;
  }
  const buffer = Buffer.alloc(96);
  const clock = (): number => {
    const n = read(fd, buffer);
    const space = buffer.indexOf(32);
    const end = space === -1 || space > n ? n : space;
    return Number(buffer.toString('latin1', 0, end)) / 1e6;
  };
  try {
    return Number.isFinite(clock()) ? clock : undefined;
  } catch {
    return undefined;
  }
}
