import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhookCertificates, httpsRequest, type ClientResponse } from '../src/admission/index.js';
import { runAdmissionServe } from '../src/cli/commands/admission.js';
import { memoryIO } from '../src/cli/io.js';
import { main } from '../src/cli/main.js';
import {
  eventually,
  requireHarnessOrSkip,
  startCluster,
  type ClusterUser,
  type TestCluster,
} from './harness/index.js';

const gate = requireHarnessOrSkip();

const REPO_ROOT = path.resolve(import.meta.dirname, '..');
const POLICY = path.join(REPO_ROOT, 'examples/policies/default-security-context/policy.yaml');

function api(kubeconfig: string): KubernetesObjectApi {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  return KubernetesObjectApi.makeApiClient(kc);
}

function k8s(o: object): KubernetesObject {
  return o;
}

/** A pod that sets no pod-level securityContext (so the mutating policy applies). */
const pod = (name: string, privileged: boolean): Record<string, unknown> => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: {
    containers: [{ name: 'app', image: 'registry.example.com/app:1.2.3', securityContext: { privileged } }],
  },
});

interface Status {
  message?: string;
  spec?: { securityContext?: Record<string, unknown> };
}

/** Creates a pod as `user` over node:https, so the response's Warning headers can be read. */
async function createPod(
  cluster: TestCluster,
  user: ClusterUser,
  namespace: string,
  body: Record<string, unknown>,
  dryRun = false,
): Promise<ClientResponse & { body: Status }> {
  const res = await httpsRequest(
    `${cluster.server}/api/v1/namespaces/${namespace}/pods${dryRun ? '?dryRun=All' : ''}`,
    { body: JSON.stringify(body), ca: cluster.caPem, cert: user.certPem, key: user.keyPem },
  );
  return { ...res, body: res.json as Status };
}

function warnings(res: ClientResponse): string[] {
  const h = res.headers.warning;
  const list = h === undefined ? [] : Array.isArray(h) ? h : [h];
  // RFC 7234 warning values: `299 - "text"`; the API server sends one header per warning.
  // node:http decodes header bytes as latin1; the API server sends UTF-8 (Palisade's '…').
  return list.flatMap((raw) =>
    [
      ...Buffer.from(raw, 'latin1')
        .toString('utf8')
        .matchAll(/299 - "((?:[^"\\]|\\.)*)"/g),
    ].map((m) => (m[1] ?? '').replace(/\\(.)/g, '$1')),
  );
}

async function install(
  cluster: TestCluster,
  args: string[],
): Promise<{ code: number; out: string; err: string }> {
  const io = memoryIO({ cwd: process.cwd() });
  const code = await main(
    ['admission', 'install', '--apply', '--kubeconfig', cluster.admin.kubeconfig, ...args],
    io,
  );
  return { code, out: io.out(), err: io.err() };
}

