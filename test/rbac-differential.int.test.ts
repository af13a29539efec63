/**
 * Differential test of Palisade's RBAC authorizer against a real kube-apiserver: random
 * configurations are created through the admin user, and every random question is asked
 * both of `authorize()` and of the API server (SubjectAccessReview). Any disagreement fails
 * the test and is printed with the smallest configuration that still shows it. Where exactly
 * one binding allows a question, the reason Palisade gives (as CEL's `authorizer` checks
 * return it) must also be the API server's, word for word.
 *
 * PALISADE_RBAC_DIFF_CONFIGS and PALISADE_RBAC_DIFF_QUESTIONS (per configuration) change the
 * size (defaults 200 × 50 = 10,000 questions).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../src/core/index.js';
import {
  allGrants,
  authorize,
  describeGrant,
  modelOf,
  RANDOM_NAMESPACES,
  randomConfiguration,
  randomQuestions,
  type RandomQuestion,
  type RequestAttributes,
} from '../src/rbac/index.js';
import {
  requireHarnessOrSkip,
  restClient,
  startCluster,
  type ClusterUser,
  type RestCall,
  type TestCluster,
} from './harness/index.js';

const gate = requireHarnessOrSkip();
if (!gate.run) console.log(`rbac differential test skipped: ${gate.reason ?? ''}`);

const CONFIGS = Number(process.env.PALISADE_RBAC_DIFF_CONFIGS ?? 200);
const QUESTIONS = Number(process.env.PALISADE_RBAC_DIFF_QUESTIONS ?? 50);

/** A tiny client for the API server with a client certificate. */
class Kube {
  readonly call: RestCall;
  close: () => void;
  constructor(cluster: TestCluster, user: ClusterUser) {
    const client = restClient(cluster, user, { maxSockets: 8 });
    this.call = client.call;
    this.close = client.close;
  }
}

function collectionPath(o: KubeObject): string {
  const plural = `${o.kind.toLowerCase()}s`;
  const ns = o.metadata?.namespace;
  if (o.apiVersion === 'v1') return ns ? `/api/v1/namespaces/${ns}/${plural}` : `/api/v1/${plural}`;
  return ns ? `/apis/${o.apiVersion}/namespaces/${ns}/${plural}` : `/apis/${o.apiVersion}/${plural}`;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let delay = 5;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 200);
  }
}

async function sar(kube: Kube, q: RandomQuestion): Promise<{ allowed: boolean; reason: string }> {
  const a = q.attrs;
  const spec: Record<string, unknown> = { user: q.user.name, groups: q.user.groups };
  if (a.resourceRequest)
    spec.resourceAttributes = {
      verb: a.verb,
      group: a.apiGroup,
      resource: a.resource,
      subresource: a.subresource,
      namespace: a.namespace,
      name: a.name,
    };
  else spec.nonResourceAttributes = { verb: a.verb, path: a.path };
  const res = await kube.call('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    spec,
  });
  if (res.status !== 201 && res.status !== 200)
    throw new Error(`SubjectAccessReview failed: ${res.status} ${JSON.stringify(res.json)}`);
  const status = res.json.status as { allowed?: boolean; reason?: string } | undefined;
  return { allowed: status?.allowed === true, reason: status?.reason ?? '' };
}

const LISTS: [string, string][] = [
  ['/apis/rbac.authorization.k8s.io/v1/clusterroles', 'ClusterRole'],
  ['/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', 'ClusterRoleBinding'],
  ['/apis/rbac.authorization.k8s.io/v1/roles', 'Role'],
  ['/apis/rbac.authorization.k8s.io/v1/rolebindings', 'RoleBinding'],
];

async function serverObjects(kube: Kube): Promise<KubeObject[]> {
  const out: KubeObject[] = [];
  for (const [p, kind] of LISTS) {
    const res = await kube.call('GET', p);
    for (const item of (res.json.items as KubeObject[] | undefined) ?? [])
      out.push({ ...item, apiVersion: 'rbac.authorization.k8s.io/v1', kind });
  }
  return out;
}

