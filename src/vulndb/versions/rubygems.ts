/**
 * RubyGems versions (`Gem::Version`): `-` reads as `.pre.`, the version splits into runs of
 * digits and of letters, trailing zero numbers of the numeric part and of the pre-release part
 * are dropped, then segments compare pairwise: numbers numerically, strings by text, a string
 * before a number (so `1.0.a` < `1.0`), a missing segment as 0.
 */
import { compareDigits, compareStrings, isDigitCode } from './digits.js';

type Segment = string; // digits or letters

function isNumber(s: Segment): boolean {
  return s.length > 0 && isDigitCode(s.charCodeAt(0));
}

/** The canonical segments RubyGems compares. */
export function gemSegments(text: string): Segment[] {
  const v = text.trim().replaceAll('-', '.pre.');
  const segments = v.match(/[0-9]+|[a-z]+/gi) ?? [];
  const firstString = segments.findIndex((s) => !isNumber(s));
  const numeric = firstString < 0 ? segments : segments.slice(0, firstString);
  const rest = firstString < 0 ? [] : segments.slice(firstString);
  const trim = (xs: Segment[]): Segment[] => {
    let end = xs.length;
    while (end > 0 && isNumber(xs[end - 1] ?? '') && compareDigits(xs[end - 1] ?? '', '0') === 0) end--;
    return xs.slice(0, end);
  };
  return [...trim(numeric), ...trim(rest)];
}

/** Orders two RubyGems versions. */
export function compareRubyGems(a: string, b: string): number {
  const sa = gemSegments(a);
  const sb = gemSegments(b);
  const n = Math.max(sa.length, sb.length);
  for (let i = 0; i < n; i++) {
    const x = sa[i] ?? '0';
    const y = sb[i] ?? '0';
    if (x === y) continue;
    const nx = isNumber(x);
    const ny = isNumber(y);
    if (!nx && ny) return -1;
    if (nx && !ny) return 1;
    const r = nx ? compareDigits(x, y) : compareStrings(x, y);
    if (r !== 0) return r;
  }
  return 0;
}
