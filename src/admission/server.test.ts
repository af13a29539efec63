import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileAdmissionConfig, parseAdmissionConfig } from './config.js';
import { DecisionLog, DecisionRing, JsonLinesSink } from './decision-log.js';
import { createWebhookCertificates, type WebhookCertificates } from './index.js';
import type { PolicyEvaluator } from './ports.js';
import { startAdmissionServer, type AdmissionServer } from './server.js';
import { request } from './test-client.js';
import { fakePolicies, podOf, reviewOf } from './testing.js';

const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
const ORACLE = path.resolve(REPO_ROOT, '../shared/oracles/admission/k8s-api-roundtrip-fixtures');
const hasOracle = existsSync(ORACLE);
if (!hasOracle) console.warn(`admission oracle fixtures not found at ${ORACLE}: skipping the fixture cases`);

function compiled(policies?: PolicyEvaluator) {
  const parsed = parseAdmissionConfig({
    apiVersion: 'palisade.dev/v1',
    kind: 'AdmissionConfiguration',
    defaults: { enforce: 'pss:baseline', warn: 'pss:restricted' },
  });
  if (!parsed.ok) throw new Error('config');
  const c = compileAdmissionConfig(parsed.value, policies ? { policies } : {});
  if (!c.ok) throw new Error('compile');
  return c.value;
}

interface Tls {
  dir: string;
  certs: WebhookCertificates;
  certFile: string;
  keyFile: string;
  caFile: string;
}

async function writeTls(dir: string): Promise<Tls> {
  const certs = await createWebhookCertificates({
    service: 'palisade',
    namespace: 'palisade-system',
    extraNames: ['127.0.0.1', 'localhost'],
    clientCommonName: 'kube-apiserver',
  });
  const t = {
    dir,
    certs,
    certFile: path.join(dir, 'tls.crt'),
    keyFile: path.join(dir, 'tls.key'),
    caFile: path.join(dir, 'ca.crt'),
  };
  writeFileSync(t.certFile, certs.serving.cert);
  writeFileSync(t.keyFile, certs.serving.key);
  writeFileSync(t.caFile, certs.ca.cert);
  return t;
}

function memoryLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  let buf = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      buf += chunk.toString();
      cb();
    },
  });
  return {
    logger: pino({ level: 'info' }, stream),
    lines: () =>
      buf
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

let dir: string;
let tls: Tls;
let server: AdmissionServer;
let agent: https.Agent;
const log = memoryLogger();
const journal = () => path.join(dir, 'decisions.jsonl');

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-admission-'));
  tls = await writeTls(dir);
  const policies = fakePolicies([
    { name: 'no-exec', validate: (a) => (a.subResource === 'exec' ? 'exec is not allowed' : undefined) },
    {
      name: 'explodes-on-widgets',
      matches: (a) => a.kind.kind === 'Widget',
      throws: true,
      failurePolicy: 'Fail',
    },
    {
      name: 'label-mutator',
      matches: (a) => a.name === 'mutate-me',
      mutate: () => [{ op: 'add', path: '/metadata/labels/palisade.dev~1seen', value: 'true' }],
    },
  ]);
  server = await startAdmissionServer({
    config: compiled(policies),
    tls: { certFile: tls.certFile, keyFile: tls.keyFile, reloadIntervalMs: 50 },
    port: 0,
    logger: log.logger,
    maxBodyBytes: 3 * 1024 * 1024,
    decisionLog: new DecisionLog(new DecisionRing(100), [new JsonLinesSink(journal())]),
    processMetrics: false,
  });
  agent = new https.Agent({ keepAlive: true, ca: tls.certs.ca.cert, maxSockets: 1 });
});

