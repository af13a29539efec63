import { describe, expect, it } from 'vitest';
import { decodeConfig, MAX_CONFIG_ALIASES } from './lookup.js';

/** `levels` anchors, each a list of `width` aliases of the one before: width^levels leaves. */
function aliasBomb(levels: number, width: number): string {
  const lines = [`l0: &l0 [${Array<string>(width).fill('x').join(', ')}]`];
  for (let i = 1; i < levels; i++)
    lines.push(
      `l${i}: &l${i} [${Array<string>(width)
        .fill(`*l${i - 1}`)
        .join(', ')}]`,
    );
  return `${lines.join('\n')}\n`;
}

describe('decodeConfig bounds alias expansion', () => {
  it.each([
    ['a billion laughs (10^10 leaves)', aliasBomb(10, 10)],
    [
      'a wide fan of one anchor',
      `a: &a [x, x]\nb: [${Array<string>(MAX_CONFIG_ALIASES + 1)
        .fill('*a')
        .join(', ')}]\n`,
    ],
  ])('refuses %s with an error, expanding nothing', (_name, text) => {
    expect(decodeConfig(text)).toEqual({
      ok: false,
      error: `aliases expand past ${MAX_CONFIG_ALIASES} uses (an alias bomb?); not decoded`,
    });
  });

  it.each([
    ['one alias', 'a: &port 10250\nb: *port\n', { a: 10250, b: 10250 }],
    [
      'a small nest',
      aliasBomb(2, 3),
      {
        l0: ['x', 'x', 'x'],
        l1: [
          ['x', 'x', 'x'],
          ['x', 'x', 'x'],
          ['x', 'x', 'x'],
        ],
      },
    ],
    ['no alias', 'readOnlyPort: 0\n', { readOnlyPort: 0 }],
  ])('expands %s as before', (_name, text, value) => {
    expect(decodeConfig(text)).toEqual({ ok: true, value });
  });
});

describe('decodeConfig errors never quote the text', () => {
  it.each([
    ['an unclosed flow list', 'token: abc\nheaders:\n  Authorization: [Bearer S3cr3t-value\n'],
    ['a bad indentation', 'password: S3cr3t-value\n  nested: S3cr3t-value\n bad: 1\n'],
  ])('%s: one line, no content', (_name, text) => {
    const decoded = decodeConfig(text);
    expect(decoded.ok).toBe(false);
    if (decoded.ok) return;
    expect(decoded.error).toMatch(/at line \d+, column \d+:?$/);
    expect(decoded.error).not.toContain('S3cr3t');
    expect(decoded.error).not.toContain('\n');
  });
});
