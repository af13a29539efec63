/**
 * Segregation of duties: pairs of permission sets one subject should not hold together.
 * A subject holds a side when a binding naming it directly (not through a group it may be
 * in) allows any one permission of the side.
 */
import { z } from 'zod';
import type { Result } from '../core/index.js';
import { allBindings, type RbacModel } from './model.js';
import { bindingLabel, roleLabel, type Via } from './queries.js';
import { ruleAllows } from './rules.js';
import type { RbacBinding, RbacRole, RbacSubject } from './types.js';

const permissionSchema = z.object({
  verbs: z.array(z.string()).min(1),
  apiGroups: z.array(z.string()).min(1),
  resources: z.array(z.string()).min(1),
  /** `cluster`: only ClusterRoleBindings count; `any`: RoleBindings too (default). */
  scope: z.enum(['cluster', 'any']).default('any'),
  /** When true, a rule counts only if it names the resource (wildcard `*` rules do not). */
  explicit: z.boolean().default(false),
});
const sideSchema = z.object({ name: z.string().min(1), permissions: z.array(permissionSchema).min(1) });
const ruleSchema = z.object({
  id: z.string().regex(/^[a-z0-9-]+$/),
  title: z.string().min(1),
  severity: z.enum(['critical', 'high', 'medium', 'low', 'info']).default('high'),
  a: sideSchema,
  b: sideSchema,
});
const fileSchema = z.object({ rules: z.array(ruleSchema).min(1) });

/** One segregation-of-duties rule. */
export type SodRule = z.infer<typeof ruleSchema>;
/** The parsed input form of a rule file (defaults not yet applied). */
export type SodRuleFile = z.input<typeof fileSchema>;

const RBAC_WRITE = ['create', 'update', 'patch', 'delete', 'bind', 'escalate'];
const WRITE = ['create', 'update', 'patch', 'delete'];
const ADMISSION = [
  'validatingwebhookconfigurations',
  'mutatingwebhookconfigurations',
  'validatingadmissionpolicies',
  'validatingadmissionpolicybindings',
  'mutatingadmissionpolicies',
  'mutatingadmissionpolicybindings',
];

/** The built-in rules. */
export const DEFAULT_SOD_RULES: SodRuleFile = {
  rules: [
    {
      id: 'rbac-vs-admission',
      title: 'Whoever can change RBAC should not also change admission, webhook or audit configuration',
      severity: 'high',
      a: {
        name: 'change RBAC',
        permissions: [
          {
            verbs: RBAC_WRITE,
            apiGroups: ['rbac.authorization.k8s.io'],
            resources: ['roles', 'clusterroles', 'rolebindings', 'clusterrolebindings'],
          },
        ],
      },
      b: {
        name: 'change admission, webhook or audit configuration',
        permissions: [
          { verbs: WRITE, apiGroups: ['admissionregistration.k8s.io'], resources: ADMISSION },
          { verbs: WRITE, apiGroups: ['auditregistration.k8s.io'], resources: ['auditsinks'] },
        ],
      },
    },
    {
      id: 'cluster-admin-vs-policy-owner',
      title: 'Cluster administrators are not the owners of security policies',
      severity: 'medium',
      a: {
        name: 'administer the cluster (every verb on every resource)',
        permissions: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'], scope: 'cluster' }],
      },
      b: {
        name: 'own security policies (granted by name)',
        permissions: [
          {
            verbs: WRITE,
            apiGroups: ['admissionregistration.k8s.io'],
            resources: ['validatingadmissionpolicies', 'validatingadmissionpolicybindings'],
            explicit: true,
          },
          {
            verbs: WRITE,
            apiGroups: ['kyverno.io'],
            resources: ['clusterpolicies', 'policies'],
            explicit: true,
          },
          {
            verbs: WRITE,
            apiGroups: ['templates.gatekeeper.sh'],
            resources: ['constrainttemplates'],
            explicit: true,
          },
        ],
      },
    },
    {
      id: 'deployer-vs-cluster-secrets',
      title: 'Workload deployers cannot read Secrets cluster-wide',
      severity: 'high',
      a: {
        name: 'deploy workloads',
        permissions: [
          {
            verbs: ['create', 'update', 'patch'],
            apiGroups: ['apps'],
            resources: ['deployments', 'statefulsets', 'daemonsets', 'replicasets'],
          },
          { verbs: ['create', 'update', 'patch'], apiGroups: ['batch'], resources: ['jobs', 'cronjobs'] },
          { verbs: ['create'], apiGroups: [''], resources: ['pods'] },
        ],
      },
      b: {
        name: 'read Secrets cluster-wide',
        permissions: [
          { verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['secrets'], scope: 'cluster' },
        ],
      },
    },
  ],
};

