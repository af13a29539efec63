/**
 * Seeded, pure generators of random RBAC configurations and random authorization questions,
 * for the differential test against a real API server. Everything a configuration creates
 * is named with its `prefix`, so successive configurations never collide; subjects, groups
 * and namespaces come from small pools so that questions often hit a grant.
 */
import { trimEndChars, type KubeObject } from '../core/index.js';
import { modelOf } from './builders.js';
import { allBindings } from './model.js';
import { identityOf } from './subjects.js';
import type { RbacSubject, RequestAttributes, UserInfo } from './types.js';

/** A small deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
const chance = (r: Rand, p: number): boolean => r() < p;
function some<T>(r: Rand, xs: readonly T[], max: number): T[] {
  const n = 1 + Math.floor(r() * max);
  const out: T[] = [];
  for (let i = 0; i < n; i++) {
    const x = pick(r, xs);
    if (!out.includes(x)) out.push(x);
  }
  return out;
}

/** Namespaces the configurations use; they must exist before objects are created in them. */
export const RANDOM_NAMESPACES = ['pd-a', 'pd-b', 'pd-c'] as const;
const USERS = ['alice', 'bob', 'carol', 'dave'];
const GROUPS = ['devs', 'ops', 'auditors'];
const IMPLICIT = [
  'system:authenticated',
  'system:unauthenticated',
  'system:serviceaccounts',
  'system:serviceaccounts:pd-a',
  'system:serviceaccounts:pd-b',
];
const SAS = ['sa1', 'sa2'];
const VERBS = [
  'get',
  'list',
  'watch',
  'create',
  'update',
  'patch',
  'delete',
  'deletecollection',
  'impersonate',
  'bind',
  'escalate',
  'use',
];
const API_GROUPS = ['', 'apps', 'batch', 'example.com'];
const RESOURCES = [
  'pods',
  'secrets',
  'configmaps',
  'deployments',
  'jobs',
  'widgets',
  'nodes',
  'namespaces',
  'users',
  'groups',
];
const SUBRESOURCES = ['log', 'exec', 'status', 'scale'];
const NAMES = ['n1', 'n2', 'n3'];
const URLS = [
  '/healthz',
  '/healthz/ready',
  '/metrics',
  '/metrics/x',
  '/apis/x',
  '/logs',
  '/logs/a/b',
  '/custom',
];
const RULE_URLS = ['/healthz', '/healthz/*', '/metrics', '/metrics*', '/apis/*', '/logs/*', '/custom', '*'];

const RBAC = 'rbac.authorization.k8s.io';
const V1 = `${RBAC}/v1`;
/** Label key prefix of aggregation labels; a configuration's roles only select their own prefix. */
const AGG = 'pd.palisade.dev';

function randomRule(r: Rand, clusterRole: boolean): Record<string, string[]> {
  if (clusterRole && chance(r, 0.15))
    return {
      verbs: chance(r, 0.2) ? ['*'] : some(r, ['get', 'post', 'put', 'delete'], 2),
      nonResourceURLs: some(r, RULE_URLS, 2),
    };
  const verbs = chance(r, 0.1) ? ['*'] : some(r, VERBS, 3);
  const apiGroups = chance(r, 0.1) ? ['*'] : some(r, API_GROUPS, 2);
  const resources: string[] = [];
  const n = 1 + Math.floor(r() * 3);
  for (let i = 0; i < n; i++) {
    const x = r();
    let res: string;
    if (x < 0.06) res = '*';
    else if (x < 0.14) res = `*/${pick(r, SUBRESOURCES)}`;
    else if (x < 0.18) res = `${pick(r, RESOURCES)}/*`;
    else if (x < 0.35) res = `${pick(r, RESOURCES)}/${pick(r, SUBRESOURCES)}`;
    else res = pick(r, RESOURCES);
    if (!resources.includes(res)) resources.push(res);
  }
  const rule: Record<string, string[]> = { verbs, apiGroups, resources };
  if (chance(r, 0.25)) rule.resourceNames = some(r, NAMES, 2);
  return rule;
}

