/**
 * NetworkPolicy facts the network posture controls share, with the API's semantics
 * (networking.k8s.io/v1): a policy selects pods of its own namespace by `podSelector`
 * (empty selects all); its effective `policyTypes` are the field when non-empty, otherwise
 * Ingress, plus Egress when the `egress` list is non-empty (the API server's defaulting).
 */
import { matchesLabelSelector, type Inventory, type LabelSelector, type Resource } from '../../core/index.js';
import { isRecord } from '../support.js';

/** A NetworkPolicy as the controls read it. */
export interface PolicyView {
  resource: Resource;
  podSelector: LabelSelector;
  types: { ingress: boolean; egress: boolean };
  ingress: unknown[];
  egress: unknown[];
}

/** Reads a NetworkPolicy object. */
export function viewPolicy(resource: Resource): PolicyView {
  const spec = isRecord(resource.object['spec']) ? resource.object['spec'] : {};
  const podSelector = isRecord(spec.podSelector) ? (spec.podSelector as LabelSelector) : {};
  const ingress = Array.isArray(spec.ingress) ? (spec.ingress as unknown[]) : [];
  const egress = Array.isArray(spec.egress) ? (spec.egress as unknown[]) : [];
  // API defaulting (networking/v1 SetDefaults_NetworkPolicy): an empty or missing list means
  // Ingress, plus Egress when the egress list is non-empty.
  const declared =
    Array.isArray(spec.policyTypes) && spec.policyTypes.length > 0 ? spec.policyTypes.map(String) : undefined;
  const types = declared
    ? { ingress: declared.includes('Ingress'), egress: declared.includes('Egress') }
    : { ingress: true, egress: egress.length > 0 };
  return { resource, podSelector, types, ingress, egress };
}

/** True when a selector selects every object (no labels and no expressions). */
export function isEmptySelector(sel: LabelSelector): boolean {
  return Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0;
}

/** NetworkPolicies grouped by namespace, built once per inventory. */
export function policiesByNamespace(inventory: Inventory): Map<string, PolicyView[]> {
  const out = new Map<string, PolicyView[]>();
  for (const r of inventory.byKind('NetworkPolicy')) {
    if (r.ref.apiVersion !== 'networking.k8s.io/v1') continue;
    const ns = r.ref.namespace ?? '';
    const list = out.get(ns) ?? [];
    list.push(viewPolicy(r));
    out.set(ns, list);
  }
  return out;
}

/** True when a policy selects a pod with these labels. */
export function selectsPod(
  policy: PolicyView,
  labels: Readonly<Record<string, string>> | undefined,
): boolean {
  return matchesLabelSelector(policy.podSelector, labels);
}
