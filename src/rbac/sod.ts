/**
 * Segregation of duties: pairs of permission sets one subject should not hold together.
 * A subject holds a side when a binding that applies to it allows any one permission of the
 * side: a binding naming it, or naming a group every such subject is in (`system:authenticated`;
 * for a ServiceAccount also `system:serviceaccounts` and `system:serviceaccounts:NS`). Other
 * group memberships are not known offline: a Group subject is judged on its own bindings.
 */
import { z } from 'zod';
import type { Result } from '../core/index.js';
import { serviceAccountUsername, subjectAppliesTo } from './authorize.js';
import { allBindings, type RbacModel } from './model.js';
import { bindingLabel, roleLabel, type Via } from './queries.js';
import { identityOf } from './subjects.js';
import type { RbacBinding, RbacRole, RbacSubject, UserInfo } from './types.js';

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
  /** The namespace the conflict was judged in (`evaluateSod`'s `namespace` option). */
  namespace?: string;
  a: { name: string; via: Via[] };
  b: { name: string; via: Via[] };
}

/** Options of {@link evaluateSod}. */
export interface SodOptions {
  /**
   * Judge conflicts within one namespace: only the grants that apply there count (its
   * RoleBindings and every ClusterRoleBinding), so both sides must be reachable in it.
   */
  namespace?: string;
}

type Side = SodRule['a'];

/** A permission of a side with its lists as sets. */
interface CompiledPermission {
  clusterOnly: boolean;
  explicit: boolean;
  verbs: ReadonlySet<string>;
  apiGroups: ReadonlySet<string>;
  resources: ReadonlySet<string>;
}

const COMPILED_SIDES = new WeakMap<Side, readonly CompiledPermission[]>();

function compiledSide(side: Side): readonly CompiledPermission[] {
  let c = COMPILED_SIDES.get(side);
  if (!c) {
    c = side.permissions.map((p) => ({
      clusterOnly: p.scope === 'cluster',
      explicit: p.explicit,
      verbs: new Set(p.verbs),
      apiGroups: new Set(p.apiGroups),
      resources: new Set(p.resources),
    }));
    COMPILED_SIDES.set(side, c);
  }
  return c;
}

/** Some entry of a rule's list is `*` or in the permission's (non-empty) set. */
function anyIn(list: readonly string[], set: ReadonlySet<string>): boolean {
  for (const x of list) if (x === '*' || set.has(x)) return true;
  return false;
}

/**
 * Whether a role allows any one permission of a side, as `ruleAllows` would answer one
 * request per verb, group and resource of the permission (no name, no subresource). Those
 * parts match independently of one another, and each matches when the rule lists `*` or the
 * value, so each is one pass over the rule's list with a set lookup.
 */
export function roleHolds(role: RbacRole, side: Side, clusterWide: boolean): boolean {
  for (const p of compiledSide(side)) {
    if (p.clusterOnly && !clusterWide) continue;
    for (const rule of role.rules) {
      if (p.explicit && rule.resources.includes('*')) continue;
      if (rule.resourceNames.length > 0 && !rule.resourceNames.includes('')) continue;
      if (
        anyIn(rule.verbs, p.verbs) &&
        anyIn(rule.apiGroups, p.apiGroups) &&
        anyIn(rule.resources, p.resources)
      )
        return true;
    }
  }
  return false;
}

/** A binding that applies to a subject, and the group it applies through (absent: by name). */
export interface Held {
  binding: RbacBinding;
  group?: string;
}

type HoldsCache = Map<RbacRole, [boolean?, boolean?]>;

/** Whether one binding's role gives a side (cached per role and scope). */
function bindingHolds(b: RbacBinding, side: Side, cache: HoldsCache): boolean {
  const role = b.role;
  if (!role) return false;
  const clusterWide = b.namespace === undefined;
  let entry = cache.get(role);
  if (!entry) cache.set(role, (entry = []));
  const i = clusterWide ? 0 : 1;
  let holds = entry[i];
  if (holds === undefined) entry[i] = holds = roleHolds(role, side, clusterWide);
  return holds;
}

/** Whether any held binding gives a side: the common no-conflict case allocates nothing. */
function holdsSide(held: readonly Held[], side: Side, cache: HoldsCache): boolean {
  for (const h of held) if (bindingHolds(h.binding, side, cache)) return true;
  return false;
}

function sideVia(held: readonly Held[], side: Side, cache: HoldsCache): Via[] {
  const out: Via[] = [];
  for (const { binding: b, group } of held) {
    if (b.role && bindingHolds(b, side, cache))
      out.push({ binding: bindingLabel(b), role: roleLabel(b.role), ...(group ? { group } : {}) });
  }
  return out;
}

function keyOf(s: RbacSubject): string {
  return s.kind === 'ServiceAccount'
    ? `ServiceAccount:${s.namespace ?? ''}:${s.name}`
    : `${s.kind}:${s.name}`;
}

