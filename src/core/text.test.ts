import { describe, expect, it } from 'vitest';
import { isRegexSpace, trimChars, trimEndChars, trimStartChars } from './text.js';

describe('linear trims', () => {
  it.each([
    ['https://h:6443///', '/', 'https://h:6443'],
    ['////', '/', ''],
    ['', '/', ''],
    ['a/b', '/', 'a/b'],
    ['1.500000000', '0', '1.5'],
  ])('trimEndChars(%j, %j) is %j', (s, chars, want) => {
    expect(trimEndChars(s, chars)).toBe(want);
  });

  it('trims both ends by a predicate', () => {
    expect(trimChars('--a-b--', '-')).toBe('a-b');
    expect(trimStartChars('..x.', '.')).toBe('x.');
    expect(trimChars('_.key!', (ch) => !/^[A-Za-z0-9]$/.test(ch))).toBe('key');
  });

  it('takes linear time on a long run followed by a rejecting character', () => {
    const s = `${'/'.repeat(200_000)}x`;
    expect(trimEndChars(s, '/')).toBe(s);
  });

  it('matches the regex \\s class on every UTF-16 code unit', () => {
    const differ: number[] = [];
    for (let c = 0; c <= 0xffff; c++)
      if (isRegexSpace(c) !== /\s/.test(String.fromCharCode(c))) differ.push(c);
    expect(differ).toEqual([]);
  });
});
