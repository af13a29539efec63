/**
 * Reachability: which connections each peer may open to each other peer, under
 * networking.k8s.io/v1 NetworkPolicy semantics.
 *
 * - A pod is isolated for a direction when some policy of its namespace selects it and has
 *   that direction in its (defaulted) policyTypes; then only the union of those policies'
 *   rules is allowed in that direction. A non-isolated pod allows everything.
 * - A connection from A to B is allowed when A's egress allows it and B's ingress allows it.
 * - ipBlocks select external addresses only; the external space is cut into ranges ("atoms")
 *   so that each range is wholly in or out of every ipBlock.
 *
 * Allowances are kept per peer as unions over "every peer", "every pod", "every pod of
 * namespace N" and single peers, so wide rules are never expanded into all pairs, and peers
 * selected by the same policies share one allowance.
 */
import { ConnSet } from './conn-set.js';
import {
  formatIpRange,
  ipAtoms,
  ipSetCovers,
  parseIp,
  type IpAtom,
  type IpFamily,
  type IpSet,
} from './ip-set.js';
import type { ContainerPort, Endpoint, NetworkModel } from './model.js';
import type {
  CompiledPeer,
  CompiledPolicy,
  CompiledPorts,
  CompiledRule,
  CompiledSelector,
  NamedPort,
} from './policy.js';

/** Which peers an analysis works on. */
export type Granularity = 'workload' | 'pod';

/** Options of an analysis. */
export interface AnalysisOptions {
  granularity?: Granularity;
  /**
   * Address families of the external space. Default: IPv4, plus IPv6 when a policy names an
   * IPv6 ipBlock (so IPv4-only clusters print np-guard's `0.0.0.0-255.255.255.255`).
   */
  families?: readonly IpFamily[];
  /** More address sets to cut the external space by (so two analyses name the same ranges). */
  extraIpBlocks?: { ingress?: readonly IpSet[]; egress?: readonly IpSet[] };
}

/** The ipBlocks of a set of policies, per direction. */
export function ipBlocksOf(policies: readonly CompiledPolicy[]): { ingress: IpSet[]; egress: IpSet[] } {
  const of = (direction: 'ingress' | 'egress'): IpSet[] =>
    policies.flatMap((p) =>
      (p[direction] ?? []).flatMap((r) =>
        r.peers === 'all' ? [] : r.peers.flatMap((peer) => (peer.kind === 'ipBlock' ? [peer.ips] : [])),
      ),
    );
  return { ingress: of('ingress'), egress: of('egress') };
}

/** Ports accumulated for one peer: fixed ranges plus named ports still to resolve. */
interface Acc {
  fixed: ConnSet;
  named: NamedPort[];
  /** Resolutions of `named` per destination's named-port table. */
  resolved?: Map<ReadonlyMap<string, unknown>, ConnSet>;
}

/** Named container ports of a destination. */
type PortTable = ReadonlyMap<string, readonly ContainerPort[]>;

/**
 * The connections of an accumulation for a destination's named-port table (named ports
 * resolved, cached by table identity; the analysis interns equal tables).
 */
function resolveAcc(acc: Acc, table: PortTable | undefined): ConnSet {
  if (acc.named.length === 0 || !table) return acc.fixed;
  const cache = (acc.resolved ??= new Map());
  let hit = cache.get(table);
  if (!hit) {
    hit = resolveWith({ fixed: acc.fixed, named: acc.named }, table);
    cache.set(table, hit);
  }
  return hit;
}

const EMPTY_ACC: Acc = { fixed: ConnSet.NONE, named: [] };

function mergeAcc(a: Acc | undefined, ports: CompiledPorts): Acc {
  if (!a) return { fixed: ports.fixed, named: [...ports.named] };
  const named = ports.named.length === 0 ? a.named : [...a.named, ...ports.named];
  return { fixed: a.fixed.union(ports.fixed), named };
}

/**
 * What a rule's peers cover, expanded once per rule. Pods chosen by a podSelector in one
 * namespace form a "group" (shared by every rule using the same selector there), so an
 * allowance stores one entry per group rather than one per pod.
 */
interface RulePeers {
  all: boolean;
  anyPod: boolean;
  namespaces: number[];
  groups: number[];
  atoms: number[];
}

