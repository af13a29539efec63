import type { RbacModel } from './model.js';
import { ruleAllows } from './rules.js';
import type {
  Decision,
  GrantReason,
  RbacBinding,
  RbacSubject,
  RequestAttributes,
  UserInfo,
} from './types.js';

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

/**
 * One access check as an authorizer receives it (the attributes of a SubjectAccessReview): a
 * resource request when `path` is absent, a non-resource request for `path` otherwise.
 */
export interface AccessCheck {
  verb: string;
  path?: string;
  group?: string;
  resource?: string;
  subresource?: string;
  /** Absent or `''`: a cluster-wide or cluster-scoped request. */
  namespace?: string;
  name?: string;
}

/** An authorizer's answer: RBAC allows or has no opinion (it never denies). */
export interface AccessDecision {
  decision: 'allow' | 'noOpinion';
  /** The API server's wording, e.g. `RBAC: allowed by ClusterRoleBinding "x" of ClusterRole "y" to Group "z"`; `''` otherwise. */
  reason: string;
}

/** The request attributes of an access check. */
export function checkAttributes(check: AccessCheck): RequestAttributes {
  if (check.path !== undefined) return { resourceRequest: false, verb: check.verb, path: check.path };
  return {
    resourceRequest: true,
    verb: check.verb,
    apiGroup: check.group ?? '',
    resource: check.resource ?? '',
    subresource: check.subresource ?? '',
    namespace: check.namespace ?? '',
    name: check.name ?? '',
  };
}

/** How the API server names a binding's subject in a reason (ServiceAccounts as name/namespace). */
function describeSubject(s: RbacSubject, bindingNamespace: string): string {
  if (s.kind === 'ServiceAccount') {
    const ns = s.namespace !== undefined && s.namespace !== '' ? s.namespace : bindingNamespace;
    return `${s.kind} ${JSON.stringify(`${s.name}/${ns}`)}`;
  }
  return `${s.kind} ${JSON.stringify(s.name)}`;
}

/** How the API server names the grant that allowed a request. */
export function describeGrant(grant: GrantReason, user: UserInfo): string {
  const b = grant.binding;
  const ns = b.namespace ?? '';
  const subject = b.subjects.find((s) => subjectAppliesTo(s, user, ns));
  const who = subject ? describeSubject(subject, b.kind === 'RoleBinding' ? ns : '') : 'nobody';
  const name = b.kind === 'RoleBinding' ? `${b.name}/${ns}` : b.name;
  return `${b.kind} ${JSON.stringify(name)} of ${b.roleRef.kind} ${JSON.stringify(b.roleRef.name)} to ${who}`;
}

/**
 * Answers one access check as the API server's authorizer chain would from this RBAC model:
 * members of `system:masters` are allowed (with no reason, as upstream), then RBAC.
 */
export function checkAccess(
  model: RbacModel,
  user: UserInfo,
  check: AccessCheck,
  options: AuthorizeOptions = {},
): AccessDecision {
  const d = authorize(model, user, checkAttributes(check), options);
  if (!d.allowed) return { decision: 'noOpinion', reason: '' };
  return { decision: 'allow', reason: d.reason ? `RBAC: allowed by ${describeGrant(d.reason, user)}` : '' };
}

/**
 * A ServiceAccount's identity as CEL's `authorizer.serviceAccount(ns, name)` builds it: its
 * username and its two ServiceAccount groups (not `system:authenticated`, which the token
 * authenticator adds to a real request; see `identityOf` for that identity).
 */
export function serviceAccountUser(namespace: string, name: string): UserInfo {
  return {
    name: serviceAccountUsername(namespace, name),
    groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`],
  };
}