afterAll(async () => {
  agent.destroy();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const post = (p: string, body: unknown) =>
  request(`${server.url}${p}`, { agent, body: typeof body === 'string' ? body : JSON.stringify(body) });

interface ReviewOut {
  apiVersion: string;
  kind: string;
  response: {
    uid: string;
    allowed: boolean;
    status?: { code: number; message: string };
    warnings?: string[];
    auditAnnotations?: Record<string, string>;
    patch?: string;
  };
}

describe('admission server over HTTPS', () => {
  it.each([
    ['v1 privileged pod is denied', 'admission.k8s.io/v1', podOf('web', { privileged: true }), false],
    [
      'v1beta1 privileged pod is denied in v1beta1',
      'admission.k8s.io/v1beta1',
      podOf('web', { privileged: true }),
      false,
    ],
    ['v1 clean pod is allowed', 'admission.k8s.io/v1', podOf('web'), true],
    ['v1beta1 clean pod is allowed', 'admission.k8s.io/v1beta1', podOf('web'), true],
  ] as const)('%s', async (_name, apiVersion, object, allowed) => {
    const uid = `uid-${apiVersion}-${String(allowed)}`;
    const res = await post('/validate', reviewOf(object, { apiVersion, uid }));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const body = res.json as ReviewOut;
    expect(body.apiVersion).toBe(apiVersion);
    expect(body.kind).toBe('AdmissionReview');
    expect(body.response.uid).toBe(uid);
    expect(body.response.allowed).toBe(allowed);
    if (!allowed) expect(body.response.status?.message).toContain('pss/privileged');
  });

  it('logs each decision with uid, kind, namespace and decision', async () => {
    await post('/validate', reviewOf(podOf('logged', { privileged: true }), { uid: 'uid-logged' }));
    const line = log.lines().find((l) => l.uid === 'uid-logged');
    expect(line).toMatchObject({
      kind: 'Pod',
      namespace: 'default',
      decision: 'deny',
      msg: 'admission decision',
    });
  });

  it('keeps non-allow decisions in the ring and the JSON-lines file, but not dry runs', async () => {
    await post('/validate', reviewOf(podOf('ring', { privileged: true }), { uid: 'uid-ring' }));
    await post('/validate', reviewOf(podOf('dry', { privileged: true }), { uid: 'uid-dry', dryRun: true }));
    await post('/validate', reviewOf(podOf('ok'), { uid: 'uid-ok' }));
    const uids = server.decisions.list().map((e) => e.uid);
    expect(uids).toContain('uid-ring');
    expect(uids).not.toContain('uid-dry');
    expect(uids).not.toContain('uid-ok');
    const ev = server.decisions.list().find((e) => e.uid === 'uid-ring');
    expect(ev?.time).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(ev?.violations.map((v) => v.controlId)).toContain('pss/privileged');
  });

  it('answers a policy that throws with a denial and keeps serving', async () => {
    const widget = {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w', namespace: 'default' },
    };
    const res = await post('/validate', reviewOf(widget, { uid: 'uid-widget' }));
    expect(res.status).toBe(200);
    expect((res.json as ReviewOut).response).toMatchObject({ uid: 'uid-widget', allowed: false });
    expect((res.json as ReviewOut).response.status?.message).toContain(
      'explodes-on-widgets could not be evaluated',
    );
    expect((await request(`${server.url}/healthz`, { agent })).status).toBe(200);
  });

  it('mutate answers without a patch when no policy mutates', async () => {
    const res = await post('/mutate', reviewOf(podOf('m', { privileged: true }), { uid: 'uid-m' }));
    expect(res.json).toEqual({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: 'uid-m', allowed: true },
    });
  });

  it('mutate answers a base64 JSONPatch from a mutating policy, in the version asked', async () => {
    const res = await post(
      '/mutate',
      reviewOf(podOf('mutate-me'), { uid: 'uid-patch', apiVersion: 'admission.k8s.io/v1beta1' }),
    );
    const body = res.json as ReviewOut & { response: { patchType?: string } };
    expect(body.apiVersion).toBe('admission.k8s.io/v1beta1');
    expect(body.response).toMatchObject({ uid: 'uid-patch', allowed: true, patchType: 'JSONPatch' });
    expect(JSON.parse(Buffer.from(body.response.patch ?? '', 'base64').toString('utf8'))).toEqual([
      { op: 'add', path: '/metadata/labels/palisade.dev~1seen', value: 'true' },
    ]);
  });

  it.each<[string, string | Buffer, Record<string, string>, number, RegExp]>([
    ['not JSON', '{"kind": "AdmissionReview",', {}, 400, /not valid JSON/],
    ['empty body', '', {}, 400, /not valid JSON/],
    ['a JSON string', '"hello"', {}, 400, /body must be a JSON object/],
    [
      'wrong kind',
      JSON.stringify({ ...reviewOf(podOf('x')), kind: 'Pod' }),
      {},
      400,
      /kind must be AdmissionReview/,
    ],
    [
      'wrong apiVersion',
      JSON.stringify({ ...reviewOf(podOf('x')), apiVersion: 'v1' }),
      {},
      400,
      /apiVersion must be one of/,
    ],
    ['a bare __proto__ key', '{"__proto__": {"allowed": true}}', {}, 400, /kind must be AdmissionReview/],
    [
      'text/plain content type',
      JSON.stringify(reviewOf(podOf('x'))),
      { 'content-type': 'text/plain' },
      200,
      /AdmissionReview/,
    ],
    ['over the body limit', Buffer.alloc(3 * 1024 * 1024 + 10, 0x20), {}, 413, /exceeds 3145728 bytes/],
  ])('%s -> %s with a JSON reason', async (_name, body, headers, status, message) => {
    const res = await request(`${server.url}/validate`, { agent, body, headers });
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    if (status !== 200) {
      const j = res.json as { error: string; message: string };
      expect(typeof j.error).toBe('string');
      expect(j.message).toMatch(message);
    }
  });

  /** Sends `parts` as a chunked body (no content-length), one write each. */
  const chunked = (parts: Buffer[]): Promise<{ status: number; text: string }> =>
    new Promise((resolve, reject) => {
      const req = https.request(
        `${server.url}/validate`,
        { method: 'POST', agent, headers: { 'content-type': 'application/json' } },
        (res) => {
          const out: Buffer[] = [];
          res.on('data', (c: Buffer) => out.push(c));
          res.on('end', () => {
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(out).toString('utf8') });
          });
        },
      );
      req.on('error', reject);
      for (const p of parts) req.write(p);
      req.end();
    });

  it('takes a body sent in chunks without a declared length', async () => {
    const text = Buffer.from(
      JSON.stringify(reviewOf(podOf('chunked', { privileged: true }), { uid: 'uid-chunked' })),
    );
    const res = await chunked([text.subarray(0, 100), text.subarray(100, 300), text.subarray(300)]);
    expect(res.status).toBe(200);
    expect((JSON.parse(res.text) as ReviewOut).response).toMatchObject({
      uid: 'uid-chunked',
      allowed: false,
    });
  });

  it('refuses a chunked body once it passes the limit', async () => {
    const part = Buffer.alloc(1024 * 1024, 0x20);
    const res = await chunked([part, part, part, part]).catch((e: unknown) => ({
      status: 0,
      text: String(e),
    }));
    // Answered 413 as soon as the limit was passed (the rest is not read), or the connection
    // closed while the client was still sending.
    if (res.status !== 0) {
      expect(res.status).toBe(413);
      expect(res.text).toMatch(/exceeds 3145728 bytes/);
    }
    expect((await post('/validate', reviewOf(podOf('after')))).status).toBe(200);
  });

  it('answers reviews whose URL carries the API server timeout parameter', async () => {
    const res = await request(`${server.url}/validate?timeout=10s`, {
      agent,
      body: JSON.stringify(reviewOf(podOf('q', { privileged: true }), { uid: 'uid-query' })),
    });
    expect((res.json as ReviewOut).response).toMatchObject({ uid: 'uid-query', allowed: false });
    expect((await request(`${server.url}/validate`, { agent, method: 'GET' })).status).toBe(404);
  });

  it('__proto__ keys in a review stay plain data', async () => {
    const text = JSON.stringify(reviewOf(podOf('proto', { privileged: true }), { uid: 'uid-proto' })).replace(
      '"metadata":{',
      '"metadata":{"__proto__":{"polluted":true},',
    );
    const res = await post('/validate', text);
    expect((res.json as ReviewOut).response).toMatchObject({ uid: 'uid-proto', allowed: false });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('400 answers list every problem and echo the uid', async () => {
    const bad = reviewOf(podOf('x'), { uid: 'uid-bad' }) as { request: Record<string, unknown> };
    bad.request.operation = 'PATCH';
    bad.request.object = 'nope';
    const res = await post('/validate', bad);
    expect(res.status).toBe(400);
    const j = res.json as { uid: string; reasons: { field: string }[] };
    expect(j.uid).toBe('uid-bad');
    expect(j.reasons.map((r) => r.field)).toEqual(['request.operation', 'request.object']);
  });

  it('serves healthz, readyz and metrics', async () => {
    expect((await request(`${server.url}/healthz`, { agent })).text).toBe('ok');
    expect((await request(`${server.url}/readyz`, { agent })).json).toEqual({ ready: true, policies: 3 });
    const metrics = (await request(`${server.url}/metrics`, { agent })).text;
    expect(metrics).toMatch(/palisade_admission_requests_total\{endpoint="validate",code="200"\} \d+/);
    expect(metrics).toMatch(
      /palisade_admission_decisions_total\{endpoint="validate",result="deny",dry_run="false"\} \d+/,
    );
    expect(metrics).toMatch(
      /palisade_admission_violations_total\{control="pss\/privileged",mode="enforce"\} \d+/,
    );
    expect(metrics).toContain('palisade_admission_request_duration_seconds_bucket');
    expect((await request(`${server.url}/nope`, { agent })).status).toBe(404);
  });

  it('refuses plain HTTP', async () => {
    const plain = await fetch(`http://127.0.0.1:${server.port}/healthz`).then(
      (r) => r.status,
      () => 'refused',
    );
    expect(plain === 'refused' || plain === 400).toBe(true);
  });

  it('reloads the certificate on change without dropping open connections', async () => {
    const first = await request(`${server.url}/healthz`, { agent });
    const next = await createWebhookCertificates({
      service: 'palisade',
      namespace: 'palisade-system',
      extraNames: ['127.0.0.1'],
    });
    const reloaded = new Promise<{ ok: boolean }>((resolve) => {
      const check = setInterval(() => {
        void server.metrics.getSingleMetricAsString('palisade_admission_tls_reloads_total').then((s) => {
          if (/result="ok"\} [1-9]/.test(s)) {
            clearInterval(check);
            resolve({ ok: true });
          }
        });
      }, 20);
    });
    writeFileSync(tls.keyFile, next.serving.key);
    writeFileSync(tls.certFile, next.serving.cert);
    await reloaded;
    // The kept-alive connection still works and still presents the old certificate.
    const old = await request(`${server.url}/healthz`, { agent });
    expect(old.reusedSocket).toBe(true);
    expect(old.peerSerial).toBe(first.peerSerial);
    // A new connection gets the new certificate, trusted through the new CA.
    const fresh = await request(`${server.url}/healthz`, {
      ca: next.ca.cert,
      agent: new https.Agent({ keepAlive: false }),
    });
    expect(fresh.status).toBe(200);
    expect(fresh.peerSerial).not.toBe(first.peerSerial);
    // A broken pair is refused and the current one kept.
    writeFileSync(tls.keyFile, tls.certs.serving.key);
    expect(await server.reloadTls()).toBe(false);
    writeFileSync(tls.keyFile, next.serving.key);
    const still = await request(`${server.url}/healthz`, {
      ca: next.ca.cert,
      agent: new https.Agent({ keepAlive: false }),
    });
    expect(still.status).toBe(200);
  });

  it('wrote the JSON-lines decision file', () => {
    const lines = readFileSync(journal(), 'utf8').trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.map((l) => (JSON.parse(l) as { uid: string }).uid)).toContain('uid-ring');
  });
});

