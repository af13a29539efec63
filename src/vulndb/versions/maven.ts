/**
 * Maven versions, ordered as Maven's `ComparableVersion`: the version splits on `.` and `-`
 * and on digit/letter transitions; `-` and transitions open a sub-list; numbers compare
 * numerically, qualifiers by rank (alpha < beta < milestone < rc = cr < snapshot < release
 * = ga = final = "" < sp, unknown qualifiers after, by text); trailing null items (0, "",
 * empty lists) are dropped before comparing.
 */
import { compareDigits, compareStrings, isDigitCode } from './digits.js';

type Item = { kind: 'int'; value: string } | { kind: 'str'; value: string } | { kind: 'list'; items: Item[] };

const QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const ALIASES: Readonly<Record<string, string>> = { ga: '', final: '', release: '', cr: 'rc' };
const RELEASE_INDEX = String(QUALIFIERS.indexOf(''));

function stringItem(value: string, followedByDigit: boolean): Item {
  let v = value;
  if (followedByDigit && v.length === 1) {
    if (v === 'a') v = 'alpha';
    else if (v === 'b') v = 'beta';
    else if (v === 'm') v = 'milestone';
  }
  return { kind: 'str', value: ALIASES[v] ?? v };
}

function parseItem(isDigit: boolean, buf: string): Item {
  return isDigit ? { kind: 'int', value: buf.replace(/^0+(?=.)/, '') } : stringItem(buf, false);
}

function isNull(item: Item): boolean {
  if (item.kind === 'int') return item.value === '0';
  if (item.kind === 'str') return item.value === '';
  return item.items.length === 0;
}

function normalize(list: Item[]): void {
  for (let i = list.length - 1; i >= 0; i--) {
    const last = list[i];
    if (last === undefined) continue;
    if (isNull(last)) list.splice(i, 1);
    else if (last.kind !== 'list') break;
  }
}

/** Parses a Maven version into ComparableVersion's item tree. */
export function parseMavenVersion(text: string): Item[] {
  const version = text.trim().toLowerCase();
  const root: Item[] = [];
  let list = root;
  const stack: Item[][] = [root];
  let isDigit = false;
  let start = 0;
  const openList = (): void => {
    const next: Item[] = [];
    list.push({ kind: 'list', items: next });
    list = next;
    stack.push(next);
  };
  for (let i = 0; i < version.length; i++) {
    const c = version.charCodeAt(i);
    if (c === 46 /* . */) {
      if (i === start) list.push({ kind: 'int', value: '0' });
      else list.push(parseItem(isDigit, version.slice(start, i)));
      start = i + 1;
    } else if (c === 45 /* - */) {
      // A release qualifier between dashes before a number (`1-ga-1`) adds nothing: `1-1`.
      const word = version.slice(start, i);
      if (!isDigit && i > start && ALIASES[word] === '' && isDigitCode(version.charCodeAt(i + 1))) {
        start = i + 1;
        continue;
      }
      if (i === start) list.push({ kind: 'int', value: '0' });
      else list.push(parseItem(isDigit, version.slice(start, i)));
      start = i + 1;
      openList();
    } else if (isDigitCode(c)) {
      if (!isDigit && i > start) {
        list.push(stringItem(version.slice(start, i), true));
        start = i;
        openList();
      }
      isDigit = true;
    } else {
      if (isDigit && i > start) {
        list.push(parseItem(true, version.slice(start, i)));
        start = i;
        openList();
      }
      isDigit = false;
    }
  }
  if (version.length > start) list.push(parseItem(isDigit, version.slice(start)));
  for (let k = stack.length - 1; k >= 0; k--) normalize(stack[k] ?? []);
  return root;
}

function qualifierKey(q: string): string {
  const i = QUALIFIERS.indexOf(q);
  return i === -1 ? `${QUALIFIERS.length}-${q}` : String(i);
}

function compareItem(a: Item, b: Item | undefined): number {
  if (a.kind === 'int') {
    if (b === undefined) return a.value === '0' ? 0 : 1;
    if (b.kind === 'int') return compareDigits(a.value, b.value);
    return 1;
  }
  if (a.kind === 'str') {
    if (b === undefined) return compareStrings(qualifierKey(a.value), RELEASE_INDEX);
    if (b.kind === 'int' || b.kind === 'list') return -1;
    return compareStrings(qualifierKey(a.value), qualifierKey(b.value));
  }
  if (b === undefined) {
    const first = a.items[0];
    return first === undefined ? 0 : compareItem(first, undefined);
  }
  if (b.kind === 'int') return -1;
  if (b.kind === 'str') return 1;
  return compareLists(a.items, b.items);
}

function compareLists(a: Item[], b: Item[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const l = a[i];
    const r = b[i];
    const result = l === undefined ? (r === undefined ? 0 : -compareItem(r, undefined)) : compareItem(l, r);
    if (result !== 0) return result;
  }
  return 0;
}

/** Orders two Maven versions. */
export function compareMaven(a: string, b: string): number {
  return compareLists(parseMavenVersion(a), parseMavenVersion(b));
}
