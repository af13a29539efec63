/**
 * Image admission end to end: a real kube-apiserver calls the real webhook (evaluation worker
 * threads reading the verdict store), whose background job pulls from a real registry (TLS +
 * htpasswd), scans against a real vulnerability database file and checks cosign signatures
 * pushed beside the images.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhookCertificates, httpsRequest } from '../src/admission/index.js';
import { runAdmissionServe } from '../src/cli/commands/admission.js';
import { memoryIO } from '../src/cli/io.js';
import { main } from '../src/cli/main.js';
import { SIMPLE_SIGNING_MEDIA_TYPE, type SignatureCandidate } from '../src/images/signatures.js';
import { cosignSignWithKey, generateSigningKey } from '../src/images/signing-testing.js';
import { buildTar, writeOciLayout } from '../src/images/testing.js';
import { osvJson, affectedRange } from '../src/vulndb/testing.js';
import { eventually, requireHarnessOrSkip, startCluster, type TestCluster } from './harness/index.js';
import { requireRegistryOrSkip, startTestRegistry, type TestRegistry } from './harness/registry.js';

const harness = requireHarnessOrSkip();
const registryGate = requireRegistryOrSkip();
const run = harness.run && registryGate.run;
if (!registryGate.run) console.log(`images-admission: skipped: ${registryGate.reason ?? ''}`);

function apkImage(pkg: string, version: string): Promise<Buffer> {
  return buildTar([
    { name: 'etc/os-release', data: 'ID=alpine\nVERSION_ID=3.19.1\n' },
    { name: 'lib/apk/db/installed', data: `P:${pkg}\nV:${version}\nA:x86_64\n` },
  ]);
}

/** Pushes a cosign signature manifest (`sha256-<hex>.sig`) with the registry's blob and manifest API. */
async function pushSignature(
  registry: TestRegistry,
  repository: string,
  digest: string,
  candidate: SignatureCandidate,
): Promise<void> {
  if (candidate.kind !== 'cosign') throw new Error('cosign candidates only');
  const dispatcher = new Agent({ connect: { ca: registry.caPem, timeout: 10_000 }, headersTimeout: 30_000 });
  const auth = `Basic ${Buffer.from(`${registry.username}:${registry.password}`).toString('base64')}`;
  const base = `https://${registry.host}/v2/${repository}`;
  const upload = async (data: Buffer): Promise<{ digest: string; size: number }> => {
    const d = `sha256:${createHash('sha256').update(data).digest('hex')}`;
    const start = await request(`${base}/blobs/uploads/`, {
      method: 'POST',
      headers: { authorization: auth },
      dispatcher,
    });
    await start.body.dump();
    const location = start.headers.location;
    if (start.statusCode !== 202 || typeof location !== 'string')
      throw new Error(`upload start: HTTP ${start.statusCode}`);
    const url = new URL(location, base);
    url.searchParams.set('digest', d);
    const put = await request(url, {
      method: 'PUT',
      headers: { authorization: auth, 'content-type': 'application/octet-stream' },
      body: data,
      dispatcher,
    });
    await put.body.dump();
    if (put.statusCode !== 201) throw new Error(`upload: HTTP ${put.statusCode}`);
    return { digest: d, size: data.length };
  };
  const config = await upload(
    Buffer.from('{"architecture":"","os":"","rootfs":{"type":"layers","diff_ids":[]}}'),
  );
  const layer = await upload(candidate.payload);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: SIMPLE_SIGNING_MEDIA_TYPE, ...layer, annotations: candidate.annotations }],
  });
  const tag = `${digest.replace(':', '-')}.sig`;
  const res = await request(`${base}/manifests/${tag}`, {
    method: 'PUT',
    headers: { authorization: auth, 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
    body: manifest,
    dispatcher,
  });
  const text = await res.body.text();
  await dispatcher.close();
  if (res.statusCode !== 201) throw new Error(`manifest: HTTP ${res.statusCode} ${text}`);
}

