/**
 * RBAC rule matching with the API server's semantics (k8s.io/kubernetes
 * plugin/pkg/auth/authorizer/rbac): a verb, API group or resource matches its rule entry
 * when equal or when the entry is `*`; a `resource/subresource` also matches the entry
 * `*\/subresource`. Rules that only list `nonResourceURLs` grant no resource access.
 */
import type { Resource, Violation } from '../../core/index.js';
import { isRecord } from '../support.js';

/** One PolicyRule as read from a Role or ClusterRole. */
export interface PolicyRuleLike {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  resourceNames: string[];
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** The rules of a Role or ClusterRole, with their index. */
export function rulesOf(resource: Resource): { rule: PolicyRuleLike; index: number }[] {
  const rules = resource.object['rules'];
  if (!Array.isArray(rules)) return [];
  return rules.flatMap((r: unknown, index) =>
    isRecord(r)
      ? [
          {
            index,
            rule: {
              verbs: strings(r.verbs),
              apiGroups: strings(r.apiGroups),
              resources: strings(r.resources),
              resourceNames: strings(r.resourceNames),
            },
          },
        ]
      : [],
  );
}

/** True when a rule's resource entry covers `resource` (which may be `name/subresource`). */
export function resourceMatches(entry: string, resource: string): boolean {
  if (entry === '*' || entry === resource) return true;
  const slash = resource.indexOf('/');
  if (slash < 0) return false;
  return entry === `*/${resource.slice(slash + 1)}`;
}

/**
 * An access a control looks for: any of `verbs` on any of `resources` of API group `group`.
 * Resources are paired with their group so that, e.g., `apps` + `pods` (which does not exist)
 * never counts as access to pods.
 */
export interface Grant {
  group: string;
  resources: readonly string[];
  verbs: readonly string[];
}

/** True when the rule allows at least one verb on one resource of one of the grants. */
export function ruleGrants(rule: PolicyRuleLike, grants: readonly Grant[]): boolean {
  return grants.some(
    (g) =>
      rule.apiGroups.some((x) => x === '*' || x === g.group) &&
      rule.verbs.some((v) => v === '*' || g.verbs.includes(v)) &&
      rule.resources.some((r) => g.resources.some((w) => resourceMatches(r, w))),
  );
}

/**
 * The user-facing ClusterRoles every cluster's API server creates and reconciles at start
 * (RBAC bootstrap policy): they exist whether or not an input holds them.
 */
export const BOOTSTRAP_CLUSTER_ROLES: readonly string[] = ['cluster-admin', 'admin', 'edit', 'view'];

/** True when a role reference names a role Kubernetes itself creates on every cluster. */
export function isBootstrapRoleName(kind: string, name: string): boolean {
  return kind === 'ClusterRole' && (name.startsWith('system:') || BOOTSTRAP_CLUSTER_ROLES.includes(name));
}

/**
 * Roles shipped by Kubernetes itself (`system:` names, the bootstrap ClusterRoles `admin`,
 * `edit`, `view`, `cluster-admin`, or labelled `kubernetes.io/bootstrapping: rbac-defaults`)
 * are not judged: users cannot change them, the API server reconciles them back. Who they
 * are bound to is judged on the bindings instead.
 */
export function isBuiltInRole(resource: Resource): boolean {
  return (
    resource.ref.name.startsWith('system:') ||
    (resource.ref.kind === 'ClusterRole' && BOOTSTRAP_CLUSTER_ROLES.includes(resource.ref.name)) ||
    resource.object.metadata?.labels?.['kubernetes.io/bootstrapping'] === 'rbac-defaults'
  );
}

/** Describes a grant for messages: `Role ns/name rule #i grants verbs on resources`. */
export function describeRule(resource: Resource, rule: PolicyRuleLike, index: number): string {
  return `${resource.ref.kind} ${resource.ref.name} rule ${index} grants [${rule.verbs.join(', ')}] on [${rule.resources.join(', ')}]`;
}

/** Builds the violations of a rule-based control: one per matching rule. */
export function ruleViolations(
  resource: Resource,
  want: readonly Grant[],
  options: { skipNamed?: boolean } = {},
): Violation[] {
  if (isBuiltInRole(resource)) return [];
  return rulesOf(resource)
    .filter(({ rule }) => !(options.skipNamed && rule.resourceNames.length > 0) && ruleGrants(rule, want))
    .map(({ rule, index }) => ({ message: describeRule(resource, rule, index), path: `rules[${index}]` }));
}

/** One subject of a binding, with its index. */
export interface SubjectLike {
  kind: string;
  name: string;
  namespace?: string;
  index: number;
}

/** The subjects of a RoleBinding or ClusterRoleBinding. */
export function subjectsOf(resource: Resource): SubjectLike[] {
  const subjects = resource.object['subjects'];
  if (!Array.isArray(subjects)) return [];
  return subjects.flatMap((s: unknown, index) =>
    isRecord(s) && typeof s.kind === 'string' && typeof s.name === 'string'
      ? [
          {
            kind: s.kind,
            name: s.name,
            index,
            ...(typeof s.namespace === 'string' ? { namespace: s.namespace } : {}),
          },
        ]
      : [],
  );
}

/** The role a binding refers to. */
export function roleRefOf(resource: Resource): { kind: string; name: string } | undefined {
  const ref = resource.object['roleRef'];
  if (!isRecord(ref) || typeof ref.kind !== 'string' || typeof ref.name !== 'string') return undefined;
  return { kind: ref.kind, name: ref.name };
}
