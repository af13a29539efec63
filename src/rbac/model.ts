import {
  matchesLabelSelector,
  hasPodTemplate,
  podTemplateOf,
  refOf,
  type Inventory,
  type LabelSelector,
  type Resource,
  type SourceLocation,
} from '../core/index.js';
import { readRule, ruleKey } from './rules.js';
import type { RbacBinding, RbacIssue, RbacRole, RbacRule, RbacSubject } from './types.js';

/** A ServiceAccount known to the model, with the workloads that run as it. */
export interface ServiceAccountInfo {
  namespace: string;
  name: string;
  /** Declared as an object (false when only referenced by a pod spec or a binding). */
  declared: boolean;
  /** `Kind name` of workloads whose pods run as this account. */
  usedBy: string[];
  /** Names of legacy token Secrets of this account (type kubernetes.io/service-account-token). */
  tokenSecrets: string[];
}

/**
 * The authorization state of a cluster, indexed for the authorizer's own lookup order:
 * ClusterRoleBindings first, then RoleBindings of the request's namespace.
 */
export interface RbacModel {
  clusterRoles: ReadonlyMap<string, RbacRole>;
  /** Keyed `namespace/name`. */
  roles: ReadonlyMap<string, RbacRole>;
  clusterRoleBindings: readonly RbacBinding[];
  roleBindingsByNamespace: ReadonlyMap<string, readonly RbacBinding[]>;
  /** Keyed `namespace/name`. */
  serviceAccounts: ReadonlyMap<string, ServiceAccountInfo>;
  /** Every namespace seen, sorted. */
  namespaces: readonly string[];
  /** Namespace labels, for Pod Security admission levels. */
  namespaceLabels: ReadonlyMap<string, Readonly<Record<string, string>>>;
  issues: readonly RbacIssue[];
}

const RBAC_GROUP = 'rbac.authorization.k8s.io';

/** Options of {@link buildRbacModel}. */
export interface BuildRbacModelOptions {
  /**
   * Add the API server's built-in `cluster-admin` ClusterRole when the input lacks it
   * (default true): every cluster has it, and manifests bind to it without declaring it.
   */
  bootstrapRoles?: boolean;
}

/** The rules of the built-in cluster-admin ClusterRole. */
export const CLUSTER_ADMIN_RULES = [
  { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
  { nonResourceURLs: ['*'], verbs: ['*'] },
];

/** Built-in ClusterRoles whose rules Palisade does not invent; bindings to them are noted, not flagged. */
const BOOTSTRAP_CLUSTER_ROLES = new Set([
  'admin',
  'edit',
  'view',
  'system:basic-user',
  'system:discovery',
  'system:public-info-viewer',
  'system:node',
  'system:node-proxier',
  'system:kube-scheduler',
  'system:kube-controller-manager',
  'system:auth-delegator',
  'system:heapster',
  'system:kube-dns',
  'system:monitoring',
  'system:service-account-issuer-discovery',
]);

function isRbac(r: Resource, kind: string): boolean {
  return r.ref.kind === kind && r.ref.apiVersion.startsWith(`${RBAC_GROUP}/`);
}

function locationOf(r: Resource, fieldPath: string): SourceLocation | undefined {
  if (!r.source) return undefined;
  const pos = r.source.locate(fieldPath);
  return { file: r.source.file, line: pos.line, column: pos.column };
}

function withLocation<T extends object>(
  base: T,
  loc: SourceLocation | undefined,
): T & { location?: SourceLocation } {
  return loc ? { ...base, location: loc } : base;
}

/**
 * Reports a part of a role or binding the model cannot read. Manifests and snapshots reach the
 * model through the loader's schema check, which reports these with their lines and removes
 * them; an inventory built otherwise (an embedding program, a test) gets them reported here,
 * never silently dropped.
 */
type Malformed = (r: Resource, fieldPath: string, what: string) => void;

function malformedReporter(issues: RbacIssue[]): Malformed {
  return (r, fieldPath, what) => {
    issues.push(
      withLocation(
        {
          code: 'rbac_malformed' as const,
          severity: 'high' as const,
          message: `${r.ref.kind} ${r.ref.namespace ? `${r.ref.namespace}/` : ''}${r.ref.name} ${fieldPath}: ${what}; it is ignored, so the answers may miss what it was meant to grant`,
          ref: r.ref,
          fieldPath,
        },
        locationOf(r, fieldPath),
      ),
    );
  };
}

function isStringList(v: unknown): boolean {
  return v === undefined || v === null || (Array.isArray(v) && v.every((x) => typeof x === 'string'));
}

function readSubjects(r: Resource, raw: unknown, malformed: Malformed): RbacSubject[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    malformed(r, 'subjects', 'subjects must be a list');
    return [];
  }
  const out: RbacSubject[] = [];
  raw.forEach((s: unknown, i) => {
    const o = typeof s === 'object' && s !== null ? (s as Record<string, unknown>) : undefined;
    const kind = o?.kind;
    const name = o?.name;
    if (
      !o ||
      (kind !== 'User' && kind !== 'Group' && kind !== 'ServiceAccount') ||
      typeof name !== 'string'
    ) {
      malformed(r, `subjects[${i}]`, 'a subject needs kind User, Group or ServiceAccount and a name');
      return;
    }
    const subject: RbacSubject = { kind, name };
    if (kind === 'ServiceAccount' && typeof o.namespace === 'string' && o.namespace !== '')
      subject.namespace = o.namespace;
    out.push(subject);
  });
  return out;
}