function sentinels(prefix: string): KubeObject[] {
  const rbac = 'rbac.authorization.k8s.io';
  const rule = (r: string) => [{ verbs: ['get'], apiGroups: ['sentinel.palisade.dev'], resources: [r] }];
  const subjects = [{ kind: 'User', apiGroup: rbac, name: 'palisade-sentinel' }];
  return [
    {
      apiVersion: `${rbac}/v1`,
      kind: 'ClusterRole',
      metadata: { name: `${prefix}-sentinel` },
      rules: rule(`${prefix}-cluster`),
    },
    {
      apiVersion: `${rbac}/v1`,
      kind: 'ClusterRoleBinding',
      metadata: { name: `${prefix}-sentinel` },
      roleRef: { apiGroup: rbac, kind: 'ClusterRole', name: `${prefix}-sentinel` },
      subjects,
    },
    {
      apiVersion: `${rbac}/v1`,
      kind: 'Role',
      metadata: { name: `${prefix}-sentinel`, namespace: 'pd-c' },
      rules: rule(`${prefix}-ns`),
    },
    {
      apiVersion: `${rbac}/v1`,
      kind: 'RoleBinding',
      metadata: { name: `${prefix}-sentinel`, namespace: 'pd-c' },
      roleRef: { apiGroup: rbac, kind: 'Role', name: `${prefix}-sentinel` },
      subjects,
    },
  ];
}

/** Applies a configuration (after deleting the previous one) and waits until the authorizer sees all of it. */
async function apply(
  kube: Kube,
  previous: KubeObject[],
  objects: KubeObject[],
  prefix: string,
): Promise<KubeObject[]> {
  for (const o of previous) {
    const res = await kube.call('DELETE', `${collectionPath(o)}/${o.metadata?.name ?? ''}`);
    if (res.status >= 300 && res.status !== 404)
      throw new Error(`delete ${o.kind} ${o.metadata?.name}: ${res.status}`);
  }
  // The harness runs no kube-controller-manager, hence no aggregation controller, and the
  // authorizer only ever reads stored rules: this test plays the controller's part and
  // creates each aggregated ClusterRole holding the union Palisade computes. Aggregation is
  // thereby not compared with upstream here (src/rbac/authorize.test.ts covers it).
  const computed = modelOf([...(await serverObjects(kube)), ...objects], { bootstrapRoles: false });
  for (const o of objects) {
    let body = o;
    if (o.kind === 'ClusterRole' && o.aggregationRule) {
      const rules = (computed.clusterRoles.get(o.metadata?.name ?? '')?.rules ?? []).map((r) => ({
        verbs: r.verbs,
        ...(r.nonResourceURLs.length > 0
          ? { nonResourceURLs: r.nonResourceURLs }
          : { apiGroups: r.apiGroups, resources: r.resources }),
        ...(r.resourceNames.length > 0 ? { resourceNames: r.resourceNames } : {}),
      }));
      body = { ...o, rules };
    }
    const res = await kube.call('POST', collectionPath(o), body);
    if (res.status >= 300)
      throw new Error(`create ${o.kind} ${o.metadata?.name}: ${res.status} ${JSON.stringify(res.json)}`);
  }
  // Each RBAC informer delivers events in order: once sentinels created last are visible
  // to the authorizer, everything before them is too.
  const marks = sentinels(prefix);
  for (const o of marks) {
    const res = await kube.call('POST', collectionPath(o), o);
    if (res.status >= 300) throw new Error(`create sentinel ${o.kind}: ${res.status}`);
  }
  const sentinelUser = { name: 'palisade-sentinel', groups: ['system:authenticated'] };
  const q = (resource: string, namespace: string): RandomQuestion => ({
    user: sentinelUser,
    attrs: {
      resourceRequest: true,
      verb: 'get',
      apiGroup: 'sentinel.palisade.dev',
      resource,
      subresource: '',
      namespace,
      name: '',
    },
  });
  await until('the authorizer cache', async () =>
    (await sar(kube, q(`${prefix}-cluster`, ''))).allowed &&
    (await sar(kube, q(`${prefix}-ns`, 'pd-c'))).allowed
      ? true
      : undefined,
  );
  return [...objects, ...marks];
}

function describeQuestion(q: RandomQuestion): string {
  const a: RequestAttributes = q.attrs;
  const who = `${q.user.name} [${q.user.groups.join(', ')}]`;
  if (!a.resourceRequest) return `${who} ${a.verb} ${a.path}`;
  return `${who} ${a.verb} group=${JSON.stringify(a.apiGroup)} resource=${a.resource}${a.subresource ? `/${a.subresource}` : ''} ns=${JSON.stringify(a.namespace)} name=${JSON.stringify(a.name)}`;
}

