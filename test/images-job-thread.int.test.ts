/**
 * The webhook's image background job runs off its event loop: `palisade admission serve` (in
 * this process, as the images-admission suite runs it) is asked about a pod whose image is big
 * to scan (a layer listing 80,000 Alpine packages, in a real registry over TLS with a
 * password); while the job's thread pulls and scans it, `/healthz` keeps answering on the
 * main thread, and the result reaches the next review through the verdict store.
 */
import https from 'node:https';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhookCertificates, httpsRequest } from '../src/admission/index.js';
import { podOf, reviewOf } from '../src/admission/testing.js';
import type { AdmissionReviewResponse } from '../src/admission/types.js';
import { runAdmissionServe } from '../src/cli/commands/admission.js';
import { memoryIO } from '../src/cli/io.js';
import { buildTar, writeOciLayout } from '../src/images/testing.js';
import { VerdictStore } from '../src/images/verdict-store.js';
import { requireRegistryOrSkip, startTestRegistry, type TestRegistry } from './harness/registry.js';

const gate = requireRegistryOrSkip();
if (!gate.run) console.log(`images-job-thread: skipped: ${gate.reason ?? ''}`);

const PACKAGES = 80_000;

describe.skipIf(!gate.run)('the image job thread beside the webhook (registry, real server)', () => {
  let registry: TestRegistry;
  let tmp: string;
  let url: string;
  let ca: string;
  let image: string;
  let digest: string;
  const stop = new AbortController();
  let serving: Promise<number> | undefined;
  const io = { current: memoryIO({ cwd: os.tmpdir() }) };

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'palisade-image-job-'));
    registry = await startTestRegistry();
    let installed = '';
    for (let i = 0; i < PACKAGES; i++) installed += `P:pkg-${i}\nV:1.${i}-r0\nA:x86_64\n\n`;
    const layer = await buildTar([
      { name: 'etc/os-release', data: 'ID=alpine\nVERSION_ID=3.19.1\n' },
      { name: 'lib/apk/db/installed', data: installed },
    ]);
    const layout = await writeOciLayout(path.join(tmp, 'layout'), [{ layers: [layer] }], { tag: 'v1' });
    digest = layout.digest;
    await registry.push(`${path.join(tmp, 'layout')}:v1`, 'shop/big:1');
    image = `${registry.host}/shop/big@${digest}`;

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
    ca = certs.ca.cert;
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
        '  registry: { caFile: registry-ca.pem, cacheDir: cache }',
        '  unscanned: warn',
        '',
      ].join('\n'),
    );
    io.current = memoryIO({ cwd: tmp, env: { HOME: tmp, DOCKER_CONFIG: dockerDir } });
    let listened: (u: string) => void = () => undefined;
    const listening = new Promise<string>((resolve) => (listened = resolve));
    serving = runAdmissionServe({ config: path.join(tmp, 'admission.yaml'), logLevel: 'info' }, io.current, {
      signal: stop.signal,
      onListening: listened,
    });
    url = await Promise.race([
      listening,
      serving.then((code) => {
        throw new Error(`webhook exited with ${code} before listening: ${io.current.err()}`);
      }),
    ]);
  }, 120_000);

  afterAll(async () => {
    stop.abort();
    await serving?.catch(() => undefined);
    await registry?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('answers /healthz while the job scans a big image, and the next review has its result', async () => {
    const agent = new https.Agent({ keepAlive: true, maxSockets: 2 });
    const ask = async (): Promise<AdmissionReviewResponse> => {
      const r = await httpsRequest(`${url}/validate`, {
        ca,
        agent,
        body: JSON.stringify(reviewOf({ ...podOf('big'), spec: { containers: [{ name: 'app', image }] } })),
      });
      expect(r.status).toBe(200);
      return r.json as AdmissionReviewResponse;
    };
    try {
      const first = await ask();
      // Unknown: admitted with a warning per `unscanned: warn`, and announced to the job.
      expect(first.response.allowed).toBe(true);
      expect(first.response.warnings?.join('\n')).toContain('image_unscanned');
      const announced = performance.now();
      const store = VerdictStore.openReadOnly(path.join(tmp, 'images.sqlite'));
      const probes: number[] = [];
      try {
        // /healthz every 10 ms until the job has written the scan.
        while (store.scanOf(digest) === undefined) {
          const t = performance.now();
          const r = await httpsRequest(`${url}/healthz`, { ca, agent, method: 'GET' });
          probes.push(performance.now() - t);
          expect(r.status).toBe(200);
          expect(performance.now() - announced).toBeLessThan(120_000);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      } finally {
        store.close();
      }
      const scanMs = performance.now() - announced;
      const worst = Math.max(...probes);
      console.log(
        `image job thread: pull and scan of ${PACKAGES} packages took ${scanMs.toFixed(0)} ms; ` +
          `${probes.length} /healthz probes meanwhile, the slowest ${worst.toFixed(1)} ms`,
      );
      expect(io.current.out()).toMatch(/"outcome":"scanned".*"detail":"0 findings"/);
      // Relative, not a latency target: a scan on the main thread would hold each probe for
      // about the whole scan; the image is big enough for that to show.
      expect(scanMs).toBeGreaterThan(500);
      expect(probes.length).toBeGreaterThan(10);
      expect(worst).toBeLessThan(scanMs / 4);
      // The next review reads the result the thread wrote: no longer unscanned.
      const later = await ask();
      expect(later.response.allowed).toBe(true);
      expect(later.response.warnings?.join('\n') ?? '').not.toContain('image_unscanned');
    } finally {
      agent.destroy();
    }
  }, 180_000);
});