/** What one policy allows in one direction, built once and shared by every pod it selects. */
class RuleSet {
  /** Dense index of the rule set among the analysis's rule sets. */
  constructor(readonly idx: number) {}
  any: Acc = EMPTY_ACC;
  anyPod: Acc = EMPTY_ACC;
  readonly byNs = new Map<number, Acc>();
  readonly byGroup = new Map<number, Acc>();
  /** External peers (atoms). */
  readonly byPeer = new Map<number, Acc>();

  add(rp: RulePeers, ports: CompiledPorts): void {
    if (rp.all) this.any = mergeAcc(this.any, ports);
    if (rp.anyPod) this.anyPod = mergeAcc(this.anyPod, ports);
    for (const n of rp.namespaces) this.byNs.set(n, mergeAcc(this.byNs.get(n), ports));
    for (const g of rp.groups) this.byGroup.set(g, mergeAcc(this.byGroup.get(g), ports));
    for (const a of rp.atoms) this.byPeer.set(a, mergeAcc(this.byPeer.get(a), ports));
  }

  /** True when only listed peers/namespaces can be reached (no "every peer" part). */
  get sparse(): boolean {
    return isEmptyAcc(this.any) && isEmptyAcc(this.anyPod);
  }
}

function isEmptyAcc(a: Acc): boolean {
  return a.fixed.isEmpty && a.named.length === 0;
}

/**
 * The allowed connections of one peer in one direction (absent = not isolated): the rule
 * sets of the policies selecting it. Peers selected by the same policies share one.
 */
class Allowance {
  readonly sparse: boolean;
  /** Rule sets that can match a pod, and those that can match an external range. */
  readonly podParts: readonly RuleSet[];
  readonly externalParts: readonly RuleSet[];
  constructor(readonly parts: readonly RuleSet[]) {
    this.sparse = parts.every((p) => p.sparse);
    this.podParts = parts.filter(
      (p) => !isEmptyAcc(p.any) || !isEmptyAcc(p.anyPod) || p.byNs.size > 0 || p.byGroup.size > 0,
    );
    this.externalParts = parts.filter((p) => !isEmptyAcc(p.any) || p.byPeer.size > 0);
  }
}

/** One allowed connection between two peers (indices into `Analysis.peers`, then atoms). */
export interface Connection {
  src: number;
  dst: number;
  conn: ConnSet;
}

/** An external address range as a peer. */
export interface ExternalPeer {
  index: number;
  atom: IpAtom;
  /** `ingress`: a source range (cut by ingress ipBlocks); `egress`: a destination range. */
  direction: 'ingress' | 'egress';
}

/** A compiled analysis over one model and one set of policies. */
export class Analysis {
  /** Cluster peers: pods, or one representative pod per workload. */
  readonly peers: Endpoint[];
  /** External peers; their indices follow the cluster peers. */
  readonly externals: ExternalPeer[];
  private readonly peerOfPod: Int32Array;
  private readonly peersByNs = new Map<number, number[]>();
  private readonly ingressOf: (Allowance | undefined)[] = [];
  private readonly egressOf: (Allowance | undefined)[] = [];
  /** Policies selecting each peer, per direction (policy ids). */
  readonly ingressPolicies: number[][] = [];
  readonly egressPolicies: number[][] = [];
  private readonly rulePeerCache = new Map<CompiledRule, RulePeers>();
  private readonly groupIds = new Map<string, number>();
  private readonly ingressRuleSets = new Map<number, RuleSet>();
  private readonly egressRuleSets = new Map<number, RuleSet>();
  private readonly groupMembers: number[][] = [];
  private readonly groupsOfPeer: number[][] = [];
  /** Each cluster peer's named-port table, equal tables interned to one object. */
  private readonly portTables: PortTable[] = [];

