/**
 * Reviews decided on the server's main thread. Handing a review to a worker thread costs more
 * CPU than deciding a small one (a message each way, a sleeping thread woken, the answer and its
 * record copied back: bench/admission.ts measured twice the CPU per review), so a review whose
 * work is bounded is decided where it arrived:
 *
 * - its body is at most `maxBytes` (JSON parsing and the built-in controls are linear in it);
 * - its CEL policies together get `costLimit` of cost (each binding an even share) instead of
 *   the API server's limits; a review that reaches it is decided again by a worker, with the
 *   full limits, and what was done here is dropped;
 * - a decision that nevertheless took longer than `slowMs`, both in time and in the
 *   main thread's own CPU time (a thread that only waited for a CPU, on a loaded node, under a
 *   CPU limit or beside a worker running a long review, does not count), suspends the inline
 *   path for `suspendMs`, doubled (up to 64 times) when it happens again soon after a
 *   suspension ends: every review goes to the workers meanwhile. The cost limit is checked
 *   between steps, and a step may be a whole inner comprehension over the object, so policies
 *   of many expressions that each loop over the object cost time in proportion to the object's
 *   size and their number before the limit is seen (measured: 100 expressions of nested
 *   comprehensions over a 12 KB Secret, 0.6 s); the suspension keeps such a configuration in
 *   the workers after its first slow review.
 *
 * So the event loop is held by one bounded decision at a time, and the deadline and the queue
 * bound of the workers keep their meaning for everything else.
 */
import type { CompiledAdmissionConfig } from './config.js';
import { decide } from './decide.js';
import type { WorkerOutcome } from './pool-protocol.js';
import type { PolicyEvaluation, PolicyPhase } from './ports.js';
import type { StageMeter } from './stages.js';
import { threadCpuClock } from './thread-priority.js';

/** Decides one raw review body: what a worker sends back, or what the main thread answers. */
export function decideBody(
  body: Uint8Array,
  config: CompiledAdmissionConfig,
  phase: PolicyPhase,
  meter?: StageMeter,
): WorkerOutcome {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (e) {
    return { kind: 'invalid-json', message: e instanceof Error ? e.message : String(e) };
  }
  meter?.end('parse');
  const result = decide(parsed, config, phase);
  meter?.end('decide');
  if (!result.ok)
    return result.uid === undefined
      ? { kind: 'bad', problems: result.problems }
      : { kind: 'bad', problems: result.problems, uid: result.uid };
  const review = JSON.stringify(result.review);
  meter?.end('serialise');
  return { kind: 'answer', review, record: result.record };
}

/** The process's CPU time is read at most this often (ms) by the inline path's slow-decision check. */
const CPU_SAMPLE_MS = 5;

/** Limits of the inline path. */
export interface InlineOptions {
  /** Largest body decided inline (0: none is). */
  maxBytes: number;
  /** CEL cost of all the policies together. */
  costLimit: number;
  /** A decision longer than this suspends the inline path (default 50 ms). */
  slowMs?: number;
  /** For how long (default 5 s). */
  suspendMs?: number;
  /** Milliseconds, monotonic (default `performance.now`). */
  now?: () => number;
  /**
   * CPU time in milliseconds (default: the calling thread's, `threadCpuClock`, else the
   * process's, every thread's, from `process.cpuUsage`).
   */
  cpu?: () => number;
}

/** What the inline path did so far. */
export interface InlineStats {
  /** Reviews decided on the main thread. */
  decided: number;
  /** Reviews that reached the inline cost limit and went to a worker. */
  overBudget: number;
  /** Times a slow decision suspended the inline path. */
  suspensions: number;
}

/** The inline path over one compiled configuration. */
export interface InlineDecider {
  /** The outcome, or undefined when the review must go to a worker (too large, too dear, suspended). */
  decide(body: Uint8Array, phase: PolicyPhase, meter?: StageMeter): WorkerOutcome | undefined;
  stats(): InlineStats;
  /** Whether a body of this size may be decided here now (small enough, the path not suspended). */
  eligible(byteLength: number): boolean;
  /** Decides a review without timing or counting it: the first decisions compile code. */
  warm(body: Uint8Array, phase: PolicyPhase): void;
}

/**
 * The inline path, or undefined when it cannot be bounded: no body size allowed, or CEL
 * policies whose evaluator has no cost limit to lower.
 */
export function inlineDecider(
  config: CompiledAdmissionConfig,
  options: InlineOptions,
): InlineDecider | undefined {
  if (options.maxBytes <= 0) return undefined;
  const base = config.policies;
  const limited = base.policies.length === 0 ? base : base.limited?.(options.costLimit);
  if (!limited) return undefined;
  const now = options.now ?? (() => performance.now());
  // This thread's CPU time where the platform tells it; else the process's, which counts the
  // workers too (a busy worker then makes a decision that waited for a CPU look slow).
  const cpu =
    options.cpu ??
    threadCpuClock() ??
    (() => {
      const used = process.cpuUsage();
      return (used.user + used.system) / 1000;
    });
  const slowMs = options.slowMs ?? 50;
  const suspendMs = options.suspendMs ?? 5_000;
  let overBudget = false;
  const bounded: CompiledAdmissionConfig = {
    ...config,
    policies: {
      policies: limited.policies,
      evaluate(attributes, phase): PolicyEvaluation {
        const out = limited.evaluate(attributes, phase);
        if (out.costExceeded === true) overBudget = true;
        return out;
      },
    },
  };
  const stats: InlineStats = { decided: 0, overBudget: 0, suspensions: 0 };
  let suspendedUntil = -Infinity;
  let suspension = suspendMs;
  let cpuAt = -Infinity;
  let cpuThen = 0;
  return {
    stats: () => ({ ...stats }),
    eligible: (byteLength) => byteLength <= options.maxBytes && now() >= suspendedUntil,
    warm: (body, phase) => {
      decideBody(body, bounded, phase);
    },
    decide(body, phase, meter) {
      if (body.byteLength > options.maxBytes) return undefined;
      const started = now();
      if (started < suspendedUntil) return undefined;
      overBudget = false;
      // Reading the CPU time costs a system call (several µs for the process's, which reads
      // every thread's: a quarter of the main thread's time in a burst of small reviews; tens
      // of µs for the thread's on a loaded machine), so it is read at most every CPU_SAMPLE_MS: a slow decision is then judged on the CPU used
      // since a moment up to that much before it started, which changes nothing at 50 ms.
      if (started - cpuAt >= CPU_SAMPLE_MS) {
        cpuThen = cpu();
        cpuAt = started;
      }
      const cpuBefore = cpuThen;
      const outcome = decideBody(body, bounded, phase, meter);
      const ended = now();
      if (ended - started > slowMs && cpu() - cpuBefore > slowMs) {
        // Again soon after the last suspension ended: twice as long.
        suspension =
          ended - suspendedUntil < 2 * suspension ? Math.min(suspension * 2, 64 * suspendMs) : suspendMs;
        suspendedUntil = ended + suspension;
        stats.suspensions++;
      }
      if (overBudget) {
        stats.overBudget++;
        return undefined;
      }
      stats.decided++;
      return outcome;
    },
  };
}
