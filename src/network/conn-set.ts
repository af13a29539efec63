/**
 * Sets of connections (protocol × destination port) as sorted, disjoint, merged port
 * intervals per protocol. Sets are interned: two equal sets are the same object, so
 * equality is `===` and unions/intersections are cached by identity.
 */

/** The protocols a NetworkPolicy port may name. */
export type Protocol = 'TCP' | 'UDP' | 'SCTP';

/** Every protocol, in the order np-guard prints them (alphabetical). */
export const PROTOCOLS: readonly Protocol[] = ['SCTP', 'TCP', 'UDP'];

/** Lowest and highest port a connection can use. */
export const MIN_PORT = 1;
export const MAX_PORT = 65535;

/** An inclusive port range. */
export type PortRange = readonly [number, number];

/** Returns true when the string names a NetworkPolicy protocol. */
export function isProtocol(s: string): s is Protocol {
  return s === 'TCP' || s === 'UDP' || s === 'SCTP';
}

/**
 * An immutable, interned set of connections. Invariant: each protocol's ranges are sorted,
 * disjoint, non-adjacent and within MIN_PORT..MAX_PORT.
 */
export class ConnSet {
  private static readonly table = new Map<string, ConnSet>();
  private static nextId = 0;
  private static readonly unions = new Map<number, Map<number, ConnSet>>();
  private static readonly intersections = new Map<number, Map<number, ConnSet>>();

  /** The empty set. */
  static readonly NONE: ConnSet = ConnSet.intern({ SCTP: [], TCP: [], UDP: [] });
  /** Every protocol, every port. */
  static readonly ALL: ConnSet = ConnSet.intern({
    SCTP: [[MIN_PORT, MAX_PORT]],
    TCP: [[MIN_PORT, MAX_PORT]],
    UDP: [[MIN_PORT, MAX_PORT]],
  });

  readonly id: number;
  /** Results of union / intersect with another set, indexed by that set's id. */
  private readonly unionWith: (ConnSet | undefined)[] = [];
  private readonly intersectWith: (ConnSet | undefined)[] = [];

  private constructor(
    readonly ranges: Readonly<Record<Protocol, readonly PortRange[]>>,
    readonly key: string,
  ) {
    this.id = ConnSet.nextId++;
  }

  private static intern(ranges: Record<Protocol, readonly PortRange[]>): ConnSet {
    const key = PROTOCOLS.map((p) => ranges[p].map(([a, b]) => `${a}-${b}`).join(',')).join('|');
    let set = ConnSet.table.get(key);
    if (!set) {
      set = new ConnSet(ranges, key);
      ConnSet.table.set(key, set);
    }
    return set;
  }

  /** Builds a set from possibly overlapping ranges per protocol (clamped to valid ports). */
  static of(parts: Partial<Record<Protocol, readonly PortRange[]>>): ConnSet {
    return ConnSet.intern({
      SCTP: normalise(parts.SCTP ?? []),
      TCP: normalise(parts.TCP ?? []),
      UDP: normalise(parts.UDP ?? []),
    });
  }

  /** One protocol, one port range. */
  static range(protocol: Protocol, from: number, to: number = from): ConnSet {
    return ConnSet.of({ [protocol]: [[from, to]] });
  }

  /** Every port of one protocol. */
  static protocol(protocol: Protocol): ConnSet {
    return ConnSet.range(protocol, MIN_PORT, MAX_PORT);
  }

  get isEmpty(): boolean {
    return this === ConnSet.NONE;
  }

  get isAll(): boolean {
    return this === ConnSet.ALL;
  }

  /** The union of two sets. */
  union(other: ConnSet): ConnSet {
    if (other === this || other.isEmpty) return this;
    if (this.isEmpty) return other;
    if (this.isAll || other.isAll) return ConnSet.ALL;
    const hit = this.unionWith[other.id];
    if (hit) return hit;
    const result = cached(ConnSet.unions, this, other, () =>
      ConnSet.of({
        SCTP: [...this.ranges.SCTP, ...other.ranges.SCTP],
        TCP: [...this.ranges.TCP, ...other.ranges.TCP],
        UDP: [...this.ranges.UDP, ...other.ranges.UDP],
      }),
    );
    this.unionWith[other.id] = result;
    return result;
  }

  /** The intersection of two sets. */
  intersect(other: ConnSet): ConnSet {
    if (other === this || this.isAll) return other;
    if (other.isAll) return this;
    if (this.isEmpty || other.isEmpty) return ConnSet.NONE;
    const hit = this.intersectWith[other.id];
    if (hit) return hit;
    const result = cached(ConnSet.intersections, this, other, () =>
      ConnSet.of({
        SCTP: intersectRanges(this.ranges.SCTP, other.ranges.SCTP),
        TCP: intersectRanges(this.ranges.TCP, other.ranges.TCP),
        UDP: intersectRanges(this.ranges.UDP, other.ranges.UDP),
      }),
    );
    this.intersectWith[other.id] = result;
    return result;
  }

