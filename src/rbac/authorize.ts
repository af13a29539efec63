import type { RbacModel } from './model.js';
import { ruleAllows } from './rules.js';
import type { Decision, RbacBinding, RbacSubject, RequestAttributes, UserInfo } from './types.js';

/** The group whose members the API server allows everything before RBAC is asked. */
export const PRIVILEGED_GROUP = 'system:masters';

/** Options of {@link authorize}. */
export interface AuthorizeOptions {
  /**
   * Groups allowed everything ahead of RBAC. The API server always puts `system:masters`
   * first in its authorizer chain; pass `[]` to ask RBAC alone.
   */
  privilegedGroups?: readonly string[];
}

/** The username a ServiceAccount authenticates as. */
export function serviceAccountUsername(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

/**
 * Returns true when a binding subject names this user (appliesToUser upstream): a
 * ServiceAccount subject without a namespace takes the binding's namespace, and with no
 * namespace at all it matches nobody.
 */
export function subjectAppliesTo(subject: RbacSubject, user: UserInfo, bindingNamespace: string): boolean {
  switch (subject.kind) {
    case 'User':
      return subject.name === user.name;
    case 'Group':
      return user.groups.includes(subject.name);
    case 'ServiceAccount': {
      const ns = subject.namespace ?? bindingNamespace;
      if (ns === '') return false;
      return user.name === serviceAccountUsername(ns, subject.name);
    }
  }
}

/** Returns true when any subject of the binding names this user. */
export function bindingAppliesTo(binding: RbacBinding, user: UserInfo): boolean {
  const ns = binding.namespace ?? '';
  return binding.subjects.some((s) => subjectAppliesTo(s, user, ns));
}

/**
 * Authorizes one request as the API server's RBAC authorizer does: ClusterRoleBindings
 * first, then (for a namespaced request) the RoleBindings of that namespace, whose
 * ClusterRole references are scoped to the namespace. The first matching rule allows.
 * Non-resource requests and cluster-wide requests (`namespace: ''`) see ClusterRoleBindings only.
 */
export function authorize(
  model: RbacModel,
  user: UserInfo,
  attrs: RequestAttributes,
  options: AuthorizeOptions = {},
): Decision {
  for (const g of options.privilegedGroups ?? [PRIVILEGED_GROUP]) {
    if (user.groups.includes(g)) return { allowed: true, privilegedGroup: g };
  }
  const decision = (b: RbacBinding): Decision | undefined => {
    if (!b.role || !bindingAppliesTo(b, user)) return undefined;
    const i = b.role.rules.findIndex((r) => ruleAllows(r, attrs));
    return i < 0 ? undefined : { allowed: true, reason: { binding: b, role: b.role, ruleIndex: i } };
  };
  for (const b of model.clusterRoleBindings) {
    const d = decision(b);
    if (d) return d;
  }
  const ns = attrs.resourceRequest ? attrs.namespace : '';
  if (ns !== '') {
    for (const b of model.roleBindingsByNamespace.get(ns) ?? []) {
      const d = decision(b);
      if (d) return d;
    }
  }
  return { allowed: false };
}

/** Every grant that allows the request (not only the first), for explanations. */
export function allGrants(
  model: RbacModel,
  user: UserInfo,
  attrs: RequestAttributes,
): NonNullable<Decision['reason']>[] {
  const out: NonNullable<Decision['reason']>[] = [];
  const visit = (b: RbacBinding): void => {
    if (!b.role || !bindingAppliesTo(b, user)) return;
    b.role.rules.forEach((r, i) => {
      if (b.role && ruleAllows(r, attrs)) out.push({ binding: b, role: b.role, ruleIndex: i });
    });
  };
  model.clusterRoleBindings.forEach(visit);
  const ns = attrs.resourceRequest ? attrs.namespace : '';
  if (ns !== '') (model.roleBindingsByNamespace.get(ns) ?? []).forEach(visit);
  return out;
}
