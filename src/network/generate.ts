/**
 * Least-privilege NetworkPolicies from observed flows: each flow is mapped to workloads of
 * the inventory (by pod IP, pod or workload name, or the exporter's workload field), then
 * every workload gets one policy allowing exactly its observed ingress sources and egress
 * destinations on the observed ports, and every namespace with workloads gets a default
 * deny for both directions. External peers become /32 (/128) ipBlocks.
 *
 * `stageGeneratedPolicies` replays the flows against existing + generated policies: every
 * observed flow must stay allowed, and it lists the in-cluster paths that would close.
 */
import { Inventory, refOf, trimChars, type KubeObject } from '../core/index.js';
import { ConnSet, type Protocol } from './conn-set.js';
import { Analysis } from './engine.js';
import type { Flow, FlowEndpoint, FlowIssue } from './flows.js';
import { parseIp } from './ip-set.js';
import { buildModel, type NetworkModel, type WorkloadInfo } from './model.js';
import { compilePolicies } from './policy.js';

/** Options of generation. */
export interface GenerateOptions {
  /** Only flows at or after this ISO time. */
  since?: string;
  /** Only flows before this ISO time. */
  until?: string;
  /** Add a default-deny policy per namespace (default true). */
  defaultDeny?: boolean;
}

/** A flow endpoint resolved to a workload or an external address. */
export type ResolvedEndpoint = { kind: 'workload'; workload: number } | { kind: 'external'; ip: string };

/** A flow both of whose ends were resolved. */
export interface ResolvedFlow {
  flow: Flow;
  src: ResolvedEndpoint;
  dst: ResolvedEndpoint;
}

/** Generated policies plus what could not be used. */
export interface GenerateResult {
  policies: KubeObject[];
  flows: ResolvedFlow[];
  /** Flows left out: unresolvable endpoint, outside the time window, external to external. */
  skipped: FlowIssue[];
  warnings: string[];
}

const VOLATILE_LABELS = new Set([
  'pod-template-hash',
  'controller-revision-hash',
  'pod-template-generation',
  'statefulset.kubernetes.io/pod-name',
  'apps.kubernetes.io/pod-index',
  'batch.kubernetes.io/controller-uid',
  'batch.kubernetes.io/job-name',
  'controller-uid',
  'job-name',
]);

const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'palisade' };

/** Maps flow endpoints to workloads of a model. */
class Resolver {
  private readonly byIp = new Map<string, number>();
  private readonly byPodName = new Map<string, number>();
  private readonly byWorkloadName = new Map<string, number>();

  constructor(private readonly model: NetworkModel) {
    for (const p of model.pods) {
      for (const ip of p.ips) this.byIp.set(canonicalIp(ip), p.workload);
      this.byPodName.set(`${p.namespace}/${p.name}`, p.workload);
    }
    for (const w of model.workloads) this.byWorkloadName.set(`${w.namespace}/${w.name}`, w.index);
  }

  resolve(ep: FlowEndpoint): ResolvedEndpoint | string {
    if (ep.ip) {
      const w = this.byIp.get(canonicalIp(ep.ip));
      if (w !== undefined) return { kind: 'workload', workload: w };
    }
    const ns = ep.namespace;
    if (ns !== undefined) {
      if (ep.name) {
        const w = this.byPodName.get(`${ns}/${ep.name}`) ?? this.byWorkloadName.get(`${ns}/${ep.name}`);
        if (w !== undefined) return { kind: 'workload', workload: w };
      }
      if (ep.workload) {
        const w = this.byWorkloadName.get(`${ns}/${ep.workload.name}`);
        if (w !== undefined) return { kind: 'workload', workload: w };
      }
      if (ep.namePrefix) {
        const pod = this.model.pods.find((p) => p.namespace === ns && p.name.startsWith(ep.namePrefix ?? ''));
        if (pod) return { kind: 'workload', workload: pod.workload };
        const w = this.model.workloads.find(
          (x) => x.namespace === ns && (ep.namePrefix ?? '').startsWith(`${x.name}-`),
        );
        if (w) return { kind: 'workload', workload: w.index };
      }
    }
    if (ep.ip && ns === undefined) return { kind: 'external', ip: canonicalIp(ep.ip) };
    return `no workload in the inventory matches ${describe(ep)}`;
  }
}

function canonicalIp(ip: string): string {
  const p = parseIp(ip);
  if (!p.ok) return ip;
  return ip.includes(':') && p.value.family === 'v4' ? ip.slice(ip.lastIndexOf(':') + 1) : ip;
}

function describe(ep: FlowEndpoint): string {
  const parts: string[] = [];
  if (ep.namespace) parts.push(`namespace ${ep.namespace}`);
  if (ep.name) parts.push(`name ${ep.name}`);
  if (ep.namePrefix) parts.push(`name ${ep.namePrefix}*`);
  if (ep.workload) parts.push(`workload ${ep.workload.name}`);
  if (ep.ip) parts.push(`IP ${ep.ip}`);
  return parts.join(', ') || 'an empty endpoint';
}

