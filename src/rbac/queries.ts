import { bindingAppliesTo } from './authorize.js';
import { allBindings, type RbacModel } from './model.js';
import { ruleAllows, ruleKey } from './rules.js';
import type { RbacBinding, RbacRole, RbacRule, RbacSubject, RequestAttributes, UserInfo } from './types.js';

/** One binding-and-role pair through which a grant reaches a subject. */
export interface Via {
  binding: string;
  role: string;
  /** The group the subject holds the binding through, when the binding does not name it. */
  group?: string;
}

/** A subject that may make a request, and every binding that lets it (the `who-can -o json` shape). */
export interface WhoCanSubject {
  kind: RbacSubject['kind'];
  name: string;
  namespace?: string;
  via: Via[];
}

/** Names a binding as `ClusterRoleBinding/NAME` or `RoleBinding/NS/NAME`. */
export function bindingLabel(b: RbacBinding): string {
  return b.namespace !== undefined ? `${b.kind}/${b.namespace}/${b.name}` : `${b.kind}/${b.name}`;
}

/** Names a role as `ClusterRole/NAME` or `Role/NS/NAME`. */
export function roleLabel(r: RbacRole): string {
  return r.namespace !== undefined ? `${r.kind}/${r.namespace}/${r.name}` : `${r.kind}/${r.name}`;
}

function bindingsFor(model: RbacModel, attrs: RequestAttributes): readonly RbacBinding[] {
  const ns = attrs.resourceRequest ? attrs.namespace : '';
  if (ns === '') return model.clusterRoleBindings;
  return [...model.clusterRoleBindings, ...(model.roleBindingsByNamespace.get(ns) ?? [])];
}

/**
 * The subjects of the bindings that allow their request, each with every binding that does:
 * `grants` yields a binding and the request to judge it by (its own namespace for
 * `whoCanAnyNamespace`); `scoped` adds the RoleBinding's namespace to each grant.
 */
function subjectsAllowed(
  grants: Iterable<[RbacBinding, RequestAttributes]>,
  scoped: boolean,
): WhoCanAnywhereSubject[] {
  const byKey = new Map<string, WhoCanAnywhereSubject>();
  for (const [b, request] of grants) {
    const role = b.role;
    if (!role || !role.rules.some((r) => ruleAllows(r, request))) continue;
    const via: ScopedVia = {
      binding: bindingLabel(b),
      role: roleLabel(role),
      ...(scoped && b.namespace !== undefined ? { namespace: b.namespace } : {}),
    };
    for (const s of b.subjects) {
      const namespace = s.kind === 'ServiceAccount' ? (s.namespace ?? b.namespace) : undefined;
      if (s.kind === 'ServiceAccount' && namespace === undefined) continue;
      const k = `${s.kind}\u0000${namespace ?? ''}\u0000${s.name}`;
      let entry = byKey.get(k);
      if (!entry) {
        entry = { kind: s.kind, name: s.name, ...(namespace !== undefined ? { namespace } : {}), via: [] };
        byKey.set(k, entry);
      }
      if (!entry.via.some((v) => v.binding === via.binding && v.role === via.role)) entry.via.push(via);
    }
  }
  return sortSubjects([...byKey.values()]);
}

/**
 * Every subject named in a binding that allows the request, with the bindings that allow it.
 * Subjects are sorted by kind, namespace and name. Members of `system:masters` are allowed
 * everything by the API server ahead of RBAC and are not listed here.
 */
export function whoCan(model: RbacModel, attrs: RequestAttributes): WhoCanSubject[] {
  return subjectsAllowed(
    bindingsFor(model, attrs).map((b): [RbacBinding, RequestAttributes] => [b, attrs]),
    false,
  );
}

/** A grant of {@link whoCanAnyNamespace}: one binding and role, and where it applies. */
export interface ScopedVia extends Via {
  /** The RoleBinding's namespace; absent for a ClusterRoleBinding (every namespace and cluster-wide). */
  namespace?: string;
}

/** A subject of {@link whoCanAnyNamespace}, with each grant's namespace. */
export interface WhoCanAnywhereSubject {
  kind: RbacSubject['kind'];
  name: string;
  namespace?: string;
  via: ScopedVia[];
}

/**
 * Every subject allowed to make a namespaced request in at least one namespace (kubectl's
 * `--all-namespaces` sense of "who can"): the request is asked cluster-wide against the
 * ClusterRoleBindings and in each RoleBinding's own namespace against that binding. Each grant
 * says where it applies. The request's own namespace is ignored.
 */
export function whoCanAnyNamespace(model: RbacModel, attrs: RequestAttributes): WhoCanAnywhereSubject[] {
  function* grants(): Generator<[RbacBinding, RequestAttributes]> {
    if (!attrs.resourceRequest) {
      for (const b of model.clusterRoleBindings) yield [b, attrs];
      return;
    }
    for (const b of model.clusterRoleBindings) yield [b, { ...attrs, namespace: '' }];
    for (const [namespace, bindings] of model.roleBindingsByNamespace)
      for (const b of bindings) yield [b, { ...attrs, namespace }];
  }
  return subjectsAllowed(grants(), true);
}

function sortSubjects<T extends { kind: RbacSubject['kind']; namespace?: string; name: string }>(
  list: T[],
): T[] {
  const order = { User: 0, Group: 1, ServiceAccount: 2 };
  return list.sort(
    (a, b) =>
      order[a.kind] - order[b.kind] ||
      (a.namespace ?? '').localeCompare(b.namespace ?? '') ||
      a.name.localeCompare(b.name),
  );
}

/** One effective rule of a subject in one scope, with every binding and role that grants it. */
export interface EffectiveRule {
  /** `''` for cluster-wide (ClusterRoleBinding), else the RoleBinding's namespace. */
  namespace: string;
  rule: RbacRule;
  via: Via[];
}

/**
 * The effective rules of an identity: every rule of every role bound to it, grouped by scope
 * (cluster-wide first, then namespaces in order) and merged when the same rule arrives
 * through several bindings. Rules of a ClusterRole bound by a RoleBinding are scoped to that
 * namespace; non-resource rules only take effect through ClusterRoleBindings and are
 * dropped from namespace scopes.
 */
export function effectiveRules(model: RbacModel, user: UserInfo): EffectiveRule[] {
  const out = new Map<string, EffectiveRule>();
  for (const b of allBindings(model)) {
    const role = b.role;
    if (!role || !bindingAppliesTo(b, user)) continue;
    const namespace = b.namespace ?? '';
    for (const rule of role.rules) {
      if (namespace !== '' && rule.resources.length === 0) continue;
      const k = `${namespace}\u0000${ruleKey(rule)}`;
      let e = out.get(k);
      if (!e) {
        e = { namespace, rule, via: [] };
        out.set(k, e);
      }
      const via = { binding: bindingLabel(b), role: roleLabel(role) };
      if (!e.via.some((v) => v.binding === via.binding && v.role === via.role)) e.via.push(via);
    }
  }
  return [...out.values()].sort((a, b) => a.namespace.localeCompare(b.namespace));
}