interface RawRole {
  resource: Resource;
  kind: 'Role' | 'ClusterRole';
  name: string;
  namespace?: string;
  rules: RbacRule[];
  labels: Record<string, string>;
  selectors?: LabelSelector[];
}

const RULE_FIELDS = ['verbs', 'apiGroups', 'resources', 'resourceNames', 'nonResourceURLs'] as const;

function readRules(r: Resource, raw: unknown, malformed: Malformed): RbacRule[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    malformed(r, 'rules', 'rules must be a list');
    return [];
  }
  raw.forEach((rule: unknown, i) => {
    if (typeof rule !== 'object' || rule === null || Array.isArray(rule)) {
      malformed(r, `rules[${i}]`, 'a rule must be a mapping');
      return;
    }
    for (const f of RULE_FIELDS)
      if (!isStringList((rule as Record<string, unknown>)[f]))
        malformed(r, `rules[${i}].${f}`, `${f} must be a list of strings`);
  });
  return raw.map(readRule);
}

const OPERATORS = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist']);

function readRawRole(r: Resource, kind: 'Role' | 'ClusterRole', malformed: Malformed): RawRole {
  const obj = r.object as Record<string, unknown>;
  const rules = readRules(r, obj.rules, malformed);
  const raw: RawRole = {
    resource: r,
    kind,
    name: r.ref.name,
    rules,
    labels: { ...(r.object.metadata?.labels ?? {}) },
  };
  if (kind === 'Role') raw.namespace = r.ref.namespace ?? 'default';
  const agg = obj.aggregationRule;
  if (kind === 'ClusterRole' && typeof agg === 'object' && agg !== null) {
    const sel = (agg as Record<string, unknown>).clusterRoleSelectors;
    raw.selectors = [];
    if (Array.isArray(sel)) {
      sel.forEach((s: unknown, i) => {
        const path = `aggregationRule.clusterRoleSelectors[${i}]`;
        if (typeof s !== 'object' || s === null || Array.isArray(s)) {
          malformed(r, path, 'a selector must be a mapping');
          return;
        }
        const exprs = (s as Record<string, unknown>).matchExpressions;
        const bad = Array.isArray(exprs)
          ? exprs.findIndex(
              (e: unknown) =>
                typeof e !== 'object' ||
                e === null ||
                !OPERATORS.has(String((e as Record<string, unknown>).operator)),
            )
          : -1;
        // A requirement with an unknown operator matches nothing, so the selector
        // aggregates nothing: reported rather than quietly empty.
        if (bad >= 0)
          malformed(
            r,
            `${path}.matchExpressions[${bad}]`,
            'operator must be In, NotIn, Exists or DoesNotExist',
          );
        raw.selectors?.push(s);
      });
    } else if (sel !== undefined && sel !== null)
      malformed(r, 'aggregationRule.clusterRoleSelectors', 'must be a list');
  }
  return raw;
}

/**
 * Builds the model from an inventory. Aggregated ClusterRoles get the union of the rules of
 * every other ClusterRole matched by one of their selectors (as the aggregation controller
 * writes them), resolved transitively. Bindings to roles that do not exist are kept, with
 * `role: undefined`, and reported as issues.
 */
