/**
 * The pool of evaluation worker threads (piscina, see docs/decisions/admission-workers.md):
 * one thread per CPU but one by default (the main thread keeps a CPU for TLS and HTTP), each
 * with its own compiled configuration and policies. A review is a task carrying the raw body;
 * it has a deadline (queue wait included), after which it is abandoned and, when it was
 * running, its thread is terminated and replaced, so a review that runs away costs one thread
 * for at most the deadline. Beyond `maxQueue` waiting reviews a new one is refused at once.
 * The main thread keeps only I/O, probes and metrics.
 */
import { availableParallelism } from 'node:os';
import { BroadcastChannel } from 'node:worker_threads';
import { randomUUID } from 'node:crypto';
import { Piscina } from 'piscina';
import type { KubeObject } from '../core/index.js';
import { compileAdmissionConfig, type AdmissionConfig } from './config.js';
import { Backlog } from './backlog.js';
import { inlineDecider } from './inline.js';
import { loadCelPolicies } from './policies.js';
import type { PolicyEvaluator, PolicyPhase } from './ports.js';
import type { StageMeter } from './stages.js';
import {
  parseNamespaceMessage,
  type NamespaceMessage,
  type WorkerInit,
  type WorkerOutcome,
  type WorkerTask,
} from './pool-protocol.js';

/** A change of one Namespace object. */
export type NamespaceChange = { type: 'set'; object: KubeObject } | { type: 'delete'; name: string };

/** Where live Namespace objects come from (the watch of the cluster; a fixed map in tests). */
export interface NamespaceSource {
  get(name: string): KubeObject | undefined;
  list(): KubeObject[];
  /** Calls `listener` on every change until the returned function is called. */
  subscribe(listener: (change: NamespaceChange) => void): () => void;
}

/** Options of `startReviewPool`. */
export interface ReviewPoolOptions {
  config: AdmissionConfig;
  cwd: string;
  /** Threads (default: one per CPU but one, at least one). */
  threads?: number;
  deadlineMs: number;
  /** Reviews waiting for a thread beyond this many are refused at once (default 128 per thread). */
  maxQueue?: number;
  namespaces?: NamespaceSource;
  /**
   * Small reviews decided on the calling thread, their CEL policies under a lower cost limit
   * (`inline.ts`): by default 16 KiB and 5,000 for all the policies; with `maxBytes: 0` every
   * review goes to the workers.
   */
  inline?: {
    maxBytes: number;
    costLimit: number;
    slowMs?: number;
    suspendMs?: number;
    /**
     * Small reviews decided on the main thread in one turn of its event loop; beyond this
     * many (a backlog of connections) they wait in the main thread's queue for later turns
     * (default 64; `maxTurnMs` bounds the turn first for reviews dearer than 150 µs).
     */
    maxPerTurn?: number;
    /**
     * Milliseconds of deciding on the main thread in one turn of its event loop; beyond them
     * the rest waits for later turns, so the probes and the other connections wait for no
     * more than about this (default 10).
     */
    maxTurnMs?: number;
    /**
     * Longest wait of a small review in the main thread's queue (default half the deadline):
     * one that waited longer when its turn comes is answered per the failure policy.
     */
    maxWaitMs?: number;
    /** Reviews in the main thread's queue at most (default 4096). */
    maxQueue?: number;
    /** Bytes of bodies in the main thread's queue at most (default 32 MiB). */
    maxQueueBytes?: number;
  };
  /** The configuration's CEL policies when the caller has loaded them already (else loaded here). */
  policies?: PolicyEvaluator;
}

/** What became of one review sent to the pool. */
export type PoolOutcome =
  | WorkerOutcome
  | { kind: 'deadline' }
  | { kind: 'shed'; queued: number }
  | { kind: 'failed'; message: string };

/** A running pool. */
export interface ReviewPool {
  readonly threads: number;
  readonly deadlineMs: number;
  /**
   * Decides a review: at once (a value) when it was decided on the calling thread or shed,
   * else a promise of what the worker answered.
   */
  review(body: Uint8Array, phase: PolicyPhase, meter?: StageMeter): PoolOutcome | Promise<PoolOutcome>;
  /** Reviews waiting for a thread now. */
  queued(): number;
  /** Threads started so far, replacements of terminated ones included. */
  started(): number;
  /** Reviews decided so far on the calling thread and in the workers. */
  decided(): {
    inline: number;
    workers: number;
    inlineOverBudget: number;
    inlineSuspensions: number;
    /** Small reviews that waited in the main thread's queue for a later turn (shed ones included). */
    queued: number;
    /** Small reviews answered per the failure policy from the main thread's queue: the sum of the next two. */
    shed: number;
    /** Shed at once because the main thread's queue was full. */
    full: number;
    /** Shed because they waited longer than `maxWaitMs` when their turn came. */
    late: number;
  };
  close(): Promise<void>;
}

const QUEUE_PER_THREAD = 128;

