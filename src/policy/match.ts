/**
 * Request matching exactly as the Kubernetes admission machinery does it
 * (k8s.io/apiserver admission/plugin/webhook/predicates): resource rules with operations,
 * groups, versions, resources/subresources and `*`, scope, resourceNames, exclusions,
 * namespace and object selectors, and matchPolicy Exact/Equivalent.
 */
import { matchesLabelSelector, type KubeObject, type LabelSelector } from '../core/index.js';
import type { GroupVersionResource, MatchResources, RequestAttributes, ResourceRule } from './types.js';

/**
 * Resources served under several group/versions with the same schema. With matchPolicy
 * Equivalent a rule for one of them matches a request for another (kube-apiserver builds
 * this from its discovery; offline Palisade uses this table of built-in resources).
 */
const EQUIVALENT: readonly (readonly string[])[] = [
  [
    'apps/v1/deployments',
    'apps/v1beta1/deployments',
    'apps/v1beta2/deployments',
    'extensions/v1beta1/deployments',
  ],
  ['apps/v1/daemonsets', 'apps/v1beta2/daemonsets', 'extensions/v1beta1/daemonsets'],
  ['apps/v1/replicasets', 'apps/v1beta2/replicasets', 'extensions/v1beta1/replicasets'],
  ['apps/v1/statefulsets', 'apps/v1beta1/statefulsets', 'apps/v1beta2/statefulsets'],
  ['networking.k8s.io/v1/ingresses', 'networking.k8s.io/v1beta1/ingresses', 'extensions/v1beta1/ingresses'],
  ['networking.k8s.io/v1/networkpolicies', 'extensions/v1beta1/networkpolicies'],
  ['batch/v1/cronjobs', 'batch/v1beta1/cronjobs'],
  ['policy/v1/poddisruptionbudgets', 'policy/v1beta1/poddisruptionbudgets'],
  ['autoscaling/v2/horizontalpodautoscalers', 'autoscaling/v1/horizontalpodautoscalers'],
];
const EQUIVALENT_INDEX = new Map<string, readonly string[]>();
for (const group of EQUIVALENT) for (const k of group) EQUIVALENT_INDEX.set(k, group);

function gvrKey(r: GroupVersionResource): string {
  return `${r.group === '' ? '' : `${r.group}/`}${r.version}/${r.resource}`;
}

function parseGvrKey(k: string): GroupVersionResource {
  const parts = k.split('/');
  return parts.length === 2
    ? { group: '', version: parts[0] ?? '', resource: parts[1] ?? '' }
    : { group: parts[0] ?? '', version: parts[1] ?? '', resource: parts[2] ?? '' };
}

function has(list: readonly string[] | undefined, v: string): boolean {
  return !!list && (list.includes('*') || list.includes(v));
}

/** True when a `resource[/subresource]` entry (either part may be `*`) names the request's. */
function resourceEntryMatches(entry: string, resource: string, sub: string): boolean {
  const i = entry.indexOf('/');
  const res = i < 0 ? entry : entry.slice(0, i);
  if (res !== '*' && res !== resource) return false;
  if (i < 0) return sub === '';
  const s = entry.slice(i + 1);
  return s === '*' || s === sub;
}

function resourceListed(entries: readonly string[] | undefined, resource: string, sub: string): boolean {
  if (!entries) return false;
  for (const e of entries) if (resourceEntryMatches(e, resource, sub)) return true;
  return false;
}

/** True when one rule matches the request for the given group/version/resource. */
export function ruleMatches(
  rule: ResourceRule,
  attrs: RequestAttributes,
  gvr: GroupVersionResource,
): boolean {
  if (!has(rule.operations, attrs.operation)) return false;
  if (!has(rule.apiGroups, gvr.group)) return false;
  if (!has(rule.apiVersions, gvr.version)) return false;
  if (!resourceListed(rule.resources, gvr.resource, attrs.subResource ?? '')) return false;
  const isNamespaceObject = gvr.group === '' && gvr.resource === 'namespaces';
  const ns = attrs.namespace ?? '';
  if (rule.scope === 'Namespaced' && (isNamespaceObject || ns === '')) return false;
  if (rule.scope === 'Cluster' && !(isNamespaceObject || ns === '')) return false;
  const names = rule.resourceNames ?? [];
  if (names.length > 0 && !names.includes(attrs.name ?? '')) return false;
  return true;
}