describe('reviews decided one by one or batched per turn', () => {
  it('answers the same bytes either way, for many reviews at once', async () => {
    const bdir = mkdtempSync(path.join(os.tmpdir(), 'palisade-admission-batch-'));
    const btls = await writeTls(bdir);
    const start = (batchReviews: boolean) =>
      startAdmissionServer({
        config: compiled(),
        tls: { certFile: btls.certFile, keyFile: btls.keyFile },
        port: 0,
        logger: pino({ level: 'silent' }),
        processMetrics: false,
        batchReviews,
      });
    const [batched, single] = await Promise.all([start(true), start(false)]);
    const bagent = new https.Agent({ keepAlive: true, ca: btls.certs.ca.cert, maxSockets: 20 });
    try {
      const bodies = Array.from({ length: 40 }, (_, i) =>
        JSON.stringify(reviewOf(podOf(`b${i}`, { privileged: i % 3 === 0 }), { uid: `uid-b${i}` })),
      );
      const ask = (url: string) =>
        Promise.all(bodies.map((body) => request(`${url}/validate`, { agent: bagent, body })));
      const [a, b] = await Promise.all([ask(batched.url), ask(single.url)]);
      expect(a.map((r) => r.text)).toEqual(b.map((r) => r.text));
      expect(a.map((r) => (r.json as ReviewOut).response.uid)).toEqual(bodies.map((_, i) => `uid-b${i}`));
      expect(a.filter((r) => !(r.json as ReviewOut).response.allowed)).toHaveLength(14);
    } finally {
      bagent.destroy();
      await Promise.all([batched.close(), single.close()]);
      rmSync(bdir, { recursive: true, force: true });
    }
  });
});

