/**
 * RBAC at scale: a generated cluster of 5,000 RoleBindings, 700 ClusterRoleBindings,
 * 1,400 Roles, 750 ClusterRoles and 3,000 ServiceAccounts. Prints the model build time,
 * who-can latency (p50/p99 over 1,000 queries), the full escalation analysis (graph, every
 * shortest path to every default target, segregation of duties) and peak RSS, with the
 * time to load the same objects (JSON parse + inventory) as the baseline.
 */
import type { KubeObject } from '../src/core/index.js';
import {
  buildEscalationGraph,
  buildRbacModel,
  compileSodRules,
  DEFAULT_SOD_RULES,
  evaluateSod,
  findPaths,
  inventoryOf,
  prng,
  whoCan,
  type RequestAttributes,
} from '../src/rbac/index.js';

const NAMESPACES = 100;
const SAS = 3000;
const ROLES = 1400;
const CLUSTER_ROLES = 750;
const ROLE_BINDINGS = 5000;
const CLUSTER_ROLE_BINDINGS = 700;
const QUERIES = 1000;

const V1 = 'rbac.authorization.k8s.io/v1';
const VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];
const RES: [string, string][] = [
  ['', 'pods'],
  ['', 'pods/log'],
  ['', 'pods/exec'],
  ['', 'secrets'],
  ['', 'configmaps'],
  ['', 'services'],
  ['apps', 'deployments'],
  ['apps', 'statefulsets'],
  ['batch', 'jobs'],
  ['networking.k8s.io', 'ingresses'],
  ['', 'serviceaccounts/token'],
  ['rbac.authorization.k8s.io', 'rolebindings'],
];

function generate(seed: number): KubeObject[] {
  const r = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const ns = (i: number): string => `team-${i % NAMESPACES}`;
  const rules = (): unknown[] =>
    Array.from({ length: 2 + Math.floor(r() * 5) }, () => {
      const [g, res] = pick(RES);
      return r() < 0.03
        ? { verbs: ['*'], apiGroups: ['*'], resources: ['*'] }
        : {
            verbs: Array.from(new Set([pick(VERBS), pick(VERBS)])),
            apiGroups: [g],
            resources: [res],
            ...(r() < 0.1 ? { resourceNames: ['a', 'b'] } : {}),
          };
    });
  const out: KubeObject[] = [];
  for (let i = 0; i < NAMESPACES; i++)
    out.push({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: ns(i),
        ...(i % 3 === 0 ? { labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } : {}),
      },
    });
  for (let i = 0; i < SAS; i++)
    out.push({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: `sa-${i}`, namespace: ns(i) } });
  for (let i = 0; i < CLUSTER_ROLES; i++) {
    const aggregated = i % 50 === 0;
    out.push({
      apiVersion: V1,
      kind: 'ClusterRole',
      metadata: { name: `cr-${i}`, labels: { tier: String(i % 7) } },
      ...(aggregated
        ? { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { tier: String(i % 7) } }] }, rules: [] }
        : { rules: rules() }),
    });
  }
  for (let i = 0; i < ROLES; i++)
    out.push({
      apiVersion: V1,
      kind: 'Role',
      metadata: { name: `role-${i}`, namespace: ns(i) },
      rules: rules(),
    });
  const subject = (i: number): Record<string, string> => {
    const x = r();
    if (x < 0.6) return { kind: 'ServiceAccount', name: `sa-${Math.floor(r() * SAS)}`, namespace: ns(i) };
    if (x < 0.85)
      return { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: `user-${Math.floor(r() * 500)}` };
    return { kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: `group-${Math.floor(r() * 40)}` };
  };
  for (let i = 0; i < ROLE_BINDINGS; i++) {
    const local = r() < 0.6;
    out.push({
      apiVersion: V1,
      kind: 'RoleBinding',
      metadata: { name: `rb-${i}`, namespace: ns(i) },
      roleRef: local
        ? {
            apiGroup: 'rbac.authorization.k8s.io',
            kind: 'Role',
            name: `role-${(i % NAMESPACES) + NAMESPACES * Math.floor(r() * (ROLES / NAMESPACES))}`,
          }
        : {
            apiGroup: 'rbac.authorization.k8s.io',
            kind: 'ClusterRole',
            name: `cr-${Math.floor(r() * CLUSTER_ROLES)}`,
          },
      subjects: Array.from({ length: 1 + Math.floor(r() * 3) }, () => subject(i)),
    });
  }
  for (let i = 0; i < CLUSTER_ROLE_BINDINGS; i++)
    out.push({
      apiVersion: V1,
      kind: 'ClusterRoleBinding',
      metadata: { name: `crb-${i}` },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: `cr-${Math.floor(r() * CLUSTER_ROLES)}`,
      },
      subjects: Array.from({ length: 1 + Math.floor(r() * 3) }, () => subject(Math.floor(r() * NAMESPACES))),
    });
  return out;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
}

