/**
 * Rule matching exactly as the Kubernetes RBAC authorizer does it (pkg/apis/rbac/v1
 * evaluation helpers and plugin/pkg/auth/authorizer/rbac RuleAllows). Facts worth knowing:
 * - `*` is the only wildcard for verbs, apiGroups and resources; `*\/sub` matches any resource's
 *   subresource `sub`; `pods/*` is NOT a wildcard upstream: it only matches the literal
 *   resource string `pods/*`.
 * - resourceNames restrict only requests that carry a name; a request without a name (list,
 *   create, deletecollection) never matches a rule that lists resourceNames.
 * - nonResourceURLs match exactly, `*` matches all, and a trailing `*` is a prefix match of the
 *   URL with every trailing `*` trimmed.
 */
import { trimEndChars } from '../core/index.js';
import type { RbacRule, RequestAttributes } from './types.js';

/** Returns true when the rule lists `*` or the verb. */
export function verbMatches(rule: RbacRule, verb: string): boolean {
  return rule.verbs.some((v) => v === '*' || v === verb);
}

/** Returns true when the rule lists `*` or the API group. */
export function apiGroupMatches(rule: RbacRule, group: string): boolean {
  return rule.apiGroups.some((g) => g === '*' || g === group);
}

/** Returns true when the rule covers `resource[/subresource]`. */
export function resourceMatches(rule: RbacRule, resource: string, subresource: string): boolean {
  const combined = subresource === '' ? resource : `${resource}/${subresource}`;
  for (const r of rule.resources) {
    if (r === '*' || r === combined) return true;
    if (subresource === '') continue;
    if (r.length === subresource.length + 2 && r.startsWith('*/') && r.endsWith(subresource)) return true;
  }
  return false;
}

/** Returns true when the rule has no resourceNames or lists the name. */
export function resourceNameMatches(rule: RbacRule, name: string): boolean {
  return rule.resourceNames.length === 0 || rule.resourceNames.includes(name);
}

/** Returns true when the rule covers the non-resource URL. */
export function nonResourceURLMatches(rule: RbacRule, path: string): boolean {
  for (const u of rule.nonResourceURLs) {
    if (u === '*' || u === path) return true;
    if (u.endsWith('*') && path.startsWith(trimEndChars(u, '*'))) return true;
  }
  return false;
}

/** Returns true when one rule allows the request (RuleAllows). */
export function ruleAllows(rule: RbacRule, attrs: RequestAttributes): boolean {
  if (attrs.resourceRequest) {
    return (
      verbMatches(rule, attrs.verb) &&
      apiGroupMatches(rule, attrs.apiGroup) &&
      resourceMatches(rule, attrs.resource, attrs.subresource) &&
      resourceNameMatches(rule, attrs.name)
    );
  }
  return verbMatches(rule, attrs.verb) && nonResourceURLMatches(rule, attrs.path);
}

/** Reads a PolicyRule from parsed JSON, keeping only string entries; never throws. */
export function readRule(raw: unknown): RbacRule {
  const o = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  return {
    verbs: strings(o.verbs),
    apiGroups: strings(o.apiGroups),
    resources: strings(o.resources),
    resourceNames: strings(o.resourceNames),
    nonResourceURLs: strings(o.nonResourceURLs),
  };
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** A stable text key of a rule, used to de-duplicate aggregated rules. */
export function ruleKey(rule: RbacRule): string {
  return JSON.stringify([
    rule.verbs,
    rule.apiGroups,
    rule.resources,
    rule.resourceNames,
    rule.nonResourceURLs,
  ]);
}

/** Formats a rule in one line, e.g. `get,list pods,pods/log (apps) names=a,b`. */
export function formatRule(rule: RbacRule): string {
  if (rule.nonResourceURLs.length > 0 && rule.resources.length === 0)
    return `${rule.verbs.join(',')} ${rule.nonResourceURLs.join(',')}`;
  const groups = rule.apiGroups.map((g) => (g === '' ? 'core' : g)).join(',');
  const names = rule.resourceNames.length > 0 ? ` names=${rule.resourceNames.join(',')}` : '';
  return `${rule.verbs.join(',')} ${rule.resources.join(',')} [${groups}]${names}`;
}
