/**
 * The Kubernetes CEL libraries on top of the standard ones: regex (`find`, `findAll`), lists
 * (`isSorted`, `sum`, `min`, `max`, `indexOf`, `lastIndexOf`), strings extensions (`charAt`,
 * `replace`, `format`), URLs, quantities, IP/CIDR and the authorizer.
 */
import { Optional } from '@marcbachmann/cel-js';
import { trimEndChars } from '../../core/index.js';
import { parse as semverParse, type SemVer } from 'semver';
import type { Environment } from '@marcbachmann/cel-js';
import { IPAddr, CIDR, parseCIDR, parseIP } from './net.js';
import { registerTwoVariableComprehensions } from './two-var.js';
import {
  Quantity,
  parseQuantity,
  quantityAdd,
  quantityAsFloat,
  quantityAsInteger,
  quantityOfInt,
} from './quantity.js';

/** What an authorizer check asks, as Kubernetes' SubjectAccessReview attributes. */
export interface AuthorizerAttributes {
  /**
   * The identity checked: the request's user, or for `authorizer.serviceAccount(ns, name)`
   * `system:serviceaccount:NS:NAME`; absent when the request names no user.
   */
  user?: string;
  /** The identity's groups; a ServiceAccount's are `system:serviceaccounts` and `system:serviceaccounts:NS`. */
  groups?: readonly string[];
  path?: string;
  group?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  verb: string;
}

/** Answers an authorizer check; backed by the RBAC graph when one is available. */
export type AuthorizerFn = (attrs: AuthorizerAttributes) => {
  decision: 'allow' | 'deny' | 'noOpinion';
  reason?: string;
};

class StringsNamespace {
  readonly name = 'strings';
}

/**
 * Semantic version grammar (semver.org 2.0.0), as Kubernetes' `semver()` accepts it: no `v`
 * prefix, no leading zeros in numbers, pre-release and build identifiers not empty.
 */
const NUMBER = '(?:0|[1-9][0-9]*)';
const PRE_ID = `(?:${NUMBER}|[0-9]*[A-Za-z-][0-9A-Za-z-]*)`;
const SEMVER = new RegExp(
  `^${NUMBER}\\.${NUMBER}\\.${NUMBER}(?:-${PRE_ID}(?:\\.${PRE_ID})*)?(?:\\+[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?$`,
);

/** A `kubernetes.Semver` value. */
class Semver {
  constructor(readonly version: SemVer) {}
}

/**
 * With `normalize`: a leading `v` removed, leading zeros dropped, missing minor and patch
 * numbers added (Kubernetes' normalizeAndParse).
 */
function parseSemver(text: string, normalize: boolean): Semver | string {
  let s = text;
  if (normalize) {
    if (s.startsWith('v')) s = s.slice(1);
    const parts = splitN(s, '.', 3).map((p) => {
      if (p.length <= 1) return p;
      const trimmed = p.replace(/^0+/, '');
      return trimmed === '' || !/^[0-9]/.test(trimmed) ? `0${trimmed}` : trimmed;
    });
    if (parts.length < 3) {
      if (/[+-]/.test(parts[parts.length - 1] ?? ''))
        return 'short version cannot contain PreRelease/Build meta data';
      while (parts.length < 3) parts.push('0');
    }
    s = parts.join('.');
  }
  if (!SEMVER.test(s)) return `invalid semantic version ${JSON.stringify(text)}`;
  const v = semverParse(s);
  return v ? new Semver(v) : `invalid semantic version ${JSON.stringify(text)}`;
}

/** Go's strings.SplitN: at most `n` parts, the last holding the rest. */
function splitN(s: string, sep: string, n: number): string[] {
  const parts = s.split(sep);
  return parts.length <= n ? parts : [...parts.slice(0, n - 1), parts.slice(n - 1).join(sep)];
}

/** The `sets` extension (Kubernetes 1.29+): lists read as sets, elements compared by CEL equality. */
class SetsNamespace {
  readonly name = 'sets';
}

/** `sets.contains(a, b)`: every element of `b` is in `a` (true for an empty `b`). */
function setContains(a: readonly unknown[], b: readonly unknown[]): boolean {
  return b.every((x) => a.some((y) => celEquals(y, x)));
}

const QUOTE_ESCAPES: Readonly<Record<string, string>> = {
  '\u0007': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
  '\\': '\\\\',
  '"': '\\"',
};

