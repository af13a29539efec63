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
import type { Flow, FlowIssue } from './flows.js';
import { parseIp } from './ip-set.js';
import { buildModel, type NetworkModel, type WorkloadInfo } from './model.js';
import { compilePolicies } from './policy.js';
import {
  isObservedOnly,
  resolveFlows,
  withObservedPeers,
  type ObservedPeer,
  type ResolvedEndpoint,
  type ResolvedFlow,
} from './resolve.js';

export type { ResolvedEndpoint, ResolvedFlow } from './resolve.js';

/** Options of generation. */
export interface GenerateOptions {
  /** Only flows at or after this ISO time. */
  since?: string;
  /** Only flows before this ISO time. */
  until?: string;
  /** Add a default-deny policy per namespace (default true). */
  defaultDeny?: boolean;
}

/** Generated policies plus what could not be used. */
export interface GenerateResult {
  policies: KubeObject[];
  flows: ResolvedFlow[];
  /** Flows left out: unresolvable endpoint, outside the time window, external to external. */
  skipped: FlowIssue[];
  warnings: string[];
  /** What the generator did on its own that the user should know (DNS kept, peers added). */
  notes: string[];
  /** The input inventory plus observed-only pods for the in-cluster peers the flows show. */
  inventory: Inventory;
  /** In-cluster peers the flows show that the manifests lack. */
  observedPeers: ObservedPeer[];
}

/** Labels of the cluster DNS pods in kube-system (kube-dns and CoreDNS both carry them). */
export const DNS_LABELS: Readonly<Record<string, string>> = { 'k8s-app': 'kube-dns' };
const DNS_NAMESPACE = 'kube-system';
const DNS_NAMES = new Set(['kube-dns', 'coredns']);

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
  const nsSelector = { matchLabels: { 'kubernetes.io/metadata.name': w.namespace } };
  // A peer only the flows show, with no labels reported: every pod of its namespace.
  if (isObservedOnly(model, w.index) && Object.keys(podSelector.matchLabels).length === 0)
    return w.namespace === from.namespace ? { podSelector: {} } : { namespaceSelector: nsSelector };
  if (w.namespace === from.namespace) return { podSelector };
  return { namespaceSelector: nsSelector, podSelector };
}

function peerKey(e: ResolvedEndpoint): string {
  return e.kind === 'external' ? `ip:${e.ip}` : `w:${e.workload}`;
}

function safeName(s: string): string {
  return trimChars(s.toLowerCase().replace(/[^a-z0-9.-]+/g, '-'), '-').slice(0, 200);
}

/** Labels selecting the cluster DNS pods: those of a kube-dns/coredns workload of kube-system, else the standard ones. */
function dnsLabels(model: NetworkModel): Record<string, string> {
  const w = model.workloads.find((x) => x.namespace === DNS_NAMESPACE && DNS_NAMES.has(x.name));
  const labels = w ? selectorLabels(model, w) : {};
  return Object.keys(labels).length > 0 ? labels : { ...DNS_LABELS };
}

/** The policy of one namespace that keeps DNS working under egress isolation. */
function dnsPolicy(namespace: string, labels: Record<string, string>): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'palisade-allow-dns', namespace, labels: { ...MANAGED_BY } },
    spec: {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        {
          to: [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': DNS_NAMESPACE } },
              podSelector: { matchLabels: labels },
            },
          ],
          ports: [
            { protocol: 'UDP', port: 53 },
            { protocol: 'TCP', port: 53 },
          ],
        },
      ],
    },
  };
}

/**
 * Builds least-privilege policies from flows over an inventory (pure). In-cluster peers the
 * flows name that the manifests lack get no policy of their own but are selected by
 * namespace and pod labels as the flows report them; every namespace given egress isolation
 * also gets `palisade-allow-dns`, so the cluster DNS keeps answering whatever the flows show.
 */
export function generatePolicies(
  inventory: Inventory,
  flows: readonly Flow[],
  options: GenerateOptions = {},
): GenerateResult {
  const observed = withObservedPeers(inventory, buildModel(inventory), flows);
  const model = buildModel(observed.inventory);
  const warnings: string[] = [];
  const notes: string[] = [];
  const { resolved, skipped } = resolveFlows(model, flows, {
    ...(options.since ? { since: options.since } : {}),
    ...(options.until ? { until: options.until } : {}),
  });
  for (const p of observed.added)
    notes.push(
      `${p.namespace}/${p.name}[${p.kind}] is not in the manifests: selected ${
        Object.keys(p.labels).length > 0
          ? `by namespace and the pod labels the flows report (${Object.entries(p.labels)
              .map(([k, v]) => `${k}=${v}`)
              .join(', ')})`
          : 'by its namespace only (the flows report no labels)'
      }`,
    );

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
    if (r.dst.kind === 'workload' && !isObservedOnly(model, r.dst.workload))
      add(entry(r.dst.workload).ingress, r.src, r.flow);
    if (r.src.kind === 'workload' && !isObservedOnly(model, r.src.workload))
      add(entry(r.src.workload).egress, r.dst, r.flow);
  }

  // Namespaces of the manifests' workloads (observed-only peers are not the user's to isolate).
  const ownNamespaces = new Set(
    model.workloads
      .filter((w) => w.pods.length > 0 && !isObservedOnly(model, w.index))
      .map((w) => w.namespace),
  );
  const egressIsolated = new Set<string>();
  const policies: KubeObject[] = [];
  if (options.defaultDeny !== false) {
    for (const ns of model.namespaces) {
      if (!ownNamespaces.has(ns.name)) continue;
      egressIsolated.add(ns.name);
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
      egressIsolated.add(w.namespace);
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
  if (egressIsolated.size > 0) {
    const labels = dnsLabels(model);
    const namespaces = [...egressIsolated].sort();
    for (const ns of namespaces) policies.push(dnsPolicy(ns, labels));
    notes.push(
      `DNS kept: palisade-allow-dns in ${namespaces.join(', ')} allows egress to ${DNS_NAMESPACE} pods with ${Object.entries(
        labels,
      )
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')} on UDP and TCP 53`,
    );
  }
  return {
    policies,
    flows: resolved,
    skipped,
    warnings,
    notes,
    inventory: observed.inventory,
    observedPeers: observed.added,
  };
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
  /** Flows that could not be replayed: an end matches nothing known (counted as at risk). */
  unreplayed: FlowIssue[];
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
  // The observed-only peers are part of both sides: flows to them are replayed too.
  const base = generated.inventory.size >= inventory.size ? generated.inventory : inventory;
  const before = analysisWith(base, []);
  const after = analysisWith(base, generated.policies);
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
  const unreplayed = generated.skipped.filter(
    (f) => f.message !== 'outside the time window' && f.message !== 'both ends are outside the cluster',
  );
  return { blocked, closed, flowsReplayed: generated.flows.length, unreplayed };
}
