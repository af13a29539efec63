import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { KubeConfig, KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { memoryIO } from '../src/cli/io.js';
import { eventually, requireHarnessOrSkip, startCluster, type TestCluster } from './harness/index.js';

const gate = requireHarnessOrSkip();

const SECRET_VALUE = 'hunter2-do-not-leak';

interface JsonReport {
  summary: { resources: number; inputErrors: number };
  findings: {
    controlId: string;
    message?: string;
    resource: { kind: string; namespace?: string; name: string };
    fieldPath?: string;
    location?: unknown;
  }[];
  inputErrors: { file: string; message: string }[];
  resources: { apiVersion: string; kind: string; namespace?: string; name: string }[];
}

/** Objects are written as plain JSON; client-node's model classes are not needed to send them. */
function k8s(o: object): KubernetesObject {
  return o;
}

function api(kubeconfig: string): KubernetesObjectApi {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  return KubernetesObjectApi.makeApiClient(kc);
}

async function scan(args: string[]): Promise<{ code: number; report: JsonReport; err: string }> {
  const io = memoryIO({ cwd: process.cwd() });
  const code = await main(['scan', ...args, '-o', 'json', '--fail-on', 'none', '-q'], io);
  const out = io.out();
  return { code, report: (out === '' ? {} : JSON.parse(out)) as JsonReport, err: io.err() };
}

const pod = (namespace: string, name: string, privileged: boolean): Record<string, unknown> => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace },
  spec: {
    containers: [
      {
        name: 'app',
        image: 'registry.example.com/app:1.2.3',
        resources: { limits: { cpu: '100m', memory: '64Mi' } },
        securityContext: { privileged },
      },
    ],
  },
});

