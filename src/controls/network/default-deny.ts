/**
 * network/default-deny-ingress and network/default-deny-egress (CIS 5.3.2).
 *
 * Each namespace (declared, or used by an object) must have a NetworkPolicy that selects
 * every pod (empty podSelector), has the direction in its effective policyTypes and allows
 * nothing in that direction (no rules). Fails once per namespace without one; the finding
 * points at the Namespace object when the inventory has it, otherwise at the first object
 * read from a file in that namespace, so that every finding of a manifest scan has a file
 * and line (SARIF consumers drop results without one). `kube-system`, `kube-public`
 * and `kube-node-lease` are skipped: they belong to the control plane. Only namespaces that
 * run pods (a Pod, or an object with a pod template) are judged: a namespace holding only
 * Secrets or ConfigMaps has no traffic to deny.
 */
import {
  hasPodTemplate,
  podTemplateKinds,
  type Inventory,
  type InventoryControl,
  type Resource,
  type Violation,
} from '../../core/index.js';
import { cis, mitre, nsa } from '../support.js';
import { isEmptySelector, policiesByNamespace } from './policies.js';

const SYSTEM_NAMESPACES = ['kube-system', 'kube-public', 'kube-node-lease'];

/** The Namespace object of a namespace, or a reference-only stand-in when not in the inventory. */
export function namespaceResource(inventory: Inventory, name: string): Resource {
  return (
    inventory.get('Namespace', undefined, name) ?? {
      object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
      ref: { apiVersion: 'v1', kind: 'Namespace', name },
    }
  );
}

function defaultDeny(direction: 'ingress' | 'egress'): InventoryControl {
  const Dir = direction === 'ingress' ? 'Ingress' : 'Egress';
  return {
    id: `network/default-deny-${direction}`,
    title: `Namespaces must have a default-deny ${direction} NetworkPolicy`,
    severity: 'medium',
    category: 'network',
    // Judged only for namespaces that run pods: the workloads are read too.
    appliesTo: { inventory: true, reads: ['NetworkPolicy', 'Namespace', ...podTemplateKinds()] },
    rationale:
      direction === 'ingress'
        ? 'Without a default deny every pod accepts connections from every other pod in the cluster: one compromise reaches everything.'
        : 'Without a default deny every pod can reach every pod, the cloud metadata service and the internet: lateral movement and exfiltration.',
    remediation: `Add a NetworkPolicy with podSelector: {} and policyTypes: [${Dir}] and no ${direction} rules, then allow the flows each workload needs.`,
    frameworks: [
      cis('5.3.2'),
      nsa('Network separation and hardening: network policies'),
      mitre(direction === 'ingress' ? 'T1046' : 'T1041'),
    ],
    checkInventory(inventory) {
      const byNs = policiesByNamespace(inventory);
      const out: Violation[] = [];
      for (const ns of inventory.namespaces()) {
        if (SYSTEM_NAMESPACES.includes(ns)) continue;
        if (!inventory.inNamespace(ns).some((r) => hasPodTemplate(r.object.kind))) continue;
        const ok = (byNs.get(ns) ?? []).some(
          (p) => isEmptySelector(p.podSelector) && p.types[direction] && p[direction].length === 0,
        );
        if (ok) continue;
        const message = `namespace ${ns} has no default-deny ${direction} NetworkPolicy`;
        const declared = inventory.get('Namespace', undefined, ns);
        const member = declared ? undefined : inventory.inNamespace(ns).find((r) => r.source);
        out.push(
          member
            ? { message, path: 'metadata.namespace', resource: member }
            : { message, path: 'metadata.name', resource: declared ?? namespaceResource(inventory, ns) },
        );
      }
      return out;
    },
  };
}

export const defaultDenyIngress = defaultDeny('ingress');
export const defaultDenyEgress = defaultDeny('egress');
