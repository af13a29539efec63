/**
 * Flow endpoints mapped to the workloads of an inventory (by pod IP, pod or workload name, a
 * Calico aggregated name prefix, or the exporter's workload field), and the in-cluster peers
 * that flows show but the manifests lack (the cluster DNS, a monitoring agent, …) added as
 * _observed-only_ pods so that policies can be judged and generated for connections to
 * them. Pure: inventories and flows in, inventories and resolved flows out.
 */
import { Inventory, refOf, type KubeObject } from '../core/index.js';
import type { Flow, FlowEndpoint, FlowIssue } from './flows.js';
import { parseIp } from './ip-set.js';
import type { NetworkModel } from './model.js';

/** A flow endpoint resolved to a workload of the model or an external address. */
export type ResolvedEndpoint = { kind: 'workload'; workload: number } | { kind: 'external'; ip: string };

/** A flow both of whose ends were resolved. */
export interface ResolvedFlow {
  flow: Flow;
  src: ResolvedEndpoint;
  dst: ResolvedEndpoint;
}

/** Annotation marking a pod added for a peer that flows show and the manifests lack. */
export const OBSERVED_ONLY = 'palisade.dev/observed-only';

/** The address in canonical form (an IPv4-mapped IPv6 address as IPv4). */
export function canonicalIp(ip: string): string {
  const p = parseIp(ip);
  if (!p.ok) return ip;
  return ip.includes(':') && p.value.family === 'v4' ? ip.slice(ip.lastIndexOf(':') + 1) : ip;
}

/** An endpoint in words, for messages. */
export function describeEndpoint(ep: FlowEndpoint): string {
  const parts: string[] = [];
  if (ep.namespace) parts.push(`namespace ${ep.namespace}`);
  if (ep.name) parts.push(`name ${ep.name}`);
  if (ep.namePrefix) parts.push(`name ${ep.namePrefix}*`);
  if (ep.workload) parts.push(`workload ${ep.workload.name}`);
  if (ep.ip) parts.push(`IP ${ep.ip}`);
  return parts.join(', ') || 'an empty endpoint';
}

/** Maps flow endpoints to workloads of a model. */
export class Resolver {
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

  /** The workload or external address of an endpoint, or why there is none. */
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
        const prefix = ep.namePrefix;
        const pod = this.model.pods.find((p) => p.namespace === ns && p.name.startsWith(prefix));
        if (pod) return { kind: 'workload', workload: pod.workload };
        const w = this.model.workloads.find((x) => x.namespace === ns && prefix.startsWith(`${x.name}-`));
        if (w) return { kind: 'workload', workload: w.index };
      }
      // A Deployment's pod (`name-<hash>-<id>`) that the inventory knows only as its Deployment.
      const id = observedIdentity(ep);
      if (id) {
        const w = this.byWorkloadName.get(`${ns}/${id.name}`);
        if (w !== undefined) return { kind: 'workload', workload: w };
      }
    }
    if (ep.ip && ns === undefined) return { kind: 'external', ip: canonicalIp(ep.ip) };
    return `no workload in the inventory matches ${describeEndpoint(ep)}`;
  }
}

/** Options of flow resolution. */
export interface ResolveOptions {
  /** Only flows at or after this ISO time. */
  since?: string;
  /** Only flows before this ISO time. */
  until?: string;
}

/**
 * Resolves flows against a model: flows outside the time window, with an end no workload
 * matches, or with both ends outside the cluster are skipped with a reason; flows within one
 * workload are dropped silently (policies never restrict them).
 */
export function resolveFlows(
  model: NetworkModel,
  flows: readonly Flow[],
  options: ResolveOptions = {},
): { resolved: ResolvedFlow[]; skipped: FlowIssue[] } {
  const resolver = new Resolver(model);
  const resolved: ResolvedFlow[] = [];
  const skipped: FlowIssue[] = [];
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
  return { resolved, skipped };
}

