/**
 * Sets of IP addresses as sorted, disjoint, merged intervals per family (IPv4 and IPv6 kept
 * apart, as in NetworkPolicy where an ipBlock and its `except` entries share one family).
 * Parsing uses ipaddr.js (docs/decisions/ip-addresses.md).
 */
import ipaddr from 'ipaddr.js';
import { err, ok, type Result } from '../core/index.js';

/** An address family. */
export type IpFamily = 'v4' | 'v6';

/** An inclusive interval of addresses of one family. */
export type IpInterval = readonly [bigint, bigint];

const MAX: Record<IpFamily, bigint> = { v4: (1n << 32n) - 1n, v6: (1n << 128n) - 1n };

/** A set of addresses; invariant: intervals sorted, disjoint and non-adjacent per family. */
export interface IpSet {
  readonly v4: readonly IpInterval[];
  readonly v6: readonly IpInterval[];
}

/** The empty set. */
export const NO_IPS: IpSet = { v4: [], v6: [] };

/** Every address of the given families. */
export function allIps(families: readonly IpFamily[] = ['v4', 'v6']): IpSet {
  return {
    v4: families.includes('v4') ? [[0n, MAX.v4]] : [],
    v6: families.includes('v6') ? [[0n, MAX.v6]] : [],
  };
}

function toBigInt(bytes: number[]): bigint {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}

/** Parses one address (`10.0.0.1`, `fd00::1`) into its family and number. */
export function parseIp(text: string): Result<{ family: IpFamily; value: bigint }, string> {
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = text.includes(':') ? ipaddr.IPv6.parse(text) : ipaddr.IPv4.parse(text);
  } catch {
    return err(`"${text}" is not an IP address`);
  }
  if (addr.kind() === 'ipv4' && !ipaddr.IPv4.isValidFourPartDecimal(text))
    return err(`"${text}" is not a dotted-quad IPv4 address`);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress())
    addr = (addr as ipaddr.IPv6).toIPv4Address();
  return ok({ family: addr.kind() === 'ipv4' ? 'v4' : 'v6', value: toBigInt(addr.toByteArray()) });
}

/** Parses a CIDR (`10.0.0.0/8`, `2001:db8::/32`) into an interval; host bits are ignored. */
export function parseCidr(text: string): Result<{ family: IpFamily; interval: IpInterval }, string> {
  let parsed: [ipaddr.IPv4 | ipaddr.IPv6, number];
  try {
    // Pick the family first: ipaddr.parseCIDR tries IPv6 and throws before trying IPv4.
    parsed = text.includes(':') ? ipaddr.IPv6.parseCIDR(text) : ipaddr.IPv4.parseCIDR(text);
  } catch {
    return err(`"${text}" is not a CIDR`);
  }
  const [addr, prefix] = parsed;
  if (addr.kind() === 'ipv4' && !ipaddr.IPv4.isValidFourPartDecimal(text.slice(0, text.indexOf('/'))))
    return err(`"${text}" is not a CIDR (the address must be a dotted quad)`);
  const family: IpFamily = addr.kind() === 'ipv4' ? 'v4' : 'v6';
  const bits = family === 'v4' ? 32n : 128n;
  const hostBits = bits - BigInt(prefix);
  const value = toBigInt(addr.toByteArray());
  const low = (value >> hostBits) << hostBits;
  return ok({ family, interval: [low, low + (1n << hostBits) - 1n] });
}

function normalise(list: readonly IpInterval[]): IpInterval[] {
  const sorted = [...list].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out: [bigint, bigint][] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1] + 1n) {
      if (b > last[1]) last[1] = b;
    } else out.push([a, b]);
  }
  return out;
}

function subtractIntervals(x: readonly IpInterval[], y: readonly IpInterval[]): IpInterval[] {
  const out: IpInterval[] = [];
  for (const [a, b] of x) {
    let lo = a;
    for (const [c, d] of y) {
      if (d < lo || c > b) continue;
      if (c > lo) out.push([lo, c - 1n]);
      lo = d + 1n > lo ? d + 1n : lo;
      if (lo > b) break;
    }
    if (lo <= b) out.push([lo, b]);
  }
  return out;
}

/** Builds a set from intervals of each family (overlaps are merged). */
export function ipSetOf(v4: readonly IpInterval[], v6: readonly IpInterval[]): IpSet {
  return { v4: normalise(v4), v6: normalise(v6) };
}

/** The addresses of `a` not in `b`. */
export function subtractIps(a: IpSet, b: IpSet): IpSet {
  return { v4: subtractIntervals(a.v4, b.v4), v6: subtractIntervals(a.v6, b.v6) };
}

/** True when the set holds the address. */
export function ipSetHas(set: IpSet, family: IpFamily, value: bigint): boolean {
  return set[family].some(([a, b]) => value >= a && value <= b);
}

/** True when the set holds no address. */
export function ipSetIsEmpty(set: IpSet): boolean {
  return set.v4.length === 0 && set.v6.length === 0;
}

/** True when every address of the interval is in the set. */
export function ipSetCovers(set: IpSet, family: IpFamily, interval: IpInterval): boolean {
  return set[family].some(([a, b]) => interval[0] >= a && interval[1] <= b);
}

/** Formats an address of a family. */
export function formatIp(family: IpFamily, value: bigint): string {
  const bytes: number[] = [];
  const n = family === 'v4' ? 4 : 16;
  for (let i = n - 1; i >= 0; i--) bytes.push(Number((value >> BigInt(i * 8)) & 0xffn));
  return ipaddr.fromByteArray(bytes).toString();
}

/** One range of external addresses treated alike by every policy (an "atom"). */
export interface IpAtom {
  family: IpFamily;
  interval: IpInterval;
}

/** np-guard's notation for an address range: `first-last`. */
export function formatIpRange(atom: IpAtom): string {
  return `${formatIp(atom.family, atom.interval[0])}-${formatIp(atom.family, atom.interval[1])}`;
}

/**
 * Splits the address space of the given families into the coarsest ranges such that every
 * given set is a union of ranges: each range is then allowed or denied as a whole by every
 * ipBlock. Without any set the result is one range per family.
 */
export function ipAtoms(sets: readonly IpSet[], families: readonly IpFamily[]): IpAtom[] {
  const out: IpAtom[] = [];
  for (const family of families) {
    const cuts = new Set<bigint>([0n]);
    for (const s of sets) {
      for (const [a, b] of s[family]) {
        cuts.add(a);
        if (b < MAX[family]) cuts.add(b + 1n);
      }
    }
    const sorted = [...cuts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    sorted.forEach((start, i) => {
      const next = sorted[i + 1];
      out.push({ family, interval: [start, next === undefined ? MAX[family] : next - 1n] });
    });
  }
  return out;
}
