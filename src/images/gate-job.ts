/**
 * The background job behind image admission: takes the image references the webhook saw and
 * did not know (announced on a BroadcastChannel by the evaluation threads, or enqueued
 * directly), resolves tags to digests, scans each new digest once, checks its signatures under
 * the configured rules, and keeps the answers in the verdict store the request path reads. One
 * image at a time, from a bounded queue; a full queue drops the newcomer (it is announced
 * again by the next request that needs it).
 */
import { BroadcastChannel } from 'node:worker_threads';
import { parseImageReference } from './reference.js';
import type { GateFinding } from './gate.js';
import { seenChannelName, type VerdictStore } from './verdict-store.js';

/** The I/O the job needs, each a call that may reach a registry. */
export interface GateJobPorts {
  /** The manifest digest a tag reference points at now. */
  resolve(ref: string): Promise<string>;
  /** Scans the image at `ref@digest`. */
  scan(ref: string, digest: string): Promise<{ packages: number; findings: GateFinding[] }>;
  /** Checks the signatures of `ref@digest` under the configured rules. */
  verify?(ref: string, digest: string): Promise<{ verified: boolean; signer?: string; reason: string }>;
}

/** What happened to one reference, for logs. */
export interface GateJobEvent {
  ref: string;
  digest?: string;
  outcome: 'scanned' | 'scan-failed' | 'signature' | 'signature-failed' | 'resolve-failed' | 'dropped';
  message?: string;
}

/** Options of the job. */
export interface GateJobOptions {
  store: VerdictStore;
  ports: GateJobPorts;
  /** Fingerprint of the signature rules; signatures are checked only when set. */
  signaturePolicy?: string;
  /** References waiting beyond this many are dropped (default 1000). */
  maxQueue?: number;
  /** A tag is resolved again at most this often (default 5 min); a failed scan is retried as often. */
  recheckMs?: number;
  /** Listen for announcements on the store's channel (default true). */
  listen?: boolean;
  clock?: () => Date;
  onEvent?: (e: GateJobEvent) => void;
  /** Called when the job starts on a reference and when it is done with it (the supervisor's deadline). */
  onStart?: (ref: string) => void;
  onFinish?: (ref: string) => void;
  /** References done recently, with when (ms since the epoch): not taken again before `recheckMs`. */
  done?: Iterable<readonly [string, number]>;
}

/** The running job. */
export class ImageGateJob {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly lastDone = new Map<string, number>();
  private running: Promise<void> | undefined;
  private closed = false;
  private readonly channel: BroadcastChannel | undefined;
  private readonly maxQueue: number;
  private readonly recheckMs: number;
  private readonly clock: () => Date;

  constructor(private readonly options: GateJobOptions) {
    this.maxQueue = options.maxQueue ?? 1000;
    this.recheckMs = options.recheckMs ?? 5 * 60_000;
    this.clock = options.clock ?? (() => new Date());
    for (const [ref, at] of options.done ?? []) this.lastDone.set(ref, at);
    if (options.listen !== false) {
      this.channel = new BroadcastChannel(seenChannelName(options.store.path));
      (this.channel as unknown as { unref?: () => void }).unref?.();
      this.channel.onmessage = (event: unknown) => {
        const data = (event as { data?: unknown }).data;
        if (typeof data === 'string' && data.length <= 1024) this.enqueue(data);
      };
    }
  }

  /** Queues a reference; false when it was dropped (queue full, job closed, or not a reference). */
  enqueue(ref: string): boolean {
    if (this.closed) return false;
    if (this.queued.has(ref)) return true;
    const last = this.lastDone.get(ref);
    if (last !== undefined && this.clock().getTime() - last < this.recheckMs) return true;
    if (this.queue.length >= this.maxQueue) {
      this.options.onEvent?.({ ref, outcome: 'dropped', message: 'queue full' });
      return false;
    }
    this.queue.push(ref);
    this.queued.add(ref);
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
    });
    return true;
  }

  /** Resolves when the queue is empty and nothing runs. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Stops listening, drops what waits, and waits for the image in progress. */
  async close(): Promise<void> {
    this.closed = true;
    this.channel?.close();
    this.queue.length = 0;
    this.queued.clear();
    await this.idle();
  }

  private async drain(): Promise<void> {
    for (let ref = this.queue.shift(); ref !== undefined; ref = this.queue.shift()) {
      try {
        this.options.onStart?.(ref);
        await this.process(ref);
      } finally {
        this.options.onFinish?.(ref);
        this.queued.delete(ref);
        if (this.lastDone.size >= 10 * this.maxQueue) this.lastDone.clear();
        this.lastDone.set(ref, this.clock().getTime());
      }
      if (this.closed) return;
    }
  }

  private async process(ref: string): Promise<void> {
    const { store, ports } = this.options;
    const emit = (e: GateJobEvent): void => this.options.onEvent?.(e);
    let digest: string;
    try {
      const parsed = parseImageReference(ref);
      digest = parsed.digest ?? (await ports.resolve(ref));
      if (parsed.digest === undefined) store.putTag(ref, digest, this.clock().toISOString());
    } catch (e) {
      emit({ ref, outcome: 'resolve-failed', message: errorText(e) });
      return;
    }
    const previous = store.scanOf(digest);
    const retry =
      previous?.error !== undefined &&
      this.clock().getTime() - Date.parse(previous.scannedAt) >= this.recheckMs;
    if (previous === undefined || retry) {
      try {
        const result = await ports.scan(ref, digest);
        store.putScan({ digest, ref, scannedAt: this.clock().toISOString(), ...result });
        emit({ ref, digest, outcome: 'scanned', message: `${result.findings.length} findings` });
      } catch (e) {
        store.putScan({
          digest,
          ref,
          scannedAt: this.clock().toISOString(),
          packages: 0,
          findings: [],
          error: errorText(e),
        });
        emit({ ref, digest, outcome: 'scan-failed', message: errorText(e) });
      }
    }
    const policy = this.options.signaturePolicy;
    if (policy !== undefined && ports.verify && store.signatureOf(digest, policy) === undefined) {
      try {
        const v = await ports.verify(ref, digest);
        store.putSignature({ digest, policy, checkedAt: this.clock().toISOString(), ...v });
        emit({
          ref,
          digest,
          outcome: 'signature',
          message: v.verified ? `signed by ${v.signer ?? '?'}` : v.reason,
        });
      } catch (e) {
        // Not kept: a registry that failed to answer says nothing about the signature.
        emit({ ref, digest, outcome: 'signature-failed', message: errorText(e) });
      }
    }
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
