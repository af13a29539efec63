/**
 * Connections from the cluster's ingress controller to the workloads that Kubernetes Ingress
 * objects route to, in np-guard's notation `{ingress-controller} => ns/name[Kind] : conns`.
 * The controller's own pods are not known, so a connection is kept only as far as the
 * workload's ingress policies admit an arbitrary in-cluster pod.
 */
import { matchesLabelSelector, type Resource } from '../core/index.js';
import { ConnSet, isProtocol, type Protocol } from './conn-set.js';
import type { ConnLine } from './connlist.js';
import type { Analysis } from './engine.js';
import { DEFAULT_NAMESPACE } from './policy.js';

/** The name np-guard gives the ingress controller. */
export const INGRESS_CONTROLLER = '{ingress-controller}';

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

interface Backend {
  service: string;
  port?: number | string;
}

function backendsOf(ingress: Record<string, unknown>): Backend[] {
  const spec = isRecord(ingress.spec) ? ingress.spec : {};
  const out: Backend[] = [];
  const add = (b: unknown): void => {
    if (!isRecord(b) || !isRecord(b.service) || typeof b.service.name !== 'string') return;
    const port = isRecord(b.service.port) ? b.service.port : {};
    const p =
      typeof port.number === 'number' ? port.number : typeof port.name === 'string' ? port.name : undefined;
    out.push({ service: b.service.name, ...(p !== undefined ? { port: p } : {}) });
  };
  add(spec.defaultBackend);
  for (const rule of Array.isArray(spec.rules) ? spec.rules : []) {
    const http = isRecord(rule) && isRecord(rule.http) ? rule.http : {};
    for (const path of Array.isArray(http.paths) ? http.paths : []) if (isRecord(path)) add(path.backend);
  }
  return out;
}

/** Lines from the ingress controller to every workload an Ingress routes to (pure). */
export function ingressControllerLines(analysis: Analysis, resources: readonly Resource[]): ConnLine[] {
  const services = new Map<string, Record<string, unknown>>();
  for (const r of resources) {
    if (r.object.kind === 'Service' && r.object.apiVersion === 'v1' && isRecord(r.object.spec))
      services.set(`${r.ref.namespace ?? DEFAULT_NAMESPACE}/${r.ref.name}`, r.object.spec);
  }
  const byPeer = new Map<number, ConnSet>();
  for (const r of resources) {
    if (r.object.kind !== 'Ingress' || !r.object.apiVersion.startsWith('networking.k8s.io/')) continue;
    const ns = r.ref.namespace ?? DEFAULT_NAMESPACE;
    for (const b of backendsOf(r.object)) {
      const svc = services.get(`${ns}/${b.service}`);
      if (!svc || !isRecord(svc.selector) || Object.keys(svc.selector).length === 0) continue;
      const selector = svc.selector as Record<string, string>;
      const ports = (Array.isArray(svc.ports) ? svc.ports : []).filter(isRecord);
      const sp =
        b.port === undefined && ports.length === 1
          ? ports[0]
          : ports.find((p) => (typeof b.port === 'number' ? p.port === b.port : p.name === b.port));
      if (!sp) continue;
      const protocol: Protocol =
        typeof sp.protocol === 'string' && isProtocol(sp.protocol) ? sp.protocol : 'TCP';
      const target = sp.targetPort ?? sp.port;
      const nsIndex = analysis.model.findNamespace(ns);
      if (nsIndex === undefined) continue;
      for (const podIndex of analysis.model.podsIn(nsIndex)) {
        const pod = analysis.model.pods[podIndex];
        if (!pod || !matchesLabelSelector({ matchLabels: selector }, pod.labels)) continue;
        const peer = analysis.peerOfModelPod(podIndex);
        if (peer < 0) continue;
        let conn = ConnSet.NONE;
        if (typeof target === 'number') conn = ConnSet.range(protocol, target);
        else if (typeof target === 'string')
          for (const cp of pod.namedPorts.get(target) ?? [])
            if (cp.protocol === protocol) conn = conn.union(ConnSet.range(protocol, cp.port));
        conn = conn.intersect(analysis.ingressFromArbitraryPod(peer));
        if (!conn.isEmpty) byPeer.set(peer, (byPeer.get(peer) ?? ConnSet.NONE).union(conn));
      }
    }
  }
  return [...byPeer].map(([peer, conn]) => ({ src: INGRESS_CONTROLLER, dst: analysis.nameOf(peer), conn }));
}
