/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment -- the test reads deep into parsed YAML manifests */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { httpsRequest as request, podOf, reviewOf } from '../../admission/index.js';
import { CATALOG, evaluateControls } from '../../controls/index.js';
import { Inventory, refOf, type KubeObject } from '../../core/index.js';
import { memoryIO } from '../io.js';
import { main } from '../main.js';
import { runAdmissionServe } from './admission.js';
import { ADMISSION_MANIFESTS, formattedAdmissionManifests } from './admission-manifests.js';

const REPO_ROOT = path.resolve(import.meta.dirname, '../../..');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'palisade-admission-cli-'));
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

type Obj = KubeObject & Record<string, any>;

async function install(args: string[]): Promise<{ code: number; objects: Obj[]; err: string }> {
  const io = memoryIO({ cwd: tmp });
  const code = await main(['admission', 'install', ...args], io);
  const objects = YAML.parseAllDocuments(io.out()).map((d) => d.toJS() as Obj);
  return { code, objects, err: io.err() };
}

describe('palisade admission install', () => {
  it('prints every object with a working certificate chain', async () => {
    const { code, objects, err } = await install([]);
    expect(code).toBe(0);
    expect(err).toMatch(/Generated a new CA/);
    expect(objects.map((o) => o.kind)).toEqual([
      'Namespace',
      'ServiceAccount',
      'ConfigMap',
      'Secret',
      'Deployment',
      'PodDisruptionBudget',
      'Service',
      'NetworkPolicy',
      'NetworkPolicy',
      'NetworkPolicy',
      'ClusterRole',
      'ClusterRoleBinding',
      'ValidatingWebhookConfiguration',
      'MutatingWebhookConfiguration',
    ]);
    const byKind = new Map(objects.map((o) => [o.kind, o]));
    // The Namespace watch gets exactly list and watch of Namespaces, for the webhook's account.
    expect(byKind.get('ClusterRole')).toMatchObject({
      rules: [{ apiGroups: [''], resources: ['namespaces'], verbs: ['list', 'watch'] }],
    });
    expect(byKind.get('ClusterRoleBinding')).toMatchObject({
      roleRef: { kind: 'ClusterRole', name: 'palisade-namespace-reader' },
      subjects: [{ kind: 'ServiceAccount', name: 'palisade', namespace: 'palisade-system' }],
    });
    const deployment = byKind.get('Deployment');
    expect(deployment?.spec.replicas).toBe(2);
    const pod = deployment?.spec.template.spec;
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.containers[0].securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.containers[0].resources.limits).toEqual({ cpu: '1', memory: '384Mi' });
    // The young generation the Performance figures were measured with.
    expect(pod.containers[0].env).toEqual([{ name: 'NODE_OPTIONS', value: '--max-semi-space-size=32' }]);
    expect(
      pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm
        .topologyKey,
    ).toBe('kubernetes.io/hostname');
    expect(byKind.get('PodDisruptionBudget')?.spec.minAvailable).toBe(1);

    for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']) {
      const wh = byKind.get(kind)?.webhooks[0];
      expect(wh).toMatchObject({
        sideEffects: 'None',
        timeoutSeconds: 3,
        failurePolicy: 'Ignore',
        admissionReviewVersions: ['v1', 'v1beta1'],
        clientConfig: { service: { namespace: 'palisade-system', name: 'palisade', port: 443 } },
        namespaceSelector: {
          matchExpressions: [
            {
              key: 'kubernetes.io/metadata.name',
              operator: 'NotIn',
              values: ['kube-system', 'palisade-system'],
            },
          ],
        },
      });
      // The caBundle is the CA that signed the Secret's serving certificate for the Service's name.
      const ca = new X509Certificate(Buffer.from(wh.clientConfig.caBundle as string, 'base64'));
      const serving = new X509Certificate(
        Buffer.from(byKind.get('Secret')?.data['tls.crt'] as string, 'base64'),
      );
      expect(serving.verify(ca.publicKey)).toBe(true);
      expect(serving.checkHost('palisade.palisade-system.svc')).toBe('palisade.palisade-system.svc');
    }
  });

  it.each(['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration'])(
    '%s has only fields of the upstream wire shape',
    async (kind) => {
      const fixture = path.resolve(
        REPO_ROOT,
        `../shared/oracles/admission/k8s-api-roundtrip-fixtures/admissionregistration.k8s.io.v1.${kind}.json`,
      );
      if (!existsSync(fixture)) {
        console.warn(`${fixture} not found: skipping the wire-shape check`);
        return;
      }
      const upstream = JSON.parse(readFileSync(fixture, 'utf8')) as Obj;
      const { objects } = await install([]);
      const ours = objects.find((o) => o.kind === kind);
      expect(ours?.apiVersion).toBe(upstream.apiVersion);
      expectShapeWithin(ours?.webhooks, upstream.webhooks, 'webhooks');
    },
  );

  it('passes its own built-in controls', async () => {
    const { objects } = await install([]);
    const inventory = new Inventory();
    for (const o of objects) inventory.add({ object: o, ref: refOf(o) });
    const found = evaluateControls(inventory, CATALOG).findings;
    // Two known exceptions: the default image is a release tag, as no digest is known when the
    // CLI is built (`--image registry/palisade@sha256:…` pins it); and the webhook port admits
    // any peer, and the webhook reaches any peer on the API server's ports, as the API server's
    // address is not known at install time.
    const exceptions = [
      'workload/image-digest Deployment container "admission" image "ghcr.io/palisade-dev/palisade:0.1.0" is not pinned by digest',
      'network/no-allow-all NetworkPolicy ingress rule 0 admits any peer',
      'network/no-allow-all NetworkPolicy egress rule 0 reaches any peer',
      // The same two rules, as the reachability-based network controls see them.
      'network_egress_internet_allowed NetworkPolicy NetworkPolicy palisade-system/palisade-apiserver-egress spec.egress[0] allows egress to public addresses (TCP 443,6443)',
      'network_ingress_from_all_namespaces NetworkPolicy NetworkPolicy palisade-system/palisade-webhook-ingress spec.ingress[0] allows ingress from every source (no from), the internet included',
    ];
    expect(found.map((f) => `${f.controlId} ${f.resource.kind} ${f.message}`).sort()).toEqual(
      [...exceptions].sort(),
    );
    const pinned = await install(['--image', `ghcr.io/palisade-dev/palisade@sha256:${'a'.repeat(64)}`]);
    const again = new Inventory();
    for (const o of pinned.objects) again.add({ object: o, ref: refOf(o) });
    expect(
      evaluateControls(again, CATALOG).findings.map((f) => `${f.controlId} ${f.resource.kind} ${f.message}`),
    ).toEqual(exceptions.filter((e) => !e.startsWith('workload/image-digest')));
  });

  it.each([
    [['--validate-failure-policy', 'Fail'], 'Fail', 'Ignore'],
    [['--mutate-failure-policy', 'Fail'], 'Ignore', 'Fail'],
  ])('%j sets the failure policies', async (args, validate, mutate) => {
    const { objects } = await install([...args, '--skip-certificates']);
    expect(objects.find((o) => o.kind === 'ValidatingWebhookConfiguration')?.webhooks[0].failurePolicy).toBe(
      validate,
    );
    expect(objects.find((o) => o.kind === 'MutatingWebhookConfiguration')?.webhooks[0].failurePolicy).toBe(
      mutate,
    );
  });

  it('--apply without a kubeconfig is a clear input error', async () => {
    const io = memoryIO({ cwd: tmp });
    expect(
      await main(
        ['admission', 'install', '--apply', '--kubeconfig', path.join(tmp, 'missing.kubeconfig')],
        io,
      ),
    ).toBe(2);
    expect(io.err()).toMatch(/cannot read kubeconfig .*missing\.kubeconfig/);
  });

  it('--webhook-url points both configurations at the URL and emits nothing else', async () => {
    const ca = path.join(tmp, 'url-ca.crt');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const { code, objects } = await install(['--webhook-url', 'https://127.0.0.1:9443/', '--ca-file', ca]);
    expect(code).toBe(0);
    expect(objects.map((o): unknown[] => [o.kind, o.webhooks[0].clientConfig])).toEqual([
      [
        'ValidatingWebhookConfiguration',
        {
          url: 'https://127.0.0.1:9443/validate',
          caBundle: Buffer.from(readFileSync(ca)).toString('base64'),
        },
      ],
      [
        'MutatingWebhookConfiguration',
        { url: 'https://127.0.0.1:9443/mutate', caBundle: Buffer.from(readFileSync(ca)).toString('base64') },
      ],
    ]);
  });

  it.each([
    [['--webhook-url', 'http://127.0.0.1:9443'], /--webhook-url must be an https:\/\/ URL/],
    [['--webhook-url', 'https://127.0.0.1:9443?x=1'], /--webhook-url must be an https:\/\/ URL/],
    [['--webhook-url', 'https://127.0.0.1:9443'], /--webhook-url needs --ca-file/],
    [['--context', 'prod'], /--kubeconfig and --context go with --apply/],
  ])('%j is a usage error', async (args, message) => {
    const io = memoryIO({ cwd: tmp });
    expect(await main(['admission', 'install', ...args], io)).toBe(2);
    expect(io.err()).toMatch(message);
  });

  it('the plain manifests in deploy/manifests are the generator output (npm run docs:manifests)', async () => {
    const committed = readFileSync(path.join(REPO_ROOT, ADMISSION_MANIFESTS), 'utf8');
    expect(committed).toBe(await formattedAdmissionManifests(REPO_ROOT));
  });
});

