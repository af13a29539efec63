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
 * Two ways of evaluating share these definitions:
 * - One pair (`allowed`, `egressAllows`, `ingressAllows`, `ruleMatches`) reads only the
 *   policies selecting its two ends (found through a per-namespace index) and matches their
 *   rules' peers directly against the other end: nothing is expanded, so a query costs the
 *   size of those policies, not of the cluster.
 * - The matrix (`forEachConnection`) groups peers into equivalence classes, peers that every
 *   policy treats alike (same selecting policies, same membership in every rule peer, same
 *   named ports), evaluates each pair of classes that can be connected once, and expands
 *   class rows into peer rows one source at a time.
 */
import { matchesLabelSelector } from '../core/index.js';
import { ConnSet } from './conn-set.js';
import {
  formatIpRange,
  ipAtoms,
  ipSetCovers,
  parseIp,
  type IpFamily,
  type IpAtom,
  type IpSet,
} from './ip-set.js';
import type { ContainerPort, Endpoint, NetworkModel } from './model.js';
import type { CompiledPolicy, CompiledPorts, CompiledRule, CompiledSelector, NamedPort } from './policy.js';

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

/** Ports accumulated for one target: fixed ranges plus named ports still to resolve. */
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
 * resolved, cached by table identity; the analysis interns equal tables). No table (an
 * external destination): named ports match nothing.
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

function mergeAcc(a: Acc | undefined, ports: CompiledPorts): Acc {
  if (!a) return { fixed: ports.fixed, named: [...ports.named] };
  const named = ports.named.length === 0 ? a.named : [...a.named, ...ports.named];
  return { fixed: a.fixed.union(ports.fixed), named };
}

function isEmptyAcc(a: Acc | undefined): boolean {
  return !a || (a.fixed.isEmpty && a.named.length === 0);
}

/**
 * A pod peer of some rule, shared by every rule naming the same pods: the namespaces it
 * picks pods in (a namespace selector, or the policy's own namespace) and a pod selector
 * (absent: every pod of those namespaces).
 */
interface Selection {
  nsSel?: CompiledSelector;
  ownNs?: number;
  podSel?: CompiledSelector;
  /** Cluster peers in the selection, ascending (computed for the matrix and reach counts). */
  members?: Int32Array;
}

/** What a rule's peers cover. */
interface RulePeers {
  /** `from`/`to` absent or empty: every peer, external ones included. */
  all: boolean;
  /** `namespaceSelector: {}` without a pod selector: every cluster peer. */
  anyPod: boolean;
  /** Selections (ids) of the rule's pod peers. */
  sels: number[];
  /** The rule's ipBlocks. */
  ips: IpSet[];
  /** External peers (of the rule's direction) the ipBlocks cover, computed when needed. */
  atoms?: number[];
}

/** One direction of one class: the union of its selecting policies' rules, per target. */
interface Side {
  any: Acc | undefined;
  anyPod: Acc | undefined;
  selIds: Int32Array;
  selAccs: Acc[];
  atoms: Map<number, Acc>;
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

/**
 * An order to visit the matrix in: the sources to visit (cluster peers and ingress atoms),
 * and a rank for every peer by which each row's destinations are sorted.
 */
export interface PeerOrder {
  sources: readonly number[];
  rank: Int32Array;
}

/** The equivalence classes of the cluster peers. */
interface Classes {
  classOf: Int32Array;
  /** Members of each class, ascending. */
  members: Int32Array[];
  /** Selections each class belongs to. */
  sels: Int32Array[];
  /** Classes with members in each selection. */
  selClasses: Int32Array[];
  ingress: (Side | undefined)[];
  egress: (Side | undefined)[];
  table: (PortTable | undefined)[];
}

/** Largest number of destination entries kept for classes whose rows are reused. */
const ROW_CACHE_ENTRIES = 4_000_000;

/** A compiled analysis over one model and one set of policies. */
export class Analysis {
  /** Cluster peers: pods, or one representative pod per workload. */
  readonly peers: Endpoint[];
  private externalPeers?: ExternalPeer[];
  private readonly peerOfPod: Int32Array;
  private peersByNs?: Map<number, number[]>;
  /** Policies of each namespace (ids, ascending): the only ones that can select its pods. */
  private readonly policiesByNs = new Map<number, number[]>();
  /** Policies selecting each peer, per direction; one peer's at a time, or every peer's. */
  private readonly selectedBy = new Map<number, { ingress: number[]; egress: number[] }>();
  private selectedByAll?: { ingress: number[][]; egress: number[][] };
  private readonly rulePeerCache = new Map<CompiledRule, RulePeers>();
  private readonly selections: Selection[] = [];
  private readonly selectionIds = new Map<string, number>();
  /** Each cluster peer's named-port table, equal tables interned to one object (for the matrix). */
  private portTables?: { tables: PortTable[]; ids: number[] };
  private peerByName?: Map<string, number>;
  private classes?: Classes;

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
    // A policy selects pods of its own namespace only.
    for (const pol of policies) {
      const ns = model.findNamespace(pol.namespace);
      if (ns !== undefined) push(this.policiesByNs, ns, pol.id);
    }
  }

