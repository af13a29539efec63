/**
 * Debian package versions (`[epoch:]upstream[-revision]`), ordered as `dpkg --compare-versions`
 * orders them: epochs numerically, then upstream and revision by dpkg's character order
 * (`~` before everything, even the end; letters before other characters; digit runs numerically).
 */
import { compareDigits, isAlphaCode, isDigitCode, sign } from './digits.js';

interface DpkgVersion {
  epoch: string;
  upstream: string;
  revision: string;
}

/** Splits a dpkg version into epoch, upstream and revision (lenient: never fails). */
export function parseDpkgVersion(text: string): DpkgVersion {
  const s = text.trim();
  const colon = s.indexOf(':');
  let epoch = '0';
  let rest = s;
  if (colon >= 0) {
    epoch = s.slice(0, colon);
    rest = s.slice(colon + 1);
  }
  const dash = rest.lastIndexOf('-');
  if (dash >= 0) return { epoch, upstream: rest.slice(0, dash), revision: rest.slice(dash + 1) };
  return { epoch, upstream: rest, revision: '' };
}

function order(c: number): number {
  if (Number.isNaN(c) || isDigitCode(c)) return 0;
  if (isAlphaCode(c)) return c;
  if (c === 126) return -1; // '~'
  return c + 256;
}

/** dpkg's `verrevcmp`: compares an upstream version or a revision. */
export function compareDpkgPart(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while (
      (i < a.length && !isDigitCode(a.charCodeAt(i))) ||
      (j < b.length && !isDigitCode(b.charCodeAt(j)))
    ) {
      const ac = order(i < a.length ? a.charCodeAt(i) : NaN);
      const bc = order(j < b.length ? b.charCodeAt(j) : NaN);
      if (ac !== bc) return sign(ac - bc);
      i++;
      j++;
    }
    const si = i;
    while (i < a.length && isDigitCode(a.charCodeAt(i))) i++;
    const sj = j;
    while (j < b.length && isDigitCode(b.charCodeAt(j))) j++;
    const d = compareDigits(a.slice(si, i) || '0', b.slice(sj, j) || '0');
    if (d !== 0) return d;
  }
  return 0;
}

/** Orders two dpkg versions: negative, zero or positive like `dpkg --compare-versions`. */
export function compareDpkg(a: string, b: string): number {
  const va = parseDpkgVersion(a);
  const vb = parseDpkgVersion(b);
  const e = compareDigits(va.epoch || '0', vb.epoch || '0');
  if (e !== 0) return e;
  const u = compareDpkgPart(va.upstream, vb.upstream);
  if (u !== 0) return u;
  return compareDpkgPart(va.revision, vb.revision);
}

const UPSTREAM_CHARS = /^[A-Za-z0-9.+~:-]+$/;
const REVISION_CHARS = /^[A-Za-z0-9.+~]+$/;

/** Whether a string is a valid dpkg version (dpkg's `parseversion` rules). */
export function isValidDpkgVersion(text: string): boolean {
  const s = text.trim();
  if (s === '' || /\s/.test(s)) return false;
  const colon = s.indexOf(':');
  let rest = s;
  if (colon >= 0) {
    const epoch = s.slice(0, colon);
    if (!/^[0-9]+$/.test(epoch) || Number(epoch) > 2147483647) return false;
    rest = s.slice(colon + 1);
  }
  const dash = rest.lastIndexOf('-');
  const upstream = dash >= 0 ? rest.slice(0, dash) : rest;
  if (upstream === '' || !isDigitCode(upstream.charCodeAt(0))) return false;
  if (!UPSTREAM_CHARS.test(upstream)) return false;
  if (dash >= 0) {
    const revision = rest.slice(dash + 1);
    if (revision === '' || !REVISION_CHARS.test(revision)) return false;
  }
  return true;
}