describe.skipIf(!gate.run)('palisade scan --cluster against a real kube-apiserver', () => {
  let cluster: TestCluster;
  let tmp: string;
  beforeAll(async () => {
    cluster = await startCluster();
    tmp = mkdtempSync(path.join(os.tmpdir(), 'palisade-live-scan-'));
    const admin = api(cluster.admin.kubeconfig);
    for (const ns of ['shop', 'pay'])
      await admin.create(k8s({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }));
    await admin.create(k8s(pod('shop', 'root-shell', true)));
    await admin.create(k8s(pod('pay', 'fine', false)));
    await admin.create(
      k8s({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace: 'shop' },
        spec: {
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'web', image: 'nginx:latest' }] },
          },
        },
      }),
    );
    await admin.create(
      k8s({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'db', namespace: 'shop' },
        stringData: { password: SECRET_VALUE },
      }),
    );
    // A kubeadm-style static pod: the reader takes the API server flags from it.
    await admin.create(
      k8s({
        ...pod('kube-system', 'kube-apiserver-cp1', false),
        metadata: {
          name: 'kube-apiserver-cp1',
          namespace: 'kube-system',
          labels: { component: 'kube-apiserver' },
        },
        spec: {
          containers: [
            {
              name: 'kube-apiserver',
              image: 'registry.k8s.io/kube-apiserver:v1.37.2',
              command: ['kube-apiserver', '--anonymous-auth=false', '--profiling=false'],
            },
          ],
        },
      }),
    );
    // kubeadm's kube-proxy: a DaemonSet whose --config comes from ConfigMap kube-proxy.
    await admin.create(
      k8s({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'kube-proxy', namespace: 'kube-system' },
        data: { 'config.conf': 'kind: KubeProxyConfiguration\nmetricsBindAddress: 0.0.0.0:10249\n' },
      }),
    );
    await admin.create(
      k8s({
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name: 'kube-proxy', namespace: 'kube-system' },
        spec: {
          selector: { matchLabels: { 'k8s-app': 'kube-proxy' } },
          template: {
            metadata: { labels: { 'k8s-app': 'kube-proxy' } },
            spec: {
              containers: [
                {
                  name: 'kube-proxy',
                  image: 'registry.k8s.io/kube-proxy:v1.37.2',
                  command: ['/usr/local/bin/kube-proxy', '--config=/var/lib/kube-proxy/config.conf'],
                  volumeMounts: [{ name: 'kube-proxy', mountPath: '/var/lib/kube-proxy' }],
                },
              ],
              volumes: [{ name: 'kube-proxy', configMap: { name: 'kube-proxy' } }],
            },
          },
        },
      }),
    );
    await admin.create(
      k8s({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: 'carts.shop.example.com' },
        spec: {
          group: 'shop.example.com',
          names: { plural: 'carts', singular: 'cart', kind: 'Cart' },
          scope: 'Namespaced',
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
            },
          ],
        },
      }),
    );
    await eventually(() =>
      admin.create(
        k8s({
          apiVersion: 'shop.example.com/v1',
          kind: 'Cart',
          metadata: { name: 'c1', namespace: 'shop' },
        }),
      ),
    );
    // The limited user (group developers) may list pods everywhere, nothing else.
    await admin.create(
      k8s({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'pod-lister' },
        rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['list'] }],
      }),
    );
    await admin.create(
      k8s({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'developers-list-pods' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'pod-lister' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'developers' }],
      }),
    );
    await eventually(() => api(cluster.limited.kubeconfig).list('v1', 'Pod'));
  }, 180_000);
  afterAll(async () => {
    await cluster?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('reports findings with the object and field path, built-in and custom types read', async () => {
    const { code, report } = await scan(['--cluster', '--kubeconfig', cluster.admin.kubeconfig]);
    expect(report.inputErrors).toEqual([]);
    expect(code).toBe(0);
    const privileged = report.findings.filter((f) => f.controlId === 'workload/no-privileged');
    expect(privileged).toEqual([
      expect.objectContaining({
        resource: { apiVersion: 'v1', kind: 'Pod', namespace: 'shop', name: 'root-shell' },
        fieldPath: 'spec.containers[0].securityContext.privileged',
      }),
    ]);
    expect(privileged[0]?.location).toBeUndefined();
    const kinds = new Set(report.resources.map((r) => `${r.apiVersion} ${r.kind}`));
    for (const k of [
      'v1 Namespace',
      'apps/v1 Deployment',
      'shop.example.com/v1 Cart',
      'rbac.authorization.k8s.io/v1 ClusterRole',
      'apiextensions.k8s.io/v1 CustomResourceDefinition',
    ]) {
      expect(kinds).toContain(k);
    }
  });

  it('runs the CIS flag checks on the static pod and on kube-proxy with its ConfigMap', async () => {
    const { report } = await scan(['--cluster', '--kubeconfig', cluster.admin.kubeconfig]);
    const cp = report.findings.filter((f) => f.controlId.startsWith('control-plane/'));
    const on = (name: string) => new Set(cp.filter((f) => f.resource.name === name).map((f) => f.controlId));
    const apiserver = on('kube-apiserver-cp1');
    // --profiling=false passes 1.2.15; --audit-log-path is missing (1.2.16).
    expect(apiserver.has('control-plane/1.2.15')).toBe(false);
    expect(apiserver.has('control-plane/1.2.16')).toBe(true);
    expect(cp.find((f) => f.controlId === 'control-plane/1.2.16')).toMatchObject({
      resource: { kind: 'Pod', namespace: 'kube-system', name: 'kube-apiserver-cp1' },
      fieldPath: 'spec.containers[0].command',
    });
    expect([...on('kube-proxy')]).toEqual(['control-plane/4.3.1']);
    expect(cp.find((f) => f.controlId === 'control-plane/4.3.1')?.message).toContain(
      'metricsBindAddress}=0.0.0.0:10249 in ConfigMap kube-system/kube-proxy key config.conf',
    );
  });

  it('never puts a Secret value into the report', async () => {
    const { report } = await scan(['--cluster', '--kubeconfig', cluster.admin.kubeconfig]);
    expect(report.resources).toContainEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: 'shop',
      name: 'db',
    });
    const text = JSON.stringify(report);
    expect(text).not.toContain(SECRET_VALUE);
    expect(text).not.toContain(Buffer.from(SECRET_VALUE).toString('base64'));
  });

  it('as the limited user: forbidden types are per-scope errors and the pods are still scanned', async () => {
    const { code, report } = await scan([
      '--cluster',
      '--kubeconfig',
      cluster.kubeconfig,
      '--context',
      'limited',
      '-A',
    ]);
    expect(code).toBe(2);
    expect(report.findings.map((f) => `${f.controlId} ${f.resource.name}`)).toContain(
      'workload/no-privileged root-shell',
    );
    const files = report.inputErrors.map((e) => e.file);
    expect(files).toContain('cluster:/apis/apps/v1/deployments');
    expect(files).toContain('cluster:/api/v1/secrets');
    expect(files).not.toContain('cluster:/api/v1/pods');
    expect(report.inputErrors.find((e) => e.file === 'cluster:/api/v1/secrets')?.message).toMatch(
      /User "limited" cannot list resource "secrets".*\(cluster_forbidden\)$/,
    );
  });

  it('reads only the namespaces given with -n', async () => {
    const { report } = await scan(['--cluster', '--kubeconfig', cluster.admin.kubeconfig, '-n', 'pay']);
    // The Namespace object itself is in its own scope (cluster-scoped, so no namespace field).
    const scopes = report.resources.map((r) => (r.kind === 'Namespace' ? r.name : r.namespace));
    expect(new Set(scopes)).toEqual(new Set(['pay']));
    expect(report.resources.map((r) => r.name)).toContain('fine');
  });

  it('saves a snapshot that scans to the same report, without Secret values, with cluster facts', async () => {
    const file = path.join(tmp, 'cluster.snapshot.json.gz');
    const io = memoryIO({ cwd: tmp });
    expect(await main(['snapshot', 'save', file, '--kubeconfig', cluster.admin.kubeconfig, '-q'], io)).toBe(
      0,
    );
    const raw = gunzipSync(readFileSync(file)).toString('utf8');
    expect(raw).not.toContain(SECRET_VALUE);
    expect(raw).not.toContain(Buffer.from(SECRET_VALUE).toString('base64'));
    const snapshot = JSON.parse(raw) as { facts: Record<string, unknown>; source: { server: string } };
    expect(snapshot.source.server).toBe(cluster.server);
    expect(snapshot.facts).toMatchObject({
      kubernetesVersion: 'v1.37.2',
      apiServerFlags: ['--anonymous-auth=false', '--profiling=false'],
      apiServerFlagsSource: 'Pod kube-system/kube-apiserver-cp1',
    });

    const live = await scan(['--cluster', '--kubeconfig', cluster.admin.kubeconfig]);
    const offline = await scan(['--snapshot', file]);
    expect(offline.code).toBe(0);
    expect(offline.report.findings).toEqual(live.report.findings);
    expect(offline.report.resources).toEqual(live.report.resources);
  });

  it('refuses an unknown context with a usage-level error', async () => {
    const io = memoryIO({ cwd: tmp });
    const code = await main(
      ['scan', '--cluster', '--kubeconfig', cluster.kubeconfig, '--context', 'nope'],
      io,
    );
    expect(code).toBe(2);
    expect(io.err()).toContain('kubeconfig has no context "nope" (contexts: admin, limited)');
  });
  it('answers rbac who-can and netpol matrix from the live cluster and from a snapshot', async () => {
    const run = async (args: string[]): Promise<{ code: number; out: string; err: string }> => {
      const io = memoryIO({ cwd: tmp });
      const code = await main(args, io);
      return { code, out: io.out(), err: io.err() };
    };
    const live = ['--cluster', '--kubeconfig', cluster.admin.kubeconfig, '-q'];
    const whoCan = await run(['rbac', 'who-can', 'list', 'pods', ...live, '-o', 'json']);
    expect(whoCan.err).toBe('');
    expect(whoCan.code).toBe(0);
    const subjects = (
      JSON.parse(whoCan.out) as { subjects: { kind: string; name: string; via: { binding: string }[] }[] }
    ).subjects;
    const developers = subjects.find((x) => x.kind === 'Group' && x.name === 'developers');
    expect(developers?.via.map((v) => v.binding)).toEqual(['ClusterRoleBinding/developers-list-pods']);

    const matrix = await run(['netpol', 'matrix', ...live]);
    expect(matrix.code).toBe(0);
    expect(matrix.out).toMatch(/shop\/root-shell\[Pod\] => pay\/fine\[Pod\] : All Connections/);

    // Issue #20: rbac and netpol with --cluster took no -n.
    const payMatrix = await run(['netpol', 'matrix', ...live, '-n', 'pay']);
    expect(payMatrix.code).toBe(0);
    const payLines = payMatrix.out.split('\n').filter((l) => l.includes(' => '));
    expect(payLines).toContain('shop/root-shell[Pod] => pay/fine[Pod] : All Connections');
    expect(payLines.filter((l) => !l.includes('pay/'))).toEqual([]);
    expect(
      matrix.out.split('\n').filter((l) => l.includes(' => ') && !l.includes('pay/')).length,
    ).toBeGreaterThan(0);
    const payWhoCan = await run(['rbac', 'who-can', 'list', 'pods', ...live, '-n', 'pay', '-o', 'json']);
    expect(payWhoCan.code).toBe(0);
    const paySubjects = (JSON.parse(payWhoCan.out) as { subjects: { kind: string; name: string }[] })
      .subjects;
    expect(paySubjects.some((x) => x.kind === 'Group' && x.name === 'developers')).toBe(true);

    const file = path.join(tmp, 'rbac.snapshot.json.gz');
    expect((await run(['snapshot', 'save', file, '--kubeconfig', cluster.admin.kubeconfig, '-q'])).code).toBe(
      0,
    );
    const offline = await run(['rbac', 'who-can', 'list', 'pods', '--snapshot', file, '-o', 'json']);
    expect(offline.code).toBe(0);
    expect(JSON.parse(offline.out)).toEqual(JSON.parse(whoCan.out));
  });

  // Issue #20: the file --authentication-config names is on the node, not in the cluster: the
  // verdict keeps to the flag and says what it depends on.
  it('judges anonymous access of an API server with --authentication-config by the flag, naming the file', async () => {
    const admin = api(cluster.admin.kubeconfig);
    await admin.create(k8s({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'cp2' } }));
    const apiserver = k8s({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'kube-apiserver-cp2', namespace: 'cp2', labels: { component: 'kube-apiserver' } },
      spec: {
        containers: [
          {
            name: 'kube-apiserver',
            image: 'registry.k8s.io/kube-apiserver:v1.37.2',
            command: ['kube-apiserver', '--authentication-config=/etc/kubernetes/authn.yaml'],
          },
        ],
      },
    });
    await admin.create(apiserver);
    try {
      const { report } = await scan(['--cluster', '--kubeconfig', cluster.admin.kubeconfig, '-n', 'cp2']);
      const anonymous = report.findings.filter((f) => f.controlId === 'auth/no-anonymous-auth');
      expect(anonymous.map((f) => [f.resource.name, f.fieldPath, f.message])).toEqual([
        [
          'kube-apiserver-cp2',
          'spec.containers[0]',
          'kube-apiserver does not set --anonymous-auth=false: anonymous requests are allowed by default unless the anonymous section of /etc/kubernetes/authn.yaml (not visible to this scan) says otherwise',
        ],
      ]);
    } finally {
      await admin.delete(apiserver);
      await admin.delete(k8s({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'cp2' } }));
    }
  });

  it('drift live DIR: what runs against what the manifests say (findings opened and closed)', async () => {
    const dir = mkdtempSync(path.join(tmp, 'drift-live-'));
    // The manifests: shop/root-shell as it should be (not privileged), pay/fine as it is.
    writeFileSync(
      path.join(dir, 'pods.yaml'),
      [pod('shop', 'root-shell', false), pod('pay', 'fine', false)]
        .map((o) => JSON.stringify(o))
        .join('\n---\n'),
    );
    const io = memoryIO({ cwd: process.cwd() });
    const code = await main(
      ['drift', 'live', dir, '--kubeconfig', cluster.admin.kubeconfig, '-o', 'json', '--fail-on-new', 'none'],
      io,
    );
    expect(io.err()).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(io.out()) as {
      base: string;
      head: string;
      findings: { closed: { controlId: string; namespace: string; name: string }[] };
    };
    expect(report.base).toContain('live cluster');
    expect(report.head).toBe(`${dir} (manifests)`);
    // The privileged container runs in the cluster and is gone from the manifests: closed by the change.
    expect(report.findings.closed).toContainEqual(
      expect.objectContaining({ controlId: 'workload/no-privileged', namespace: 'shop', name: 'root-shell' }),
    );
    // Exit 1 when the live side is the head and the privileged pod opens a finding.
    const back = memoryIO({ cwd: process.cwd() });
    const failing = await main(
      ['drift', dir, 'live', '--kubeconfig', cluster.admin.kubeconfig, '--fail-on-new', 'critical', '-q'],
      back,
    );
    expect(failing).toBe(1);
    expect(back.out()).toContain('workload/no-privileged');
  });
});
