import { describe, expect, it } from 'vitest';
import { Backlog, type BacklogOptions } from './backlog.js';

/** A backlog on a clock the test moves. */
function backlog(options: Partial<BacklogOptions> = {}): {
  queue: Backlog<string>;
  advance: (ms: number) => void;
} {
  let t = 0;
  const queue = new Backlog<string>({
    maxLength: 4,
    maxBytes: 100,
    maxWaitMs: 50,
    now: () => t,
    ...options,
  });
  return {
    queue,
    advance: (ms) => {
      t += ms;
    },
  };
}

describe('Backlog', () => {
  it.each([
    // name, sizes offered, what each offer answers, length and bytes after
    ['within both bounds', [10, 20, 30], [true, true, true], 3, 60],
    ['beyond the count', [1, 1, 1, 1, 1], [true, true, true, true, false], 4, 4],
    ['beyond the bytes', [60, 30, 20, 10], [true, true, false, true], 3, 100],
    ['one body larger than the byte bound', [101], [false], 0, 0],
    ['an empty body', [0], [true], 1, 0],
  ])('bounds: %s', (_name, sizes, accepted, length, bytes) => {
    const { queue } = backlog();
    expect(sizes.map((size, i) => queue.offer(`r${i}`, size))).toEqual(accepted);
    expect(queue.length).toBe(length);
    expect(queue.bytes).toBe(bytes);
    expect(queue.counts().full).toBe(accepted.filter((a) => !a).length);
  });

  it.each([
    // name, wait of each review before the take, late or not
    ['on time', [0, 10, 50], [false, false, false]],
    ['just over the bound', [51], [true]],
    ['the old ones late, the new ones not', [60, 55, 20], [true, true, false]],
  ])('late when its turn comes: %s', (_name, waits, late) => {
    const { queue, advance } = backlog();
    // Review i is offered `waits[i]` ms before the takes.
    const order = waits.map((w, i) => [w, i] as const).sort((a, b) => b[0] - a[0]);
    let now = 0;
    const start = order[0]?.[0] ?? 0;
    for (const [w, i] of order) {
      advance(start - w - now);
      now = start - w;
      expect(queue.offer(`r${i}`, 1)).toBe(true);
    }
    advance(start - now);
    const taken = waits.map(() => queue.take());
    const byName = new Map(taken.map((e) => [e?.item, e]));
    for (const [i, w] of waits.entries()) {
      expect(byName.get(`r${i}`)?.waitedMs).toBe(w);
      expect(byName.get(`r${i}`)?.late).toBe(late[i]);
    }
    expect(queue.counts().late).toBe(late.filter(Boolean).length);
    expect(queue.take()).toBeUndefined();
  });

  it('is first in, first out, and frees the bytes of what was taken', () => {
    const { queue } = backlog({ maxLength: 3, maxBytes: 30 });
    expect(queue.offer('a', 10)).toBe(true);
    expect(queue.offer('b', 10)).toBe(true);
    expect(queue.offer('c', 10)).toBe(true);
    expect(queue.offer('d', 1)).toBe(false);
    expect(queue.take()?.item).toBe('a');
    expect(queue.bytes).toBe(20);
    expect(queue.offer('d', 10)).toBe(true);
    expect([queue.take(), queue.take(), queue.take()].map((e) => e?.item)).toEqual(['b', 'c', 'd']);
    expect(queue.length).toBe(0);
    expect(queue.bytes).toBe(0);
  });

  it('keeps its order across many offers and takes (the taken prefix is dropped as it goes)', () => {
    const { queue } = backlog({ maxLength: 5000, maxBytes: 1e9 });
    const out: string[] = [];
    let next = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 300; i++) expect(queue.offer(String(next++), 1)).toBe(true);
      for (let i = 0; i < 250; i++) out.push(queue.take()?.item ?? 'missing');
    }
    while (queue.length > 0) out.push(queue.take()?.item ?? 'missing');
    expect(out).toEqual(Array.from({ length: next }, (_, i) => String(i)));
    expect(queue.bytes).toBe(0);
  });
});