/** Stable labels that select a workload's pods. */
function selectorLabels(model: NetworkModel, w: WorkloadInfo): Record<string, string> {
  const first = model.pods[w.pods[0] ?? -1];
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(first?.labels ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!VOLATILE_LABELS.has(k)) out[k] = v;
  }
  return out;
}

function peerOf(model: NetworkModel, from: WorkloadInfo, other: ResolvedEndpoint): Record<string, unknown> {
  if (other.kind === 'external') {
    const p = parseIp(other.ip);
    const v6 = p.ok && p.value.family === 'v6';
    return { ipBlock: { cidr: `${other.ip}/${v6 ? 128 : 32}` } };
  }
  const w = model.workloads[other.workload] as WorkloadInfo;
  const podSelector = { matchLabels: selectorLabels(model, w) };
  if (w.namespace === from.namespace) return { podSelector };
  return { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': w.namespace } }, podSelector };
}

function peerKey(e: ResolvedEndpoint): string {
  return e.kind === 'external' ? `ip:${e.ip}` : `w:${e.workload}`;
}

function safeName(s: string): string {
  return trimChars(s.toLowerCase().replace(/[^a-z0-9.-]+/g, '-'), '-').slice(0, 200);
}

/** Builds least-privilege policies from flows over an inventory (pure). */
export function generatePolicies(
  inventory: Inventory,
  flows: readonly Flow[],
  options: GenerateOptions = {},
): GenerateResult {
  const model = buildModel(inventory);
  const resolver = new Resolver(model);
  const skipped: FlowIssue[] = [];
  const warnings: string[] = [];
  const resolved: ResolvedFlow[] = [];
  for (const flow of flows) {
    if (
      flow.time !== undefined &&
      ((options.since && flow.time < options.since) || (options.until && flow.time >= options.until))
    ) {
      skipped.push({ origin: flow.origin, message: 'outside the time window' });
      continue;
    }
    const src = resolver.resolve(flow.src);
    const dst = resolver.resolve(flow.dst);
    if (typeof src === 'string' || typeof dst === 'string') {
      skipped.push({
        origin: flow.origin,
        message: typeof src === 'string' ? `source: ${src}` : `destination: ${dst as string}`,
      });
      continue;
    }
    if (src.kind === 'external' && dst.kind === 'external') {
      skipped.push({ origin: flow.origin, message: 'both ends are outside the cluster' });
      continue;
    }
    if (src.kind === 'workload' && dst.kind === 'workload' && src.workload === dst.workload) continue;
    resolved.push({ flow, src, dst });
  }

  // workload → direction → peer → ports
  type PortSet = Map<string, { protocol: Protocol; port: number }>;
  const rules = new Map<
    number,
    {
      ingress: Map<string, { peer: ResolvedEndpoint; ports: PortSet }>;
      egress: Map<string, { peer: ResolvedEndpoint; ports: PortSet }>;
    }
  >();
  const entry = (w: number): NonNullable<ReturnType<typeof rules.get>> => {
    let e = rules.get(w);
    if (!e) {
      e = { ingress: new Map(), egress: new Map() };
      rules.set(w, e);
    }
    return e;
  };
  const add = (
    m: Map<string, { peer: ResolvedEndpoint; ports: PortSet }>,
    peer: ResolvedEndpoint,
    f: Flow,
  ): void => {
    const k = peerKey(peer);
    let x = m.get(k);
    if (!x) {
      x = { peer, ports: new Map() };
      m.set(k, x);
    }
    x.ports.set(`${f.protocol}/${f.port}`, { protocol: f.protocol, port: f.port });
  };
  for (const r of resolved) {
    if (r.dst.kind === 'workload') add(entry(r.dst.workload).ingress, r.src, r.flow);
    if (r.src.kind === 'workload') add(entry(r.src.workload).egress, r.dst, r.flow);
  }

  const policies: KubeObject[] = [];
  if (options.defaultDeny !== false) {
    for (const ns of model.namespaces) {
      if (model.podsIn(ns.index).length === 0) continue;
      policies.push({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'palisade-default-deny', namespace: ns.name, labels: { ...MANAGED_BY } },
        spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
      });
    }
  }
  for (const [wi, r] of [...rules.entries()].sort(([a], [b]) => a - b)) {
    const w = model.workloads[wi] as WorkloadInfo;
    const labels = selectorLabels(model, w);
    if (Object.keys(labels).length === 0)
      warnings.push(
        `${w.namespace}/${w.name}[${w.kind}] has no labels: its policy selects every pod of namespace ${w.namespace}`,
      );
    const sharing = model.workloads.filter(
      (o) =>
        o !== w &&
        o.namespace === w.namespace &&
        Object.entries(labels).every(([k, v]) => model.pods[o.pods[0] ?? -1]?.labels[k] === v),
    );
    if (sharing.length > 0)
      warnings.push(
        `${w.namespace}/${w.name}[${w.kind}]'s labels also select ${sharing.map((o) => o.name).join(', ')}: they get the same allowances`,
      );
    const toRules = (
      m: Map<string, { peer: ResolvedEndpoint; ports: PortSet }>,
      field: 'from' | 'to',
    ): Record<string, unknown>[] =>
      [...m.values()]
        .sort((a, b) => (peerKey(a.peer) < peerKey(b.peer) ? -1 : 1))
        .map((x) => ({
          [field]: [peerOf(model, w, x.peer)],
          ports: [...x.ports.values()].sort((a, b) =>
            a.protocol < b.protocol ? -1 : a.protocol > b.protocol ? 1 : a.port - b.port,
          ),
        }));
    const spec: Record<string, unknown> = {
      podSelector: { matchLabels: labels },
      policyTypes: [] as string[],
    };
    const types: string[] = [];
    if (r.ingress.size > 0) {
      types.push('Ingress');
      spec.ingress = toRules(r.ingress, 'from');
    }
    if (r.egress.size > 0) {
      types.push('Egress');
      spec.egress = toRules(r.egress, 'to');
    }
    spec.policyTypes = types;
    policies.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: {
        name: safeName(`palisade-${w.name}-${w.kind}`),
        namespace: w.namespace,
        labels: { ...MANAGED_BY },
      },
      spec,
    });
  }
  return { policies, flows: resolved, skipped, warnings };
}