/** The resource as the matching rule names it (the equivalent one when matchPolicy allowed it). */
export interface RuleMatch {
  resource: GroupVersionResource;
  equivalent: boolean;
}

function rulesMatch(
  rules: readonly ResourceRule[],
  attrs: RequestAttributes,
  equivalent: boolean,
): RuleMatch | undefined {
  for (const rule of rules)
    if (ruleMatches(rule, attrs, attrs.resource)) return { resource: attrs.resource, equivalent: false };
  if (!equivalent) return undefined;
  for (const k of EQUIVALENT_INDEX.get(gvrKey(attrs.resource)) ?? []) {
    const gvr = parseGvrKey(k);
    if (gvrKey(gvr) === gvrKey(attrs.resource)) continue;
    for (const rule of rules) if (ruleMatches(rule, attrs, gvr)) return { resource: gvr, equivalent: true };
  }
  return undefined;
}

function selectorEmpty(s: LabelSelector | undefined): boolean {
  if (!s) return true;
  if ((s.matchExpressions?.length ?? 0) > 0) return false;
  const labels = s.matchLabels;
  if (labels) for (const k in labels) if (Object.hasOwn(labels, k)) return false;
  return true;
}

function labelsOf(o: KubeObject | null | undefined): Record<string, string> | undefined {
  return o?.metadata?.labels ?? undefined;
}

/** Labels the namespace selector is matched against; Kubernetes always sets kubernetes.io/metadata.name. */
export function namespaceLabels(attrs: RequestAttributes): Record<string, string> | undefined {
  const isNamespaceObject = attrs.resource.group === '' && attrs.resource.resource === 'namespaces';
  if (isNamespaceObject) return labelsOf(attrs.object) ?? labelsOf(attrs.oldObject) ?? {};
  const ns = attrs.namespace ?? '';
  if (ns === '') return undefined; // other cluster-scoped objects are never skipped by a namespaceSelector
  return { ...(labelsOf(attrs.namespaceObject) ?? {}), 'kubernetes.io/metadata.name': ns };
}

/**
 * Matches MatchResources against a request. `requireRules`: a policy's matchConstraints
 * match nothing without resourceRules, while a binding's matchResources then do not
 * constrain resources.
 */
export function matchResources(
  m: MatchResources | undefined,
  attrs: RequestAttributes,
  requireRules: boolean,
): RuleMatch | undefined {
  if (!m) return requireRules ? undefined : { resource: attrs.resource, equivalent: false };
  if (!selectorEmpty(m.namespaceSelector)) {
    const labels = namespaceLabels(attrs);
    if (labels && !matchesLabelSelector(m.namespaceSelector ?? {}, labels)) return undefined;
  }
  if (!selectorEmpty(m.objectSelector)) {
    const sel = m.objectSelector ?? {};
    const objOk = attrs.object ? matchesLabelSelector(sel, labelsOf(attrs.object) ?? {}) : false;
    const oldOk = attrs.oldObject ? matchesLabelSelector(sel, labelsOf(attrs.oldObject) ?? {}) : false;
    if (!objOk && !oldOk) return undefined;
  }
  const equivalent = (m.matchPolicy ?? 'Equivalent') === 'Equivalent';
  let match: RuleMatch | undefined;
  if (m.resourceRules && m.resourceRules.length > 0) {
    match = rulesMatch(m.resourceRules, attrs, equivalent);
    if (!match) return undefined;
  } else if (requireRules) return undefined;
  else match = { resource: attrs.resource, equivalent: false };
  if (m.excludeResourceRules && rulesMatch(m.excludeResourceRules, attrs, equivalent)) return undefined;
  return match;
}
