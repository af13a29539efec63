/**
 * network/pod-selected-by-policy (CIS 5.3.2): every workload's pods must be selected by at
 * least one NetworkPolicy of their namespace (exact label-selector semantics on the pod
 * template's labels). An unselected pod is not isolated in either direction. Path: the pod
 * template's labels (or metadata).
 */
import type { Control } from '../../core/index.js';
import { cis, mitre, nsa } from '../support.js';
import { policiesByNamespace, selectsPod, type PolicyView } from './policies.js';

// Policies grouped once per inventory, not once per workload; the revision guards against an
// inventory changed since (watch mode adds and removes objects).
const cache = new WeakMap<object, { revision: number; byNs: Map<string, PolicyView[]> }>();

export const podSelectedByPolicy: Control = {
  id: 'network/pod-selected-by-policy',
  title: 'Every workload must be selected by a NetworkPolicy',
  severity: 'medium',
  category: 'network',
  appliesTo: { podTemplate: true, needsCluster: true, reads: ['NetworkPolicy'] },
  rationale:
    'A pod no policy selects is open to and from everything, whatever the other policies of its namespace say.',
  remediation:
    'Add a NetworkPolicy whose podSelector matches the workload (or a namespace-wide default deny).',
  frameworks: [cis('5.3.2'), nsa('Network separation and hardening: network policies'), mitre('T1046')],
  check({ resource, pod, inventory }) {
    if (!pod) return [];
    let entry = cache.get(inventory);
    if (entry?.revision !== inventory.revision) {
      entry = { revision: inventory.revision, byNs: policiesByNamespace(inventory) };
      cache.set(inventory, entry);
    }
    const byNs = entry.byNs;
    const policies = byNs.get(resource.ref.namespace ?? '') ?? [];
    if (policies.some((p) => selectsPod(p, pod.metadata.labels))) return [];
    return [
      {
        message: `pods of ${resource.ref.kind} ${resource.ref.name} are selected by no NetworkPolicy`,
        path: pod.metadata.labels ? `${pod.metadataPath}.labels` : pod.metadataPath,
      },
    ];
  },
};