/** Validates a rule file; every problem is returned with its field path. */
export function compileSodRules(raw: unknown): Result<SodRule[], string[]> {
  const r = fileSchema.safeParse(raw);
  if (!r.success)
    return { ok: false, error: r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`) };
  const ids = new Set<string>();
  const dup = r.data.rules
    .filter((x) => (ids.has(x.id) ? true : (ids.add(x.id), false)))
    .map((x) => `rules: duplicate id ${x.id}`);
  return dup.length > 0 ? { ok: false, error: dup } : { ok: true, value: r.data.rules };
}

/** A subject that holds both sides of a rule, with the bindings that give each side. */
export interface SodFinding {
  ruleId: string;
  title: string;
  severity: SodRule['severity'];
  subject: RbacSubject;
  a: { name: string; via: Via[] };
  b: { name: string; via: Via[] };
}

type Side = SodRule['a'];

function roleHolds(role: RbacRole, side: Side, clusterWide: boolean): boolean {
  return side.permissions.some(
    (p) =>
      (p.scope === 'any' || clusterWide) &&
      role.rules.some(
        (rule) =>
          (!p.explicit || !rule.resources.includes('*')) &&
          p.verbs.some((verb) =>
            p.apiGroups.some((apiGroup) =>
              p.resources.some((resource) =>
                ruleAllows(rule, {
                  resourceRequest: true,
                  verb,
                  apiGroup,
                  resource,
                  subresource: '',
                  namespace: '',
                  name: '',
                }),
              ),
            ),
          ),
      ),
  );
}

function sideVia(
  bindings: readonly RbacBinding[],
  side: Side,
  cache: Map<RbacRole, [boolean?, boolean?]>,
): Via[] {
  const out: Via[] = [];
  for (const b of bindings) {
    const role = b.role;
    if (!role) continue;
    const clusterWide = b.namespace === undefined;
    let entry = cache.get(role);
    if (!entry) cache.set(role, (entry = []));
    const i = clusterWide ? 0 : 1;
    let holds = entry[i];
    if (holds === undefined) entry[i] = holds = roleHolds(role, side, clusterWide);
    if (holds) out.push({ binding: bindingLabel(b), role: roleLabel(role) });
  }
  return out;
}

function keyOf(s: RbacSubject, ns?: string): string {
  return s.kind === 'ServiceAccount'
    ? `ServiceAccount:${s.namespace ?? ns ?? ''}:${s.name}`
    : `${s.kind}:${s.name}`;
}

/** Evaluates the rules over every subject named in a binding. */
export function evaluateSod(model: RbacModel, rules: readonly SodRule[]): SodFinding[] {
  const subjects = new Map<string, { subject: RbacSubject; bindings: RbacBinding[] }>();
  for (const b of allBindings(model))
    for (const s of b.subjects) {
      const k = keyOf(s, b.namespace);
      let e = subjects.get(k);
      if (!e) {
        const subject =
          s.kind === 'ServiceAccount' ? { ...s, namespace: s.namespace ?? b.namespace ?? '' } : s;
        subjects.set(k, (e = { subject, bindings: [] }));
      }
      if (!e.bindings.includes(b)) e.bindings.push(b);
    }
  const out: SodFinding[] = [];
  for (const rule of rules) {
    const cacheA = new Map<RbacRole, [boolean?, boolean?]>();
    const cacheB = new Map<RbacRole, [boolean?, boolean?]>();
    for (const k of [...subjects.keys()].sort()) {
      const e = subjects.get(k);
      if (!e) continue;
      const a = sideVia(e.bindings, rule.a, cacheA);
      if (a.length === 0) continue;
      const b = sideVia(e.bindings, rule.b, cacheB);
      if (b.length === 0) continue;
      out.push({
        ruleId: rule.id,
        title: rule.title,
        severity: rule.severity,
        subject: e.subject,
        a: { name: rule.a.name, via: a },
        b: { name: rule.b.name, via: b },
      });
    }
  }
  return out;
}
