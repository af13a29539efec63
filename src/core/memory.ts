import { getHeapStatistics } from 'node:v8';
import { InputError } from './errors.js';

/**
 * A scan stops on its own once the heap holds more than this share of V8's heap limit less
 * `HEAP_RESERVE`. V8 collects garbage ever more often as the heap nears its limit, so the used
 * size there is close to what is alive; a check between chunks of work stops the scan before
 * V8 would abort the process. The reserve stands for the young generation, which the limit
 * includes (3 × 16 MiB by default) but old objects cannot use.
 */
export const HEAP_STOP_SHARE = 0.9;
export const HEAP_RESERVE = 64 * 2 ** 20;

/** Bytes of heap past which `checkHeap` stops a scan, for a heap limit. */
export function heapStopBytes(limit: number): number {
  return Math.max(0, limit * HEAP_STOP_SHARE - HEAP_RESERVE);
}

/** The input needs more memory than the heap may use: an input error (exit 2), not a crash. */
export class MemoryLimitError extends InputError {}

/** Heap figures a check reads; injected by tests. */
export interface HeapFigures {
  used: number;
  limit: number;
}

function currentHeap(): HeapFigures {
  const h = getHeapStatistics();
  return { used: h.used_heap_size, limit: h.heap_size_limit };
}

const MIB = 2 ** 20;

/**
 * Throws a `MemoryLimitError` naming `what` when the heap holds more than `heapStopBytes` of
 * its limit. Cheap (a few microseconds): call it between chunks of input, batches of findings
 * and pieces of a report.
 */
export function checkHeap(what: string, heap: () => HeapFigures = currentHeap): void {
  const { used, limit } = heap();
  if (used <= heapStopBytes(limit)) return;
  throw new MemoryLimitError(
    `out of memory while ${what}: the scan holds ${Math.round(used / MIB)} MiB of the ${Math.round(limit / MIB)} MiB heap Node.js allows; ` +
      `scan fewer files at once, or allow more with NODE_OPTIONS=--max-old-space-size=${nextLimitMiB(limit)} (MiB; see docs/scan.md#large-inputs)`,
  );
}

/** A suggested larger heap limit: twice the current one, in MiB. */
function nextLimitMiB(limit: number): number {
  return Math.ceil((2 * limit) / MIB / 1024) * 1024;
}