/** A flow the staged policies would block. */
export interface BlockedFlow {
  origin: string;
  src: string;
  dst: string;
  conn: string;
}

/** A currently allowed in-cluster path the staged policies would close (fully or partly). */
export interface ClosedPath {
  src: string;
  dst: string;
  before: string;
  after: string;
}

/** Replay of recorded flows against existing + generated policies. */
export interface StagedReport {
  /** Observed flows that would be blocked (must be empty). */
  blocked: BlockedFlow[];
  /** In-cluster paths allowed now that would be narrowed or closed. */
  closed: ClosedPath[];
  flowsReplayed: number;
}

function withPolicies(inventory: Inventory, extra: readonly KubeObject[]): Inventory {
  const inv = new Inventory();
  for (const r of inventory.resources) inv.add(r);
  for (const o of extra) inv.add({ object: o, ref: refOf(o) });
  inv.facts = inventory.facts;
  return inv;
}

/** Builds the workload analysis of an inventory plus extra policies. */
export function analysisWith(inventory: Inventory, extra: readonly KubeObject[]): Analysis {
  const inv = withPolicies(inventory, extra);
  return new Analysis(buildModel(inv), compilePolicies(inv.resources).policies, { granularity: 'workload' });
}

/** Replays resolved flows against the inventory's policies plus the generated ones (pure). */
export function stageGeneratedPolicies(inventory: Inventory, generated: GenerateResult): StagedReport {
  const before = analysisWith(inventory, []);
  const after = analysisWith(inventory, generated.policies);
  const peerIndex = (
    a: Analysis,
    e: ResolvedEndpoint,
    direction: 'ingress' | 'egress',
  ): number | undefined => {
    if (e.kind === 'external') return a.externalFor(e.ip, direction);
    const w = a.model.workloads[e.workload];
    return w ? a.findPeer(`${w.namespace}/${w.name}[${w.kind}]`) : undefined;
  };
  const blocked: BlockedFlow[] = [];
  for (const f of generated.flows) {
    const s = peerIndex(after, f.src, 'ingress');
    const d = peerIndex(after, f.dst, 'egress');
    const ok = s !== undefined && d !== undefined && after.allowed(s, d).has(f.flow.protocol, f.flow.port);
    if (!ok)
      blocked.push({
        origin: f.flow.origin,
        src: s === undefined ? '?' : after.nameOf(s),
        dst: d === undefined ? '?' : after.nameOf(d),
        conn: ConnSet.range(f.flow.protocol, f.flow.port).toString(),
      });
  }
  const closed: ClosedPath[] = [];
  before.forEachConnection((c) => {
    if (before.isExternal(c.src) || before.isExternal(c.dst)) return;
    const s = after.findPeer(before.nameOf(c.src));
    const d = after.findPeer(before.nameOf(c.dst));
    const now = s !== undefined && d !== undefined ? after.allowed(s, d) : ConnSet.NONE;
    if (!c.conn.isSubsetOf(now))
      closed.push({
        src: before.nameOf(c.src),
        dst: before.nameOf(c.dst),
        before: c.conn.toString(),
        after: now.toString(),
      });
  });
  return { blocked, closed, flowsReplayed: generated.flows.length };
}