  /**
   * External peers; their indices follow the cluster peers. Computed on first use (a query
   * between two cluster peers never needs them).
   */
  get externals(): readonly ExternalPeer[] {
    if (this.externalPeers) return this.externalPeers;
    const { policies, options } = this;
    const blocks = ipBlocksOf(policies);
    const ingressBlocks = [...blocks.ingress, ...(options.extraIpBlocks?.ingress ?? [])];
    const egressBlocks = [...blocks.egress, ...(options.extraIpBlocks?.egress ?? [])];
    const families =
      options.families ??
      ([...ingressBlocks, ...egressBlocks].some((b) => b.v6.length > 0) ? ['v4', 'v6'] : ['v4']);
    // np-guard cuts the external space per direction: sources by ingress ipBlocks,
    // destinations by egress ipBlocks.
    const base = this.peers.length;
    this.externalPeers = [
      ...ipAtoms(ingressBlocks, families).map((atom) => ({ atom, direction: 'ingress' as const })),
      ...ipAtoms(egressBlocks, families).map((atom) => ({ atom, direction: 'egress' as const })),
    ].map((e, i) => ({ ...e, index: base + i }));
    return this.externalPeers;
  }

  /** Policies selecting each peer for ingress (policy ids, ascending); computed for every peer. */
  get ingressPolicies(): readonly (readonly number[])[] {
    return this.allSelected().ingress;
  }

  /** Policies selecting each peer for egress (policy ids, ascending); computed for every peer. */
  get egressPolicies(): readonly (readonly number[])[] {
    return this.allSelected().egress;
  }

  /** The policies selecting one peer in one direction (ids, ascending). */
  policiesOf(peer: number, direction: 'ingress' | 'egress'): readonly number[] {
    // Past a few hundred peers asked one by one, the label indexes answer for all at once.
    if (this.selectedByAll || this.selectedBy.size >= 256) return this.allSelected()[direction][peer] ?? [];
    const p = this.peers[peer];
    if (!p) return [];
    let hit = this.selectedBy.get(peer);
    if (!hit) {
      hit = { ingress: [], egress: [] };
      for (const id of this.policiesByNs.get(p.ns) ?? []) {
        const pol = this.policies[id] as CompiledPolicy;
        if (!pol.podSelector.matchesAll && !matchesLabelSelector(pol.podSelector.selector, p.labels))
          continue;
        if (pol.ingress) hit.ingress.push(id);
        if (pol.egress) hit.egress.push(id);
      }
      this.selectedBy.set(peer, hit);
    }
    return hit[direction];
  }

  /** The policies selecting every peer, through the namespaces' label indexes. */
  private allSelected(): { ingress: number[][]; egress: number[][] } {
    if (this.selectedByAll) return this.selectedByAll;
    const ingress: number[][] = this.peers.map(() => []);
    const egress: number[][] = this.peers.map(() => []);
    for (const pol of this.policies) {
      const ns = this.model.findNamespace(pol.namespace);
      if (ns === undefined) continue;
      for (const pod of this.model.selectPods(ns, pol.podSelector)) {
        const peer = this.peerOfPod[pod] ?? -1;
        if (peer < 0) continue;
        if (pol.ingress) ingress[peer]?.push(pol.id);
        if (pol.egress) egress[peer]?.push(pol.id);
      }
    }
    this.selectedByAll = { ingress, egress };
    return this.selectedByAll;
  }