function randomSubject(r: Rand, namespaced: boolean): Record<string, string> {
  const x = r();
  if (x < 0.35)
    return {
      kind: 'User',
      apiGroup: RBAC,
      name: pick(r, [
        ...USERS,
        'system:anonymous',
        `system:serviceaccount:${pick(r, RANDOM_NAMESPACES)}:${pick(r, SAS)}`,
      ]),
    };
  if (x < 0.65)
    return { kind: 'Group', apiGroup: RBAC, name: chance(r, 0.35) ? pick(r, IMPLICIT) : pick(r, GROUPS) };
  const s: Record<string, string> = { kind: 'ServiceAccount', name: pick(r, SAS) };
  if (!namespaced || chance(r, 0.7)) s.namespace = pick(r, RANDOM_NAMESPACES);
  return s;
}

/** One random configuration: the objects to create, in an order the API server accepts. */
export interface RandomConfiguration {
  seed: number;
  prefix: string;
  objects: KubeObject[];
}

/**
 * Generates a configuration: ClusterRoles (some aggregated, two levels deep, never a
 * cycle), Roles, ClusterRoleBindings and RoleBindings (some to roles that do not exist),
 * with users, groups (implicit ones too) and ServiceAccounts (with and without namespace).
 */
export function randomConfiguration(seed: number, prefix: string): RandomConfiguration {
  const r = prng(seed);
  const objects: KubeObject[] = [];
  const clusterRoleNames: string[] = [];
  const roleNames: Record<string, string[]> = {};
  const nBase = 1 + Math.floor(r() * 4);
  for (let i = 0; i < nBase; i++) {
    const name = `${prefix}-cr${i}`;
    // Every base role carries the configuration's marker and every selector of a middle
    // aggregated role requires it, so aggregation never reaches other roles (built-in ones
    // included) and never forms a cycle.
    const labels: Record<string, string> = { [`${AGG}/${prefix}`]: 'base' };
    if (chance(r, 0.6)) labels[`${AGG}/${prefix}-l1`] = pick(r, ['x', 'y']);
    if (chance(r, 0.3)) labels[`${AGG}/${prefix}-t`] = pick(r, ['1', '2']);
    const rules = Array.from({ length: Math.floor(r() * 3) + (chance(r, 0.9) ? 1 : 0) }, () =>
      randomRule(r, true),
    );
    objects.push({ apiVersion: V1, kind: 'ClusterRole', metadata: { name, labels }, rules });
    clusterRoleNames.push(name);
  }
  const nAgg = Math.floor(r() * 3);
  for (let i = 0; i < nAgg; i++) {
    const name = `${prefix}-agg${i}`;
    const selector = chance(r, 0.7)
      ? { matchLabels: { [`${AGG}/${prefix}`]: 'base', [`${AGG}/${prefix}-l1`]: pick(r, ['x', 'y']) } }
      : {
          matchLabels: { [`${AGG}/${prefix}`]: 'base' },
          matchExpressions: [
            { key: `${AGG}/${prefix}-t`, operator: pick(r, ['In', 'Exists', 'NotIn']), values: ['1'] },
          ],
        };
    const fixed = selector.matchExpressions?.[0];
    if (fixed && fixed.operator === 'Exists') delete (fixed as { values?: string[] }).values;
    const labels: Record<string, string> = chance(r, 0.5) ? { [`${AGG}/${prefix}-l2`]: 'z' } : {};
    objects.push({
      apiVersion: V1,
      kind: 'ClusterRole',
      metadata: { name, labels },
      aggregationRule: { clusterRoleSelectors: [selector] },
      rules: [],
    });
    clusterRoleNames.push(name);
  }
  if (nAgg > 0 && chance(r, 0.4)) {
    const name = `${prefix}-top`;
    objects.push({
      apiVersion: V1,
      kind: 'ClusterRole',
      metadata: { name },
      aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [`${AGG}/${prefix}-l2`]: 'z' } }] },
      rules: [],
    });
    clusterRoleNames.push(name);
  }
  const nRoles = Math.floor(r() * 4);
  for (let i = 0; i < nRoles; i++) {
    const ns = pick(r, RANDOM_NAMESPACES);
    const name = `${prefix}-r${i}`;
    objects.push({
      apiVersion: V1,
      kind: 'Role',
      metadata: { name, namespace: ns },
      rules: Array.from({ length: 1 + Math.floor(r() * 3) }, () => randomRule(r, false)),
    });
    (roleNames[ns] ??= []).push(name);
  }
  const nCrb = Math.floor(r() * 4);
  for (let i = 0; i < nCrb; i++) {
    const roleName = chance(r, 0.1) ? `${prefix}-missing` : pick(r, clusterRoleNames);
    objects.push({
      apiVersion: V1,
      kind: 'ClusterRoleBinding',
      metadata: { name: `${prefix}-crb${i}` },
      roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: roleName },
      subjects: Array.from({ length: 1 + Math.floor(r() * 3) }, () => randomSubject(r, false)),
    });
  }
  const nRb = 1 + Math.floor(r() * 5);
  for (let i = 0; i < nRb; i++) {
    const ns = pick(r, RANDOM_NAMESPACES);
    const local = roleNames[ns] ?? [];
    const useRole = local.length > 0 && chance(r, 0.5);
    const roleRef = chance(r, 0.08)
      ? { apiGroup: RBAC, kind: pick(r, ['Role', 'ClusterRole']), name: `${prefix}-missing` }
      : useRole
        ? { apiGroup: RBAC, kind: 'Role', name: pick(r, local) }
        : { apiGroup: RBAC, kind: 'ClusterRole', name: pick(r, clusterRoleNames) };
    objects.push({
      apiVersion: V1,
      kind: 'RoleBinding',
      metadata: { name: `${prefix}-rb${i}`, namespace: ns },
      roleRef,
      subjects: Array.from({ length: 1 + Math.floor(r() * 3) }, () => randomSubject(r, true)),
    });
  }
  return { seed, prefix, objects };
}

