/**
 * The main thread's own queue of small reviews (`pool.ts`): a backlog of connections delivers
 * more reviews in one turn of the event loop than should be decided before the loop polls its
 * sockets again, so the excess waits here and is decided in later turns, one bounded slice per
 * turn. Between slices the loop accepts connections (libuv accepts one per turn) and
 * completes TLS handshakes.
 *
 * A review is shed (answered per the failure policy) when it could not be decided in time: it
 * waited longer than `maxWaitMs` (derived from the deadline) when its turn comes. Beyond the
 * bounds in reviews and in bytes a review is shed at once. It is not shed on an estimate of
 * its wait: with reviews this cheap to decide, a shed answer costs the main thread most of
 * what deciding does (TLS, HTTP, the write), and the client sends its next review at once, so
 * shedding early under a burst (measured: a thousand connections' handshakes) fed a loop of
 * shed answers that starved the decisions.
 *
 * Pure bookkeeping with an injected clock: deciding and answering are the caller's.
 */

/** Options of a backlog. */
export interface BacklogOptions {
  /** Reviews waiting at most. */
  maxLength: number;
  /** Bytes of bodies waiting at most. */
  maxBytes: number;
  /** Longest wait before a review's turn: beyond it the review is shed. */
  maxWaitMs: number;
  /** Milliseconds, monotonic (default `performance.now`). */
  now?: () => number;
}

/** A queued review when its turn comes. */
export interface BacklogEntry<T> {
  item: T;
  waitedMs: number;
  /** It waited longer than `maxWaitMs`: shed it instead of deciding it. */
  late: boolean;
}

/** Reviews refused because the queue was full, and found late when their turn came. */
export interface BacklogCounts {
  full: number;
  late: number;
}

interface Slot<T> {
  item: T;
  size: number;
  since: number;
}

/** A FIFO of reviews bounded by count and bytes, whose entries know how long they waited. */
export class Backlog<T> {
  private slots: (Slot<T> | undefined)[] = [];
  private head = 0;
  private queuedBytes = 0;
  private readonly now: () => number;
  private readonly tally: BacklogCounts = { full: 0, late: 0 };

  constructor(private readonly options: BacklogOptions) {
    this.now = options.now ?? (() => performance.now());
  }

  get length(): number {
    return this.slots.length - this.head;
  }

  get bytes(): number {
    return this.queuedBytes;
  }

  /** What was refused and found late so far. */
  counts(): BacklogCounts {
    return { ...this.tally };
  }

  /** Queues a review of `size` bytes; false when the queue is full (answer it at once). */
  offer(item: T, size: number): boolean {
    if (this.length >= this.options.maxLength || this.queuedBytes + size > this.options.maxBytes) {
      this.tally.full++;
      return false;
    }
    this.slots.push({ item, size, since: this.now() });
    this.queuedBytes += size;
    return true;
  }

  /** The oldest review, or undefined when none waits. */
  take(): BacklogEntry<T> | undefined {
    const slot = this.slots[this.head];
    if (slot === undefined) return undefined;
    this.slots[this.head] = undefined;
    this.head++;
    // Drop the taken prefix now and then, so the array does not grow with the total.
    if (this.head === this.slots.length) {
      this.slots = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.slots.length) {
      this.slots = this.slots.slice(this.head);
      this.head = 0;
    }
    this.queuedBytes -= slot.size;
    const waitedMs = this.now() - slot.since;
    const late = waitedMs > this.options.maxWaitMs;
    if (late) this.tally.late++;
    return { item: slot.item, waitedMs, late };
  }
}