  constructor(
    readonly model: NetworkModel,
    readonly policies: readonly CompiledPolicy[],
    readonly options: AnalysisOptions = {},
  ) {
    const granularity = options.granularity ?? 'workload';
    this.peerOfPod = new Int32Array(model.pods.length).fill(-1);
    if (granularity === 'pod') {
      this.peers = model.pods;
      model.pods.forEach((p, i) => (this.peerOfPod[i] = i));
    } else {
      this.peers = [];
      for (const w of model.workloads) {
        const first = w.pods[0];
        if (first === undefined) continue;
        const rep = model.pods[first] as Endpoint;
        this.peerOfPod[first] = this.peers.length;
        this.peers.push({
          ...rep,
          name: w.name,
          kind: w.kind,
          index: this.peers.length,
          resource: w.resource,
        });
      }
    }
    const tables = new Map<string, PortTable>();
    for (const p of this.peers) {
      const key = JSON.stringify([...p.namedPorts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
      let t = tables.get(key);
      if (!t) {
        t = p.namedPorts;
        tables.set(key, t);
      }
      this.portTables.push(t);
    }
    this.peers.forEach((p, i) => {
      const l = this.peersByNs.get(p.ns);
      if (l) l.push(i);
      else this.peersByNs.set(p.ns, [i]);
    });

    const blocksOf = (direction: 'ingress' | 'egress'): IpSet[] =>
      policies.flatMap((p) =>
        (p[direction] ?? []).flatMap((r) =>
          r.peers === 'all' ? [] : r.peers.flatMap((peer) => (peer.kind === 'ipBlock' ? [peer.ips] : [])),
        ),
      );
    const ingressBlocks = [...blocksOf('ingress'), ...(options.extraIpBlocks?.ingress ?? [])];
    const egressBlocks = [...blocksOf('egress'), ...(options.extraIpBlocks?.egress ?? [])];
    const families =
      options.families ??
      ([...ingressBlocks, ...egressBlocks].some((b) => b.v6.length > 0) ? ['v4', 'v6'] : ['v4']);
    // np-guard cuts the external space per direction: sources by ingress ipBlocks,
    // destinations by egress ipBlocks.
    const base = this.peers.length;
    this.externals = [
      ...ipAtoms(ingressBlocks, families).map((atom) => ({ atom, direction: 'ingress' as const })),
      ...ipAtoms(egressBlocks, families).map((atom) => ({ atom, direction: 'egress' as const })),
    ].map((e, i) => ({ ...e, index: base + i }));

    for (let i = 0; i < this.peers.length; i++) {
      this.ingressPolicies.push([]);
      this.egressPolicies.push([]);
    }
    for (const pol of policies) {
      const ns = model.findNamespace(pol.namespace);
      if (ns === undefined) continue;
      for (const pod of model.selectPods(ns, pol.podSelector)) {
        const peer = this.peerOfPod[pod] ?? -1;
        if (peer < 0) continue;
        if (pol.ingress) this.ingressPolicies[peer]?.push(pol.id);
        if (pol.egress) this.egressPolicies[peer]?.push(pol.id);
      }
    }
    const shared = new Map<string, Allowance>();
    for (let i = 0; i < this.peers.length; i++) {
      this.ingressOf.push(this.buildAllowance('ingress', i, shared));
      this.egressOf.push(this.buildAllowance('egress', i, shared));
    }
  }

  /** Number of cluster peers plus external peers. */
  get size(): number {
    return this.peers.length + this.externals.length;
  }

  /** True when the index names an external peer. */
  isExternal(i: number): boolean {
    return i >= this.peers.length;
  }

  /** np-guard name of a peer: `ns/name[Kind]` or `a.b.c.d-w.x.y.z`. */
  nameOf(i: number): string {
    const p = this.peers[i];
    if (p) return `${p.namespace}/${p.name}[${p.kind}]`;
    const e = this.externals[i - this.peers.length];
    if (!e) throw new Error(`no peer ${i}`);
    return `${formatIpRange(e.atom)}[External]`;
  }

  private buildAllowance(
    direction: 'ingress' | 'egress',
    peer: number,
    shared: Map<string, Allowance>,
  ): Allowance | undefined {
    const ids = (direction === 'ingress' ? this.ingressPolicies : this.egressPolicies)[peer] ?? [];
    if (ids.length === 0) return undefined;
    const key = `${direction}:${ids.join(',')}`;
    const hit = shared.get(key);
    if (hit) return hit;
    const a = new Allowance(ids.map((id) => this.ruleSet(id, direction)));
    shared.set(key, a);
    return a;
  }

  private ruleSet(id: number, direction: 'ingress' | 'egress'): RuleSet {
    const cache = direction === 'ingress' ? this.ingressRuleSets : this.egressRuleSets;
    let rs = cache.get(id);
    if (!rs) {
      rs = new RuleSet(this.ingressRuleSets.size + this.egressRuleSets.size);
      const pol = this.policies[id] as CompiledPolicy;
      for (const rule of pol[direction] ?? []) rs.add(this.rulePeers(pol, direction, rule), rule.ports);
      cache.set(id, rs);
    }
    return rs;
  }

  /** True when a rule of a policy matches peer `other` (the source for ingress, the destination for egress). */
  ruleMatches(
    pol: CompiledPolicy,
    direction: 'ingress' | 'egress',
    rule: CompiledRule,
    other: number,
  ): boolean {
    const rp = this.rulePeers(pol, direction, rule);
    if (rp.all) return true;
    const pod = this.peers[other];
    if (pod)
      return (
        rp.anyPod ||
        rp.namespaces.includes(pod.ns) ||
        (this.groupsOfPeer[other] ?? []).some((g) => rp.groups.includes(g))
      );
    return rp.atoms.includes(other);
  }

  /** Number of cluster peers a rule matches, and whether it matches external addresses. */
  ruleReach(
    pol: CompiledPolicy,
    direction: 'ingress' | 'egress',
    rule: CompiledRule,
  ): { pods: number; external: boolean } {
    const rp = this.rulePeers(pol, direction, rule);
    if (rp.all || rp.anyPod) return { pods: this.peers.length, external: rp.all || rp.atoms.length > 0 };
    const set = new Set<number>();
    for (const g of rp.groups) for (const p of this.groupMembers[g] ?? []) set.add(p);
    for (const ns of rp.namespaces) for (const p of this.peersByNs.get(ns) ?? []) set.add(p);
    return { pods: set.size, external: rp.atoms.length > 0 };
  }

  /** Cluster peers of one namespace. */
  peersIn(ns: number): readonly number[] {
    return this.peersByNs.get(ns) ?? [];
  }

  private rulePeers(pol: CompiledPolicy, direction: 'ingress' | 'egress', rule: CompiledRule): RulePeers {
    const hit = this.rulePeerCache.get(rule);
    if (hit) return hit;
    const rp: RulePeers = { all: false, anyPod: false, namespaces: [], groups: [], atoms: [] };
    if (rule.peers === 'all') rp.all = true;
    else for (const peer of rule.peers) this.expandPeer(pol, direction, peer, rp);
    rp.groups = [...new Set(rp.groups)];
    rp.namespaces = [...new Set(rp.namespaces)];
    this.rulePeerCache.set(rule, rp);
    return rp;
  }

  private expandPeer(
    pol: CompiledPolicy,
    direction: 'ingress' | 'egress',
    peer: CompiledPeer,
    rp: RulePeers,
  ): void {
    if (peer.kind === 'ipBlock') {
      for (const e of this.externals)
        if (e.direction === direction && ipSetCovers(peer.ips, e.atom.family, e.atom.interval))
          rp.atoms.push(e.index);
      return;
    }
    const podAll = !peer.podSelector || peer.podSelector.matchesAll;
    let namespaces: readonly number[];
    if (peer.namespaceSelector) {
      if (peer.namespaceSelector.matchesAll && podAll) {
        rp.anyPod = true;
        return;
      }
      namespaces = this.model.selectNamespaces(peer.namespaceSelector);
    } else {
      const own = this.model.findNamespace(pol.namespace);
      namespaces = own === undefined ? [] : [own];
    }
    for (const ns of namespaces) {
      if (podAll) rp.namespaces.push(ns);
      else if (peer.podSelector) {
        const g = this.groupOf(ns, peer.podSelector);
        if (g >= 0) rp.groups.push(g);
      }
    }
  }

  /** The group of pods a selector picks in a namespace (-1 when it picks none). */
  private groupOf(ns: number, sel: CompiledSelector): number {
    const key = `${ns}\u0000${sel.key}`;
    const hit = this.groupIds.get(key);
    if (hit !== undefined) return hit;
    const members: number[] = [];
    for (const pod of this.model.selectPods(ns, sel)) {
      const p = this.peerOfPod[pod] ?? -1;
      if (p >= 0) members.push(p);
    }
    let id = -1;
    if (members.length > 0) {
      id = this.groupMembers.length;
      this.groupMembers.push(members);
      for (const m of members) (this.groupsOfPeer[m] ??= []).push(id);
    }
    this.groupIds.set(key, id);
    return id;
  }

  /** Connections an allowance grants to/from `other`; named ports resolve against `table`. */
  private lookup(a: Allowance, other: number, table: PortTable | undefined): ConnSet {
    const pod = this.peers[other];
    const groups = pod ? this.groupsOfPeer[other] : undefined;
    let out = ConnSet.NONE;
    for (const rs of pod ? a.podParts : a.externalParts) {
      out = out.union(resolveAcc(rs.any, table));
      if (pod) {
        out = out.union(resolveAcc(rs.anyPod, table));
        if (rs.byNs.size > 0) {
          const n = rs.byNs.get(pod.ns);
          if (n) out = out.union(resolveAcc(n, table));
        }
        if (groups && rs.byGroup.size > 0)
          for (const g of groups) {
            const part = rs.byGroup.get(g);
            if (part) out = out.union(resolveAcc(part, table));
          }
      } else {
        const part = rs.byPeer.get(other);
        if (part) out = out.union(resolveAcc(part, table));
      }
      if (out.isAll) break;
    }
    return out;
  }

  /** Connections `src`'s egress allows to `dst` (All when src is not egress-isolated). */
  egressAllows(src: number, dst: number): ConnSet {
    const a = this.egressOf[src];
    if (!a) return ConnSet.ALL;
    return this.lookup(a, dst, this.portTables[dst]);
  }

  /** Connections `dst`'s ingress allows from `src` (All when dst is not ingress-isolated). */
  ingressAllows(src: number, dst: number): ConnSet {
    const a = this.ingressOf[dst];
    if (!a) return ConnSet.ALL;
    return this.lookup(a, src, this.portTables[dst]);
  }

  /**
   * The external peer holding an address: as a source (`ingress`, cut by ingress ipBlocks)
   * or as a destination (`egress`). Undefined for an invalid address or an unmodelled family.
   */
  externalFor(ip: string, direction: 'ingress' | 'egress'): number | undefined {
    const parsed = parseIp(ip);
    if (!parsed.ok) return undefined;
    const { family, value } = parsed.value;
    return this.externals.find(
      (e) =>
        e.direction === direction &&
        e.atom.family === family &&
        value >= e.atom.interval[0] &&
        value <= e.atom.interval[1],
    )?.index;
  }

  /** Index of the cluster peer named `ns/name` (or `ns/name[Kind]`, or `name` in `default`). */
  findPeer(name: string): number | undefined {
    const withNs = name.includes('/') ? name : `default/${name}`;
    const i = this.peers.findIndex(
      (p) => `${p.namespace}/${p.name}[${p.kind}]` === withNs || `${p.namespace}/${p.name}` === withNs,
    );
    return i < 0 ? undefined : i;
  }

  /**
   * Connections `dst`'s ingress admits from an arbitrary in-cluster pod (one no selector
   * names): rules open to every source or to every pod of every namespace.
   */
  ingressFromArbitraryPod(dst: number): ConnSet {
    const a = this.ingressOf[dst];
    if (!a) return ConnSet.ALL;
    const table = this.portTables[dst];
    let out = ConnSet.NONE;
    for (const rs of a.parts) out = out.union(resolveAcc(rs.any, table)).union(resolveAcc(rs.anyPod, table));
    return out;
  }

  /** The peer a model pod belongs to at this granularity (-1 when it is not a representative). */
  peerOfModelPod(pod: number): number {
    return this.peerOfPod[pod] ?? -1;
  }

  /** True when a peer is isolated in a direction. */
  isIsolated(peer: number, direction: 'ingress' | 'egress'): boolean {
    return (direction === 'ingress' ? this.ingressOf : this.egressOf)[peer] !== undefined;
  }

  /** The allowed connections from src to dst (both directions' policies applied). */
  allowed(src: number, dst: number): ConnSet {
    if (this.isExternal(src) && this.isExternal(dst)) return ConnSet.NONE;
    const e = this.isExternal(src) ? ConnSet.ALL : this.egressAllows(src, dst);
    if (e.isEmpty || this.isExternal(dst)) return e;
    return e.intersect(this.ingressAllows(src, dst));
  }

  /**
   * Every allowed connection between distinct peers (self-connections excluded, no
   * external-to-external pairs), visited in src-major, dst-ascending order. Only candidate
   * pairs are evaluated: an egress-isolated source with no open rule tries the peers its
   * rules name; any other source tries the destinations that admit every pod (or every
   * peer) plus those whose ingress rules name it, found through an inverted index.
   */
  forEachConnection(visit: (c: Connection) => void): void {
    const n = this.peers.length;
    const egressExternals = this.externals.filter((e) => e.direction === 'egress').map((e) => e.index);
    const sources = [
      ...range(n),
      ...this.externals.filter((e) => e.direction === 'ingress').map((e) => e.index),
    ];
    // Sources whose egress does not bound their destinations (external sources included).
    const dense = new Uint8Array(this.size);
    for (const src of sources) dense[src] = src >= n || !this.egressOf[src]?.sparse ? 1 : 0;
    // Destinations open to every pod / every external source; the others are reached by a
    // dense source through the ingress rule sets that name it (`owners`: the destinations
    // whose ingress includes a rule set).
    const openToPods: number[] = [];
    const openToExternal: number[] = [];
    const podOpen = new Uint8Array(n);
    const extOpen = new Uint8Array(n);
    const owners = new Map<number, number[]>();
    for (let dst = 0; dst < n; dst++) {
      const ing = this.ingressOf[dst];
      const ext = !ing || ing.parts.some((rs) => !isEmptyAcc(rs.any));
      const pod = ext || (ing?.parts.some((rs) => !isEmptyAcc(rs.anyPod)) ?? true);
      if (pod) {
        podOpen[dst] = 1;
        openToPods.push(dst);
      }
      if (ext) {
        extOpen[dst] = 1;
        openToExternal.push(dst);
      }
      if (ing && !ext)
        for (const rs of ing.parts) {
          const l = owners.get(rs.idx);
          if (l) l.push(dst);
          else owners.set(rs.idx, [dst]);
        }
    }
    // Ingress is evaluated by "marking": for the current source, each ingress rule set that
    // names it (by namespace, group or external range) records the ports it grants, so a
    // destination's ingress is the union of its open parts and its marked parts, without
    // probing every part with every group of the source.
    const nSets = this.ingressRuleSets.size + this.egressRuleSets.size;
    const byNs = new Map<number, RuleSet[]>();
    const byGroup = new Map<number, RuleSet[]>();
    const byPeer = new Map<number, RuleSet[]>();
    const index = (m: Map<number, RuleSet[]>, k: number, rs: RuleSet): void => {
      const l = m.get(k);
      if (l) l.push(rs);
      else m.set(k, [rs]);
    };
    for (const rs of this.ingressRuleSets.values()) {
      for (const k of rs.byNs.keys()) index(byNs, k, rs);
      for (const k of rs.byGroup.keys()) index(byGroup, k, rs);
      for (const k of rs.byPeer.keys()) index(byPeer, k, rs);
    }
    const stamp = new Int32Array(nSets).fill(-1);
    const markedFirst: Acc[] = new Array<Acc>(nSets).fill(EMPTY_ACC);
    const markedMore: (Acc[] | undefined)[] = new Array<Acc[] | undefined>(nSets);
    let markedSets: number[] = [];
    const mark = (
      sets: readonly RuleSet[] | undefined,
      src: number,
      pick: (rs: RuleSet) => Acc | undefined,
    ): void => {
      if (!sets) return;
      for (const rs of sets) {
        const acc = pick(rs);
        if (!acc) continue;
        if (stamp[rs.idx] !== src) {
          stamp[rs.idx] = src;
          markedFirst[rs.idx] = acc;
          markedMore[rs.idx] = undefined;
          markedSets.push(rs.idx);
        } else (markedMore[rs.idx] ??= []).push(acc);
      }
    };
    const compiled = new Map<Allowance, { base: Acc[]; baseExt: Acc[]; parts: Int32Array }>();
    const compiledOf = (a: Allowance): { base: Acc[]; baseExt: Acc[]; parts: Int32Array } => {
      let c = compiled.get(a);
      if (!c) {
        const baseExt = a.parts.filter((rs) => !isEmptyAcc(rs.any)).map((rs) => rs.any);
        const base = [...baseExt, ...a.parts.filter((rs) => !isEmptyAcc(rs.anyPod)).map((rs) => rs.anyPod)];
        c = { base, baseExt, parts: Int32Array.from(a.parts, (rs) => rs.idx) };
        compiled.set(a, c);
      }
      return c;
    };
    const seen = new Int32Array(this.size).fill(-1);
    // Per destination of the current sparse source: the first rule's ports, then any others.
    const egressFirst: Acc[] = new Array<Acc>(this.size).fill(EMPTY_ACC);
    const egressMore: (Acc[] | undefined)[] = new Array<Acc[] | undefined>(this.size);
    const last = new Int32Array(this.size).fill(-1);
    for (const src of sources) {
      const external = src >= n;
      markedSets = [];
      if (external) mark(byPeer.get(src), src, (rs) => rs.byPeer.get(src));
      else {
        const ns = (this.peers[src] as Endpoint).ns;
        mark(byNs.get(ns), src, (rs) => rs.byNs.get(ns));
        for (const g of this.groupsOfPeer[src] ?? []) mark(byGroup.get(g), src, (rs) => rs.byGroup.get(g));
      }
      let candidates: readonly number[];
      const sparse = dense[src] === 0;
      if (sparse) {
        // A sparse egress names its destinations: collect them with the ports each rule grants.
        const list: number[] = [];
        const add = (p: number, acc: Acc): void => {
          if (seen[p] !== src) {
            seen[p] = src;
            list.push(p);
            egressFirst[p] = acc;
            egressMore[p] = undefined;
          } else (egressMore[p] ??= []).push(acc);
        };
        for (const rs of (this.egressOf[src] as Allowance).parts) {
          for (const [p, acc] of rs.byPeer) add(p, acc);
          for (const [g, acc] of rs.byGroup) for (const p of this.groupMembers[g] ?? []) add(p, acc);
          for (const [ns, acc] of rs.byNs) for (const p of this.peersByNs.get(ns) ?? []) add(p, acc);
        }
        candidates = list.sort((a, b) => a - b);
      } else {
        const open = external ? extOpen : podOpen;
        const named: number[] = [];
        for (const idx of markedSets)
          for (const dst of owners.get(idx) ?? [])
            if (open[dst] === 0 && last[dst] !== src) {
              last[dst] = src;
              named.push(dst);
            }
        const pods = mergeSorted(
          external ? openToExternal : openToPods,
          named.sort((x, y) => x - y),
        );
        candidates = external ? pods : pods.concat(egressExternals);
      }
      for (const dst of candidates) {
        if (dst === src) continue;
        let conn: ConnSet;
        if (external) conn = ConnSet.ALL;
        else if (sparse) {
          conn = ConnSet.NONE;
          const table = this.portTables[dst];
          conn = resolveAcc(egressFirst[dst] as Acc, table);
          for (const acc of egressMore[dst] ?? []) conn = conn.union(resolveAcc(acc, table));
        } else conn = this.egressAllows(src, dst);
        if (conn.isEmpty) continue;
        const ing = dst < n ? this.ingressOf[dst] : undefined;
        if (ing) {
          const c = compiledOf(ing);
          const table = this.portTables[dst];
          let allowedIn = ConnSet.NONE;
          for (const acc of external ? c.baseExt : c.base)
            allowedIn = allowedIn.union(resolveAcc(acc, table));
          if (!allowedIn.isAll)
            for (const idx of c.parts) {
              if (stamp[idx] !== src) continue;
              allowedIn = allowedIn.union(resolveAcc(markedFirst[idx] as Acc, table));
              for (const acc of markedMore[idx] ?? []) allowedIn = allowedIn.union(resolveAcc(acc, table));
            }
          conn = conn.intersect(allowedIn);
          if (conn.isEmpty) continue;
        }
        visit({ src, dst, conn });
      }
    }
  }

  /** Every allowed connection as a list. */
  connections(): Connection[] {
    const out: Connection[] = [];
    this.forEachConnection((c) => out.push(c));
    return out;
  }
}

/** The union of two ascending lists of distinct numbers, ascending. */
function mergeSorted(a: readonly number[], b: readonly number[]): number[] {
  if (b.length === 0) return a.slice();
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = i < a.length ? (a[i] as number) : Infinity;
    const y = j < b.length ? (b[j] as number) : Infinity;
    if (x <= y) {
      out.push(x);
      i++;
      if (x === y) j++;
    } else {
      out.push(y);
      j++;
    }
  }
  return out;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Resolves a rule's ports against a destination pod's named container ports. */
export function resolvePorts(ports: CompiledPorts, target: Endpoint | undefined): ConnSet {
  return target ? resolveWith(ports, target.namedPorts) : ports.fixed;
}

function resolveWith(ports: CompiledPorts, table: PortTable): ConnSet {
  let out = ports.fixed;
  for (const np of ports.named) {
    for (const cp of table.get(np.name) ?? []) {
      if (cp.protocol === np.protocol) out = out.union(ConnSet.range(cp.protocol, cp.port));
    }
  }
  return out;
}