/** A peer the flows show in the cluster that the manifests lack. */
export interface ObservedPeer {
  namespace: string;
  name: string;
  kind: string;
  /** Labels reported by the exporter (empty when it reported none). */
  labels: Record<string, string>;
  ips: string[];
}

// A Deployment's pod name: `<deployment>-<replicaset hash>-<5 characters>`.
const DEPLOYMENT_POD = /^(.+)-[a-z0-9]{6,10}-[a-z0-9]{5}$/;
// A Calico aggregated name of a ReplicaSet's pods: `<deployment>-<replicaset hash>-`.
const REPLICASET_PREFIX = /^(.+)-[a-z0-9]{6,10}-$/;

/** The workload an unknown in-cluster endpoint belongs to, as far as the flow tells. */
function observedIdentity(ep: FlowEndpoint): { name: string; kind: string } | undefined {
  if (ep.workload) return { name: ep.workload.name, kind: ep.workload.kind ?? 'Pod' };
  if (ep.name) {
    const m = DEPLOYMENT_POD.exec(ep.name);
    return m?.[1] ? { name: m[1], kind: 'Deployment' } : { name: ep.name, kind: 'Pod' };
  }
  if (ep.namePrefix) {
    const m = REPLICASET_PREFIX.exec(ep.namePrefix);
    if (m?.[1]) return { name: m[1], kind: 'Deployment' };
    const trimmed = ep.namePrefix.endsWith('-') ? ep.namePrefix.slice(0, -1) : ep.namePrefix;
    return trimmed === '' ? undefined : { name: trimmed, kind: 'Pod' };
  }
  return undefined;
}

/**
 * The inventory plus one observed-only pod per in-cluster workload that flows name (by
 * namespace and pod or workload name) and the model does not have; each carries the labels
 * and addresses the flows report, so policies select it as they would the real pods.
 */
export function withObservedPeers(
  inventory: Inventory,
  model: NetworkModel,
  flows: readonly Flow[],
): { inventory: Inventory; added: ObservedPeer[] } {
  const resolver = new Resolver(model);
  const added = new Map<string, ObservedPeer>();
  for (const flow of flows) {
    for (const ep of [flow.src, flow.dst]) {
      if (ep.namespace === undefined) continue;
      if (typeof resolver.resolve(ep) !== 'string') continue;
      const id = observedIdentity(ep);
      if (!id) continue;
      const key = `${ep.namespace}\u0000${id.kind}\u0000${id.name}`;
      let peer = added.get(key);
      if (!peer) {
        peer = { namespace: ep.namespace, ...id, labels: {}, ips: [] };
        added.set(key, peer);
      }
      if (Object.keys(peer.labels).length === 0 && ep.labels) peer.labels = { ...ep.labels };
      if (ep.ip && !peer.ips.includes(canonicalIp(ep.ip))) peer.ips.push(canonicalIp(ep.ip));
    }
  }
  if (added.size === 0) return { inventory, added: [] };
  const out = new Inventory();
  for (const r of inventory.resources) out.add(r);
  out.facts = inventory.facts;
  for (const p of added.values()) {
    const object: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: p.name,
        namespace: p.namespace,
        labels: p.labels,
        annotations: { [OBSERVED_ONLY]: 'true' },
        ...(p.kind !== 'Pod'
          ? {
              ownerReferences: [
                { apiVersion: 'apps/v1', kind: p.kind, name: p.name, uid: '', controller: true },
              ],
            }
          : {}),
      },
      spec: { containers: [] },
      ...(p.ips.length > 0 ? { status: { podIPs: p.ips.map((ip) => ({ ip })) } } : {}),
    };
    out.add({ object, ref: refOf(object) });
  }
  return { inventory: out, added: [...added.values()] };
}

/** True when a workload of the model stands for a peer only the flows show. */
export function isObservedOnly(model: NetworkModel, workload: number): boolean {
  const w = model.workloads[workload];
  return w?.resource.object.metadata?.annotations?.[OBSERVED_ONLY] === 'true';
}