/** One question: who asks, and what. */
export interface RandomQuestion {
  user: UserInfo;
  attrs: RequestAttributes;
}

function randomUser(r: Rand): UserInfo {
  const x = r();
  if (x < 0.4) {
    const ns = pick(r, RANDOM_NAMESPACES);
    return identityOf({ kind: 'ServiceAccount', namespace: ns, name: pick(r, SAS) });
  }
  if (x < 0.47) return identityOf({ kind: 'User', name: 'system:anonymous' });
  const extra = chance(r, 0.6) ? some(r, GROUPS, 2) : [];
  return identityOf({ kind: 'User', name: pick(r, USERS) }, extra);
}

/**
 * Generates questions for a configuration: about half are built from one of its rules
 * (so they often hit a grant, and its near misses), the rest are drawn from the pools.
 */
export function randomQuestions(config: RandomConfiguration, seed: number, count: number): RandomQuestion[] {
  const r = prng(seed);
  const model = modelOf(config.objects, { bootstrapRoles: false });
  const bindings = allBindings(model).filter((b) => b.role && b.subjects.length > 0);
  const anyRules: Record<string, unknown>[] = [];
  for (const o of config.objects)
    if (Array.isArray(o.rules)) anyRules.push(...(o.rules as Record<string, unknown>[]));
  const userFor = (s: RbacSubject, ns: string | undefined): UserInfo => {
    if (s.kind === 'User') return identityOf(s, chance(r, 0.4) ? some(r, GROUPS, 2) : []);
    if (s.kind === 'ServiceAccount') return identityOf({ ...s, namespace: s.namespace ?? ns ?? 'pd-a' });
    if (s.name.startsWith('system:serviceaccounts'))
      return identityOf({
        kind: 'ServiceAccount',
        namespace: s.name.split(':')[2] ?? pick(r, RANDOM_NAMESPACES),
        name: pick(r, SAS),
      });
    if (s.name === 'system:unauthenticated') return identityOf({ kind: 'User', name: 'system:anonymous' });
    return identityOf(
      { kind: 'User', name: pick(r, USERS) },
      s.name === 'system:authenticated' ? [] : [s.name],
    );
  };
  const out: RandomQuestion[] = [];
  for (let i = 0; i < count; i++) {
    let user = randomUser(r);
    let rule: Record<string, unknown> | undefined;
    let bindingNs: string | undefined;
    let targeted = false;
    if (bindings.length > 0 && chance(r, 0.6)) {
      const b = pick(r, bindings);
      const rules = b.role?.rules ?? [];
      if (rules.length > 0) {
        user = userFor(pick(r, b.subjects), b.namespace);
        rule = { ...pick(r, rules) };
        if (Array.isArray(rule.nonResourceURLs) && rule.nonResourceURLs.length === 0)
          delete rule.nonResourceURLs;
        bindingNs = b.namespace;
        targeted = true;
      }
    }
    if (!rule && anyRules.length > 0 && chance(r, 0.4)) rule = pick(r, anyRules);
    const concrete = (xs: unknown, pool: readonly string[]): string => {
      const list = Array.isArray(xs) ? (xs as string[]) : [];
      const v = list.length > 0 && chance(r, 0.8) ? pick(r, list) : pick(r, pool);
      return v === '*' && chance(r, 0.8) ? pick(r, pool) : v;
    };
    if (
      (rule && Array.isArray(rule.nonResourceURLs) && rule.nonResourceURLs.length > 0) ||
      (!rule && chance(r, 0.12))
    ) {
      const verb = rule ? concrete(rule.verbs, ['get', 'post']) : pick(r, ['get', 'post', 'put']);
      let path = pick(r, URLS);
      const ruleUrls = rule && Array.isArray(rule.nonResourceURLs) ? (rule.nonResourceURLs as string[]) : [];
      if (ruleUrls.length > 0 && chance(r, 0.6)) {
        const u = pick(r, ruleUrls);
        path =
          u === '*'
            ? pick(r, URLS)
            : u.endsWith('*')
              ? `${trimEndChars(u, '*')}${pick(r, ['', 'x', '/y/z'])}`
              : u;
      }
      out.push({ user, attrs: { resourceRequest: false, verb, path } });
      continue;
    }
    const verb = rule ? concrete(rule.verbs, VERBS) : pick(r, VERBS);
    const apiGroup = rule ? concrete(rule.apiGroups, API_GROUPS) : pick(r, API_GROUPS);
    let resource = pick(r, RESOURCES);
    let subresource = chance(r, 0.25) ? pick(r, SUBRESOURCES) : '';
    if (rule && chance(r, 0.85)) {
      const res = concrete(rule.resources, RESOURCES);
      const [head, sub] = res.split('/');
      resource = head === '*' || head === undefined || head === '' ? pick(r, RESOURCES) : head;
      subresource =
        sub === undefined
          ? chance(r, 0.15)
            ? pick(r, SUBRESOURCES)
            : ''
          : sub === '*'
            ? chance(r, 0.5)
              ? '*'
              : pick(r, SUBRESOURCES)
            : sub;
    }
    const names = rule && Array.isArray(rule.resourceNames) ? (rule.resourceNames as string[]) : [];
    const name = chance(r, 0.45) ? '' : names.length > 0 && chance(r, 0.7) ? pick(r, names) : pick(r, NAMES);
    const namespace =
      targeted && bindingNs !== undefined && chance(r, 0.8)
        ? bindingNs
        : chance(r, 0.2)
          ? ''
          : pick(r, RANDOM_NAMESPACES);
    out.push({
      user,
      attrs: { resourceRequest: true, verb, apiGroup, resource, subresource, namespace, name },
    });
  }
  return out;
}
