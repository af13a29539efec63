/**
 * Fuzz: 10,000 mutated AdmissionReviews over a real HTTPS loopback socket. The server must
 * stay up and every answer must be well-formed: a 200 AdmissionReview echoing the uid, or a
 * 400/413 with a JSON reason; never a 5xx, a dropped connection or a non-JSON body.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOG } from '../controls/index.js';
import { compileAdmissionConfig, parseAdmissionConfig } from './config.js';
import { createWebhookCertificates } from './index.js';
import { startAdmissionServer, type AdmissionServer } from './server.js';
import { request } from './test-client.js';
import { deploymentOf, fakePolicies, podOf, reviewOf } from './testing.js';
import { WARNING_MAX_CHARS } from './text.js';

// The full suite (npm test, CI) runs 10,000 cases; the fast developer loop runs 1,000.
const CASES = Number(process.env.PALISADE_FUZZ_CASES ?? (process.env.PALISADE_FAST === '1' ? 1_000 : 10_000));
const CONCURRENCY = 16;
const ORACLE = path.resolve(
  import.meta.dirname,
  '../../../shared/oracles/admission/k8s-api-roundtrip-fixtures',
);

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rand = mulberry32(0x5eed);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;

function seeds(): unknown[] {
  const out: unknown[] = [
    reviewOf(podOf('web', { privileged: true })),
    reviewOf(podOf('web', { image: 'nginx' }), { apiVersion: 'admission.k8s.io/v1beta1' }),
    reviewOf(deploymentOf('api', { privileged: true, limits: false }), {
      operation: 'UPDATE',
      oldObject: deploymentOf('api'),
    }),
    reviewOf(null, { operation: 'DELETE', oldObject: podOf('gone') }),
    reviewOf(
      { apiVersion: 'v1', kind: 'PodExecOptions', command: ['sh'] },
      { operation: 'CONNECT', kind: 'PodExecOptions', resource: 'pods', subResource: 'exec' },
    ),
    reviewOf({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }),
  ];
  if (existsSync(ORACLE)) {
    for (const f of readdirSync(ORACLE).filter((n) => n.startsWith('admission.k8s.io'))) {
      const fixture = JSON.parse(readFileSync(path.join(ORACLE, f), 'utf8')) as {
        request: Record<string, unknown>;
      };
      out.push({ ...fixture, request: { ...fixture.request, operation: 'CREATE' } });
    }
    for (const f of ['core.v1.Pod.json', 'apps.v1.Deployment.json'])
      out.push(reviewOf(JSON.parse(readFileSync(path.join(ORACLE, f), 'utf8')) as never));
  }
  return out;
}

const DEEP = '__deep__';

/** JSON text nested `n` levels deep (put in at the text level: cloning it would overflow the stack). */
function deepText(n: number): string {
  const open: string[] = [];
  const close: string[] = [];
  for (let i = 0; i < n; i++) {
    const array = rand() < 0.5;
    open.push(array ? '[' : '{"a":');
    close.push(array ? ']' : '}');
  }
  return `${open.join('')}0${close.reverse().join('')}`;
}

function randomValue(): unknown {
  return pick<() => unknown>([
    () => null,
    () => true,
    () => 0,
    () => -1,
    () => 1e308,
    () => '',
    () => 'x'.repeat(Math.floor(rand() * 20_000)),
    () => '\u0000\u001b[31m\ud800',
    () => [],
    () => ({}),
    () => [1, 'a', null, {}],
    () => ({ __proto__: { polluted: true } }),
    () => DEEP,
    () => 'CREATE',
    () => 'admission.k8s.io/v1',
  ])();
}

/** Every path to a node of a JSON value. */
function paths(
  v: unknown,
  at: (string | number)[] = [],
  out: (string | number)[][] = [],
): (string | number)[][] {
  out.push(at);
  if (out.length > 400) return out;
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (v !== null && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) paths(x, [...at, k], out);
  return out;
}

function mutateTree(root: unknown): unknown {
  const copy = structuredClone(root) as Record<string, unknown>;
  const all = paths(copy).filter((p) => p.length > 0);
  const target = pick(all);
  const parent = target
    .slice(0, -1)
    .reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], copy) as Record<
    string | number,
    unknown
  >;
  const key = target.at(-1) as string | number;
  const r = rand();
  if (r < 0.3) {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else Reflect.deleteProperty(parent, key);
  } else if (r < 0.9) parent[key] = randomValue();
  else parent[`extra${Math.floor(rand() * 100)}`] = randomValue();
  return copy;
}

function mutateText(text: string): string {
  const i = Math.floor(rand() * text.length);
  return pick<() => string>([
    () => text.slice(0, i),
    () => text.slice(0, i) + String.fromCharCode(Math.floor(rand() * 65536)) + text.slice(i + 1),
    () => text.slice(0, i) + '{"' + text.slice(i),
    () => text.replace('"uid"', '"uid":1,"uid"'),
    () => text.slice(i) + text.slice(0, i),
    () => '',
    () => 'null',
  ])();
}

function caseOf(seed: unknown): { body: string; uid?: string } {
  let tree = seed;
  const steps = 1 + Math.floor(rand() * 3);
  for (let s = 0; s < steps; s++) tree = mutateTree(tree);
  const text = JSON.stringify(tree).replace(`"${DEEP}"`, () => deepText(5000));
  if (rand() < 0.2) return { body: mutateText(text) };
  const req = (tree as { request?: { uid?: unknown } } | null)?.request;
  return typeof req?.uid === 'string' ? { body: text, uid: req.uid } : { body: text };
}

