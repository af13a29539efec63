/**
 * RFC 3339 times to epoch milliseconds without `Date.parse` for the shape every input uses
 * (`2026-12-07T10:00:00Z`, with optional fraction and a `Z` or `±HH:MM` offset); anything else
 * (other spellings, days past the 28th, leap seconds) falls back to `Date.parse`, so the result
 * is always what `Date.parse` says. Pure.
 */

const digit = (s: string, i: number): number => {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1;
};

function two(s: string, i: number): number {
  const a = digit(s, i);
  const b = digit(s, i + 1);
  return a < 0 || b < 0 ? -1 : a * 10 + b;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (month 1–12). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** Epoch milliseconds of an RFC 3339 time, NaN when it is not a time (as `Date.parse`). */
export function parseTime(s: string): number {
  const fast = fastParse(s);
  return fast ?? Date.parse(s);
}

function fastParse(s: string): number | undefined {
  if (s.length < 20 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 84)
    return undefined;
  if (s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return undefined;
  const y1 = two(s, 0);
  const y2 = two(s, 2);
  const mo = two(s, 5);
  const d = two(s, 8);
  const h = two(s, 11);
  const mi = two(s, 14);
  const sec = two(s, 17);
  if (y1 < 0 || y2 < 0 || mo < 1 || mo > 12 || d < 1 || d > 28 || h < 0 || h > 23) return undefined;
  if (mi < 0 || mi > 59 || sec < 0 || sec > 59) return undefined;
  let i = 19;
  let ms = 0;
  if (s.charCodeAt(i) === 46) {
    i++;
    let n = 0;
    const start = i;
    for (; i < s.length && digit(s, i) >= 0; i++) if (n++ < 3) ms = ms * 10 + digit(s, i);
    if (i === start) return undefined;
    for (let k = n; k < 3; k++) ms *= 10;
  }
  let offset = 0;
  const z = s.charCodeAt(i);
  if (z === 90 && i + 1 === s.length) offset = 0;
  else if ((z === 43 || z === 45) && i + 6 === s.length && s.charCodeAt(i + 3) === 58) {
    const oh = two(s, i + 1);
    const om = two(s, i + 4);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return undefined;
    offset = (z === 43 ? 1 : -1) * (oh * 60 + om);
  } else return undefined;
  const days = daysFromCivil(y1 * 100 + y2, mo, d);
  return ((days * 24 + h) * 60 + mi - offset) * 60_000 + sec * 1000 + ms;
}