describe.skipIf(!gate.run)('RBAC authorizer agrees with kube-apiserver', () => {
  let cluster: TestCluster | undefined;
  let kube: Kube | undefined;

  beforeAll(async () => {
    cluster = await startCluster();
    kube = new Kube(cluster, cluster.admin);
    for (const ns of RANDOM_NAMESPACES) {
      const res = await kube.call('POST', '/api/v1/namespaces', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: ns },
      });
      if (res.status >= 300 && res.status !== 409) throw new Error(`create namespace ${ns}: ${res.status}`);
    }
  }, 180_000);

  afterAll(async () => {
    kube?.close();
    await cluster?.stop();
  });

  it(`${CONFIGS} configurations × ${QUESTIONS} questions: 100% agreement`, async () => {
    if (!kube) throw new Error('no cluster');
    const k = kube;
    let previous: KubeObject[] = [];
    let asked = 0;
    let allowed = 0;
    let reasonsCompared = 0;
    const reasonMismatches: string[] = [];
    const disagreements: {
      config: number;
      objects: KubeObject[];
      question: RandomQuestion;
      server: boolean;
      ours: boolean;
    }[] = [];
    for (let i = 0; i < CONFIGS; i++) {
      const config = randomConfiguration(10_000 + i, `c${i}`);
      previous = await apply(k, previous, config.objects, config.prefix);
      const model = modelOf(await serverObjects(k), { bootstrapRoles: false });
      for (const q of randomQuestions(config, 20_000 + i, QUESTIONS)) {
        const answer = await sar(k, q);
        const server = answer.allowed;
        const decision = authorize(model, q.user, q.attrs);
        const ours = decision.allowed;
        asked++;
        if (server) allowed++;
        if (server !== ours)
          disagreements.push({ config: i, objects: config.objects, question: q, server, ours });
        // Upstream visits bindings in its cache's order: with one allowing binding the reason is determined.
        const bindings = new Set(allGrants(model, q.user, q.attrs).map((g) => g.binding));
        if (server && decision.reason && bindings.size === 1) {
          reasonsCompared++;
          const reason = `RBAC: allowed by ${describeGrant(decision.reason, q.user)}`;
          if (reason !== answer.reason)
            reasonMismatches.push(
              `${describeQuestion(q)}: API server "${answer.reason}", Palisade "${reason}"`,
            );
        }
      }
    }
    console.log(
      `rbac differential: ${CONFIGS} configurations, ${asked} questions, ${asked - disagreements.length} agree (${(((asked - disagreements.length) / asked) * 100).toFixed(2)}%); the API server allowed ${allowed} and denied ${asked - allowed}; reasons compared ${reasonsCompared}, differing ${reasonMismatches.length}`,
    );

    // Shrink the first few disagreements to a minimal configuration (greedy one-object removal).
    let round = 0;
    for (const d of disagreements.slice(0, 3)) {
      let objects = d.objects;
      for (let j = 0; j < objects.length;) {
        const candidate = objects.filter((_, x) => x !== j);
        const prefix = `m${round++}`;
        const renamed = JSON.parse(
          JSON.stringify(candidate).replaceAll(`"c${d.config}-`, `"${prefix}-`),
        ) as KubeObject[];
        previous = await apply(k, previous, renamed, prefix);
        const model = modelOf(await serverObjects(k), { bootstrapRoles: false });
        const server = (await sar(k, d.question)).allowed;
        const ours = authorize(model, d.question.user, d.question.attrs).allowed;
        if (server !== ours) objects = candidate;
        else j++;
      }
      console.log(
        `DISAGREEMENT (configuration ${d.config}): ${describeQuestion(d.question)}: API server ${d.server ? 'allows' : 'denies'}, Palisade ${d.ours ? 'allows' : 'denies'}\nminimal configuration:\n${JSON.stringify(objects, null, 2)}`,
      );
    }
    expect(asked).toBeGreaterThanOrEqual(CONFIGS * QUESTIONS);
    expect(reasonMismatches.slice(0, 5)).toEqual([]);
    expect(reasonsCompared).toBeGreaterThan(0);
    expect(disagreements.map((d) => `${d.config}: ${describeQuestion(d.question)}`)).toEqual([]);
  }, 3_600_000);
});