export function run(): Promise<string> {
  const objects = generate(42);
  const json = JSON.stringify(objects);

  let t = performance.now();
  const inventory = inventoryOf(JSON.parse(json) as KubeObject[]);
  const loadMs = performance.now() - t;

  t = performance.now();
  const model = buildRbacModel(inventory);
  const buildMs = performance.now() - t;

  const r = prng(7);
  const latencies: number[] = [];
  let answers = 0;
  for (let i = 0; i < QUERIES; i++) {
    const [apiGroup, res] = RES[Math.floor(r() * RES.length)] ?? ['', 'pods'];
    const [resource = 'pods', subresource = ''] = res.split('/');
    const attrs: RequestAttributes = {
      resourceRequest: true,
      verb: VERBS[Math.floor(r() * VERBS.length)] ?? 'get',
      apiGroup,
      resource,
      subresource,
      namespace: r() < 0.1 ? '' : `team-${Math.floor(r() * NAMESPACES)}`,
      name: '',
    };
    const q = performance.now();
    answers += whoCan(model, attrs).length;
    latencies.push(performance.now() - q);
  }

  t = performance.now();
  const graph = buildEscalationGraph(model);
  const graphMs = performance.now() - t;
  const paths = findPaths(graph);
  const pathsMs = performance.now() - t - graphMs;
  const sodRules = compileSodRules(DEFAULT_SOD_RULES);
  if (!sodRules.ok) throw new Error(sodRules.error.join('; '));
  const conflicts = evaluateSod(model, sodRules.value);
  const analysisMs = performance.now() - t;
  console.log(
    `  graph ${graphMs.toFixed(0)} ms, paths ${pathsMs.toFixed(0)} ms, segregation of duties ${(analysisMs - graphMs - pathsMs).toFixed(0)} ms`,
  );
  const rssMiB = process.resourceUsage().maxRSS / 1024;

  const p50 = percentile(latencies, 50);
  const p99 = percentile(latencies, 99);
  console.log(
    `cluster: ${objects.length} objects (${ROLE_BINDINGS} RoleBindings, ${CLUSTER_ROLE_BINDINGS} ClusterRoleBindings, ${ROLES} Roles, ${CLUSTER_ROLES} ClusterRoles, ${SAS} ServiceAccounts, ${NAMESPACES} namespaces); ${model.issues.length} model issues`,
  );
  console.log(`load baseline (JSON.parse + inventory): ${loadMs.toFixed(0)} ms`);
  console.log(`model build: ${buildMs.toFixed(0)} ms  (ratio to load ${(buildMs / loadMs).toFixed(2)})`);
  console.log(
    `who-can over ${QUERIES} queries: p50 ${p50.toFixed(3)} ms, p99 ${p99.toFixed(3)} ms; ${answers} subjects in all`,
  );
  console.log(
    `escalation analysis: ${graph.nodes.size} nodes, ${graph.edgeCount} edges, ${paths.length} shortest paths, ${conflicts.length} SoD conflicts in ${analysisMs.toFixed(0)} ms (target <= 2000; ratio to load ${(analysisMs / loadMs).toFixed(2)})`,
  );
  console.log(`peak RSS: ${rssMiB.toFixed(0)} MiB (target <= 300)`);
  return Promise.resolve(
    `bench rbac: build_s=${(buildMs / 1000).toFixed(3)} whocan_p50_ms=${p50.toFixed(3)} whocan_p99_ms=${p99.toFixed(3)} analysis_s=${(analysisMs / 1000).toFixed(3)} peak_rss_mib=${rssMiB.toFixed(0)} build_to_load=${(buildMs / loadMs).toFixed(2)}`,
  );
}
