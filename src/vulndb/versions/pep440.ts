/**
 * Python package versions (PEP 440): `[N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]` with the
 * spelling variants PEP 440 normalises (alpha, preview, c, rev, r, `-N` posts, separators).
 * Ordering: epoch, release (trailing zeros ignored), pre-release, post-release, dev-release,
 * local version. Strings that are not PEP 440 sort before every valid version, among
 * themselves by text (PyPI no longer accepts them).
 */
import { compareDigits, compareStrings, isDigitCode } from './digits.js';

/** A parsed PEP 440 version. Absent parts are undefined. */
export interface Pep440Version {
  epoch: string;
  release: string[];
  pre: { kind: 'a' | 'b' | 'rc'; n: string } | undefined;
  post: string | undefined;
  dev: string | undefined;
  local: string[] | undefined;
}

const PATTERN =
  /^v?(?:([0-9]+)!)?([0-9]+(?:\.[0-9]+)*)(?:[-_.]?(alpha|a|beta|b|preview|pre|c|rc)[-_.]?([0-9]+)?)?(?:-([0-9]+)|[-_.]?(post|rev|r)[-_.]?([0-9]+)?)?(?:[-_.]?(dev)[-_.]?([0-9]+)?)?(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?$/;

/** Parses a PEP 440 version, or returns undefined when the string is not one. */
export function parsePep440(text: string): Pep440Version | undefined {
  const m = PATTERN.exec(text.trim().toLowerCase());
  if (m === null) return undefined;
  const preLabel = m[3];
  let pre: Pep440Version['pre'];
  if (preLabel !== undefined) {
    const kind =
      preLabel === 'alpha' || preLabel === 'a' ? 'a' : preLabel === 'beta' || preLabel === 'b' ? 'b' : 'rc';
    pre = { kind, n: m[4] ?? '0' };
  }
  const post = m[5] ?? (m[6] !== undefined ? (m[7] ?? '0') : undefined);
  const dev = m[8] !== undefined ? (m[9] ?? '0') : undefined;
  return {
    epoch: m[1] ?? '0',
    release: (m[2] ?? '0').split('.'),
    pre,
    post,
    dev,
    local: m[10]?.split(/[-_.]/),
  };
}

const PRE_RANK = { a: 0, b: 1, rc: 2 } as const;

function compareRelease(a: string[], b: string[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const r = compareDigits(a[i] ?? '0', b[i] ?? '0');
    if (r !== 0) return r;
  }
  return 0;
}

/** Pre-release key: a dev release of a final sorts before its pre-releases; a final after them. */
function comparePre(a: Pep440Version, b: Pep440Version): number {
  const rank = (v: Pep440Version): number => {
    if (v.pre !== undefined) return 1;
    if (v.post === undefined && v.dev !== undefined) return 0;
    return 2;
  };
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  if (a.pre !== undefined && b.pre !== undefined) {
    if (a.pre.kind !== b.pre.kind) return PRE_RANK[a.pre.kind] < PRE_RANK[b.pre.kind] ? -1 : 1;
    return compareDigits(a.pre.n, b.pre.n);
  }
  return 0;
}

function compareOptionalNumber(
  a: string | undefined,
  b: string | undefined,
  absent: 'first' | 'last',
): number {
  if (a === undefined || b === undefined) {
    if (a === b) return 0;
    const aFirst = absent === 'first' ? a === undefined : b === undefined;
    return aFirst ? -1 : 1;
  }
  return compareDigits(a, b);
}

function isNumeric(s: string): boolean {
  if (s === '') return false;
  for (let i = 0; i < s.length; i++) if (!isDigitCode(s.charCodeAt(i))) return false;
  return true;
}

function compareLocal(a: string[] | undefined, b: string[] | undefined): number {
  if (a === undefined || b === undefined) {
    if (a === b) return 0;
    return a === undefined ? -1 : 1;
  }
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] ?? '';
    const y = b[i] ?? '';
    const nx = isNumeric(x);
    const ny = isNumeric(y);
    let r: number;
    if (nx && ny) r = compareDigits(x, y);
    else if (nx) r = 1;
    else if (ny) r = -1;
    else r = compareStrings(x, y);
    if (r !== 0) return r;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** Orders two parsed PEP 440 versions. */
export function comparePep440Parsed(a: Pep440Version, b: Pep440Version): number {
  return (
    compareDigits(a.epoch, b.epoch) ||
    compareRelease(a.release, b.release) ||
    comparePre(a, b) ||
    compareOptionalNumber(a.post, b.post, 'first') ||
    compareOptionalNumber(a.dev, b.dev, 'last') ||
    compareLocal(a.local, b.local)
  );
}

/** Orders two Python package versions by PEP 440. */
export function comparePep440(a: string, b: string): number {
  const pa = parsePep440(a);
  const pb = parsePep440(b);
  if (pa === undefined || pb === undefined) {
    if (pa === undefined && pb === undefined)
      return compareStrings(a.trim().toLowerCase(), b.trim().toLowerCase());
    return pa === undefined ? -1 : 1;
  }
  return comparePep440Parsed(pa, pb);
}