describe('palisade admission cert', () => {
  it('writes a CA and a serving certificate for the Service names', async () => {
    const io = memoryIO({ cwd: tmp });
    const code = await main(
      [
        'admission',
        'cert',
        '--namespace',
        'sec',
        '--service',
        'hook',
        '--out-dir',
        'certs',
        '--client-cn',
        'kube-apiserver',
      ],
      io,
    );
    expect(code).toBe(0);
    const file = (n: string): string => io.files.get(path.join(tmp, 'certs', n)) ?? '';
    expect([...io.files.keys()].map((f) => path.basename(f)).sort()).toEqual([
      'ca.crt',
      'ca.key',
      'client.crt',
      'client.key',
      'tls.crt',
      'tls.key',
    ]);
    const ca = new X509Certificate(file('ca.crt'));
    const serving = new X509Certificate(file('tls.crt'));
    expect(ca.ca).toBe(true);
    expect(serving.verify(ca.publicKey)).toBe(true);
    expect(serving.subjectAltName).toBe(
      'DNS:hook, DNS:hook.sec, DNS:hook.sec.svc, DNS:hook.sec.svc.cluster.local',
    );
    expect(new X509Certificate(file('client.crt')).subject).toBe('CN=kube-apiserver');
    expect(file('tls.key')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(io.out()).toMatch(
      /Serving certificate names: hook, hook.sec, hook.sec.svc, hook.sec.svc.cluster.local/,
    );
  });

  it('refuses to overwrite without --force', async () => {
    const dir = mkdtempSync(path.join(tmp, 'existing-'));
    writeFileSync(path.join(dir, 'ca.crt'), 'x');
    const io = memoryIO({ cwd: dir });
    expect(await main(['admission', 'cert'], io)).toBe(2);
    expect(io.err()).toMatch(/ca.crt already exist/);
  });
});

describe('palisade admission serve', () => {
  it('serves HTTPS until stopped, logging decisions as JSON', async () => {
    const dir = mkdtempSync(path.join(tmp, 'serve-'));
    const certIo = memoryIO({ cwd: dir });
    await main(['admission', 'cert', '--extra-name', '127.0.0.1'], certIo);
    for (const [f, text] of certIo.files) writeFileSync(f, text);
    writeFileSync(
      path.join(dir, 'admission.yaml'),
      'apiVersion: palisade.dev/v1\nkind: AdmissionConfiguration\ndefaults:\n  warn: all\n',
    );
    const io = memoryIO({ cwd: dir });
    const stop = new AbortController();
    let answered: unknown;
    const code = await runAdmissionServe(
      {
        config: 'admission.yaml',
        listen: '127.0.0.1:0',
        tlsCertFile: 'tls.crt',
        tlsKeyFile: 'tls.key',
        enforce: 'cis',
        logLevel: 'info',
      },
      io,
      {
        signal: stop.signal,
        onListening: (url) => {
          void request(`${url}/validate`, {
            ca: readFileSync(path.join(dir, 'ca.crt'), 'utf8'),
            body: JSON.stringify(reviewOf(podOf('p', { privileged: true }), { uid: 'uid-cli' })),
          }).then((r) => {
            answered = r.json;
            stop.abort();
          });
        },
      },
    );
    expect(code).toBe(0);
    expect(answered).toMatchObject({ response: { uid: 'uid-cli', allowed: false } });
    const logs = io
      .out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logs.find((l) => l.msg === 'admission decision')).toMatchObject({
      uid: 'uid-cli',
      decision: 'deny',
      kind: 'Pod',
    });
  });

  it('--db records the decisions that were not allows in the history store', async () => {
    const dir = mkdtempSync(path.join(tmp, 'serve-db-'));
    const certIo = memoryIO({ cwd: dir });
    await main(['admission', 'cert', '--extra-name', '127.0.0.1'], certIo);
    for (const [f, text] of certIo.files) writeFileSync(f, text);
    const io = memoryIO({ cwd: dir });
    const stop = new AbortController();
    const code = await runAdmissionServe(
      {
        listen: '127.0.0.1:0',
        tlsCertFile: 'tls.crt',
        tlsKeyFile: 'tls.key',
        enforce: 'cis',
        logLevel: 'silent',
        db: 'palisade.db',
        clusterName: 'prod',
      },
      io,
      {
        signal: stop.signal,
        onListening: (url) => {
          const ca = readFileSync(path.join(dir, 'ca.crt'), 'utf8');
          void (async () => {
            await request(`${url}/validate`, {
              ca,
              body: JSON.stringify(reviewOf(podOf('p', { privileged: true }), { uid: 'uid-denied' })),
            });
            await request(`${url}/validate`, {
              ca,
              body: JSON.stringify(
                reviewOf(podOf('q', { privileged: true }), { uid: 'uid-dry', dryRun: true }),
              ),
            });
            stop.abort();
          })();
        },
      },
    );
    expect(code).toBe(0);
    const { openStore } = await import('../../store/index.js');
    const store = await openStore({ kind: 'sqlite', file: path.join(dir, 'palisade.db') });
    try {
      const rows = await store.listDecisions(0);
      // The denial, written before shutdown ended; a dry run is not logged.
      expect(rows.map((r) => [r.uid, r.result])).toEqual([['uid-denied', 'deny']]);
    } finally {
      await store.close();
    }
  });

  it('--policy loads example CEL policies and enforces them over HTTPS', async () => {
    const dir = mkdtempSync(path.join(tmp, 'serve-policy-'));
    const certIo = memoryIO({ cwd: dir });
    await main(['admission', 'cert', '--extra-name', '127.0.0.1'], certIo);
    for (const [f, text] of certIo.files) writeFileSync(f, text);
    const examples = path.resolve(import.meta.dirname, '../../../examples/policies');
    const io = memoryIO({ cwd: dir });
    const stop = new AbortController();
    const answers: unknown[] = [];
    const code = await runAdmissionServe(
      {
        listen: '127.0.0.1:0',
        tlsCertFile: 'tls.crt',
        tlsKeyFile: 'tls.key',
        enforce: 'pss:restricted',
        policy: [path.join(examples, 'no-latest-tag'), path.join(examples, 'default-security-context')],
        logLevel: 'warn',
      },
      io,
      {
        signal: stop.signal,
        onListening: (url) => {
          const ca = readFileSync(path.join(dir, 'ca.crt'), 'utf8');
          const bare = {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name: 'bare', namespace: 'default' },
            spec: { containers: [{ name: 'app', image: 'registry.example.com/app:1.2.3' }] },
          };
          void (async () => {
            for (const [endpoint, body] of [
              ['validate', reviewOf(podOf('p', { image: 'nginx:latest' }), { uid: 'uid-latest' })],
              ['validate', reviewOf(podOf('p'), { uid: 'uid-pinned' })],
              ['mutate', reviewOf(bare, { uid: 'uid-mutate' })],
            ] as const)
              answers.push((await request(`${url}/${endpoint}`, { ca, body: JSON.stringify(body) })).json);
            stop.abort();
          })();
        },
      },
    );
    expect(code).toBe(0);
    expect(answers[0]).toMatchObject({ response: { uid: 'uid-latest', allowed: false } });
    expect(JSON.stringify(answers[0])).toMatch(/policy no-latest-tag.*nginx:latest/);
    expect(answers[1]).toMatchObject({ response: { uid: 'uid-pinned', allowed: true } });
    expect(answers[2]).toMatchObject({
      response: { uid: 'uid-mutate', allowed: true, patchType: 'JSONPatch' },
    });
    const patch = (answers[2] as { response: { patch: string } }).response.patch;
    expect(Buffer.from(patch, 'base64').toString('utf8')).toContain('"runAsNonRoot":true');
  });

  it.each([
    [['--listen', '127.0.0.1:0'], /--tls-cert-file and --tls-key-file/],
    [
      ['--tls-cert-file', 'a', '--tls-key-file', 'b', '--policy', 'policies/'],
      /CEL policies could not be loaded:\n {2}.*policies/,
    ],
    [
      ['--tls-cert-file', 'a', '--tls-key-file', 'b', '--enforce', 'no-such-set'],
      /defaults.enforce: "no-such-set" is not a known control set/,
    ],
    [['--config', 'missing.yaml'], /cannot read missing.yaml/],
  ])('%j is a usage or input error', async (args, message) => {
    const io = memoryIO({ cwd: tmp });
    expect(await main(['admission', 'serve', ...args], io)).toBe(2);
    expect(io.err()).toMatch(message);
  });
});