export function buildRbacModel(inventory: Inventory, options: BuildRbacModelOptions = {}): RbacModel {
  const issues: RbacIssue[] = [];
  const malformed = malformedReporter(issues);
  const rawClusterRoles = new Map<string, RawRole>();
  const rawRoles = new Map<string, RawRole>();
  for (const r of inventory.resources) {
    if (isRbac(r, 'ClusterRole')) rawClusterRoles.set(r.ref.name, readRawRole(r, 'ClusterRole', malformed));
    else if (isRbac(r, 'Role')) {
      const raw = readRawRole(r, 'Role', malformed);
      rawRoles.set(`${raw.namespace ?? ''}/${raw.name}`, raw);
    }
  }

  if (options.bootstrapRoles !== false && !rawClusterRoles.has('cluster-admin')) {
    const object = {
      apiVersion: `${RBAC_GROUP}/v1`,
      kind: 'ClusterRole',
      metadata: { name: 'cluster-admin', labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' } },
      rules: CLUSTER_ADMIN_RULES,
    };
    rawClusterRoles.set(
      'cluster-admin',
      readRawRole({ object, ref: refOf(object) }, 'ClusterRole', malformed),
    );
  }

  const clusterRoles = new Map<string, RbacRole>();
  const inProgress = new Set<string>();
  const sortedClusterRoleNames = [...rawClusterRoles.keys()].sort();
  const resolve = (name: string): RbacRole | undefined => {
    const done = clusterRoles.get(name);
    if (done) return done;
    const raw = rawClusterRoles.get(name);
    if (!raw) return undefined;
    if (!raw.selectors) {
      const role = toRole(raw, raw.rules);
      clusterRoles.set(name, role);
      return role;
    }
    if (inProgress.has(name)) {
      issues.push(
        withLocation(
          {
            code: 'rbac_aggregation_cycle' as const,
            severity: 'low' as const,
            message: `ClusterRole ${name} aggregates itself through other aggregated roles; the cycle is cut here`,
            ref: raw.resource.ref,
            fieldPath: 'aggregationRule',
          },
          locationOf(raw.resource, 'aggregationRule'),
        ),
      );
      return toRole(raw, raw.rules);
    }
    inProgress.add(name);
    const rules: RbacRule[] = [];
    const seen = new Set<string>();
    const from: string[] = [];
    for (const selector of raw.selectors) {
      for (const other of sortedClusterRoleNames) {
        if (other === name) continue;
        const o = rawClusterRoles.get(other);
        if (!o || !matchesLabelSelector(selector, o.labels)) continue;
        const resolved = resolve(other);
        if (!resolved) continue;
        if (!from.includes(other)) from.push(other);
        for (const rule of resolved.rules) {
          const k = ruleKey(rule);
          if (seen.has(k)) continue;
          seen.add(k);
          rules.push(rule);
        }
      }
    }
    inProgress.delete(name);
    const role: RbacRole = { ...toRole(raw, rules), aggregatedFrom: from };
    clusterRoles.set(name, role);
    return role;
  };
  for (const name of sortedClusterRoleNames) resolve(name);

  const roles = new Map<string, RbacRole>();
  for (const [k, raw] of rawRoles) roles.set(k, toRole(raw, raw.rules));

  const clusterRoleBindings: RbacBinding[] = [];
  const roleBindingsByNamespace = new Map<string, RbacBinding[]>();
  for (const r of inventory.resources) {
    const isCrb = isRbac(r, 'ClusterRoleBinding');
    if (!isCrb && !isRbac(r, 'RoleBinding')) continue;
    const obj = r.object as Record<string, unknown>;
    const rr = (typeof obj.roleRef === 'object' && obj.roleRef !== null ? obj.roleRef : {}) as Record<
      string,
      unknown
    >;
    const roleRef = {
      kind: typeof rr.kind === 'string' ? rr.kind : '',
      name: typeof rr.name === 'string' ? rr.name : '',
    };
    const namespace = isCrb ? undefined : (r.ref.namespace ?? 'default');
    let role: RbacRole | undefined;
    if (roleRef.kind === 'ClusterRole') role = clusterRoles.get(roleRef.name);
    else if (roleRef.kind === 'Role' && namespace !== undefined)
      role = roles.get(`${namespace}/${roleRef.name}`);
    const binding: RbacBinding = withLocation(
      {
        kind: isCrb ? ('ClusterRoleBinding' as const) : ('RoleBinding' as const),
        name: r.ref.name,
        ...(namespace !== undefined ? { namespace } : {}),
        roleRef,
        subjects: readSubjects(r, obj.subjects, malformed),
        role,
        ref: r.ref,
      },
      locationOf(r, 'roleRef'),
    );
    if (!role && roleRef.kind === 'ClusterRole' && BOOTSTRAP_CLUSTER_ROLES.has(roleRef.name)) {
      issues.push(
        withLocation(
          {
            code: 'rbac_bootstrap_role_not_loaded' as const,
            severity: 'low' as const,
            message: `${binding.kind} ${namespace ? `${namespace}/` : ''}${binding.name} refers to the built-in ClusterRole ${roleRef.name}, which is not in the input; load the cluster's roles (a snapshot) to evaluate what it grants`,
            ref: r.ref,
            fieldPath: 'roleRef',
          },
          locationOf(r, 'roleRef'),
        ),
      );
    } else if (!role) {
      const where = roleRef.kind === 'Role' && namespace !== undefined ? ` in namespace ${namespace}` : '';
      issues.push(
        withLocation(
          {
            code: 'rbac_binding_missing_role' as const,
            severity: 'medium' as const,
            message: `${binding.kind} ${namespace ? `${namespace}/` : ''}${binding.name} refers to ${roleRef.kind || '(no kind)'} ${roleRef.name || '(no name)'}${where}, which does not exist${isCrb && roleRef.kind === 'Role' ? ' (a ClusterRoleBinding can only refer to a ClusterRole)' : ''}; it grants nothing now and grants whatever a role created later under that name holds`,
            ref: r.ref,
            fieldPath: 'roleRef',
          },
          locationOf(r, 'roleRef'),
        ),
      );
    }
    if (isCrb) clusterRoleBindings.push(binding);
    else {
      const list = roleBindingsByNamespace.get(namespace ?? '');
      if (list) list.push(binding);
      else roleBindingsByNamespace.set(namespace ?? '', [binding]);
    }
  }

  const serviceAccounts = new Map<string, ServiceAccountInfo>();
  const sa = (namespace: string, name: string): ServiceAccountInfo => {
    const k = `${namespace}/${name}`;
    let info = serviceAccounts.get(k);
    if (!info) {
      info = { namespace, name, declared: false, usedBy: [], tokenSecrets: [] };
      serviceAccounts.set(k, info);
    }
    return info;
  };
  const namespaceLabels = new Map<string, Record<string, string>>();
  for (const r of inventory.resources) {
    const ns = r.ref.namespace ?? 'default';
    if (r.ref.kind === 'ServiceAccount' && r.ref.apiVersion === 'v1') sa(ns, r.ref.name).declared = true;
    else if (r.ref.kind === 'Namespace' && r.ref.apiVersion === 'v1')
      namespaceLabels.set(r.ref.name, { ...(r.object.metadata?.labels ?? {}) });
    else if (r.ref.kind === 'Secret' && r.ref.apiVersion === 'v1') {
      const obj = r.object as Record<string, unknown>;
      const owner = r.object.metadata?.annotations?.['kubernetes.io/service-account.name'];
      if (obj.type === 'kubernetes.io/service-account-token' && typeof owner === 'string')
        sa(ns, owner).tokenSecrets.push(r.ref.name);
    } else if (hasPodTemplate(r.ref.kind)) {
      const tpl = podTemplateOf(r.object);
      if (tpl) {
        const name = tpl.spec.serviceAccountName ?? 'default';
        sa(ns, typeof name === 'string' && name !== '' ? name : 'default').usedBy.push(
          `${r.ref.kind} ${r.ref.name}`,
        );
      }
    }
  }
  const allBindings = [...clusterRoleBindings, ...[...roleBindingsByNamespace.values()].flat()];
  for (const b of allBindings)
    for (const s of b.subjects) {
      const ns = s.namespace ?? b.namespace;
      if (s.kind === 'ServiceAccount' && ns) sa(ns, s.name);
    }

  const namespaces = new Set<string>(inventory.namespaces());
  for (const info of serviceAccounts.values()) namespaces.add(info.namespace);
  for (const ns of roleBindingsByNamespace.keys()) namespaces.add(ns);

  return {
    clusterRoles,
    roles,
    clusterRoleBindings,
    roleBindingsByNamespace,
    serviceAccounts,
    namespaces: [...namespaces].sort(),
    namespaceLabels,
    issues,
  };
}

function toRole(raw: RawRole, rules: RbacRule[]): RbacRole {
  const role: RbacRole = withLocation(
    {
      kind: raw.kind,
      name: raw.name,
      ...(raw.namespace !== undefined ? { namespace: raw.namespace } : {}),
      rules,
      labels: raw.labels,
      ref: raw.resource.ref,
    },
    locationOf(raw.resource, 'rules'),
  );
  return role;
}

/** Every binding of the model: ClusterRoleBindings first, then RoleBindings by namespace. */
export function allBindings(model: RbacModel): RbacBinding[] {
  const out: RbacBinding[] = [...model.clusterRoleBindings];
  for (const ns of [...model.roleBindingsByNamespace.keys()].sort())
    out.push(...(model.roleBindingsByNamespace.get(ns) ?? []));
  return out;
}
