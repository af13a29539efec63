import { describe, expect, it } from 'vitest';
import { StageMeter } from './stages.js';

/** Keeps the thread busy for `ms` milliseconds (CPU time that the meter must see). */
function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy
  }
}

describe('StageMeter', () => {
  it.each([
    ['one stage, one review', [['decide', 20]] as const, 1, { decide: 20 }],
    [
      'two stages over two reviews',
      [
        ['parse', 10],
        ['write', 30],
      ] as const,
      2,
      { parse: 5, write: 15 },
    ],
  ])('%s: charges busy time to the stage it ended', (_name, spans, reviews, expected) => {
    const meter = new StageMeter();
    meter.begin();
    for (const [stage, ms] of spans) {
      spin(ms);
      meter.end(stage);
    }
    meter.reviews = reviews;
    const per = meter.perReview();
    for (const [stage, ms] of Object.entries(expected)) {
      const got = per[stage as keyof typeof per];
      // Wall time is the spin itself; CPU time is at least most of it (a loaded machine may deschedule).
      expect(got?.wallUs).toBeGreaterThanOrEqual(ms * 1000 * 0.99);
      expect(got?.cpuUs).toBeGreaterThan(0);
    }
    expect(Object.keys(per).sort()).toEqual(Object.keys(expected).sort());
  });

  it('forgets on reset', () => {
    const meter = new StageMeter();
    meter.begin();
    spin(2);
    meter.end('log');
    meter.reviews = 1;
    meter.reset();
    expect(meter.perReview()).toEqual({});
    expect(meter.reviews).toBe(0);
  });
});