  /** Named-port tables of the peers, equal tables interned to one object (ids for class keys). */
  private internedTables(): { tables: PortTable[]; ids: number[] } {
    if (this.portTables) return this.portTables;
    const byKey = new Map<string, number>();
    const interned: PortTable[] = [];
    const tables: PortTable[] = [];
    const ids: number[] = [];
    for (const p of this.peers) {
      const key =
        p.namedPorts.size === 0
          ? ''
          : JSON.stringify([...p.namedPorts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
      let t = byKey.get(key);
      if (t === undefined) {
        t = interned.length;
        interned.push(p.namedPorts);
        byKey.set(key, t);
      }
      tables.push(interned[t] as PortTable);
      ids.push(t);
    }
    this.portTables = { tables, ids };
    return this.portTables;
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

  /** Every peer (cluster and external) ordered by name, then index (np-guard's line order). */
  nameOrder(): PeerOrder {
    const all = Array.from({ length: this.size }, (_, i) => i);
    const names = all.map((i) => this.nameOf(i));
    all.sort((a, b) => {
      const x = names[a] as string;
      const y = names[b] as string;
      return x < y ? -1 : x > y ? 1 : a - b;
    });
    const rank = new Int32Array(this.size);
    all.forEach((p, r) => (rank[p] = r));
    const n = this.peers.length;
    return {
      sources: all.filter((i) => i < n || this.externals[i - n]?.direction === 'ingress'),
      rank,
    };
  }

  /** The selection of a pod peer (created on first use). */
  private selectionOf(
    nsSel: CompiledSelector | undefined,
    ownNs: number,
    podSel: CompiledSelector | undefined,
  ): number {
    const pod = podSel && !podSel.matchesAll ? podSel : undefined;
    const key = `${nsSel ? `n${nsSel.key}` : `o${ownNs}`}\u0000${pod ? pod.key : '*'}`;
    let id = this.selectionIds.get(key);
    if (id === undefined) {
      id = this.selections.length;
      this.selections.push({
        ...(nsSel ? { nsSel } : { ownNs }),
        ...(pod ? { podSel: pod } : {}),
      });
      this.selectionIds.set(key, id);
    }
    return id;
  }

  private rulePeers(pol: CompiledPolicy, rule: CompiledRule): RulePeers {
    const hit = this.rulePeerCache.get(rule);
    if (hit) return hit;
    const rp: RulePeers = { all: rule.peers === 'all', anyPod: false, sels: [], ips: [] };
    if (rule.peers !== 'all') {
      const own = this.model.findNamespace(pol.namespace);
      for (const peer of rule.peers) {
        if (peer.kind === 'ipBlock') {
          rp.ips.push(peer.ips);
          continue;
        }
        const podAll = !peer.podSelector || peer.podSelector.matchesAll;
        if (peer.namespaceSelector) {
          if (peer.namespaceSelector.matchesAll && podAll) rp.anyPod = true;
          else rp.sels.push(this.selectionOf(peer.namespaceSelector, -1, peer.podSelector));
        } else if (own !== undefined) rp.sels.push(this.selectionOf(undefined, own, peer.podSelector));
      }
      rp.sels = [...new Set(rp.sels)];
    }
    this.rulePeerCache.set(rule, rp);
    return rp;
  }

  /** External peers of a direction a rule's ipBlocks cover. */
  private atomsOf(rp: RulePeers, direction: 'ingress' | 'egress'): number[] {
    if (!rp.atoms) {
      rp.atoms = [];
      if (rp.ips.length > 0)
        for (const e of this.externals)
          if (
            e.direction === direction &&
            rp.ips.some((ips) => ipSetCovers(ips, e.atom.family, e.atom.interval))
          )
            rp.atoms.push(e.index);
    }
    return rp.atoms;
  }

  /** True when a cluster peer is in a selection (matched directly, nothing expanded). */
  private inSelection(s: Selection, peer: Endpoint): boolean {
    if (s.nsSel ? !this.model.namespaceMatches(s.nsSel, peer.ns) : peer.ns !== s.ownNs) return false;
    return !s.podSel || matchesLabelSelector(s.podSel.selector, peer.labels);
  }

  /** The cluster peers of a selection, ascending (computed once). */
  private membersOf(id: number): Int32Array {
    const s = this.selections[id] as Selection;
    if (s.members) return s.members;
    const namespaces = s.nsSel ? this.model.selectNamespaces(s.nsSel) : [s.ownNs as number];
    const out: number[] = [];
    const add = (pod: number): void => {
      const p = this.peerOfPod[pod] ?? -1;
      if (p >= 0) out.push(p);
    };
    if (!s.podSel) {
      for (const ns of namespaces) for (const pod of this.model.podsIn(ns)) add(pod);
    } else {
      // Either every pod of the namespaces, or the pods of any namespace the selector's
      // label index allows, whichever list is shorter.
      // One namespace: its own label index answers (the cluster-wide one is not built for it).
      let inNamespaces = 0;
      for (const ns of namespaces) inNamespaces += this.model.podsIn(ns).length;
      const anywhere = namespaces.length > 1 ? this.model.podCandidatesAnywhere(s.podSel) : undefined;
      if (anywhere && anywhere.length < inNamespaces) {
        const wanted = new Set(namespaces);
        const sel = s.podSel.selector;
        for (const pod of anywhere) {
          const e = this.model.pods[pod] as Endpoint;
          if (wanted.has(e.ns) && matchesLabelSelector(sel, e.labels)) add(pod);
        }
      } else for (const ns of namespaces) for (const pod of this.model.selectPods(ns, s.podSel)) add(pod);
    }
    s.members = Int32Array.from(out).sort();
    return s.members;
  }

  /** True when a rule of a policy matches peer `other` (the source for ingress, the destination for egress). */
  ruleMatches(
    pol: CompiledPolicy,
    direction: 'ingress' | 'egress',
    rule: CompiledRule,
    other: number,
  ): boolean {
    const rp = this.rulePeers(pol, rule);
    if (rp.all) return true;
    const pod = this.peers[other];
    if (pod) return rp.anyPod || rp.sels.some((s) => this.inSelection(this.selections[s] as Selection, pod));
    const e = this.externals[other - this.peers.length];
    return (
      e !== undefined &&
      e.direction === direction &&
      rp.ips.some((ips) => ipSetCovers(ips, e.atom.family, e.atom.interval))
    );
  }

  /** Number of cluster peers a rule matches, and whether it matches external addresses. */
  ruleReach(
    pol: CompiledPolicy,
    direction: 'ingress' | 'egress',
    rule: CompiledRule,
  ): { pods: number; external: boolean } {
    const rp = this.rulePeers(pol, rule);
    const external = this.atomsOf(rp, direction).length > 0;
    if (rp.all || rp.anyPod) return { pods: this.peers.length, external: rp.all || external };
    if (rp.sels.length === 1) return { pods: this.membersOf(rp.sels[0] as number).length, external };
    const set = new Set<number>();
    for (const s of rp.sels) for (const p of this.membersOf(s)) set.add(p);
    return { pods: set.size, external };
  }

  /** Cluster peers of one namespace. */
  peersIn(ns: number): readonly number[] {
    if (!this.peersByNs) {
      const m = new Map<number, number[]>();
      this.peers.forEach((p, i) => {
        push(m, p.ns, i);
      });
      this.peersByNs = m;
    }
    return this.peersByNs.get(ns) ?? [];
  }

  /** Union of the ports of the rules of `ids` (one direction) matching `other`, for `dst`'s table. */
  private rulesAllow(
    ids: readonly number[],
    direction: 'ingress' | 'egress',
    other: number,
    dst: number,
  ): ConnSet {
    const table = this.peers[dst]?.namedPorts;
    let out = ConnSet.NONE;
    for (const id of ids) {
      const pol = this.policies[id] as CompiledPolicy;
      for (const rule of pol[direction] ?? []) {
        if (!this.ruleMatches(pol, direction, rule, other)) continue;
        out = out.union(table ? resolveWith(rule.ports, table) : rule.ports.fixed);
        if (out.isAll) return out;
      }
    }
    return out;
  }

  /** Connections `src`'s egress allows to `dst` (All when src is not egress-isolated). */
  egressAllows(src: number, dst: number): ConnSet {
    const ids = this.policiesOf(src, 'egress');
    if (ids.length === 0) return ConnSet.ALL;
    return this.rulesAllow(ids, 'egress', dst, dst);
  }

  /** Connections `dst`'s ingress allows from `src` (All when dst is not ingress-isolated). */
  ingressAllows(src: number, dst: number): ConnSet {
    const ids = this.policiesOf(dst, 'ingress');
    if (ids.length === 0) return ConnSet.ALL;
    return this.rulesAllow(ids, 'ingress', src, dst);
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
    if (!this.peerByName) {
      // The first peer answering to a name, with or without its kind, wins.
      const m = new Map<string, number>();
      this.peers.forEach((p, i) => {
        const bare = `${p.namespace}/${p.name}`;
        const full = `${bare}[${p.kind}]`;
        if (!m.has(bare)) m.set(bare, i);
        if (!m.has(full)) m.set(full, i);
      });
      this.peerByName = m;
    }
    return this.peerByName.get(withNs);
  }

  /**
   * Connections `dst`'s ingress admits from an arbitrary in-cluster pod (one no selector
   * names): rules open to every source or to every pod of every namespace.
   */
  ingressFromArbitraryPod(dst: number): ConnSet {
    const ids = this.policiesOf(dst, 'ingress');
    if (ids.length === 0) return ConnSet.ALL;
    const table = this.peers[dst]?.namedPorts;
    let out = ConnSet.NONE;
    for (const id of ids) {
      const pol = this.policies[id] as CompiledPolicy;
      for (const rule of pol.ingress ?? []) {
        const rp = this.rulePeers(pol, rule);
        if (rp.all || rp.anyPod) out = out.union(table ? resolveWith(rule.ports, table) : rule.ports.fixed);
      }
    }
    return out;
  }

  /** The peer a model pod belongs to at this granularity (-1 when it is not a representative). */
  peerOfModelPod(pod: number): number {
    return this.peerOfPod[pod] ?? -1;
  }

  /** True when a peer is isolated in a direction. */
  isIsolated(peer: number, direction: 'ingress' | 'egress'): boolean {
    return this.policiesOf(peer, direction).length > 0;
  }

  /** The allowed connections from src to dst (both directions' policies applied). */
  allowed(src: number, dst: number): ConnSet {
    if (this.isExternal(src) && this.isExternal(dst)) return ConnSet.NONE;
    const e = this.isExternal(src) ? ConnSet.ALL : this.egressAllows(src, dst);
    if (e.isEmpty || this.isExternal(dst)) return e;
    return e.intersect(this.ingressAllows(src, dst));
  }

  /**
   * Partitions the cluster peers into classes every policy treats alike: same selecting
   * policies per direction, same named-port table, and same membership in every selection
   * named by a rule of a policy that selects some peer. Built by partition refinement: start
   * from the (policies, ports) classes and split by each selection's members, so the cost is
   * the number of memberships, never pairs of peers.
   */
  private classesOf(): Classes {
    if (this.classes) return this.classes;
    const n = this.peers.length;
    const { ingress: ingressPolicies, egress: egressPolicies } = this.allSelected();
    const { tables, ids: tableIds } = this.internedTables();
    const classOf = new Int32Array(n);
    const initial = new Map<string, number>();
    let count = 0;
    for (let p = 0; p < n; p++) {
      const key = `${(ingressPolicies[p] ?? []).join(',')}|${(egressPolicies[p] ?? []).join(',')}|${tableIds[p] ?? 0}`;
      let c = initial.get(key);
      if (c === undefined) {
        c = count++;
        initial.set(key, c);
      }
      classOf[p] = c;
    }
    // The selections the matrix needs: those of rules of policies selecting some peer.
    const relevant = new Set<number>();
    for (let p = 0; p < n; p++) {
      for (const id of ingressPolicies[p] ?? []) relevant.add(id);
      for (const id of egressPolicies[p] ?? []) relevant.add(id);
    }
    const used = new Set<number>();
    for (const id of [...relevant].sort((a, b) => a - b)) {
      const pol = this.policies[id] as CompiledPolicy;
      for (const rule of [...(pol.ingress ?? []), ...(pol.egress ?? [])])
        for (const s of this.rulePeers(pol, rule).sels) used.add(s);
    }
    const selIds = [...used].sort((a, b) => a - b);
    // Partition refinement: the members of a selection leave their class for a new one
    // (classes left empty disappear when numbered below).
    const splitTo: number[] = [];
    const stamp: number[] = [];
    for (const s of selIds) {
      for (const m of this.membersOf(s)) {
        const c = classOf[m] as number;
        if (stamp[c] !== s) {
          stamp[c] = s;
          splitTo[c] = count++;
        }
        classOf[m] = splitTo[c] as number;
      }
    }
    // Number the non-empty classes by their first member.
    const renumber = new Int32Array(count).fill(-1);
    const firstOf: number[] = [];
    let k = 0;
    for (let p = 0; p < n; p++) {
      const c = classOf[p] as number;
      if (renumber[c] === -1) {
        renumber[c] = k++;
        firstOf.push(p);
      }
      classOf[p] = renumber[c] as number;
    }
    const memberLists: number[][] = Array.from({ length: k }, () => []);
    for (let p = 0; p < n; p++) memberLists[classOf[p] as number]?.push(p);
    const classSels: number[][] = Array.from({ length: k }, () => []);
    const selClasses: Int32Array[] = [];
    const last = new Int32Array(k).fill(-1);
    for (const s of selIds) {
      const cs: number[] = [];
      for (const m of this.membersOf(s)) {
        const c = classOf[m] as number;
        if (last[c] !== s) {
          last[c] = s;
          classSels[c]?.push(s);
          cs.push(c);
        }
      }
      selClasses[s] = Int32Array.from(cs).sort();
    }
    const sides = new Map<string, Side>();
    const sideOf = (ids: readonly number[], direction: 'ingress' | 'egress'): Side | undefined => {
      if (ids.length === 0) return undefined;
      const key = `${direction}:${ids.join(',')}`;
      let side = sides.get(key);
      if (!side) {
        side = this.buildSide(ids, direction);
        sides.set(key, side);
      }
      return side;
    };
    this.classes = {
      classOf,
      members: memberLists.map((l) => Int32Array.from(l)),
      sels: classSels.map((l) => Int32Array.from(l)),
      selClasses,
      ingress: firstOf.map((p) => sideOf(ingressPolicies[p] ?? [], 'ingress')),
      egress: firstOf.map((p) => sideOf(egressPolicies[p] ?? [], 'egress')),
      table: firstOf.map((p) => tables[p]),
    };
    return this.classes;
  }

  /** The union of some policies' rules in one direction, per target. */
  private buildSide(ids: readonly number[], direction: 'ingress' | 'egress'): Side {
    let any: Acc | undefined;
    let anyPod: Acc | undefined;
    const bySel = new Map<number, Acc>();
    const atoms = new Map<number, Acc>();
    for (const id of ids) {
      const pol = this.policies[id] as CompiledPolicy;
      for (const rule of pol[direction] ?? []) {
        const rp = this.rulePeers(pol, rule);
        if (rp.all) any = mergeAcc(any, rule.ports);
        if (rp.anyPod) anyPod = mergeAcc(anyPod, rule.ports);
        for (const s of rp.sels) bySel.set(s, mergeAcc(bySel.get(s), rule.ports));
        for (const a of this.atomsOf(rp, direction)) atoms.set(a, mergeAcc(atoms.get(a), rule.ports));
      }
    }
    const selIds = [...bySel.keys()].sort((a, b) => a - b);
    return {
      any: isEmptyAcc(any) ? undefined : any,
      anyPod: isEmptyAcc(anyPod) ? undefined : anyPod,
      selIds: Int32Array.from(selIds),
      selAccs: selIds.map((s) => bySel.get(s) as Acc),
      atoms,
    };
  }

  /** Number of equivalence classes of the cluster peers (computed on first use). */
  get classCount(): number {
    return this.classesOf().members.length;
  }

  /**
   * Every allowed connection between distinct peers (self-connections excluded, no
   * external-to-external pairs). By default sources are visited in index order (cluster
   * peers, then external source ranges) and each row in ascending destination index;
   * `order` gives another source order and the rank each row is sorted by.
   *
   * Work is done per class of peers: a class's row (destination classes and external
   * ranges with their connections) is computed once from the candidate classes only, then
   * expanded to each member of the class.
   */
  forEachConnection(visit: (c: Connection) => void, order?: PeerOrder): void {
    for (const row of this.rows(order)) {
      const { src, dsts, conns } = row;
      for (let i = 0; i < dsts.length; i++) visit({ src, dst: dsts[i] as number, conn: conns[i] as ConnSet });
    }
  }

  /**
   * The matrix one source at a time (see `forEachConnection`): each row holds a source's
   * destinations (sorted by index, or by `order.rank`) and their connections. A row's
   * arrays are only valid until the next row is requested.
   */
  *rows(order?: PeerOrder): Generator<{ src: number; dsts: Int32Array; conns: ConnSet[] }> {
    const n = this.peers.length;
    const cls = this.classesOf();
    const k = cls.members.length;
    const rank = order?.rank;
    const sources = order?.sources ?? [
      ...range(n),
      ...this.externals.filter((e) => e.direction === 'ingress').map((e) => e.index),
    ];
    const egressAtoms = this.externals.filter((e) => e.direction === 'egress').map((e) => e.index);
    // Destination classes open to every pod / every external source; the others are
    // reached through the selections (or ranges) their ingress names.
    const openToPods: number[] = [];
    const openToExternal: number[] = [];
    const namingSel = new Map<number, number[]>();
    const namingAtom = new Map<number, number[]>();
    for (let c = 0; c < k; c++) {
      const ing = cls.ingress[c];
      if (!ing || ing.any) {
        openToPods.push(c);
        openToExternal.push(c);
        continue;
      }
      if (ing.anyPod) openToPods.push(c);
      else for (const s of ing.selIds) push(namingSel, s, c);
      for (const a of ing.atoms.keys()) push(namingAtom, a, c);
    }
    const srcSelStamp = new Int32Array(this.selections.length).fill(-1);
    const egSelStamp = new Int32Array(this.selections.length).fill(-1);
    const egSelAt = new Int32Array(this.selections.length);
    let memberships = 0;
    for (const l of cls.sels) memberships += l.length;
    const selsPerClass = k > 0 ? memberships / k : 0;
    const candStamp = new Int32Array(k).fill(-1);
    const egFirst: (Acc | undefined)[] = new Array<Acc | undefined>(k);
    const egMore: (Acc[] | undefined)[] = new Array<Acc[] | undefined>(k);
    let gen = 0;

    /** The row of a source class (or external range) as destination classes and ranges. */
    const classRow = (srcClass: number, atom: number): { classes: number[]; conns: ConnSet[] } => {
      gen++;
      const classes: number[] = [];
      const conns: ConnSet[] = [];
      if (srcClass < 0) {
        // An external source: only the destinations' ingress applies.
        const cands = [...openToExternal, ...(namingAtom.get(atom) ?? [])].sort((a, b) => a - b);
        let prev = -1;
        for (const cd of cands) {
          if (cd === prev) continue;
          prev = cd;
          const ing = cls.ingress[cd];
          let conn = ConnSet.ALL;
          if (ing) {
            const table = cls.table[cd];
            conn = ing.any ? resolveAcc(ing.any, table) : ConnSet.NONE;
            const part = ing.atoms.get(atom);
            if (part) conn = conn.union(resolveAcc(part, table));
          }
          if (!conn.isEmpty) {
            classes.push(cd);
            conns.push(conn);
          }
        }
        return { classes, conns };
      }
      const srcSels = cls.sels[srcClass] as Int32Array;
      for (const s of srcSels) srcSelStamp[s] = gen;
      const eg = cls.egress[srcClass];
      // Candidates come from the side that names fewer: the classes the source's egress
      // names, or the classes whose ingress admits every pod or names the source. An egress
      // open to every pod leaves only the second.
      let viaIngress = !eg || eg.any !== undefined || eg.anyPod !== undefined;
      if (!viaIngress && eg) {
        let byEgress = 0;
        for (const s of eg.selIds) byEgress += (cls.selClasses[s] as Int32Array).length;
        let byIngress = openToPods.length;
        for (const s of srcSels) byIngress += namingSel.get(s)?.length ?? 0;
        // Going by ingress, each candidate's selections are checked against the egress.
        viaIngress = byIngress * (1 + selsPerClass) < byEgress;
      }
      let cands: number[];
      if (viaIngress) {
        if (eg)
          eg.selIds.forEach((s, i) => {
            egSelStamp[s] = gen;
            egSelAt[s] = i;
          });
        cands = openToPods.slice();
        for (const s of srcSels) for (const cd of namingSel.get(s) ?? []) cands.push(cd);
        cands.sort((a, b) => a - b);
      } else {
        // Egress parts naming destination classes, accumulated per class.
        cands = [];
        if (eg)
          eg.selIds.forEach((s, i) => {
            const acc = eg.selAccs[i] as Acc;
            for (const cd of cls.selClasses[s] ?? []) {
              if (candStamp[cd] !== gen) {
                candStamp[cd] = gen;
                cands.push(cd);
                egFirst[cd] = acc;
                egMore[cd] = undefined;
              } else (egMore[cd] ??= []).push(acc);
            }
          });
        cands.sort((a, b) => a - b);
      }
      let prev = -1;
      for (const cd of cands) {
        if (cd === prev) continue;
        prev = cd;
        const table = cls.table[cd];
        let conn: ConnSet;
        if (!eg) conn = ConnSet.ALL;
        else {
          conn = eg.any ? resolveAcc(eg.any, table) : ConnSet.NONE;
          if (eg.anyPod) conn = conn.union(resolveAcc(eg.anyPod, table));
          if (viaIngress) {
            if (!conn.isAll && eg.selIds.length > 0)
              for (const s of cls.sels[cd] as Int32Array)
                if (egSelStamp[s] === gen)
                  conn = conn.union(resolveAcc(eg.selAccs[egSelAt[s] as number] as Acc, table));
          } else if (candStamp[cd] === gen) {
            conn = conn.union(resolveAcc(egFirst[cd] as Acc, table));
            for (const acc of egMore[cd] ?? []) conn = conn.union(resolveAcc(acc, table));
          }
        }
        if (conn.isEmpty) continue;
        const ing = cls.ingress[cd];
        if (ing) {
          let allowedIn = ing.any ? resolveAcc(ing.any, table) : ConnSet.NONE;
          if (ing.anyPod) allowedIn = allowedIn.union(resolveAcc(ing.anyPod, table));
          if (!allowedIn.isAll)
            for (let i = 0; i < ing.selIds.length; i++)
              if (srcSelStamp[ing.selIds[i] as number] === gen)
                allowedIn = allowedIn.union(resolveAcc(ing.selAccs[i] as Acc, table));
          conn = conn.intersect(allowedIn);
          if (conn.isEmpty) continue;
        }
        classes.push(cd);
        conns.push(conn);
      }
      // External destinations: only the source's egress applies; named ports match nothing.
      if (!eg) for (const a of egressAtoms) addAtom(a, ConnSet.ALL);
      else if (eg.any) {
        for (const a of egressAtoms) {
          const part = eg.atoms.get(a);
          addAtom(a, part ? eg.any.fixed.union(part.fixed) : eg.any.fixed);
        }
      } else
        for (const a of [...eg.atoms.keys()].sort((x, y) => x - y))
          addAtom(a, (eg.atoms.get(a) as Acc).fixed);
      function addAtom(a: number, conn: ConnSet): void {
        if (conn.isEmpty) return;
        classes.push(-1 - a);
        conns.push(conn);
      }
      return { classes, conns };
    };

    // Expanded rows of classes with several members, kept until their last member is visited.
    const remaining = Int32Array.from(cls.members, (m) => m.length);
    const cache = new Map<number, { dsts: Int32Array; conns: ConnSet[] }>();
    let cached = 0;
    const connAt: ConnSet[] = new Array<ConnSet>(this.size).fill(ConnSet.NONE);
    const atRank = new Int32Array(this.size);
    if (rank) rank.forEach((r, p) => (atRank[r] = p));
    const expand = (row: { classes: number[]; conns: ConnSet[] }): { dsts: Int32Array; conns: ConnSet[] } => {
      let total = 0;
      for (const c of row.classes) total += c >= 0 ? (cls.members[c] as Int32Array).length : 1;
      let dsts = new Int32Array(total);
      let i = 0;
      row.classes.forEach((c, j) => {
        const conn = row.conns[j] as ConnSet;
        if (c < 0) {
          dsts[i++] = -1 - c;
          connAt[-1 - c] = conn;
        } else
          for (const m of cls.members[c] as Int32Array) {
            dsts[i++] = m;
            connAt[m] = conn;
          }
      });
      if (rank)
        dsts = dsts
          .map((d) => rank[d] as number)
          .sort()
          .map((r) => atRank[r] as number);
      else dsts.sort();
      return { dsts, conns: Array.from(dsts, (d) => connAt[d] as ConnSet) };
    };

    for (const src of sources) {
      let full: { dsts: Int32Array; conns: ConnSet[] };
      if (src >= n) full = expand(classRow(-1, src));
      else {
        const c = cls.classOf[src] as number;
        const hit = cache.get(c);
        if (hit) full = hit;
        else {
          full = expand(classRow(c, -1));
          if ((cls.members[c] as Int32Array).length > 1 && cached + full.dsts.length <= ROW_CACHE_ENTRIES) {
            cache.set(c, full);
            cached += full.dsts.length;
          }
        }
        remaining[c] = (remaining[c] as number) - 1;
        if (remaining[c] === 0 && cache.delete(c)) cached -= full.dsts.length;
      }
      // The source never appears as its own destination.
      const at = full.dsts.indexOf(src);
      if (at < 0) yield { src, dsts: full.dsts, conns: full.conns };
      else {
        const dsts = new Int32Array(full.dsts.length - 1);
        dsts.set(full.dsts.subarray(0, at));
        dsts.set(full.dsts.subarray(at + 1), at);
        yield { src, dsts, conns: [...full.conns.slice(0, at), ...full.conns.slice(at + 1)] };
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

function push<K, V>(map: Map<K, V[]>, k: K, v: V): void {
  const l = map.get(k);
  if (l) l.push(v);
  else map.set(k, [v]);
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