let dir: string;
let server: AdmissionServer;
let ca: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-fuzz-'));
  const certs = await createWebhookCertificates({
    service: 'palisade',
    namespace: 'palisade-system',
    extraNames: ['127.0.0.1'],
  });
  ca = certs.ca.cert;
  writeFileSync(path.join(dir, 'tls.crt'), certs.serving.cert);
  writeFileSync(path.join(dir, 'tls.key'), certs.serving.key);
  const parsed = parseAdmissionConfig({
    apiVersion: 'palisade.dev/v1',
    kind: 'AdmissionConfiguration',
    defaults: { enforce: 'cis', warn: 'all', audit: 'all' },
  });
  if (!parsed.ok) throw new Error('config');
  const policies = fakePolicies([
    { name: 'throws-on-widgets', matches: (a) => a.kind.kind === 'Widget', throws: true },
    {
      name: 'warns-on-names',
      validate: (a) =>
        a.name.length % 3 === 0 ? `name ${a.name} has ${a.name.length} characters` : undefined,
      action: 'Warn',
    },
    { name: 'labels', mutate: () => [{ op: 'add', path: '/metadata/labels/fuzzed', value: 'yes' }] },
  ]);
  const compiled = compileAdmissionConfig(parsed.value, { catalog: CATALOG, policies });
  if (!compiled.ok) throw new Error('compile');
  server = await startAdmissionServer({
    config: compiled.value,
    tls: { certFile: path.join(dir, 'tls.crt'), keyFile: path.join(dir, 'tls.key') },
    port: 0,
    logger: pino({ level: process.env.PALISADE_FUZZ_DUMP ? 'error' : 'silent' }),
    maxBodyBytes: 256 * 1024,
    processMetrics: false,
  });
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Tally {
  [status: string]: number;
}

describe('fuzz', () => {
  it(`answers ${CASES} mutated AdmissionReviews well-formed and stays up`, { timeout: 300_000 }, async () => {
    const seedList = seeds();
    const agent = new https.Agent({ keepAlive: true, ca, maxSockets: CONCURRENCY });
    const tally: Tally = {};
    const failures: string[] = [];
    let next = 0;
    let genMs = 0;
    const worker = async (): Promise<void> => {
      while (next < CASES) {
        next++;
        const t0 = performance.now();
        const c = caseOf(pick(seedList));
        genMs += performance.now() - t0;
        const endpoint = rand() < 0.8 ? '/validate' : '/mutate';
        const res = await request(`${server.url}${endpoint}`, { agent, body: c.body });
        tally[res.status] = (tally[res.status] ?? 0) + 1;
        const problem = wellFormed(res.status, res.json, res.headers['content-type'], c.uid);
        if (problem && failures.length < 10)
          failures.push(`${problem}: sent ${c.body.slice(0, 300)} got ${res.text.slice(0, 300)}`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    agent.destroy();
    console.log(
      `fuzz: ${CASES} cases, answers by status ${JSON.stringify(tally)}; generating took ${Math.round(genMs)} ms`,
    );
    expect(failures).toEqual([]);
    expect(Object.values(tally).reduce((a, b) => a + b, 0)).toBe(CASES);
    expect(tally['200']).toBeGreaterThan(CASES / 10);
    expect(tally['400']).toBeGreaterThan(CASES / 10);
    const health = await request(`${server.url}/healthz`, { ca });
    expect(health.status).toBe(200);
  });
});

function wellFormed(
  status: number,
  json: unknown,
  contentType: unknown,
  uid: string | undefined,
): string | undefined {
  if (typeof contentType !== 'string' || !contentType.startsWith('application/json'))
    return `content-type ${String(contentType)}`;
  if (json === null || typeof json !== 'object') return 'body is not a JSON object';
  const j = json as Record<string, unknown>;
  if (status === 400 || status === 413) {
    if (typeof j.error !== 'string' || typeof j.message !== 'string')
      return 'error body without error and message';
    return undefined;
  }
  if (status !== 200) return `status ${status}`;
  if (
    j.kind !== 'AdmissionReview' ||
    (j.apiVersion !== 'admission.k8s.io/v1' && j.apiVersion !== 'admission.k8s.io/v1beta1')
  )
    return 'not an AdmissionReview';
  const r = j.response as Record<string, unknown> | undefined;
  if (!r || typeof r.allowed !== 'boolean' || typeof r.uid !== 'string')
    return 'response without uid/allowed';
  if (uid !== undefined && r.uid !== uid) return `uid ${r.uid} != ${uid}`;
  if (!r.allowed) {
    const s = r.status as Record<string, unknown> | undefined;
    if (!s || typeof s.code !== 'number' || typeof s.message !== 'string') return 'denial without status';
  }
  if (r.warnings !== undefined) {
    if (!Array.isArray(r.warnings)) return 'warnings not a list';
    for (const w of r.warnings)
      if (typeof w !== 'string' || w.length > WARNING_MAX_CHARS) return `bad warning ${String(w)}`;
  }
  if (r.patch !== undefined) {
    if (r.patchType !== 'JSONPatch' || typeof r.patch !== 'string') return 'patch without JSONPatch type';
    if (!Array.isArray(JSON.parse(Buffer.from(r.patch, 'base64').toString('utf8'))))
      return 'patch is not a JSON array';
  }
  if (r.auditAnnotations !== undefined) {
    for (const [k, v] of Object.entries(r.auditAnnotations as Record<string, unknown>))
      if (typeof v !== 'string' || k.includes('/') || k.length > 63) return `bad audit annotation ${k}`;
  }
  return undefined;
}
