/**
 * Audit-log detection end to end: a real kube-apiserver sends its audit events to
 * `palisade detect serve` (the webhook backend, batch mode); actions by test users raise the
 * expected alerts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDetectServe } from '../src/cli/commands/detect.js';
import { memoryIO } from '../src/cli/io.js';
import {
  eventually,
  requireHarnessOrSkip,
  restClient,
  startCluster,
  type TestCluster,
} from './harness/index.js';

const gate = requireHarnessOrSkip();

interface AlertLine {
  rule: string;
  subject: string;
  target: string;
  message: string;
}

describe.skipIf(!gate.run)('detect serve as the audit webhook backend of a real API server', () => {
  let cluster: TestCluster;
  const io = memoryIO({ cwd: process.cwd() });
  const ac = new AbortController();
  let served: Promise<number>;

  const alerts = (): AlertLine[] =>
    io
      .out()
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as AlertLine);

  const alertFor = (rule: string, pred: (a: AlertLine) => boolean): Promise<AlertLine> =>
    eventually(() => {
      const a = alerts().find((x) => x.rule === rule && pred(x));
      return a
        ? Promise.resolve(a)
        : Promise.reject(
            new Error(
              `no ${rule} alert yet; have: ${alerts()
                .map((x) => x.rule)
                .join(', ')}`,
            ),
          );
    });

  beforeAll(async () => {
    const url = await new Promise<string>((resolve, reject) => {
      served = runDetectServe(
        {
          listen: '127.0.0.1:0',
          queue: '10000',
          output: ['json'],
          rules: [],
          builtin: true,
          feeds: [],
          approvedRegistries: [],
          trustedSubjects: [],
          trustedNetworks: [],
          dedup: '0',
          failOn: 'none',
          quiet: true,
          onListening: resolve,
          signal: ac.signal,
        },
        io,
      );
      served.catch(reject);
    });
    cluster = await startCluster({ auditWebhookUrl: `${url}/audit` });
  }, 180_000);

  afterAll(async () => {
    await cluster?.stop();
    ac.abort();
    await served;
  });

  it('alerts on exec into a pod, a privileged pod, a cluster-admin binding and a cross-namespace secret read', async () => {
    const admin = restClient(cluster, cluster.admin);
    try {
      for (const ns of ['payments', 'ci'])
        expect((await admin.call('POST', '/api/v1/namespaces', { metadata: { name: ns } })).status).toBe(201);
      const priv = await admin.call('POST', '/api/v1/namespaces/payments/pods', {
        metadata: { name: 'db-0' },
        spec: { containers: [{ name: 'db', image: 'postgres:16', securityContext: { privileged: true } }] },
      });
      expect(priv.status).toBe(201);
      const secret = await admin.call('POST', '/api/v1/namespaces/payments/secrets', {
        metadata: { name: 'db-password' },
        stringData: { password: 'planted-e2e-credential' },
      });
      expect(secret.status).toBe(201);
      expect(
        (
          await admin.call('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
            metadata: { name: 'backdoor' },
            roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
            subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'mallory' }],
          })
        ).status,
      ).toBe(201);
      // The exec reaches the authorizer and is allowed; without a kubelet it then fails.
      const exec = await admin.call(
        'POST',
        '/api/v1/namespaces/payments/pods/db-0/exec?command=cat&command=%2Fetc%2Fshadow&container=db',
      );
      expect(exec.status).toBeGreaterThanOrEqual(400);
      expect(
        (
          await admin.call('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/payments/roles', {
            metadata: { name: 'secret-reader' },
            rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }],
          })
        ).status,
      ).toBe(201);
      expect(
        (
          await admin.call('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/payments/rolebindings', {
            metadata: { name: 'ci-bot-reads' },
            roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'secret-reader' },
            subjects: [{ kind: 'ServiceAccount', name: 'bot', namespace: 'ci' }],
          })
        ).status,
      ).toBe(201);
    } finally {
      admin.close();
    }
    const bot = await cluster.serviceAccount('ci', 'bot');
    // The ServiceAccount authenticates with its bound token.
    const { KubeConfig, CoreV1Api } = await import('@kubernetes/client-node');
    const kc = new KubeConfig();
    kc.loadFromFile(bot.kubeconfig);
    const read = await kc
      .makeApiClient(CoreV1Api)
      .readNamespacedSecret({ name: 'db-password', namespace: 'payments' });
    expect(read.metadata?.name).toBe('db-password');

    const exec = await alertFor('pod-exec', (a) => a.target.includes('payments/db-0'));
    expect(exec.subject).toBe('admin');
    expect(exec.message).toContain('cat /etc/shadow');
    expect((await alertFor('privileged-pod-created', (a) => a.target.includes('payments'))).subject).toBe(
      'admin',
    );
    expect((await alertFor('cluster-admin-binding', (a) => a.target.includes('backdoor'))).subject).toBe(
      'admin',
    );
    const cross = await alertFor('secret-read-cross-namespace', (a) =>
      a.target.includes('payments/db-password'),
    );
    expect(cross.subject).toBe('system:serviceaccount:ci:bot');
    expect(io.out()).not.toContain('planted-e2e-credential');
  }, 120_000);
});