/**
 * How a binding applies to a user or ServiceAccount: by name (no group), through one of its
 * implicit groups, or not at all (undefined).
 */
export function appliesThrough(b: RbacBinding, user: UserInfo): Held | undefined {
  const ns = b.namespace ?? '';
  const s = b.subjects.find((x) => subjectAppliesTo(x, user, ns));
  if (!s) return undefined;
  return s.kind === 'Group' ? { binding: b, group: s.name } : { binding: b };
}

/**
 * The bindings that may apply to an identity, found through indexes of the bindings'
 * subjects: by user name (User subjects, and ServiceAccount subjects as their user names) and
 * by group. Each subject's candidates are then checked exactly as the authorizer would, in the
 * order of `allBindings`, so only the bindings that name the subject or one of its groups are
 * looked at, not every binding for every subject.
 */
export class BindingIndex {
  private readonly byUser = new Map<string, number[]>();
  private readonly byGroup = new Map<string, number[]>();

  constructor(readonly bindings: readonly RbacBinding[]) {
    bindings.forEach((b, i) => {
      const ns = b.namespace ?? '';
      for (const s of b.subjects) {
        if (s.kind === 'Group') add(this.byGroup, s.name, i);
        else if (s.kind === 'User') add(this.byUser, s.name, i);
        else {
          const sns = s.namespace ?? ns;
          if (sns !== '') add(this.byUser, serviceAccountUsername(sns, s.name), i);
        }
      }
    });
  }

  /** Bindings with a Group subject of this name, in order. */
  ofGroup(name: string): RbacBinding[] {
    return (this.byGroup.get(name) ?? []).map((i) => this.bindings[i] as RbacBinding);
  }

  /** How each binding that applies to the user applies, in the order of the bindings. */
  heldBy(user: UserInfo): Held[] {
    const candidates = new Set<number>(this.byUser.get(user.name) ?? []);
    for (const g of user.groups) for (const i of this.byGroup.get(g) ?? []) candidates.add(i);
    const out: Held[] = [];
    for (const i of [...candidates].sort((x, y) => x - y)) {
      const h = appliesThrough(this.bindings[i] as RbacBinding, user);
      if (h) out.push(h);
    }
    return out;
  }
}

function add(map: Map<string, number[]>, key: string, i: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [i]);
  else if (list[list.length - 1] !== i) list.push(i);
}

/**
 * Evaluates the rules over every subject named in a binding and every ServiceAccount the
 * inventory declares or runs pods as. Without a namespace, a subject holding one side in one
 * namespace and the other side in another is a conflict; with one, both sides must apply there.
 */
export function evaluateSod(
  model: RbacModel,
  rules: readonly SodRule[],
  options: SodOptions = {},
): SodFinding[] {
  const subjects = new Map<string, { subject: RbacSubject; held: Held[] }>();
  const only = options.namespace;
  const bindings = allBindings(model).filter(
    (b) => only === undefined || b.namespace === undefined || b.namespace === only,
  );
  const index = new BindingIndex(bindings);
  const add = (subject: RbacSubject): void => {
    const k = keyOf(subject);
    if (subjects.has(k)) return;
    const held =
      subject.kind === 'Group'
        ? index.ofGroup(subject.name).map((b) => ({ binding: b }))
        : index.heldBy(identityOf(subject));
    subjects.set(k, { subject, held });
  };
  for (const b of bindings)
    for (const s of b.subjects) {
      // A ServiceAccount subject without a namespace means the RoleBinding's; in a
      // ClusterRoleBinding it names nobody.
      if (s.kind === 'ServiceAccount' && !s.namespace && !b.namespace) continue;
      add(s.kind === 'ServiceAccount' ? { ...s, namespace: s.namespace || (b.namespace ?? '') } : s);
    }
  for (const sa of model.serviceAccounts.values())
    add({ kind: 'ServiceAccount', namespace: sa.namespace, name: sa.name });
  const out: SodFinding[] = [];
  const sortedKeys = [...subjects.keys()].sort();
  for (const rule of rules) {
    const cacheA: HoldsCache = new Map();
    const cacheB: HoldsCache = new Map();
    for (const k of sortedKeys) {
      const e = subjects.get(k);
      if (!e || !holdsSide(e.held, rule.a, cacheA) || !holdsSide(e.held, rule.b, cacheB)) continue;
      const a = sideVia(e.held, rule.a, cacheA);
      const b = sideVia(e.held, rule.b, cacheB);
      out.push({
        ruleId: rule.id,
        title: rule.title,
        severity: rule.severity,
        subject: e.subject,
        ...(only !== undefined ? { namespace: only } : {}),
        a: { name: rule.a.name, via: a },
        b: { name: rule.b.name, via: b },
      });
    }
  }
  return out;
}
