/**
 * CPU accounting of the request path, for the benchmark (off unless a meter is passed to the
 * server): each synchronous stage of a review (collecting the body, deciding, metrics, the
 * log line, the decision log, writing the answer) adds its `process.cpuUsage()` and
 * `performance.now()` deltas to a counter, and `table()` prints them per review. Only
 * synchronous spans are measured, so work for other connections interleaved between them is
 * never charged to a stage; what lies outside every stage (TLS decryption and HTTP parsing
 * before the handler runs, the event loop, garbage collection between requests) is the
 * process's CPU per review minus the stages' sum, which the bench prints beside them. The
 * counters are process-wide CPU: with evaluation in worker threads a stage may include CPU
 * another thread used meanwhile, so the inline path is the one to account with.
 */

/** The stages of a review on the server, in request order. */
export const STAGES = [
  'request',
  'body',
  'parse',
  'decide',
  'serialise',
  'metrics',
  'log',
  'decision-log',
  'write',
] as const;
export type Stage = (typeof STAGES)[number];

/** Adds the CPU and wall time of synchronous stages to counters. */
export class StageMeter {
  private readonly cpu = new Float64Array(STAGES.length);
  private readonly wall = new Float64Array(STAGES.length);
  private readonly index = new Map<Stage, number>(STAGES.map((s, i) => [s, i]));
  private lastCpu = 0;
  private lastWall = 0;
  /** Reviews answered (counted by the server after the write). */
  reviews = 0;

  /** Starts a synchronous span. */
  begin(): void {
    const c = process.cpuUsage();
    this.lastCpu = c.user + c.system;
    this.lastWall = performance.now();
  }

  /** Charges the time since `begin` or the previous `end` to `stage`, and starts the next. */
  end(stage: Stage): void {
    const c = process.cpuUsage();
    const cpu = c.user + c.system;
    const wall = performance.now();
    const i = this.index.get(stage) ?? 0;
    this.cpu[i] = (this.cpu[i] ?? 0) + cpu - this.lastCpu;
    this.wall[i] = (this.wall[i] ?? 0) + (wall - this.lastWall) * 1000;
    this.lastCpu = cpu;
    this.lastWall = wall;
  }

  /** Forgets everything counted so far. */
  reset(): void {
    this.cpu.fill(0);
    this.wall.fill(0);
    this.reviews = 0;
  }

  /** CPU µs per review of each stage that was measured. */
  perReview(): Partial<Record<Stage, { cpuUs: number; wallUs: number }>> {
    const out: Partial<Record<Stage, { cpuUs: number; wallUs: number }>> = {};
    const n = Math.max(1, this.reviews);
    STAGES.forEach((s, i) => {
      const cpu = this.cpu[i] ?? 0;
      const wall = this.wall[i] ?? 0;
      if (cpu > 0 || wall > 0) out[s] = { cpuUs: cpu / n, wallUs: wall / n };
    });
    return out;
  }
}
