import { describe, expect, it } from 'vitest';
import { numberSetting } from './support.js';

describe('numberSetting', () => {
  it.each([
    [14, 14],
    [0, 0],
    ['14', 14],
    [' 7 ', 7],
    ['', undefined],
    ['14d', undefined],
    ['1e3', undefined],
    [-1, undefined],
    [1.5, 1.5],
    ['1.5', undefined],
    ['-3', undefined],
    [Number.NaN, undefined],
    [Number.POSITIVE_INFINITY, undefined],
    [true, undefined],
    [null, undefined],
    [undefined, undefined],
    [[14], undefined],
  ])('warnDays %j reads as %j', (value, expected) => {
    expect(numberSetting({ warnDays: value }, 'warnDays')).toBe(expected);
  });

  it('reads nothing from absent settings', () => {
    expect(numberSetting(undefined, 'warnDays')).toBeUndefined();
    expect(numberSetting({}, 'warnDays')).toBeUndefined();
  });
});