describe('client certificate verification', () => {
  let verifying: AdmissionServer;
  let vdir: string;
  let vtls: Tls;
  beforeAll(async () => {
    vdir = mkdtempSync(path.join(os.tmpdir(), 'palisade-admission-mtls-'));
    vtls = await writeTls(vdir);
    verifying = await startAdmissionServer({
      config: compiled(),
      tls: {
        certFile: vtls.certFile,
        keyFile: vtls.keyFile,
        clientCAFile: vtls.caFile,
        clientNames: ['kube-apiserver'],
      },
      port: 0,
      logger: pino({ level: 'silent' }),
      processMetrics: false,
    });
  });
  afterAll(async () => {
    await verifying.close();
    rmSync(vdir, { recursive: true, force: true });
  });

  it('requires a client certificate on /validate, not on the probes', async () => {
    const body = JSON.stringify(reviewOf(podOf('x'), { uid: 'uid-mtls' }));
    const ca = vtls.certs.ca.cert;
    const without = await request(`${verifying.url}/validate`, { ca, body });
    expect(without.status).toBe(401);
    expect((without.json as { error: string }).error).toBe('unauthorized');
    expect((await request(`${verifying.url}/healthz`, { ca })).status).toBe(200);
    const client = vtls.certs.client;
    if (!client) throw new Error('no client certificate');
    const withCert = await request(`${verifying.url}/validate`, {
      ca,
      body,
      cert: client.cert,
      key: client.key,
    });
    expect(withCert.status).toBe(200);
    expect((withCert.json as ReviewOut).response.uid).toBe('uid-mtls');
  });

  it('refuses a certificate from another CA and a name not allowed', async () => {
    const body = JSON.stringify(reviewOf(podOf('x')));
    const ca = vtls.certs.ca.cert;
    const other = await createWebhookCertificates({
      service: 'x',
      namespace: 'y',
      clientCommonName: 'kube-apiserver',
    });
    const foreign = await request(`${verifying.url}/validate`, {
      ca,
      body,
      cert: other.client?.cert ?? '',
      key: other.client?.key ?? '',
    });
    expect(foreign.status).toBe(401);
    // The serving certificate is signed by the right CA but its name is not allowed (and not a client cert).
    const wrongName = await request(`${verifying.url}/validate`, {
      ca,
      body,
      cert: vtls.certs.serving.cert,
      key: vtls.certs.serving.key,
    }).catch(() => ({ status: 401 }));
    expect([401, 403]).toContain(wrongName.status);
  });
});

