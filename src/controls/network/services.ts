/**
 * Exposure controls on Services and pods.
 *
 * - network/no-node-port-load-balancer: a Service of type NodePort or LoadBalancer opens the
 *   workload outside the cluster network. Path `spec.type`.
 * - network/no-external-ips: a Service with `spec.externalIPs` (which any Service author can
 *   use to intercept traffic to those addresses, CVE-2020-8554). Path `spec.externalIPs[i]`.
 * - network/no-host-network (CIS 5.2.5): a pod with `hostNetwork: true` uses the node's
 *   network stack, outside every NetworkPolicy.
 */
import type { Control } from '../../core/index.js';
import { cis, isRecord, mitre, nsa } from '../support.js';

export const noNodePortLoadBalancer: Control = {
  id: 'network/no-node-port-load-balancer',
  title: 'Services must not be exposed through NodePort or LoadBalancer',
  severity: 'medium',
  category: 'network',
  appliesTo: { kinds: ['Service'] },
  rationale:
    'NodePort and LoadBalancer Services publish the workload on node or cloud addresses, usually beyond the cluster network.',
  remediation:
    'Use a ClusterIP Service behind an Ingress or Gateway that terminates TLS and applies authentication.',
  frameworks: [nsa('Network separation and hardening: network policies'), mitre('T1133')],
  check({ resource }) {
    const spec = resource.object['spec'];
    const type = isRecord(spec) ? spec.type : undefined;
    if (type !== 'NodePort' && type !== 'LoadBalancer') return [];
    return [{ message: `Service ${resource.ref.name} is of type ${type}`, path: 'spec.type' }];
  },
};

export const noExternalIps: Control = {
  id: 'network/no-external-ips',
  title: 'Services must not set externalIPs',
  severity: 'high',
  category: 'network',
  appliesTo: { kinds: ['Service'] },
  rationale:
    'externalIPs let a Service claim any address, intercepting cluster traffic to it (CVE-2020-8554).',
  remediation:
    'Remove spec.externalIPs; use a LoadBalancer or Ingress, and block the field with admission policy.',
  frameworks: [nsa('Network separation and hardening: network policies'), mitre('T1557')],
  check({ resource }) {
    const spec = resource.object['spec'];
    const ips = isRecord(spec) ? spec.externalIPs : undefined;
    if (!Array.isArray(ips)) return [];
    return ips.map((ip: unknown, i) => ({
      message: `Service ${resource.ref.name} claims external IP ${String(ip)}`,
      path: `spec.externalIPs[${i}]`,
    }));
  },
};

export const noHostNetwork: Control = {
  id: 'network/no-host-network',
  title: "Pods must not use the host's network namespace",
  severity: 'high',
  category: 'network',
  appliesTo: { podTemplate: true },
  rationale:
    "With hostNetwork a pod sees the node's interfaces, reaches its loopback services and bypasses NetworkPolicies.",
  remediation: 'Remove hostNetwork or set it to false; expose ports through a Service.',
  frameworks: [cis('5.2.5'), nsa('Network separation and hardening: network policies'), mitre('T1611')],
  check({ pod }) {
    if (pod?.spec.hostNetwork !== true) return [];
    return [{ message: "pod uses the host's network namespace", path: `${pod.specPath}.hostNetwork` }];
  },
};
