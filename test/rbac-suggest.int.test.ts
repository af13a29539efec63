/**
 * Suggested roles end to end: a client exercises a known set of calls against the real API
 * server, the audit log it leaves is turned into a suggested Role, and once that Role
 * replaces the broad grant the same calls succeed while a call outside the set is forbidden.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../src/core/index.js';
import { parseAuditLog, suggestRoles } from '../src/rbac/index.js';
import {
  eventually,
  requireHarnessOrSkip,
  restClient,
  type RestCall,
  startCluster,
  type ClusterUser,
  type TestCluster,
} from './harness/index.js';

const gate = requireHarnessOrSkip();
if (!gate.run) console.log(`rbac suggest integration test skipped: ${gate.reason ?? ''}`);

function client(cluster: TestCluster, user: ClusterUser): { call: RestCall; close: () => void } {
  return restClient(cluster, user);
}

const NS = 'suggest';
const USER = 'palisade-suggest-user';
const cm = (name: string) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: NS },
  data: { a: '1' },
});
const base = `/api/v1/namespaces/${NS}/configmaps`;

/** The known set of calls: list, create cm1, get cm1, patch cm1. */
async function knownCalls(call: RestCall): Promise<number[]> {
  return [
    (await call('GET', base)).status,
    (await call('POST', base, cm('cm1'))).status,
    (await call('GET', `${base}/cm1`)).status,
    (await call('PATCH', `${base}/cm1`, { data: { a: '2' } })).status,
  ];
}

describe.skipIf(!gate.run)('rbac suggest against kube-apiserver audit logs', () => {
  let cluster: TestCluster | undefined;
  let admin: ReturnType<typeof client> | undefined;
  let user: ReturnType<typeof client> | undefined;

  beforeAll(async () => {
    cluster = await startCluster();
    admin = client(cluster, cluster.admin);
    user = client(cluster, await cluster.user(USER, []));
    expect(
      (
        await admin.call('POST', '/api/v1/namespaces', {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: NS },
        })
      ).status,
    ).toBe(201);
  }, 180_000);

  afterAll(async () => {
    admin?.close();
    user?.close();
    await cluster?.stop();
  });

  const sar = async (verb: string, name: string): Promise<boolean> => {
    const res = await admin?.call('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user: USER,
        groups: ['system:authenticated'],
        resourceAttributes: { verb, resource: 'configmaps', namespace: NS, name },
      },
    });
    return (res?.json.status as { allowed?: boolean } | undefined)?.allowed === true;
  };

  it('suggests exactly the observed calls, and the suggestion is enough and no more', async () => {
    if (!cluster || !admin || !user) throw new Error('no cluster');
    const a = admin;
    const u = user;
    // A broad grant to start from.
    const broad: KubeObject[] = [
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'broad', namespace: NS },
        rules: [{ apiGroups: [''], resources: ['*'], verbs: ['*'] }],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'broad', namespace: NS },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'broad' },
        subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: USER }],
      },
    ];
    for (const o of broad)
      expect(
        (
          await a.call(
            'POST',
            `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/${o.kind.toLowerCase()}s`,
            o,
          )
        ).status,
      ).toBe(201);
    await eventually(async () => {
      if (!(await sar('delete', 'x'))) throw new Error('broad grant not visible yet');
    });

    expect(await knownCalls(u.call)).toEqual([200, 201, 200, 200]);

    // The audit log is written as requests complete: wait until all four are in it.
    const calls = await eventually(() => {
      const parsed = parseAuditLog(readFileSync(cluster?.auditLogPath ?? '', 'utf8'));
      const mine = parsed.calls.filter(
        (c) => c.user.name === USER && c.attrs.resourceRequest && c.attrs.resource === 'configmaps',
      );
      if (mine.length < 4) throw new Error(`audit log has ${mine.length} of 4 calls`);
      return Promise.resolve(mine);
    });
    const [suggestion] = suggestRoles(calls, { subjects: [{ kind: 'User', name: USER }] });
    expect([...(suggestion?.rules ?? new Map()).entries()]).toEqual([
      [
        NS,
        [
          {
            verbs: ['create', 'list'],
            apiGroups: [''],
            resources: ['configmaps'],
            resourceNames: [],
            nonResourceURLs: [],
          },
          {
            verbs: ['get', 'patch'],
            apiGroups: [''],
            resources: ['configmaps'],
            resourceNames: ['cm1'],
            nonResourceURLs: [],
          },
        ],
      ],
    ]);

    // Replace the broad grant with the suggestion.
    for (const o of broad)
      await a.call(
        'DELETE',
        `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/${o.kind.toLowerCase()}s/${o.metadata?.name ?? ''}`,
      );
    for (const o of suggestion?.objects ?? [])
      expect(
        (
          await a.call(
            'POST',
            `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/${o.kind.toLowerCase()}s`,
            o,
          )
        ).status,
      ).toBe(201);
    await eventually(async () => {
      if ((await sar('delete', 'x')) || !(await sar('get', 'cm1')))
        throw new Error('suggested grant not in effect yet');
    });
    expect((await a.call('DELETE', `${base}/cm1`)).status).toBe(200);

    expect(await knownCalls(u.call)).toEqual([200, 201, 200, 200]);
    expect((await u.call('DELETE', `${base}/cm1`)).status).toBe(403);
    expect((await u.call('GET', `${base}/other`)).status).toBe(403);
    expect((await u.call('GET', `/api/v1/namespaces/${NS}/secrets`)).status).toBe(403);
  }, 120_000);
});