/** `strings.quote`: a double-quoted CEL string literal for the value. */
export function quoteString(s: string): string {
  // eslint-disable-next-line no-control-regex -- escaping control characters is the point
  return `"${s.replace(/[\u0007\b\f\n\r\t\v\\"]/g, (c) => QUOTE_ESCAPES[c] ?? c)}"`;
}

class JsonPatchNamespace {
  readonly name = 'jsonpatch';
}

class KubeURL {
  constructor(readonly url: URL) {}
}

class Authorizer {
  constructor(
    readonly fn: AuthorizerFn | undefined,
    readonly user: string | undefined,
    readonly groups: readonly string[] | undefined,
  ) {}
}
class PathCheck {
  constructor(
    readonly authz: Authorizer,
    readonly path: string,
  ) {}
}
class GroupCheck {
  constructor(
    readonly authz: Authorizer,
    readonly group: string,
  ) {}
}
class ResourceCheck {
  constructor(
    readonly authz: Authorizer,
    readonly attrs: Omit<AuthorizerAttributes, 'verb'>,
  ) {}
}
class Decision {
  constructor(
    readonly decision: 'allow' | 'deny' | 'noOpinion',
    readonly reason: string,
  ) {}
}

function fail(message: string): never {
  throw new Error(message);
}

function must<T>(v: T | string): T {
  if (typeof v === 'string') fail(v);
  return v;
}

function celEquals(a: unknown, b: unknown): boolean {
  if (typeof a === 'bigint' || typeof b === 'bigint' || typeof a === 'number' || typeof b === 'number') {
    return (typeof a === 'bigint' || typeof a === 'number') &&
      (typeof b === 'bigint' || typeof b === 'number')
      ? Number(a) === Number(b)
      : false;
  }
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => celEquals(x, b[i]));
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return (
      ka.length === kb.length &&
      ka.every((k) => celEquals((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
    );
  }
  return a === b;
}

function compare(a: unknown, b: unknown): number {
  if ((typeof a === 'bigint' || typeof a === 'number') && (typeof b === 'bigint' || typeof b === 'number'))
    return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  return fail('no such overload for comparison of list elements');
}

/** The `lists` namespace of the lists extension (`lists.range`). */
class ListsNamespace {
  readonly name = 'lists';
}

/** CEL's type of a list element, for the same-type rule of `sort()`. */
function celTypeOf(v: unknown): string {
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'number') return 'double';
  return typeof v;
}

/**
 * `list.sort()` and `sortBy`: the list in the order of its keys, which must be comparable and
 * of one type ("list elements must have the same type").
 */
export function sortByKeys(list: readonly unknown[], keys: readonly unknown[]): unknown[] {
  if (list.length !== keys.length) fail('sortBy: a key for every element is needed');
  if (keys.length === 0) return [...list];
  const type = celTypeOf(keys[0]);
  if (!['int', 'double', 'string', 'boolean'].includes(type)) fail('list elements must be comparable');
  if (keys.some((k) => celTypeOf(k) !== type)) fail('list elements must have the same type');
  const order = keys.map((_k, i) => i).sort((i, j) => compare(keys[i], keys[j]));
  return order.map((i) => list[i]);
}

/** `list.flatten(depth)`: nested lists opened `depth` levels deep. */
function flattenList(list: readonly unknown[], depth: number): unknown[] {
  if (depth < 0) fail('level must be non-negative');
  const out: unknown[] = [];
  for (const v of list) {
    if (Array.isArray(v) && depth > 0) out.push(...flattenList(v, depth - 1));
    else out.push(v);
  }
  return out;
}

/** Largest list `lists.range` builds, as the API server's CEL (10,000,000). */
const MAX_RANGE = 10_000_000;

