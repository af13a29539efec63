/**
 * The decision log: every non-allow decision (deny, warn, audit, exempt) is kept as an event
 * in a bounded in-memory ring and, optionally, appended to a JSON-lines file. Dry-run
 * requests are never logged: a dry run must have no side effects. The store capability
 * will persist these events later through the same `DecisionSink` shape.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import type { DecisionRecord } from './decide.js';

/** A decision with the time the server made it. */
export interface DecisionEvent extends DecisionRecord {
  /** ISO 8601 time. */
  time: string;
}

/** Where decision events go. */
export interface DecisionSink {
  record(event: DecisionEvent): void;
  close(): Promise<void>;
}

/** Returns true when a decision belongs in the log. */
export function shouldLog(record: DecisionRecord): boolean {
  return !record.dryRun && record.result !== 'allow';
}

/** A fixed-size ring of the most recent events. */
export class DecisionRing implements DecisionSink {
  private readonly items: (DecisionEvent | undefined)[];
  private next = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.items = new Array<DecisionEvent | undefined>(capacity);
  }

  /** Keeps an event, dropping the oldest when full. */
  record(event: DecisionEvent): void {
    if (this.capacity === 0) return;
    this.items[this.next] = event;
    this.next = (this.next + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
  }

  /** The kept events, oldest first. */
  list(): DecisionEvent[] {
    const out: DecisionEvent[] = [];
    const start = (this.next - this.count + this.capacity) % Math.max(this.capacity, 1);
    for (let i = 0; i < this.count; i++) {
      const e = this.items[(start + i) % this.capacity];
      if (e) out.push(e);
    }
    return out;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Appends each event as one JSON line to a file (created when missing). */
export class JsonLinesSink implements DecisionSink {
  private readonly stream: WriteStream;
  private failed: Error | undefined;

  constructor(
    readonly file: string,
    private readonly onError: (e: Error) => void = () => undefined,
  ) {
    this.stream = createWriteStream(file, { flags: 'a' });
    this.stream.on('error', (e) => {
      // A full or vanished disk must not take the webhook down: report once, stop writing.
      if (!this.failed) this.onError(e);
      this.failed = e;
    });
  }

  record(event: DecisionEvent): void {
    if (this.failed) return;
    this.stream.write(`${JSON.stringify(event)}\n`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.stream.end(() => {
        resolve();
      });
    });
  }
}

/** The decision log: a ring plus any number of further sinks. */
export class DecisionLog {
  constructor(
    readonly ring: DecisionRing,
    private readonly sinks: readonly DecisionSink[] = [],
  ) {}

  /** Records a decision if it belongs in the log; returns whether it was recorded. */
  add(record: DecisionRecord, time: Date): boolean {
    if (!shouldLog(record)) return false;
    const event: DecisionEvent = { time: time.toISOString(), ...record };
    this.ring.record(event);
    for (const s of this.sinks) s.record(event);
    return true;
  }

  /** Flushes and closes every sink. */
  async close(): Promise<void> {
    await Promise.all([this.ring.close(), ...this.sinks.map((s) => s.close())]);
  }
}