  /** The connections of this set not in `other`. */
  subtract(other: ConnSet): ConnSet {
    if (other.isEmpty) return this;
    if (other.isAll || other === this) return ConnSet.NONE;
    return ConnSet.of({
      SCTP: subtractRanges(this.ranges.SCTP, other.ranges.SCTP),
      TCP: subtractRanges(this.ranges.TCP, other.ranges.TCP),
      UDP: subtractRanges(this.ranges.UDP, other.ranges.UDP),
    });
  }

  /** True when every connection of this set is in `other`. */
  isSubsetOf(other: ConnSet): boolean {
    return this.intersect(other) === this;
  }

  /** True when the set holds this protocol and port. */
  has(protocol: Protocol, port: number): boolean {
    return this.ranges[protocol].some(([a, b]) => port >= a && port <= b);
  }

  /**
   * np-guard's connlist notation: `All Connections`, `No Connections`, or protocols in
   * alphabetical order, each with comma-separated ports and ranges: `TCP 80,8000-8090,UDP 53`.
   */
  toString(): string {
    if (this.isAll) return 'All Connections';
    if (this.isEmpty) return 'No Connections';
    const parts: string[] = [];
    for (const p of PROTOCOLS) {
      const r = this.ranges[p];
      if (r.length === 0) continue;
      parts.push(`${p} ${r.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(',')}`);
    }
    return parts.join(',');
  }
}

function cached(
  table: Map<number, Map<number, ConnSet>>,
  a: ConnSet,
  b: ConnSet,
  compute: () => ConnSet,
): ConnSet {
  const lo = a.id < b.id ? a.id : b.id;
  const hi = a.id < b.id ? b.id : a.id;
  let row = table.get(lo);
  if (!row) {
    row = new Map();
    table.set(lo, row);
  }
  let result = row.get(hi);
  if (!result) {
    result = compute();
    row.set(hi, result);
  }
  return result;
}

function normalise(ranges: readonly PortRange[]): PortRange[] {
  const valid = ranges
    .map(([a, b]): PortRange => [Math.max(a, MIN_PORT), Math.min(b, MAX_PORT)])
    .filter(([a, b]) => a <= b)
    .sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [a, b] of valid) {
    const last = out[out.length - 1];
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

function intersectRanges(x: readonly PortRange[], y: readonly PortRange[]): PortRange[] {
  const out: PortRange[] = [];
  let i = 0;
  let j = 0;
  while (i < x.length && j < y.length) {
    const a = x[i] as PortRange;
    const b = y[j] as PortRange;
    const lo = Math.max(a[0], b[0]);
    const hi = Math.min(a[1], b[1]);
    if (lo <= hi) out.push([lo, hi]);
    if (a[1] < b[1]) i++;
    else j++;
  }
  return out;
}

function subtractRanges(x: readonly PortRange[], y: readonly PortRange[]): PortRange[] {
  const out: PortRange[] = [];
  for (const [a, b] of x) {
    let lo = a;
    for (const [c, d] of y) {
      if (d < lo || c > b) continue;
      if (c > lo) out.push([lo, c - 1]);
      lo = Math.max(lo, d + 1);
      if (lo > b) break;
    }
    if (lo <= b) out.push([lo, b]);
  }
  return out;
}

/**
 * Parses np-guard's connlist notation back into a set (`All Connections`, `TCP 80,90-95,UDP 53`).
 * Returns undefined for text that is not in that notation.
 */
export function parseConnSet(text: string): ConnSet | undefined {
  const t = text.trim();
  if (t === 'All Connections') return ConnSet.ALL;
  if (t === 'No Connections' || t === '') return ConnSet.NONE;
  const parts: Partial<Record<Protocol, PortRange[]>> = {};
  let current: Protocol | undefined;
  for (const raw of t.split(',')) {
    let item = raw.trim();
    const m = /^(TCP|UDP|SCTP)\s/.exec(item);
    if (m) {
      current = m[1] as Protocol;
      item = item.slice(current.length);
    }
    if (current === undefined) return undefined;
    const r = /^(\d+)(?:-(\d+))?$/.exec(item.trim());
    if (!r) return undefined;
    const from = Number(r[1]);
    const to = r[2] === undefined ? from : Number(r[2]);
    (parts[current] ??= []).push([from, to]);
  }
  return ConnSet.of(parts);
}
