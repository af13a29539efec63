import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import { evaluateApiServerFlags } from '../src/controls/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, requireHarnessOrSkip, startCluster, type TestCluster } from './harness/index.js';

const gate = requireHarnessOrSkip();

function client(kubeconfig: string, context?: string): KubernetesObjectApi {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  if (context !== undefined) kc.setCurrentContext(context);
  return KubernetesObjectApi.makeApiClient(kc);
}

async function listNames(api: KubernetesObjectApi, apiVersion: string, kind: string): Promise<string[]> {
  const list = await api.list(apiVersion, kind);
  return list.items.map((o) => o.metadata?.name ?? '');
}

async function failureCode(p: Promise<unknown>): Promise<number | undefined> {
  return p.then(
    () => undefined,
    (e: unknown) => (typeof e === 'object' && e !== null && 'code' in e ? (e as { code: number }).code : -1),
  );
}

describe.skipIf(!gate.run)('test harness: a real kube-apiserver', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startCluster();
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('lets the admin list namespaces', async () => {
    expect(await listNames(client(cluster.admin.kubeconfig), 'v1', 'Namespace')).toEqual(
      expect.arrayContaining(['default', 'kube-system', 'kube-public']),
    );
  });

  it('forbids the limited user to list namespaces', async () => {
    expect(await failureCode(listNames(client(cluster.limited.kubeconfig), 'v1', 'Namespace'))).toBe(403);
  });

  it('switches identity through the contexts of the shared kubeconfig', async () => {
    expect(await listNames(client(cluster.kubeconfig, 'admin'), 'v1', 'Namespace')).toContain('default');
    expect(await failureCode(listNames(client(cluster.kubeconfig, 'limited'), 'v1', 'Namespace'))).toBe(403);
  });

  it('grants what RBAC grants to a user made on the fly', async () => {
    const alice = await cluster.user('alice', ['auditors']);
    expect(await failureCode(listNames(client(alice.kubeconfig), 'v1', 'Pod'))).toBe(403);
    // Not the built-in `view`: it is an aggregated role, filled by the controller manager, which
    // the harness does not run.
    const admin = client(cluster.admin.kubeconfig);
    await admin.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'pod-reader' },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }],
    });
    await admin.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'auditors-read-pods' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'pod-reader' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'auditors' }],
    });
    // The authorizer sees the binding once its informer has it: poll, bounded.
    expect(await eventually(() => listNames(client(alice.kubeconfig), 'v1', 'Pod'))).toEqual([]);
  });

  it('authenticates a ServiceAccount by a bound token, and RBAC applies to it', async () => {
    const sa = await cluster.serviceAccount('robots', 'builder');
    expect(sa.username).toBe('system:serviceaccount:robots:builder');
    expect(await failureCode(listNames(client(sa.kubeconfig), 'v1', 'Secret'))).toBe(403);
    const admin = client(cluster.admin.kubeconfig);
    await admin.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'builder-pod-reader' },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['list'] }],
    });
    await admin.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'builder-reads-pods' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'builder-pod-reader' },
      subjects: [{ kind: 'ServiceAccount', name: 'builder', namespace: 'robots' }],
    });
    expect(await eventually(() => listNames(client(sa.kubeconfig), 'v1', 'Pod'))).toEqual([]);
  });

  it('writes audit events for requests, with the user who made them', async () => {
    await client(cluster.admin.kubeconfig).create({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'audited' },
    });
    const events = readFileSync(cluster.auditLogPath, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map(
        (l) =>
          JSON.parse(l) as {
            kind: string;
            verb: string;
            user: { username: string };
            objectRef?: { resource?: string; name?: string };
          },
      );
    const created = events.find((e) => e.verb === 'create' && e.objectRef?.name === 'audited');
    expect(created?.kind).toBe('Event');
    expect(created?.user.username).toBe('admin');
  });

  it('CIS 1.10 API server checks reflect the flags the harness really set', () => {
    const flags = cluster.apiServerFlags;
    const result = evaluateApiServerFlags(flags);
    const status = (id: string): string | undefined => result.results.find((r) => r.id === id)?.status;
    const has = (prefix: string): boolean => flags.some((f) => f.startsWith(prefix));
    // --authorization-mode=Node,RBAC: not AlwaysAllow (1.2.6), includes Node (1.2.7) and RBAC (1.2.8).
    expect([status('1.2.6'), status('1.2.7'), status('1.2.8')]).toEqual(['pass', 'pass', 'pass']);
    // Audit log (1.2.16) and profiling (1.2.15, on unless --profiling=false) follow the flags.
    expect(status('1.2.16')).toBe(has('--audit-log-path=') ? 'pass' : 'fail');
    expect(status('1.2.15')).toBe(flags.includes('--profiling=false') ? 'pass' : 'fail');
    console.log(
      `harness API server against CIS 1.10: ${JSON.stringify(result.summary)}; failing: ${result.results
        .filter((r) => r.status === 'fail')
        .map((r) => r.id)
        .join(' ')}`,
    );
  });

  it('reports the flags it started the API server with', () => {
    expect(cluster.apiServerFlags).toContain('--authorization-mode=Node,RBAC');
    expect(
      cluster.apiServerFlags.some(
        (f) => f.startsWith('--enable-admission-plugins=') && f.includes('ValidatingAdmissionWebhook'),
      ),
    ).toBe(true);
  });
});

describe.skipIf(!gate.run)('test harness: audit webhook backend', () => {
  let cluster: TestCluster;
  let receiver: Server;
  const received: { verb: string; objectRef?: { name?: string } }[] = [];
  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const list = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          kind: string;
          items: typeof received;
        };
        if (list.kind === 'EventList') received.push(...list.items);
        res.writeHead(200).end('{}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const port = (receiver.address() as AddressInfo).port;
    cluster = await startCluster({ auditWebhookUrl: `http://127.0.0.1:${port}/audit` });
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  it('sends audit events of requests to the webhook', async () => {
    expect(cluster.apiServerFlags).toContain('--audit-webhook-mode=batch');
    await client(cluster.admin.kubeconfig).create({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'sent-to-webhook' },
    });
    const event = await eventually(() => {
      const e = received.find((x) => x.verb === 'create' && x.objectRef?.name === 'sent-to-webhook');
      return e ? Promise.resolve(e) : Promise.reject(new Error('not received yet'));
    });
    expect(event.verb).toBe('create');
  });
});