function findHelm(): string | undefined {
  const candidates = [
    process.env.PALISADE_HELM,
    ...(process.env.PATH ?? '').split(':').map((d) => path.join(d, 'helm')),
  ];
  return candidates.find((c): c is string => c !== undefined && c !== '' && existsSync(c));
}

describe('Helm chart deploy/helm/palisade', () => {
  const chart = path.join(REPO_ROOT, 'deploy/helm/palisade');
  const helm = findHelm();

  it('renders the same objects as palisade admission install', async () => {
    const { objects } = await install([]);
    const expectedKinds = objects
      .map((o) => o.kind)
      .filter((k) => k !== 'Namespace')
      .sort();
    if (!helm) {
      console.warn('helm not found (PATH or PALISADE_HELM): checking the chart by plain YAML parsing only');
      YAML.parse(readFileSync(path.join(chart, 'Chart.yaml'), 'utf8'));
      const values = YAML.parse(readFileSync(path.join(chart, 'values.yaml'), 'utf8')) as {
        replicas: number;
        webhook: { timeoutSeconds: number };
        nodeOptions: string;
        resources: { limits: { memory: string } };
      };
      expect(values.replicas).toBe(2);
      expect(values.nodeOptions).toBe('--max-semi-space-size=32');
      expect(values.resources.limits.memory).toBe('384Mi');
      expect(values.webhook.timeoutSeconds).toBe(3);
      // watch.yaml is off by default (watch.enabled) and not part of the admission install.
      const templates = readdirSync(path.join(chart, 'templates'))
        .filter((f) => f !== 'watch.yaml')
        .map((f) => readFileSync(path.join(chart, 'templates', f), 'utf8'))
        .join('\n');
      const kinds = [...templates.matchAll(/^kind: (\w+)/gm)].map((m) => m[1]).sort();
      expect(kinds).toEqual(expectedKinds);
      return;
    }
    execFileSync(helm, ['lint', chart], { stdio: 'pipe' });
    const rendered = execFileSync(helm, ['template', 'palisade', chart, '--namespace', 'palisade-system'], {
      encoding: 'utf8',
    });
    const docs = YAML.parseAllDocuments(rendered)
      .map((d) => d.toJS() as Obj | null)
      .filter((d): d is Obj => d !== null);
    expect(docs.map((d) => d.kind).sort()).toEqual(expectedKinds);
    const pick = (list: Obj[], kind: string): Obj | undefined => list.find((o) => o.kind === kind);
    // Same pod spec (apart from labels and the config checksum), same webhooks (apart from the certificates).
    const podOfDeployment = (d: Obj | undefined): unknown => d?.spec.template.spec;
    expect(podOfDeployment(pick(docs, 'Deployment'))).toEqual({
      ...(podOfDeployment(pick(objects, 'Deployment')) as object),
      containers: [
        {
          ...(podOfDeployment(pick(objects, 'Deployment')) as { containers: object[] }).containers[0],
          image: 'ghcr.io/palisade-dev/palisade:0.1.0',
          imagePullPolicy: 'Always',
        },
      ],
    });
    for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']) {
      const strip = (o: Obj | undefined): unknown => {
        const wh = structuredClone(o?.webhooks[0]) as { clientConfig: { caBundle?: string } };
        delete wh.clientConfig.caBundle;
        return wh;
      };
      expect(strip(pick(docs, kind))).toEqual(strip(pick(objects, kind)));
    }
    const secret = pick(docs, 'Secret');
    const ca = new X509Certificate(
      Buffer.from(
        pick(docs, 'ValidatingWebhookConfiguration')?.webhooks[0].clientConfig.caBundle as string,
        'base64',
      ),
    );
    const serving = new X509Certificate(Buffer.from(secret?.data['tls.crt'] as string, 'base64'));
    expect(serving.verify(ca.publicKey)).toBe(true);
    expect(serving.checkHost('palisade.palisade-system.svc')).toBe('palisade.palisade-system.svc');
    expect(pick(docs, 'PodDisruptionBudget')?.spec.minAvailable).toBe(1);
    expect(pick(docs, 'Deployment')?.spec.replicas).toBe(2);
  });
});

/** Every key (recursively) of `ours` must exist in `theirs` with the same JSON type. */
function expectShapeWithin(ours: unknown, theirs: unknown, at: string): void {
  if (Array.isArray(ours)) {
    expect(Array.isArray(theirs), at).toBe(true);
    for (const item of ours) expectShapeWithin(item, (theirs as unknown[])[0], `${at}[]`);
    return;
  }
  if (ours !== null && typeof ours === 'object') {
    expect(theirs !== null && typeof theirs === 'object', at).toBe(true);
    for (const [k, v] of Object.entries(ours)) {
      expect(Object.keys(theirs as object), `${at}.${k}`).toContain(k);
      expectShapeWithin(v, (theirs as Record<string, unknown>)[k], `${at}.${k}`);
    }
    return;
  }
  expect(typeof ours, at).toBe(typeof theirs);
}
