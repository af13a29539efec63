import type { Store } from './store.js';
import type { AdmissionDecisionInput } from './types.js';

/** Options of {@link storeDecisionSink}. */
export interface StoreDecisionSinkOptions {
  /** Events kept in memory at most; beyond it the oldest are dropped and counted (default 10,000). */
  maxBuffer?: number;
  /** Events that trigger a write at once (default 500). */
  batch?: number;
  /** Longest time an event waits to be written, in milliseconds (default 1000). */
  flushMs?: number;
  /** The cluster the decisions are recorded under. */
  cluster?: string;
  /** Told about a failed write (once per failure); the webhook keeps answering. */
  onError?: (e: Error) => void;
}

/** A decision-log sink (the webhook's `DecisionSink` shape) writing to the store. */
export interface StoreDecisionSink {
  record(event: AdmissionDecisionInput): void;
  /** Writes what is buffered now. */
  flush(): Promise<void>;
  close(): Promise<void>;
  /** Events dropped because the buffer was full. */
  dropped(): number;
}

/**
 * Buffers decisions and writes them in batches, off the request path: `record` never waits
 * for the database, memory is bounded by `maxBuffer`, and a slow or failed database costs
 * dropped (counted) events, never a stalled webhook.
 */
export function storeDecisionSink(store: Store, options: StoreDecisionSinkOptions = {}): StoreDecisionSink {
  const maxBuffer = options.maxBuffer ?? 10_000;
  const batch = options.batch ?? 500;
  let buffer: AdmissionDecisionInput[] = [];
  let dropped = 0;
  let writing: Promise<void> | undefined;
  const write = async (): Promise<void> => {
    while (buffer.length > 0) {
      const events = buffer.splice(0, batch);
      try {
        await store.recordDecisions(events, options.cluster);
      } catch (e) {
        dropped += events.length;
        options.onError?.(e instanceof Error ? e : new Error('decision write failed'));
      }
    }
  };
  const flush = (): Promise<void> => {
    writing ??= write().finally(() => {
      writing = undefined;
    });
    return writing;
  };
  const timer = setInterval(() => void flush(), options.flushMs ?? 1000);
  timer.unref();
  return {
    record(event) {
      buffer.push(event);
      if (buffer.length > maxBuffer) {
        const over = buffer.length - maxBuffer;
        buffer = buffer.slice(over);
        dropped += over;
      }
      if (buffer.length >= batch) void flush();
    },
    flush: async () => {
      await writing;
      await flush();
    },
    async close() {
      clearInterval(timer);
      await writing;
      await flush();
    },
    dropped: () => dropped,
  };
}
