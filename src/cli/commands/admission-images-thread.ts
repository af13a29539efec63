/**
 * The webhook's image background job in a worker thread of its own (at a lower priority than
 * the main thread), supervised from the main thread. Resolving, pulling and scanning an image,
 * matching its packages against the vulnerability database and checking its signatures are
 * work whose size whoever names the image controls: none of it runs on the event loop that
 * answers reviews and probes. The thread listens for the images the webhook announces, takes
 * them one at a time from its bounded queue (a full queue drops the newcomer and says so) and
 * writes each result to the verdict store, which the main thread and the evaluation threads
 * read. The supervisor gives each image `deadlineMs`: past it, the thread is terminated and
 * replaced, and that image is not taken again before `recheckMs` (the request path finds it
 * unscanned meanwhile, and says so per `images.unscanned`).
 */
import { Worker } from 'node:worker_threads';
import type { GateJobEvent } from '../../images/gate-job.js';

/** What the thread tells its supervisor. */
export type ImageJobMessage =
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  | { type: 'start'; ref: string }
  | { type: 'finish'; ref: string }
  | { type: 'event'; event: GateJobEvent };

/** A message from the thread, or undefined when it is not one. */
export function parseImageJobMessage(value: unknown): ImageJobMessage | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const m = value as Record<string, unknown>;
  switch (m.type) {
    case 'ready':
      return { type: 'ready' };
    case 'failed':
      return typeof m.message === 'string' ? { type: 'failed', message: m.message } : undefined;
    case 'start':
    case 'finish':
      return typeof m.ref === 'string' ? { type: m.type, ref: m.ref } : undefined;
    case 'event': {
      const e = m.event as Record<string, unknown> | null;
      return typeof e === 'object' && e !== null && typeof e.ref === 'string' && typeof e.outcome === 'string'
        ? { type: 'event', event: e as unknown as GateJobEvent }
        : undefined;
    }
    default:
      return undefined;
  }
}

/** What the supervisor reports besides the job's own events. */
export interface ImageJobThreadEvent {
  ref?: string;
  outcome: 'deadline' | 'thread-exited' | 'thread-restarted';
  message: string;
}

/** Options of `ImageJobThread.start`. */
export interface ImageJobThreadOptions {
  /** The thread's module. */
  filename: URL;
  /** Its `workerData`, given the references it must not take again yet ([ref, ms since the epoch]). */
  workerData: (done: [string, number][]) => unknown;
  deadlineMs: number;
  /** How long an image cut at its deadline is left alone (default 5 min, as the job's recheck). */
  recheckMs?: number;
  onEvent: (e: GateJobEvent | ImageJobThreadEvent) => void;
  now?: () => number;
}

/** The supervised thread. */
export class ImageJobThread {
  private worker: Worker | undefined;
  private current: { ref: string; timer: NodeJS.Timeout } | undefined;
  private readonly cut = new Map<string, number>();
  private closing = false;
  private replaced = 0;
  private readonly now: () => number;
  private readonly recheckMs: number;

  private constructor(private readonly options: ImageJobThreadOptions) {
    this.now = options.now ?? Date.now;
    this.recheckMs = options.recheckMs ?? 5 * 60_000;
  }

  /** Starts the thread; rejects with the thread's message when it cannot start (bad keys, no database). */
  static async start(options: ImageJobThreadOptions): Promise<ImageJobThread> {
    const t = new ImageJobThread(options);
    await t.spawn();
    return t;
  }

  /** The image in progress. */
  running(): string | undefined {
    return this.current?.ref;
  }

  /** Threads started to replace one cut at its deadline or gone. */
  replacements(): number {
    return this.replaced;
  }

  /** Asks the thread to stop, and terminates it if it has not within 2 s. */
  async close(): Promise<void> {
    this.closing = true;
    this.clearCurrent();
    const w = this.worker;
    this.worker = undefined;
    if (!w) return;
    const exited = new Promise((resolve) => w.once('exit', resolve));
    w.postMessage({ type: 'close' });
    const timer = setTimeout(() => void w.terminate(), 2000);
    await exited;
    clearTimeout(timer);
  }

  private spawn(): Promise<void> {
    const t = this.now();
    for (const [ref, at] of this.cut) if (t - at >= this.recheckMs) this.cut.delete(ref);
    const worker = new Worker(this.options.filename, { workerData: this.options.workerData([...this.cut]) });
    this.worker = worker;
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      worker.on('message', (value: unknown) => {
        const m = parseImageJobMessage(value);
        if (!m || this.worker !== worker) return;
        switch (m.type) {
          case 'ready':
            ready = true;
            resolve();
            return;
          case 'failed':
            reject(new Error(m.message));
            void worker.terminate();
            return;
          case 'start':
            this.clearCurrent();
            this.current = {
              ref: m.ref,
              timer: setTimeout(() => {
                this.deadline(worker, m.ref);
              }, this.options.deadlineMs),
            };
            this.current.timer.unref();
            return;
          case 'finish':
            if (this.current?.ref === m.ref) this.clearCurrent();
            return;
          case 'event':
            this.options.onEvent(m.event);
            return;
        }
      });
      worker.on('error', (e) => {
        if (!ready) reject(e);
      });
      worker.on('exit', (code) => {
        if (!ready) reject(new Error(`the image job thread exited with code ${code} before it was ready`));
        if (this.worker !== worker || this.closing) return;
        // Gone on its own (out of memory on an image, a fault): replaced, without the image it ran.
        const ref = this.current?.ref;
        this.options.onEvent({
          ...(ref !== undefined ? { ref } : {}),
          outcome: 'thread-exited',
          message: `the image job thread exited with code ${code}; it is replaced`,
        });
        if (ref !== undefined) this.cut.set(ref, this.now());
        this.replace();
      });
    });
  }

  private deadline(worker: Worker, ref: string): void {
    if (this.worker !== worker || this.closing) return;
    this.current = undefined;
    this.cut.set(ref, this.now());
    this.options.onEvent({
      ref,
      outcome: 'deadline',
      message: `not done within ${this.options.deadlineMs} ms: abandoned, retried after ${this.recheckMs} ms; the thread is replaced`,
    });
    this.worker = undefined;
    void worker.terminate();
    this.replace();
  }

  private replace(): void {
    this.replaced++;
    this.spawn().then(
      () => {
        this.options.onEvent({ outcome: 'thread-restarted', message: 'the image job thread was replaced' });
      },
      (e: unknown) => {
        // Not ready again (the configuration's files changed underneath): no job until restart.
        this.options.onEvent({
          outcome: 'thread-exited',
          message: `the image job thread could not be replaced: ${e instanceof Error ? e.message : String(e)}`,
        });
      },
    );
  }

  private clearCurrent(): void {
    if (this.current) clearTimeout(this.current.timer);
    this.current = undefined;
  }
}
