/**
 * RPM versions: `rpmvercmp` for one version or release string (alphanumeric segments, digits
 * numerically, `~` sorts before everything and `^` after the base but before anything else
 * that continues it), and `[epoch:]version[-release]` ordering for whole EVR strings.
 */
import { compareDigits, compareStrings, isAlphaCode, isDigitCode } from './digits.js';

const TILDE = 126;
const CARET = 94;

/** rpm's `rpmvercmp`: orders two version (or release) strings. */
export function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  const at = (s: string, k: number): number => (k < s.length ? s.charCodeAt(k) : 0);
  const isAlnum = (c: number): boolean => isDigitCode(c) || isAlphaCode(c);
  while (i < a.length || j < b.length) {
    while (i < a.length && !isAlnum(at(a, i)) && at(a, i) !== TILDE && at(a, i) !== CARET) i++;
    while (j < b.length && !isAlnum(at(b, j)) && at(b, j) !== TILDE && at(b, j) !== CARET) j++;
    const ca = at(a, i);
    const cb = at(b, j);
    if (ca === TILDE || cb === TILDE) {
      if (ca !== TILDE) return 1;
      if (cb !== TILDE) return -1;
      i++;
      j++;
      continue;
    }
    if (ca === CARET || cb === CARET) {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (ca !== CARET) return 1;
      if (cb !== CARET) return -1;
      i++;
      j++;
      continue;
    }
    if (!(i < a.length && j < b.length)) break;
    const si = i;
    const sj = j;
    const numeric = isDigitCode(ca);
    const inSegment = numeric ? isDigitCode : isAlphaCode;
    while (i < a.length && inSegment(at(a, i))) i++;
    while (j < b.length && inSegment(at(b, j))) j++;
    if (j === sj) return numeric ? 1 : -1;
    const sa = a.slice(si, i);
    const sb = b.slice(sj, j);
    const r = numeric ? compareDigits(sa, sb) : compareStrings(sa, sb);
    if (r !== 0) return r;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i < a.length ? 1 : -1;
}

interface Evr {
  epoch: string;
  version: string;
  release: string | undefined;
}

/** Splits `[epoch:]version[-release]`; a missing epoch is 0. */
export function parseEvr(text: string): Evr {
  const s = text.trim();
  const colon = s.indexOf(':');
  const epoch = colon >= 0 ? s.slice(0, colon) : '0';
  const rest = colon >= 0 ? s.slice(colon + 1) : s;
  const dash = rest.lastIndexOf('-');
  if (dash < 0) return { epoch, version: rest, release: undefined };
  return { epoch, version: rest.slice(0, dash), release: rest.slice(dash + 1) };
}

/** Orders two RPM `[epoch:]version[-release]` strings; a version without release sorts first. */
export function compareRpm(a: string, b: string): number {
  const va = parseEvr(a);
  const vb = parseEvr(b);
  const e = rpmvercmp(va.epoch, vb.epoch);
  if (e !== 0) return e;
  const v = rpmvercmp(va.version, vb.version);
  if (v !== 0) return v;
  if (va.release === undefined || vb.release === undefined) {
    if (va.release === vb.release) return 0;
    return va.release === undefined ? -1 : 1;
  }
  return rpmvercmp(va.release, vb.release);
}