describe.skipIf(!run)(
  'image admission end to end (kube-apiserver, webhook, registry, vulnerability database)',
  () => {
    let cluster: TestCluster;
    let registry: TestRegistry;
    let tmp: string;
    const stop = new AbortController();
    let serving: Promise<number>;
    const digests: Record<string, string> = {};

    async function tryPod(name: string, image: string): Promise<{ status: number; message: string }> {
      const body = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name },
        spec: { containers: [{ name: 'app', image }] },
      };
      const res = await httpsRequest(`${cluster.server}/api/v1/namespaces/shop/pods?dryRun=All`, {
        body: JSON.stringify(body),
        ca: cluster.caPem,
        cert: cluster.admin.certPem,
        key: cluster.admin.keyPem,
      });
      return { status: res.status, message: (res.json as { message?: string }).message ?? '' };
    }

    beforeAll(async () => {
      tmp = mkdtempSync(path.join(os.tmpdir(), 'palisade-images-admission-'));
      [cluster, registry] = await Promise.all([startCluster(), startTestRegistry()]);
      const images: Record<string, Buffer> = {
        vuln: await apkImage('musl', '1.2.4-r2'),
        signed: await apkImage('busybox', '1.36.1-r15'),
        unsigned: await apkImage('zlib', '1.3.1-r0'),
        stranger: await apkImage('libcrypto3', '3.1.4-r5'),
      };
      for (const [name, layer] of Object.entries(images)) {
        const layout = await writeOciLayout(path.join(tmp, `layout-${name}`), [{ layers: [layer] }], {
          tag: 'v1',
        });
        digests[name] = layout.digest;
        await registry.push(`${path.join(tmp, `layout-${name}`)}:v1`, `shop/${name}:1`);
      }
      const key = generateSigningKey();
      writeFileSync(path.join(tmp, 'cosign.pub'), key.publicPem);
      const signedDigest = digests.signed ?? '';
      await pushSignature(
        registry,
        'shop/signed',
        signedDigest,
        cosignSignWithKey(`${registry.host}/shop/signed`, signedDigest, key.privateKey),
      );
      const strangerDigest = digests.stranger ?? '';
      await pushSignature(
        registry,
        'shop/stranger',
        strangerDigest,
        cosignSignWithKey(`${registry.host}/shop/stranger`, strangerDigest, generateSigningKey().privateKey),
      );

      // The vulnerability database: one critical record for musl before 1.2.4-r3.
      writeFileSync(
        path.join(tmp, 'musl.json'),
        JSON.stringify(
          osvJson({
            id: 'ALPINE-CVE-2099-0001',
            aliases: ['CVE-2099-0001'],
            summary: 'musl: test vulnerability',
            severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
            affected: [affectedRange('Alpine:v3.19', 'musl', [{ introduced: '0' }, { fixed: '1.2.4-r3' }])],
          }),
        ),
      );
      const dbIo = memoryIO({ cwd: tmp, env: { HOME: tmp } });
      expect(await main(['db', 'import', 'musl.json', '--vuln-db', 'vulndb.sqlite', '-q'], dbIo)).toBe(0);

      const dockerDir = path.join(tmp, 'docker');
      mkdirSync(dockerDir);
      writeFileSync(
        path.join(dockerDir, 'config.json'),
        JSON.stringify({
          auths: {
            [registry.host]: {
              auth: Buffer.from(`${registry.username}:${registry.password}`).toString('base64'),
            },
          },
        }),
      );
      writeFileSync(path.join(tmp, 'registry-ca.pem'), registry.caPem);
      const certs = await createWebhookCertificates({
        service: 'palisade',
        namespace: 'palisade-system',
        extraNames: ['127.0.0.1'],
      });
      writeFileSync(path.join(tmp, 'ca.crt'), certs.ca.cert);
      writeFileSync(path.join(tmp, 'tls.crt'), certs.serving.cert);
      writeFileSync(path.join(tmp, 'tls.key'), certs.serving.key);
      writeFileSync(
        path.join(tmp, 'admission.yaml'),
        [
          'apiVersion: palisade.dev/v1',
          'kind: AdmissionConfiguration',
          'listen: 127.0.0.1:0',
          'tls: { certFile: tls.crt, keyFile: tls.key }',
          'namespaceSource: config',
          'evaluation: { threads: 1 }',
          'images:',
          '  store: images.sqlite',
          '  vulnDb: vulndb.sqlite',
          '  registry: { caFile: registry-ca.pem, cacheDir: cache }',
          '  vulnerabilities: { maxSeverity: medium }',
          '  unscanned: deny',
          '  signatures: { keys: [cosign.pub] }',
          '',
        ].join('\n'),
      );
      const admin = KubernetesObjectApi.makeApiClient(
        (() => {
          const kc = new KubeConfig();
          kc.loadFromFile(cluster.admin.kubeconfig);
          return kc;
        })(),
      );
      await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });

      let listened: (url: string) => void = () => undefined;
      const listening = new Promise<string>((resolve) => (listened = resolve));
      serving = runAdmissionServe(
        { config: path.join(tmp, 'admission.yaml'), logLevel: 'silent' },
        memoryIO({ cwd: tmp, env: { HOME: tmp, DOCKER_CONFIG: dockerDir } }),
        { signal: stop.signal, onListening: listened },
      );
      const url = await Promise.race([
        listening,
        serving.then((code) => {
          throw new Error(`webhook exited with ${code} before listening`);
        }),
      ]);
      const io = memoryIO({ cwd: tmp });
      const code = await main(
        [
          'admission',
          'install',
          '--apply',
          '--kubeconfig',
          cluster.admin.kubeconfig,
          '--webhook-url',
          url,
          '--ca-file',
          path.join(tmp, 'ca.crt'),
        ],
        io,
      );
      expect(io.err()).toBe('');
      expect(code).toBe(0);
    }, 240_000);

    afterAll(async () => {
      stop.abort();
      await serving?.catch(() => undefined);
      await cluster?.stop();
      await registry?.stop();
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    });

    it('refuses a pod whose image’s last scan is over the threshold, naming the vulnerability', async () => {
      const image = `${registry.host}/shop/vuln@${digests.vuln ?? ''}`;
      // The first request finds the digest unscanned (refused, scan queued); the job's answer follows.
      const first = await eventually(async () => {
        const r = await tryPod('vuln', image);
        expect(r.message).toMatch(/admission webhook "validate\.palisade\.dev" denied the request/);
        return r;
      }, 60_000);
      expect(first.status).toBe(403);
      const later = await eventually(async () => {
        const r = await tryPod('vuln', image);
        expect(r.message).toContain('image_vulnerable (spec.containers[0].image)');
        return r;
      }, 60_000);
      expect(later.status).toBe(403);
      expect(later.message).toContain(
        'CVE-2099-0001 (critical, CVSS 9.8) in musl@1.2.4-r2, fixed in 1.2.4-r3',
      );
    }, 150_000);

    it('refuses an unsigned image where signatures are required', async () => {
      const r = await eventually(async () => {
        const res = await tryPod('unsigned', `${registry.host}/shop/unsigned@${digests.unsigned ?? ''}`);
        expect(res.message).toContain('image_unsigned');
        return res;
      }, 60_000);
      expect(r.status).toBe(403);
      expect(r.message).toContain('no valid signature: no signature found');
      expect(r.message).not.toContain('image_unscanned');
    }, 90_000);

    it('refuses an image signed by a key that is not configured', async () => {
      const r = await eventually(async () => {
        const res = await tryPod('stranger', `${registry.host}/shop/stranger@${digests.stranger ?? ''}`);
        expect(res.message).toContain('image_unsigned');
        return res;
      }, 60_000);
      expect(r.message).toContain('signature does not match any configured key');
    }, 90_000);

    it('admits the signed image with a clean scan', async () => {
      const r = await eventually(async () => {
        const res = await tryPod('signed', `${registry.host}/shop/signed@${digests.signed ?? ''}`);
        expect(res.status).toBe(201);
        return res;
      }, 60_000);
      expect(r.message).toBe('');
    }, 90_000);
  },
);