/** A small review waiting in the main thread's queue. */
interface Queued {
  body: Uint8Array;
  phase: PolicyPhase;
  resolve: (outcome: PoolOutcome) => void;
}
/** A Pod review that runs the common code paths once before the first real review. */
const WARM_UP_REVIEW = new TextEncoder().encode(
  JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'palisade-warm-up',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      namespace: 'default',
      operation: 'CREATE',
      userInfo: { username: 'palisade-warm-up' },
      dryRun: true,
      object: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'warm-up', namespace: 'default' },
        spec: { containers: [{ name: 'c', image: 'registry.example/c:1' }] },
      },
    },
  }),
);
/** Reviews up to this size are decided on the calling thread by default. */
export const INLINE_MAX_BYTES = 16 * 1024;
/** The CEL cost of all the policies together on those reviews by default (about 4 ms of the interpreter). */
export const INLINE_COST_LIMIT = 5_000;

/** The worker module next to this one: sources under a TypeScript loader, or the build. */
function workerFile(): { filename: string; execArgv: string[] } {
  const here = import.meta.url;
  if (here.endsWith('.ts')) return { filename: new URL('./worker-dev.js', here).href, execArgv: [] };
  return { filename: new URL('./worker.js', here).href, execArgv: [] };
}

/** Starts the pool; resolves once every thread has compiled its configuration. */
export async function startReviewPool(options: ReviewPoolOptions): Promise<ReviewPool> {
  // One CPU stays with the main thread (TLS, HTTP, probes): on 2 CPUs, two workers and the
  // main thread contend, and the review costs twice the CPU (bench/admission.ts).
  const threads = options.threads ?? Math.max(1, availableParallelism() - 1);
  // A short queue: at a few hundred µs per review, 128 per thread wait some 40 ms at
  // most; beyond that an immediate answer serves the API server better than a late one.
  const maxQueue = options.maxQueue ?? threads * QUEUE_PER_THREAD;
  const channelName = `palisade-namespaces-${randomUUID()}`;
  const channel = new BroadcastChannel(channelName);
  const post = (m: NamespaceMessage): void => {
    channel.postMessage(m);
  };
  const snapshot = (): KubeObject[] => options.namespaces?.list() ?? [];
  channel.onmessage = (event: unknown) => {
    if (parseNamespaceMessage((event as { data?: unknown }).data)?.type === 'hello')
      post({ type: 'snapshot', namespaces: snapshot() });
  };
  const unsubscribe = options.namespaces?.subscribe((change) => {
    post(change);
  });

  const { filename, execArgv } = workerFile();
  const init: WorkerInit = { config: options.config, cwd: options.cwd, channel: channelName };
  let startedThreads = 0;
  const pool = new Piscina<WorkerTask, WorkerOutcome>({
    filename,
    execArgv,
    workerData: init,
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: Infinity,
    maxQueue,
    // Idle workers must run their event loop to receive namespace changes.
    atomics: 'async',
  });
  pool.on('workerCreate', () => {
    startedThreads++;
  });
  // A worker that dies is replaced by the pool; its task is rejected and answered per policy.
  pool.on('error', () => undefined);

  // The calling thread decides small reviews itself, against the same configuration, policies
  // and namespaces as the workers.
  const policies =
    options.policies ??
    (options.config.policies.length > 0
      ? await loadCelPolicies(options.config.policies, options.cwd)
      : undefined);
  const compiled = compileAdmissionConfig(options.config, {
    ...(options.namespaces ? { namespaces: (name: string) => options.namespaces?.get(name) } : {}),
    ...(policies ? { policies } : {}),
  });
  if (!compiled.ok) throw new Error(`configuration is invalid: ${JSON.stringify(compiled.error)}`);
  const inline = inlineDecider(compiled.value, {
    maxBytes: options.inline?.maxBytes ?? INLINE_MAX_BYTES,
    costLimit: options.inline?.costLimit ?? INLINE_COST_LIMIT,
    ...(options.inline?.slowMs !== undefined ? { slowMs: options.inline.slowMs } : {}),
    ...(options.inline?.suspendMs !== undefined ? { suspendMs: options.inline.suspendMs } : {}),
  });
  let toWorkers = 0;
  // The first decisions compile the controls and policies: not the reviews to time.
  for (const phase of ['validate', 'mutate'] as const) inline?.warm(WARM_UP_REVIEW, phase);
  // A backlog on the main thread: more small reviews arrived in one turn of the event loop
  // than it should decide before it polls its sockets again. The excess waits in the main
  // thread's own queue (backlog.ts; not an idle worker, whose hand-over costs a review two to
  // three times its CPU: 339 against 176 µs per review in the bench) and is decided in later
  // turns, a bounded slice per turn: between slices the loop accepts connections (libuv
  // accepts one per turn) and completes handshakes. Shedding a backlog at once would answer
  // fast, but every client then sends its next review at once, a tight loop that spends the
  // CPU on shed answers and starves the handshakes of the connections still waiting.
  const maxPerTurn = options.inline?.maxPerTurn ?? 64;
  const maxTurnMs = options.inline?.maxTurnMs ?? 10;
  const backlog = new Backlog<Queued>({
    maxLength: options.inline?.maxQueue ?? 4096,
    maxBytes: options.inline?.maxQueueBytes ?? 32 * 1024 * 1024,
    maxWaitMs: options.inline?.maxWaitMs ?? options.deadlineMs / 2,
  });
  let thisTurn = 0;
  let turnMs = 0;
  let queued = 0;
  let shedHere = 0;
  let draining = false;
  let turnEnding = false;
  const newTurn = (): void => {
    turnEnding = false;
    thisTurn = 0;
    turnMs = 0;
  };
  /** The turn's counts start afresh in the next turn of the event loop. */
  const endTurn = (): void => {
    if (turnEnding) return;
    turnEnding = true;
    setImmediate(newTurn);
  };
  const roomThisTurn = (): boolean => thisTurn < maxPerTurn && turnMs < maxTurnMs;
  const decideHere = (
    body: Uint8Array,
    phase: PolicyPhase,
    meter?: StageMeter,
  ): WorkerOutcome | undefined => {
    if (!inline) return undefined;
    thisTurn++;
    const started = performance.now();
    const here = inline.decide(body, phase, meter);
    turnMs += performance.now() - started;
    return here;
  };
  const drain = (): void => {
    draining = false;
    newTurn();
    while (backlog.length > 0 && roomThisTurn()) {
      const entry = backlog.take();
      if (!entry) break;
      const q = entry.item;
      if (entry.late) {
        // Cheaper than a decision, but its answer is written in this turn too.
        thisTurn++;
        shedHere++;
        q.resolve({ kind: 'shed', queued: backlog.length });
        continue;
      }
      const here = decideHere(q.body, q.phase);
      if (here) q.resolve(here);
      else {
        // Over the inline cost limit: a worker decides it within what is left of the deadline.
        toWorkers++;
        void toWorker(q.body, q.phase, options.deadlineMs - entry.waitedMs).then(q.resolve);
      }
    }
    // The next slice after the loop has polled its sockets; else a fresh turn then.
    if (backlog.length > 0) scheduleDrain();
    else endTurn();
  };
  const scheduleDrain = (): void => {
    if (draining) return;
    draining = true;
    setImmediate(drain);
  };

  const review = (
    body: Uint8Array,
    phase: PolicyPhase,
    meter?: StageMeter,
  ): PoolOutcome | Promise<PoolOutcome> => {
    if (inline?.eligible(body.byteLength)) {
      endTurn();
      // First come, first decided: nothing overtakes the queue.
      if (backlog.length === 0 && roomThisTurn()) {
        const here = decideHere(body, phase, meter);
        if (here) return here;
      } else {
        queued++;
        const waiting: Queued = { body, phase, resolve: () => undefined };
        if (!backlog.offer(waiting, body.byteLength)) {
          shedHere++;
          return { kind: 'shed', queued: backlog.length };
        }
        scheduleDrain();
        return new Promise<PoolOutcome>((resolve) => {
          waiting.resolve = resolve;
        });
      }
    }
    toWorkers++;
    if (pool.queueSize >= maxQueue && pool.idleThreads === 0) return { kind: 'shed', queued: pool.queueSize };
    return toWorker(body, phase);
  };
  const toWorker = async (
    body: Uint8Array,
    phase: PolicyPhase,
    deadlineMs = options.deadlineMs,
  ): Promise<PoolOutcome> => {
    const signal = AbortSignal.timeout(Math.max(1, deadlineMs));
    // A Buffer is often a view on a larger pooled ArrayBuffer, which structured cloning would
    // copy whole (8 KiB for a 1 KiB review): send an exact copy, moved rather than cloned.
    const copy = new Uint8Array(body);
    try {
      return await pool.run({ body: copy, phase }, { signal, transferList: [copy.buffer] });
    } catch (e) {
      if (signal.aborted) return { kind: 'deadline' };
      const message = e instanceof Error ? e.message : String(e);
      if (message === 'Task queue is at limit') return { kind: 'shed', queued: pool.queueSize };
      return { kind: 'failed', message };
    }
  };

  // Wait until every thread has loaded: a configuration that fails there must fail the start.
  await Promise.all(
    Array.from({ length: threads }, () =>
      pool.run({ body: new TextEncoder().encode('{}'), phase: 'validate' }),
    ),
  );

  return {
    threads,
    deadlineMs: options.deadlineMs,
    review,
    queued: () => pool.queueSize + backlog.length,
    started: () => startedThreads,
    decided: () => {
      const stats = inline?.stats();
      return {
        inline: stats?.decided ?? 0,
        workers: toWorkers,
        inlineOverBudget: stats?.overBudget ?? 0,
        inlineSuspensions: stats?.suspensions ?? 0,
        queued,
        shed: shedHere,
        ...backlog.counts(),
      };
    },
    close: async () => {
      unsubscribe?.();
      channel.close();
      await pool.destroy();
    },
  };
}