describe.skipIf(!hasOracle)('upstream AdmissionReview fixtures over HTTPS', () => {
  it.each(['admission.k8s.io.v1.AdmissionReview.json', 'admission.k8s.io.v1beta1.AdmissionReview.json'])(
    '%s',
    async (file) => {
      const fixture = JSON.parse(readFileSync(path.join(ORACLE, file), 'utf8')) as {
        apiVersion: string;
        request: Record<string, unknown>;
        response: Record<string, unknown>;
      };
      // As recorded, operation is a placeholder: a 400 naming that field, uid echoed.
      const asIs = await post('/validate', fixture);
      expect(asIs.status).toBe(400);
      expect(asIs.json).toMatchObject({ uid: 'uidValue', reasons: [{ field: 'request.operation' }] });

      // With each operation, the answer is a well-formed review in the same version.
      for (const operation of ['CREATE', 'UPDATE', 'DELETE', 'CONNECT']) {
        const res = await post('/validate', {
          ...fixture,
          response: undefined,
          request: { ...fixture.request, operation },
        });
        expect(res.status).toBe(200);
        const body = res.json as ReviewOut & Record<string, unknown>;
        expect(body.apiVersion).toBe(fixture.apiVersion);
        expect(body.response.uid).toBe('uidValue');
        expect(body.response.allowed).toBe(true);
        expectShapeWithin(body.response, fixture.response, 'response');
      }

      // A denial in the fixture's own shape: every field Palisade writes exists there.
      const pod = JSON.parse(readFileSync(path.join(ORACLE, 'core.v1.Pod.json'), 'utf8')) as Record<
        string,
        unknown
      >;
      const denied = await post('/validate', {
        ...fixture,
        response: undefined,
        request: {
          ...fixture.request,
          operation: 'CREATE',
          subResource: '',
          kind: { group: '', version: 'v1', kind: 'Pod' },
          resource: { group: '', version: 'v1', resource: 'pods' },
          object: pod,
          oldObject: null,
        },
      });
      expect(denied.status).toBe(200);
      const d = denied.json as ReviewOut;
      expect(d.response.uid).toBe('uidValue');
      expectShapeWithin(d.response, fixture.response, 'response');
    },
  );

  it.each(['core.v1.Pod.json', 'apps.v1.Deployment.json'])(
    'a fully populated %s is decided',
    async (file) => {
      const object = JSON.parse(readFileSync(path.join(ORACLE, file), 'utf8')) as {
        kind: string;
        metadata: { namespace: string };
      };
      const res = await post('/validate', reviewOf(object as never, { uid: `uid-${file}` }));
      expect(res.status).toBe(200);
      expect((res.json as ReviewOut).response.uid).toBe(`uid-${file}`);
      expect(typeof (res.json as ReviewOut).response.allowed).toBe('boolean');
    },
  );
});

/** Every key (recursively) of `ours` must exist in `theirs` with the same JSON type. */
function expectShapeWithin(ours: unknown, theirs: unknown, at: string): void {
  if (Array.isArray(ours)) {
    expect(Array.isArray(theirs), at).toBe(true);
    const sample = (theirs as unknown[])[0];
    for (const item of ours) expectShapeWithin(item, sample, `${at}[]`);
    return;
  }
  if (ours !== null && typeof ours === 'object') {
    expect(theirs !== null && typeof theirs === 'object', at).toBe(true);
    const t = theirs as Record<string, unknown>;
    const mapKeys = at.endsWith('auditAnnotations');
    for (const [k, v] of Object.entries(ours)) {
      if (mapKeys) {
        expect(typeof v, `${at}.${k}`).toBe('string');
        continue;
      }
      expect(Object.keys(t), `${at}.${k}`).toContain(k);
      expectShapeWithin(v, t[k], `${at}.${k}`);
    }
    return;
  }
  expect(typeof ours, at).toBe(typeof theirs);
}