/** Implements the `format` strings extension (%s %d %f %e %x %X %o %b %%). */
export function formatString(fmt: string, args: readonly unknown[]): string {
  let i = 0;
  return fmt.replace(/%(\.\d+)?([sdfeExXob%])/g, (_m, prec: string | undefined, verb: string) => {
    if (verb === '%') return '%';
    if (i >= args.length) fail(`index ${i} out of range`);
    const a = args[i++];
    const p = prec ? Number(prec.slice(1)) : undefined;
    switch (verb) {
      case 's':
        return formatValue(a);
      case 'd':
        if (typeof a !== 'bigint' && !(typeof a === 'number' && Number.isInteger(a)))
          fail('error during formatting: decimal clause can only be used on integers');
        return String(a);
      case 'f':
        return groupThousands(fixedDecimal(Number(a), p ?? 6));
      case 'e':
        // The API server's formatter passes the precision as a width: always six decimals.
        return scientific(Number(a));
      case 'x':
      case 'X': {
        const s =
          typeof a === 'string'
            ? Buffer.from(a).toString('hex')
            : a instanceof Uint8Array
              ? Buffer.from(a).toString('hex')
              : (a as bigint).toString(16);
        return verb === 'X' ? s.toUpperCase() : s;
      }
      case 'o':
        return (a as bigint).toString(8);
      default:
        return (a as bigint).toString(2);
    }
  });
}

/**
 * `x` with `digits` decimals, rounded half to even on its exact binary value, as Go's
 * strconv does (`toFixed` rounds exact ties away from zero: 2.25 -> 2.3, Go gives 2.2).
 */
export function fixedDecimal(x: number, digits: number): string {
  if (!Number.isFinite(x)) return String(x);
  const extra = Math.min(25, 100 - digits);
  if (extra <= 0) return x.toFixed(digits);
  // toFixed is exact for the digits it prints: 25 more show whether x sits exactly halfway.
  const longer = x.toFixed(digits + extra);
  const cut = longer.length - extra;
  if (!/^50*$/.test(longer.slice(cut))) return x.toFixed(digits);
  const truncated = longer.slice(0, cut).replace(/\.$/, '');
  // A tie goes to the even neighbour; toFixed went away from zero, which is even when truncation is odd.
  return Number(truncated[truncated.length - 1]) % 2 === 0 ? truncated : x.toFixed(digits);
}

/** Go's message printer groups the integer part by thousands (en: `1,234,567.5`). */
function groupThousands(s: string): string {
  const sign = s.startsWith('-') ? 1 : 0;
  let end = sign;
  while (end < s.length && s.charCodeAt(end) >= 48 && s.charCodeAt(end) <= 57) end++;
  if (end === sign) return s;
  const digits = s.slice(sign, end);
  let grouped = digits.slice(0, ((digits.length - 1) % 3) + 1);
  for (let i = grouped.length; i < digits.length; i += 3) grouped += `,${digits.slice(i, i + 3)}`;
  return `${s.slice(0, sign)}${grouped}${s.slice(end)}`;
}

const SUPERSCRIPT = '⁰¹²³⁴⁵⁶⁷⁸⁹';

/** `%e` as the API server prints it: `1.234500×10⁰³` (six decimals, two exponent digits at least). */
function scientific(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const [mantissa = '', exp = '0'] = x.toExponential(6).split('e');
  const e = Number(exp);
  const digits = String(Math.abs(e)).padStart(2, '0');
  return `${mantissa}×10${e < 0 ? '⁻' : ''}${digits.replace(/\d/g, (d) => SUPERSCRIPT[Number(d)] ?? d)}`;
}

/** A duration as CEL's string() writes it: seconds with the fraction trimmed (`90s`, `-1.5s`, `0.001s`). */
export function durationString(seconds: bigint, nanos: number): string {
  const total = seconds * 1_000_000_000n + BigInt(nanos);
  const abs = total < 0n ? -total : total;
  const whole = abs / 1_000_000_000n;
  const nanosText = (abs % 1_000_000_000n).toString().padStart(9, '0');
  const frac = trimEndChars(nanosText, '0');
  return `${total < 0n ? '-' : ''}${whole}${frac ? `.${frac}` : ''}s`;
}

/** A timestamp as CEL's string() writes it in UTC: RFC 3339 with the fraction trimmed. */
export function timestampString(d: Date): string {
  const iso = d.toISOString();
  const dot = iso.lastIndexOf('.');
  if (dot < 0) return iso;
  const frac = trimEndChars(iso.slice(dot + 1, -1), '0');
  return `${iso.slice(0, dot)}${frac ? `.${frac}` : ''}Z`;
}

/** CEL's zero values, for `optional.ofNonZeroValue`. */
function isZeroValue(v: unknown): boolean {
  if (v === null || v === false || v === '' || v === 0 || v === 0n) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (v instanceof Uint8Array) return v.length === 0;
  if (isDuration(v)) return v.seconds === 0n && v.nanos === 0;
  if (v instanceof Date) return v.getTime() === 0;
  return isPlainMap(v) && Object.keys(v).length === 0;
}