describe.skipIf(!gate.run)('admission webhook end to end against a real kube-apiserver', () => {
  let cluster: TestCluster;
  let tmp: string;
  let webhookUrl: string;
  let caFile: string;
  const stopWebhook = new AbortController();
  let serving: Promise<number>;

  beforeAll(async () => {
    cluster = await startCluster();
    tmp = mkdtempSync(path.join(os.tmpdir(), 'palisade-admission-e2e-'));
    const certs = await createWebhookCertificates({
      service: 'palisade',
      namespace: 'palisade-system',
      extraNames: ['127.0.0.1'],
    });
    caFile = path.join(tmp, 'ca.crt');
    writeFileSync(caFile, certs.ca.cert);
    writeFileSync(path.join(tmp, 'tls.crt'), certs.serving.cert);
    writeFileSync(path.join(tmp, 'tls.key'), certs.serving.key);
    const configFile = path.join(tmp, 'admission.yaml');
    writeFileSync(
      configFile,
      [
        'apiVersion: palisade.dev/v1',
        'kind: AdmissionConfiguration',
        'listen: 127.0.0.1:0',
        'tls: { certFile: tls.crt, keyFile: tls.key }',
        // A label value cannot contain ':', so the level gets a label-safe policy-set name.
        'policySets: { pss-restricted: ["pss:restricted"] }',
        // The cluster default a label naming no framework falls back to.
        'defaults: { enforce: none }',
        'namespaces:',
        '  locked: { palisade.dev/enforce: pss-restricted }',
        '  soft: { palisade.dev/warn: pss-restricted }',
        `policies: [${JSON.stringify(POLICY)}]`,
        '',
      ].join('\n'),
    );

    const admin = api(cluster.admin.kubeconfig);
    await admin.create(
      k8s({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'locked', labels: { 'palisade.dev/enforce': 'pss-restricted' } },
      }),
    );
    await admin.create(
      k8s({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'soft', labels: { 'palisade.dev/warn': 'pss-restricted' } },
      }),
    );
    await admin.create(
      k8s({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'pod-creator' },
        rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['create', 'get'] }],
      }),
    );
    await admin.create(
      k8s({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'labelled', labels: { 'palisade.dev/enforce': 'pss-restricted' } },
      }),
    );
    for (const ns of ['locked', 'soft', 'labelled'])
      await admin.create(
        k8s({
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: 'limited-pods', namespace: ns },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'pod-creator' },
          subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: cluster.limited.username }],
        }),
      );

    // The real webhook server, in process, on a free loopback port.
    let listened: (url: string) => void = () => undefined;
    const listening = new Promise<string>((resolve) => {
      listened = resolve;
    });
    // Namespace labels come from a watch of this cluster; the file's `namespaces:` overrides two of them.
    serving = runAdmissionServe(
      { config: configFile, logLevel: 'silent', kubeconfig: cluster.admin.kubeconfig },
      memoryIO({ cwd: tmp }),
      {
        signal: stopWebhook.signal,
        onListening: listened,
      },
    );
    webhookUrl = await Promise.race([
      listening,
      serving.then((code) => {
        throw new Error(`webhook exited with ${code} before listening`);
      }),
    ]);

    const installed = await install(cluster, ['--webhook-url', webhookUrl, '--ca-file', caFile]);
    expect(installed.err).toBe('');
    expect(installed.code).toBe(0);
    expect(installed.out).toBe(
      'ValidatingWebhookConfiguration/palisade-validate created\nMutatingWebhookConfiguration/palisade-mutate created\n',
    );
    // The configuration reaches the admission chain asynchronously: probe until the webhook decides.
    await eventually(async () => {
      const res = await createPod(cluster, cluster.admin, 'locked', pod('probe', true), true);
      expect(res.status).toBe(403);
      expect(res.body.message).toMatch(/admission webhook "validate\.palisade\.dev" denied the request/);
    }, 60_000);
  }, 180_000);

  afterAll(async () => {
    stopWebhook.abort();
    await serving?.catch(() => undefined);
    await cluster?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('registered both webhook configurations with clientConfig.url and the CA bundle', async () => {
    const admin = api(cluster.admin.kubeconfig);
    const v = (await admin.read({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: 'palisade-validate' },
    })) as unknown as {
      webhooks: { clientConfig: { url?: string; service?: unknown; caBundle?: string } }[];
    };
    expect(v.webhooks[0]?.clientConfig.url).toBe(`${webhookUrl}/validate`);
    expect(v.webhooks[0]?.clientConfig.service).toBeUndefined();
    expect(v.webhooks[0]?.clientConfig.caBundle).toBeTruthy();
    // Nothing but the two configurations: no Deployment for a webhook that runs outside.
    await expect(
      admin.read({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'palisade-system' } }),
    ).rejects.toMatchObject({ code: 404 });
  });

  it('refuses a privileged pod in the enforce namespace with Palisade’s message', async () => {
    const res = await createPod(cluster, cluster.limited, 'locked', pod('root-shell', true));
    expect(res.status).toBe(403);
    expect(res.body.message).toMatch(/^admission webhook "validate\.palisade\.dev" denied the request: /);
    expect(res.body.message).toContain(
      'palisade denied CREATE of Pod locked/root-shell: pss/privileged (spec.containers[0].securityContext.privileged)',
    );
    const stored = await createPod(cluster, cluster.limited, 'locked', pod('root-shell', true), true);
    expect(stored.status).toBe(403);
  });

  it('creates it in the warn namespace, returns the warnings and stores the mutating policy’s patch', async () => {
    const res = await createPod(cluster, cluster.limited, 'soft', pod('root-shell', true));
    expect(res.status).toBe(201);
    const got = warnings(res);
    expect(got.length).toBeGreaterThan(0);
    expect(got).toContainEqual(
      expect.stringMatching(
        /^would violate "pss-restricted:latest": pss\/privileged \(spec\.containers\[0\]\.securityContext\.privileged\)/,
      ),
    );
    // default-security-context adds the restricted pod securityContext when none is set.
    expect(res.body.spec?.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    const stored = (await api(cluster.admin.kubeconfig).read({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'root-shell', namespace: 'soft' },
    })) as unknown as Status;
    expect(stored.spec?.securityContext).toMatchObject({ runAsNonRoot: true });
  });

  it('follows the namespace labels of the cluster, a change taking effect within 2 s', async () => {
    const admin = api(cluster.admin.kubeconfig);
    const relabel = async (labels: Record<string, string | null>): Promise<void> => {
      await admin.patch(
        k8s({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'labelled', labels } }),
        undefined,
        undefined,
        undefined,
        undefined,
        PatchStrategy.MergePatch,
      );
    };
    // Labelled only in the cluster (not in the configuration file): enforced.
    const refused = await createPod(cluster, cluster.limited, 'labelled', pod('root-shell', true));
    expect(refused.status).toBe(403);
    expect(refused.body.message).toContain(
      'palisade denied CREATE of Pod labelled/root-shell: pss/privileged (spec.containers[0].securityContext.privileged)',
    );

    await relabel({ 'palisade.dev/enforce': null, 'palisade.dev/warn': 'pss-restricted' });
    const changed = Date.now();
    await eventually(
      async () => {
        const probe = await createPod(cluster, cluster.limited, 'labelled', pod('root-shell', true), true);
        expect(probe.status).toBe(201);
      },
      2000,
      50,
    );
    console.log(`label change took effect after ${Date.now() - changed} ms`);
    const admitted = await createPod(cluster, cluster.limited, 'labelled', pod('root-shell', true));
    expect(admitted.status).toBe(201);
    expect(warnings(admitted)).toContainEqual(
      expect.stringMatching(
        /^would violate "pss-restricted:latest": pss\/privileged \(spec\.containers\[0\]/,
      ),
    );

    // A label naming no framework: the cluster default (enforce none), with a clear warning.
    await relabel({ 'palisade.dev/warn': null, 'palisade.dev/enforce': 'restrictd' });
    const typo = await eventually(
      async () => {
        const r = await createPod(cluster, cluster.limited, 'labelled', pod('typo', false), true);
        expect(warnings(r)).toContainEqual(
          expect.stringMatching(
            /palisade: namespace labelled: palisade\.dev\/enforce="restrictd" is not a known framework/,
          ),
        );
        return r;
      },
      2000,
      50,
    );
    expect(typo.status).toBe(201);
  });

  it('with the webhook stopped, failurePolicy Fail refuses and Ignore admits', async () => {
    stopWebhook.abort();
    expect(await serving).toBe(0);

    const fail = await install(cluster, [
      '--webhook-url',
      webhookUrl,
      '--ca-file',
      caFile,
      '--validate-failure-policy',
      'Fail',
      '--mutate-failure-policy',
      'Fail',
    ]);
    expect(fail.code).toBe(0);
    expect(fail.out).toMatch(/ValidatingWebhookConfiguration\/palisade-validate replaced/);
    await eventually(async () => {
      const res = await createPod(cluster, cluster.limited, 'soft', pod('while-down', false));
      expect(res.status).toBe(500);
      expect(res.body.message).toMatch(/failed calling webhook "(validate|mutate)\.palisade\.dev"/);
    }, 60_000);

    const ignore = await install(cluster, ['--webhook-url', webhookUrl, '--ca-file', caFile]);
    expect(ignore.code).toBe(0);
    // Now even the privileged pod in the enforce namespace gets through: nobody decided.
    const res = await eventually(async () => {
      const r = await createPod(cluster, cluster.limited, 'locked', pod('while-down', true));
      expect(r.status).toBe(201);
      return r;
    }, 60_000);
    expect(res.body.spec?.securityContext?.runAsNonRoot).toBeUndefined();
  });

  it('gives a clear input error when the API server cannot be reached', async () => {
    const kubeconfig = path.join(tmp, 'nowhere.kubeconfig');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{ name: c, cluster: { server: "https://127.0.0.1:1", insecure-skip-tls-verify: true } }]',
        'users: [{ name: u, user: { token: t } }]',
        'contexts: [{ name: x, context: { cluster: c, user: u } }]',
        'current-context: x',
        '',
      ].join('\n'),
    );
    const io = memoryIO({ cwd: tmp });
    const code = await main(
      [
        'admission',
        'install',
        '--apply',
        '--kubeconfig',
        kubeconfig,
        '--webhook-url',
        webhookUrl,
        '--ca-file',
        caFile,
      ],
      io,
    );
    expect(code).toBe(2);
    expect(io.err()).toMatch(/cannot reach the API server https:\/\/127\.0\.0\.1:1/);
  });

  it('gives a clear input error when the user may not create webhook configurations', async () => {
    const io = memoryIO({ cwd: tmp });
    const code = await main(
      [
        'admission',
        'install',
        '--apply',
        '--kubeconfig',
        cluster.limited.kubeconfig,
        '--webhook-url',
        webhookUrl,
        '--ca-file',
        caFile,
      ],
      io,
    );
    expect(code).toBe(2);
    expect(io.err()).toMatch(/cannot read ValidatingWebhookConfiguration\/palisade-validate .*forbidden/);
  });
  it('applies the full in-cluster install, and a second run replaces every object', async () => {
    const args = ['--namespace', 'full-system', '--service', 'full', '--skip-certificates'];
    const first = await install(cluster, args);
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    const kinds = [
      'Namespace/full-system',
      'ServiceAccount/full-system/full',
      'ConfigMap/full-system/full-config',
      'Deployment/full-system/full',
      'PodDisruptionBudget/full-system/full',
      'Service/full-system/full',
      'NetworkPolicy/full-system/full-default-deny',
      'NetworkPolicy/full-system/full-webhook-ingress',
      'NetworkPolicy/full-system/full-apiserver-egress',
      'ClusterRole/full-namespace-reader',
      'ClusterRoleBinding/full-namespace-reader',
      'ValidatingWebhookConfiguration/full-validate',
      'MutatingWebhookConfiguration/full-mutate',
    ];
    expect(first.out).toBe(kinds.map((k) => `${k} created\n`).join(''));
    const second = await install(cluster, args);
    expect(second.code).toBe(0);
    expect(second.out).toBe(kinds.map((k) => `${k} replaced\n`).join(''));
  });
});
