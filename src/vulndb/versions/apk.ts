/**
 * Alpine package versions (`number{.number}{letter}{_suffix{number}}{~hash}{-r#}`), ordered as
 * apk-tools orders them: the first number numerically, later numbers numerically unless one
 * has a leading zero (then as strings), one optional letter, suffixes ranked
 * alpha < beta < pre < rc < (none) < cvs < svn < git < hg < p, then the revision. A version
 * that stops being valid part-way is compared on the valid part, then by the raw rest.
 */
import { compareDigits, compareStrings, isDigitCode } from './digits.js';

const enum Tok {
  InitialDigit = 0,
  Digit = 1,
  Letter = 2,
  Suffix = 3,
  SuffixNo = 4,
  CommitHash = 5,
  RevisionNo = 6,
  End = 7,
  Invalid = 8,
}

const SUFFIXES: Readonly<Record<string, number>> = {
  alpha: 0,
  beta: 1,
  pre: 2,
  rc: 3,
  cvs: 5,
  svn: 6,
  git: 7,
  hg: 8,
  p: 9,
};
const SUFFIX_NONE = 4;

interface Token {
  type: Tok;
  value: string;
  suffix: number;
}

function isLower(c: number): boolean {
  return c >= 97 && c <= 122;
}

function isHex(c: number): boolean {
  return isDigitCode(c) || (c >= 97 && c <= 102);
}

/** Splits a version into apk tokens; the last token is End or Invalid. */
function tokenize(v: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const span = (pred: (c: number) => boolean): string => {
    const s = i;
    while (i < v.length && pred(v.charCodeAt(i))) i++;
    return v.slice(s, i);
  };
  const first = span(isDigitCode);
  if (first === '') return [{ type: Tok.Invalid, value: v, suffix: 0 }];
  out.push({ type: Tok.InitialDigit, value: first, suffix: 0 });
  let prev = Tok.InitialDigit;
  for (;;) {
    if (i >= v.length) {
      out.push({ type: Tok.End, value: '', suffix: 0 });
      return out;
    }
    const start = i;
    const c = v.charCodeAt(i);
    let tok: Token | undefined;
    if (isLower(c)) {
      if (prev <= Tok.Digit) {
        i++;
        tok = { type: Tok.Letter, value: v[start] ?? '', suffix: 0 };
      }
    } else if (c === 46 /* . */) {
      if (prev <= Tok.Digit) {
        i++;
        const digits = span(isDigitCode);
        if (digits !== '') tok = { type: Tok.Digit, value: digits, suffix: 0 };
      }
    } else if (c === 95 /* _ */) {
      if (prev <= Tok.SuffixNo) {
        i++;
        const name = span(isLower);
        const rank = SUFFIXES[name];
        if (rank !== undefined) tok = { type: Tok.Suffix, value: name, suffix: rank };
      }
    } else if (isDigitCode(c)) {
      if (prev === Tok.Suffix) tok = { type: Tok.SuffixNo, value: span(isDigitCode), suffix: 0 };
    } else if (c === 126 /* ~ */) {
      if (prev < Tok.CommitHash) {
        i++;
        const hash = span(isHex);
        if (hash !== '') tok = { type: Tok.CommitHash, value: hash, suffix: 0 };
      }
    } else if (c === 45 /* - */) {
      if (prev < Tok.RevisionNo && v.charCodeAt(i + 1) === 114 /* r */) {
        i += 2;
        // `-r` without digits compares as `-r0` but is not a valid version.
        const digits = span(isDigitCode);
        tok = { type: Tok.RevisionNo, value: digits === '' ? '0' : digits, suffix: digits === '' ? -1 : 0 };
      }
    }
    if (tok === undefined) {
      out.push({ type: Tok.Invalid, value: v.slice(start), suffix: 0 });
      return out;
    }
    out.push(tok);
    prev = tok.type;
  }
}

function compareToken(a: Token, b: Token): number {
  switch (a.type) {
    case Tok.Digit:
      if (a.value.startsWith('0') || b.value.startsWith('0')) return compareStrings(a.value, b.value);
      return compareDigits(a.value, b.value);
    case Tok.InitialDigit:
    case Tok.SuffixNo:
    case Tok.RevisionNo:
      return compareDigits(a.value, b.value);
    case Tok.Suffix:
      return a.suffix === b.suffix ? 0 : a.suffix < b.suffix ? -1 : 1;
    case Tok.Letter:
    case Tok.CommitHash:
      return compareStrings(a.value, b.value);
    case Tok.Invalid:
      return 0;
    case Tok.End:
      return 0;
  }
}

function compareApkTokens(a: string, b: string, fuzzy: boolean): number {
  const ta = tokenize(a.trim());
  const tb = tokenize(b.trim());
  // Two versions that go wrong before any revision are ordered by their text.
  if (isHardInvalid(ta) && isHardInvalid(tb)) return compareStrings(a.trim(), b.trim());
  let k = 0;
  for (;;) {
    const x = ta[k];
    const y = tb[k];
    if (x === undefined || y === undefined) return 0;
    if (x.type !== y.type) {
      if (fuzzy && y.type === Tok.End) return 0;
      // An unparsable rest against a revision: the revision is compared with an absent one (0).
      if (x.type === Tok.RevisionNo && y.type === Tok.Invalid) {
        const r = compareDigits(x.value, '0');
        if (r !== 0) return r;
        ta.splice(k, 1);
        continue;
      }
      // A version that ends against a revision followed by junk: the revision is compared
      // with 0, then the clean end sorts after the junk.
      if (x.type === Tok.End && y.type === Tok.RevisionNo && tb[k + 1]?.type === Tok.Invalid) {
        return compareDigits('0', y.value) || 1;
      }
      if (y.type === Tok.End && x.type === Tok.RevisionNo && ta[k + 1]?.type === Tok.Invalid) {
        return compareDigits(x.value, '0') || -1;
      }
      if (y.type === Tok.RevisionNo && x.type === Tok.Invalid) {
        const r = compareDigits('0', y.value);
        if (r !== 0) return r;
        tb.splice(k, 1);
        continue;
      }
      if (x.type === Tok.Suffix && x.suffix < SUFFIX_NONE) return -1;
      if (y.type === Tok.Suffix && y.suffix < SUFFIX_NONE) return 1;
      return x.type > y.type ? -1 : 1;
    }
    const r = compareToken(x, y);
    if (r !== 0) return r;
    if (x.type === Tok.End) return 0;
    k++;
  }
}

function isHardInvalid(tokens: Token[]): boolean {
  return tokens[tokens.length - 1]?.type === Tok.Invalid && !tokens.some((t) => t.type === Tok.RevisionNo);
}

/** Orders two apk versions: negative, zero or positive. */
export function compareApk(a: string, b: string): number {
  return compareApkTokens(a, b, false);
}

/** Whether a string is a valid apk version. */
export function isValidApkVersion(v: string): boolean {
  const t = tokenize(v);
  return t[t.length - 1]?.type === Tok.End && t.every((x) => x.suffix >= 0);
}

/**
 * apk's version match for a dependency operator: `<`, `<=`, `=`, `>=`, `>`, and the fuzzy
 * `~` (b is a prefix of a, by components), `<~` and `>~`.
 */
export function apkVersionMatches(a: string, op: string, b: string): boolean {
  const fuzzy = op.includes('~');
  const r = compareApkTokens(a, b, fuzzy);
  if (r === 0) return op.includes('=') || fuzzy;
  if (r < 0) return op.includes('<');
  return op.includes('>');
}