interface CelDuration {
  seconds: bigint;
  nanos: number;
}

/** A cel-js duration, recognised by its shape (the class is not exported; names do not survive bundling). */
function isDuration(a: unknown): a is CelDuration {
  if (a === null || typeof a !== 'object' || Array.isArray(a)) return false;
  const d = a as Partial<CelDuration>;
  return typeof d.seconds === 'bigint' && typeof d.nanos === 'number';
}

/** Go's %q for the strings inside a formatted list or map. */
function goQuote(s: string): string {
  const esc: Readonly<Record<string, string>> = {
    '"': '\\"',
    '\\': '\\\\',
    '\n': '\\n',
    '\t': '\\t',
    '\r': '\\r',
    '\u0007': '\\a',
    '\b': '\\b',
    '\f': '\\f',
    '\v': '\\v',
  };
  const body = s.replace(
    // eslint-disable-next-line no-control-regex -- escaping control characters is the point
    /["\\\u0000-\u001f\u007f]/g,
    (c) => esc[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
  return `"${body}"`;
}

/** `%s`: a value as CEL's string() gives it; lists and maps as their elements are written inside them. */
function formatValue(a: unknown): string {
  if (typeof a === 'string') return a;
  if (Array.isArray(a) || isPlainMap(a)) return formatMember(a);
  if (a === null) return 'null';
  if (a instanceof Uint8Array) return Buffer.from(a).toString();
  if (a instanceof Date) return timestampString(a);
  if (isDuration(a)) return durationString(a.seconds, a.nanos);
  return (a as { toString(): string }).toString();
}

function isPlainMap(a: unknown): a is Record<string, unknown> {
  return a !== null && typeof a === 'object' && a.constructor === Object;
}

/** A value inside a formatted list or map: strings quoted, doubles with six decimals, times as literals. */
function formatMember(a: unknown): string {
  if (typeof a === 'string') return goQuote(a);
  if (typeof a === 'number') return Number.isFinite(a) ? fixedDecimal(a, 6) : goQuote(String(a));
  if (Array.isArray(a)) return `[${a.map(formatMember).join(', ')}]`;
  if (isPlainMap(a)) {
    const entries = Object.entries(a)
      .map(([k, v]) => [goQuote(k), formatMember(v)] as const)
      .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
    return `{${entries.map(([k, v]) => `${k}:${v}`).join(', ')}}`;
  }
  if (a instanceof Uint8Array) return `b${goQuote(Buffer.from(a).toString())}`;
  if (a instanceof Date) return `timestamp("${timestampString(a)}")`;
  if (isDuration(a)) return `duration("${durationString(a.seconds, a.nanos)}")`;
  return formatValue(a);
}

function authorize(check: ResourceCheck | PathCheck, verb: string): Decision {
  const authz = check.authz;
  if (!authz.fn)
    fail(
      "authorizer is not available offline: palisade scan and policy test answer it from RBAC objects (a suite's rbac: list)",
    );
  const attrs: AuthorizerAttributes =
    check instanceof PathCheck ? { path: check.path, verb } : { ...check.attrs, verb };
  if (authz.user !== undefined) attrs.user = authz.user;
  if (authz.groups !== undefined) attrs.groups = authz.groups;
  const d = authz.fn(attrs);
  return new Decision(d.decision, d.reason ?? '');
}

/** Creates the `authorizer` variable value for an evaluation, checking as the request's user. */
export function authorizerValue(
  fn: AuthorizerFn | undefined,
  requestUser?: { user: string; groups: readonly string[] },
): unknown {
  return new Authorizer(fn, requestUser?.user, requestUser?.groups);
}

/** Registers every Kubernetes CEL library on a cel-js environment. */
export function registerKubernetesLibraries(env: Environment, _fn: AuthorizerFn | undefined): void {
  registerTwoVariableComprehensions(env);
  const re = new Map<string, RegExp>();
  const regex = (p: string): RegExp => {
    let r = re.get(p);
    if (!r) {
      try {
        r = new RegExp(p, 'u');
      } catch (e) {
        fail(`invalid regular expression: ${(e as Error).message}`);
      }
      re.set(p, r);
    }
    return r;
  };
  env
    // jsonpatch.escapeKey for MutatingAdmissionPolicy JSON patches
    .registerType('JsonPatchNamespace', JsonPatchNamespace)
    .registerConstant('jsonpatch', 'JsonPatchNamespace', new JsonPatchNamespace())
    .registerFunction('JsonPatchNamespace.escapeKey(string): string', (_ns: JsonPatchNamespace, k: string) =>
      k.replace(/~/g, '~0').replace(/\//g, '~1'),
    )
    // semver (Kubernetes 1.33+, version 1: with the normalize argument)
    .registerType('kubernetes.Semver', Semver)
    .registerFunction('semver(string): kubernetes.Semver', (t: string) => must(parseSemver(t, false)))
    .registerFunction('semver(string, bool): kubernetes.Semver', (t: string, n: boolean) =>
      must(parseSemver(t, n)),
    )
    .registerFunction('isSemver(string): bool', (t: string) => typeof parseSemver(t, false) !== 'string')
    .registerFunction(
      'isSemver(string, bool): bool',
      (t: string, n: boolean) => typeof parseSemver(t, n) !== 'string',
    )
    .registerOperator(
      'kubernetes.Semver == kubernetes.Semver',
      (a: Semver, b: Semver) => a.version.compare(b.version) === 0,
    )
    .registerFunction('kubernetes.Semver.major(): int', (v: Semver) => BigInt(v.version.major))
    .registerFunction('kubernetes.Semver.minor(): int', (v: Semver) => BigInt(v.version.minor))
    .registerFunction('kubernetes.Semver.patch(): int', (v: Semver) => BigInt(v.version.patch))
    .registerFunction('kubernetes.Semver.compareTo(kubernetes.Semver): int', (a: Semver, b: Semver) =>
      BigInt(a.version.compare(b.version)),
    )
    .registerFunction(
      'kubernetes.Semver.isLessThan(kubernetes.Semver): bool',
      (a: Semver, b: Semver) => a.version.compare(b.version) < 0,
    )
    .registerFunction(
      'kubernetes.Semver.isGreaterThan(kubernetes.Semver): bool',
      (a: Semver, b: Semver) => a.version.compare(b.version) > 0,
    )
    .registerType('SetsNamespace', SetsNamespace)
    .registerConstant('sets', 'SetsNamespace', new SetsNamespace())
    .registerFunction(
      'SetsNamespace.contains(list, list): bool',
      (_ns: SetsNamespace, a: unknown[], b: unknown[]) => setContains(a, b),
    )
    .registerFunction(
      'SetsNamespace.equivalent(list, list): bool',
      (_ns: SetsNamespace, a: unknown[], b: unknown[]) => setContains(a, b) && setContains(b, a),
    )
    .registerFunction(
      'SetsNamespace.intersects(list, list): bool',
      (_ns: SetsNamespace, a: unknown[], b: unknown[]) => a.some((x) => b.some((y) => celEquals(x, y))),
    )
    .registerType('StringsNamespace', StringsNamespace)
    .registerConstant('strings', 'StringsNamespace', new StringsNamespace())
    .registerFunction('StringsNamespace.quote(string): string', (_ns: StringsNamespace, v: string) =>
      quoteString(v),
    )
    // regex
    .registerFunction('string.find(string): string', (s: string, p: string) => regex(p).exec(s)?.[0] ?? '')
    .registerFunction('string.findAll(string): list<string>', (s: string, p: string) =>
      [...s.matchAll(new RegExp(regex(p).source, 'gu'))].map((m) => m[0]),
    )
    .registerFunction('string.findAll(string, int): list<string>', (s: string, p: string, n: bigint) => {
      const all = [...s.matchAll(new RegExp(regex(p).source, 'gu'))].map((m) => m[0]);
      return n < 0n ? all : all.slice(0, Number(n));
    })
    // lists
    // lists extension (Kubernetes 1.34+: version 3)
    .registerFunction('list.slice(int, int): list', (l: unknown[], a: bigint, b: bigint) => {
      if (a < 0n || b < 0n) fail(`cannot slice(${a}, ${b}), negative indexes not supported`);
      if (a > b) fail(`cannot slice(${a}, ${b}), start index must be less than or equal to end index`);
      if (BigInt(l.length) < b) fail(`cannot slice(${a}, ${b}), list is length ${l.length}`);
      return l.slice(Number(a), Number(b));
    })
    .registerFunction('list.flatten(): list', (l: unknown[]) => flattenList(l, 1))
    .registerFunction('list.flatten(int): list', (l: unknown[], d: bigint) => flattenList(l, Number(d)))
    .registerFunction('list.distinct(): list', (l: unknown[]) => {
      const out: unknown[] = [];
      for (const v of l) if (!out.some((o) => celEquals(o, v))) out.push(v);
      return out;
    })
    .registerFunction('list.reverse(): list', (l: unknown[]) => [...l].reverse())
    .registerFunction('list.sort(): list', (l: unknown[]) => sortByKeys(l, l))
    .registerType('ListsNamespace', ListsNamespace)
    .registerConstant('lists', 'ListsNamespace', new ListsNamespace())
    .registerFunction('ListsNamespace.range(int): list<int>', (_ns: ListsNamespace, n: bigint) => {
      if (n < 0n) fail(`lists.range: size must be non-negative, got ${n}`);
      if (n > BigInt(MAX_RANGE)) fail(`lists.range: size ${n} exceeds maximum allowed (${MAX_RANGE})`);
      return Array.from({ length: Number(n) }, (_v, i) => BigInt(i));
    })
    .registerFunction('list.isSorted(): bool', (l: unknown[]) =>
      l.every((x, i) => i === 0 || compare(l[i - 1], x) <= 0),
    )
    .registerFunction('list.sum(): dyn', (l: unknown[]) => {
      if (l.length === 0) return 0n;
      if (l.every((x) => typeof x === 'bigint')) return l.reduce((a, b) => a + b, 0n);
      return l.reduce<number>((a, b) => a + Number(b), 0);
    })
    .registerFunction('list.min(): dyn', (l: unknown[]) =>
      l.length === 0 ? fail('min called on empty list') : l.reduce((a, b) => (compare(b, a) < 0 ? b : a)),
    )
    .registerFunction('list.max(): dyn', (l: unknown[]) =>
      l.length === 0 ? fail('max called on empty list') : l.reduce((a, b) => (compare(b, a) > 0 ? b : a)),
    )
    .registerFunction('list.indexOf(dyn): int', (l: unknown[], v: unknown) =>
      BigInt(l.findIndex((x) => celEquals(x, v))),
    )
    .registerFunction('list.lastIndexOf(dyn): int', (l: unknown[], v: unknown) => {
      for (let i = l.length - 1; i >= 0; i--) if (celEquals(l[i], v)) return BigInt(i);
      return -1n;
    })
    // strings extensions
    .registerFunction('string.charAt(int): string', (s: string, i: bigint) => {
      const cps = Array.from(s);
      if (i < 0n || i > BigInt(cps.length)) fail(`index out of range: ${i}`);
      return cps[Number(i)] ?? '';
    })
    .registerFunction('string.replace(string, string): string', (s: string, a: string, b: string) =>
      s.split(a).join(b),
    )
    .registerFunction(
      'string.replace(string, string, int): string',
      (s: string, a: string, b: string, n: bigint) => {
        if (n < 0n) return s.split(a).join(b);
        const parts = s.split(a);
        const k = Number(n);
        return parts.slice(0, k + 1).join(b) + (parts.length > k + 1 ? a + parts.slice(k + 1).join(a) : '');
      },
    )
    .registerFunction('string.format(list): string', (s: string, args: unknown[]) => formatString(s, args))
    // URLs
    .registerType('kubernetes.URL', KubeURL)
    .registerFunction('url(string): kubernetes.URL', (s: string) => {
      try {
        return new KubeURL(new URL(s));
      } catch {
        return fail(`URL parse error during conversion from string: ${s}`);
      }
    })
    .registerFunction(
      'isURL(string): bool',
      (s: string) => URL.canParse(s) && /^[a-zA-Z][\w+.-]*:\/?\//.test(s),
    )
    .registerFunction('kubernetes.URL.getScheme(): string', (u: KubeURL) => u.url.protocol.replace(/:$/, ''))
    .registerFunction('kubernetes.URL.getHost(): string', (u: KubeURL) => u.url.host)
    .registerFunction('kubernetes.URL.getHostname(): string', (u: KubeURL) =>
      u.url.hostname.replace(/^\[|\]$/g, ''),
    )
    .registerFunction('kubernetes.URL.getPort(): string', (u: KubeURL) => u.url.port)
    .registerFunction('kubernetes.URL.getEscapedPath(): string', (u: KubeURL) => u.url.pathname)
    .registerFunction('kubernetes.URL.getQuery(): map<string, list<string>>', (u: KubeURL) => {
      const out: Record<string, string[]> = {};
      for (const [k, v] of u.url.searchParams) (out[k] ??= []).push(v);
      return out;
    })
    // quantities
    .registerType('kubernetes.Quantity', Quantity)
    .registerFunction('quantity(string): kubernetes.Quantity', (s: string) => must(parseQuantity(s)))
    .registerFunction('isQuantity(string): bool', (s: string) => typeof parseQuantity(s) !== 'string')
    // A global function in Kubernetes' library, not a method.
    .registerFunction('sign(kubernetes.Quantity): int', (q: Quantity) => q.sign())
    .registerFunction('kubernetes.Quantity.isInteger(): bool', (q: Quantity) => q.isInteger())
    .registerFunction('kubernetes.Quantity.asInteger(): int', (q: Quantity) => must(quantityAsInteger(q)))
    .registerFunction('kubernetes.Quantity.asApproximateFloat(): double', (q: Quantity) => quantityAsFloat(q))
    .registerFunction(
      'kubernetes.Quantity.add(kubernetes.Quantity): kubernetes.Quantity',
      (a: Quantity, b: Quantity) => quantityAdd(a, b, 1n),
    )
    .registerFunction('kubernetes.Quantity.add(int): kubernetes.Quantity', (a: Quantity, b: bigint) =>
      quantityAdd(a, quantityOfInt(b), 1n),
    )
    .registerFunction(
      'kubernetes.Quantity.sub(kubernetes.Quantity): kubernetes.Quantity',
      (a: Quantity, b: Quantity) => quantityAdd(a, b, -1n),
    )
    .registerFunction('kubernetes.Quantity.sub(int): kubernetes.Quantity', (a: Quantity, b: bigint) =>
      quantityAdd(a, quantityOfInt(b), -1n),
    )
    .registerFunction('kubernetes.Quantity.compareTo(kubernetes.Quantity): int', (a: Quantity, b: Quantity) =>
      a.compareTo(b),
    )
    .registerFunction(
      'kubernetes.Quantity.isLessThan(kubernetes.Quantity): bool',
      (a: Quantity, b: Quantity) => a.compareTo(b) < 0n,
    )
    .registerFunction(
      'kubernetes.Quantity.isGreaterThan(kubernetes.Quantity): bool',
      (a: Quantity, b: Quantity) => a.compareTo(b) > 0n,
    )
    // IP and CIDR
    .registerType('net.IP', IPAddr)
    .registerType('net.CIDR', CIDR)
    .registerFunction('ip(string): net.IP', (s: string) => must(parseIP(s)))
    .registerFunction('isIP(string): bool', (s: string) => typeof parseIP(s) !== 'string')
    .registerFunction('net.IP.family(): int', (ip: IPAddr) => BigInt(ip.family))
    .registerFunction('net.IP.isUnspecified(): bool', (ip: IPAddr) => ip.isUnspecified())
    .registerFunction('net.IP.isLoopback(): bool', (ip: IPAddr) => ip.isLoopback())
    .registerFunction('net.IP.isLinkLocalMulticast(): bool', (ip: IPAddr) => ip.isLinkLocalMulticast())
    .registerFunction('net.IP.isLinkLocalUnicast(): bool', (ip: IPAddr) => ip.isLinkLocalUnicast())
    .registerFunction('net.IP.isGlobalUnicast(): bool', (ip: IPAddr) => ip.isGlobalUnicast())
    .registerFunction('string(net.IP): string', (ip: IPAddr) => ip.toString())
    // string() of durations and timestamps (cel-js has neither)
    .registerFunction('string(google.protobuf.Duration): string', (d: CelDuration) =>
      durationString(d.seconds, d.nanos),
    )
    .registerFunction('string(google.protobuf.Timestamp): string', (t: Date) => timestampString(t))
    .registerFunction('OptionalNamespace.ofNonZeroValue(dyn): optional<dyn>', (_ns: unknown, v: unknown) =>
      isZeroValue(v) ? Optional.none() : Optional.of(v),
    )
    .registerOperator(
      'net.IP == net.IP',
      (a: IPAddr, b: IPAddr) => a.family === b.family && a.value === b.value,
    )
    .registerFunction('cidr(string): net.CIDR', (s: string) => must(parseCIDR(s)))
    .registerFunction('isCIDR(string): bool', (s: string) => typeof parseCIDR(s) !== 'string')
    .registerFunction('net.CIDR.containsIP(net.IP): bool', (c: CIDR, ip: IPAddr) => c.containsIP(ip))
    .registerFunction('net.CIDR.containsIP(string): bool', (c: CIDR, s: string) =>
      c.containsIP(must(parseIP(s))),
    )
    .registerFunction('net.CIDR.containsCIDR(net.CIDR): bool', (c: CIDR, o: CIDR) => c.containsCIDR(o))
    .registerFunction('net.CIDR.containsCIDR(string): bool', (c: CIDR, s: string) =>
      c.containsCIDR(must(parseCIDR(s))),
    )
    .registerFunction('net.CIDR.ip(): net.IP', (c: CIDR) => c.ip)
    .registerFunction('net.CIDR.masked(): net.CIDR', (c: CIDR) => c.masked())
    .registerFunction('net.CIDR.prefixLength(): int', (c: CIDR) => BigInt(c.prefixLength))
    .registerFunction('string(net.CIDR): string', (c: CIDR) => c.toString())
    .registerOperator(
      'net.CIDR == net.CIDR',
      (a: CIDR, b: CIDR) =>
        a.prefixLength === b.prefixLength && a.ip.value === b.ip.value && a.ip.family === b.ip.family,
    )
    // authorizer
    .registerType('kubernetes.authorization.Authorizer', Authorizer)
    .registerType('kubernetes.authorization.PathCheck', PathCheck)
    .registerType('kubernetes.authorization.GroupCheck', GroupCheck)
    .registerType('kubernetes.authorization.ResourceCheck', ResourceCheck)
    .registerType('kubernetes.authorization.Decision', Decision)
    .registerVariable('authorizer', 'kubernetes.authorization.Authorizer')
    .registerFunction(
      'kubernetes.authorization.Authorizer.path(string): kubernetes.authorization.PathCheck',
      (a: Authorizer, p: string) => new PathCheck(a, p),
    )
    .registerFunction(
      'kubernetes.authorization.Authorizer.group(string): kubernetes.authorization.GroupCheck',
      (a: Authorizer, g: string) => new GroupCheck(a, g),
    )
    .registerFunction(
      'kubernetes.authorization.Authorizer.serviceAccount(string, string): kubernetes.authorization.Authorizer',
      (a: Authorizer, ns: string, name: string) =>
        new Authorizer(a.fn, `system:serviceaccount:${ns}:${name}`, [
          'system:serviceaccounts',
          `system:serviceaccounts:${ns}`,
        ]),
    )
    .registerFunction(
      'kubernetes.authorization.GroupCheck.resource(string): kubernetes.authorization.ResourceCheck',
      (g: GroupCheck, r: string) => new ResourceCheck(g.authz, { group: g.group, resource: r }),
    )
    .registerFunction(
      'kubernetes.authorization.ResourceCheck.subresource(string): kubernetes.authorization.ResourceCheck',
      (c: ResourceCheck, s: string) => new ResourceCheck(c.authz, { ...c.attrs, subresource: s }),
    )
    .registerFunction(
      'kubernetes.authorization.ResourceCheck.namespace(string): kubernetes.authorization.ResourceCheck',
      (c: ResourceCheck, s: string) => new ResourceCheck(c.authz, { ...c.attrs, namespace: s }),
    )
    .registerFunction(
      'kubernetes.authorization.ResourceCheck.name(string): kubernetes.authorization.ResourceCheck',
      (c: ResourceCheck, s: string) => new ResourceCheck(c.authz, { ...c.attrs, name: s }),
    )
    .registerFunction(
      'kubernetes.authorization.ResourceCheck.check(string): kubernetes.authorization.Decision',
      (c: ResourceCheck, verb: string) => authorize(c, verb),
    )
    .registerFunction(
      'kubernetes.authorization.PathCheck.check(string): kubernetes.authorization.Decision',
      (c: PathCheck, verb: string) => authorize(c, verb),
    )
    .registerFunction(
      'kubernetes.authorization.Decision.allowed(): bool',
      (d: Decision) => d.decision === 'allow',
    )
    .registerFunction('kubernetes.authorization.Decision.reason(): string', (d: Decision) => d.reason)
    .registerFunction('kubernetes.authorization.Decision.errored(): bool', () => false)
    .registerFunction('kubernetes.authorization.Decision.error(): string', () => '');
}
