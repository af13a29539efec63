/**
 * The real server with its pool of evaluation workers, over HTTPS sockets: an expensive
 * review cannot stall the others, is cut at its deadline and answered per the failure
 * policy, its worker is replaced; a full queue is answered at once; the probes stay on the
 * main thread. No timing is asserted here: stall.latency.test.ts measures the latency.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../core/index.js';
import { compileAdmissionConfig, parseAdmissionConfig, type AdmissionConfig } from './config.js';
import { createWebhookCertificates } from './index.js';
import { startReviewPool, type NamespaceChange, type NamespaceSource, type ReviewPool } from './pool.js';
import { startAdmissionServer, type AdmissionServer } from './server.js';
import { request, type ClientResponse } from './test-client.js';
import { bigSecret, expensivePolicies, podOf, reviewOf } from './testing.js';
import type { AdmissionReviewResponse } from './types.js';

/** The default deadline (of the webhook's 3 s timeout). */
const DEADLINE_MS = 2500;

class FixedNamespaces implements NamespaceSource {
  private readonly objects = new Map<string, KubeObject>();
  private readonly listeners = new Set<(c: NamespaceChange) => void>();
  get(name: string): KubeObject | undefined {
    return this.objects.get(name);
  }
  list(): KubeObject[] {
    return [...this.objects.values()];
  }
  subscribe(listener: (c: NamespaceChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  set(name: string, labels: Record<string, string>): void {
    const object: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } };
    this.objects.set(name, object);
    for (const l of this.listeners) l({ type: 'set', object });
  }
}

let dir: string;
let ca: string;
let certFile: string;
let keyFile: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-pool-'));
  const certs = await createWebhookCertificates({
    service: 'palisade',
    namespace: 'palisade-system',
    extraNames: ['127.0.0.1'],
  });
  ca = certs.ca.cert;
  certFile = path.join(dir, 'tls.crt');
  keyFile = path.join(dir, 'tls.key');
  writeFileSync(certFile, certs.serving.cert);
  writeFileSync(keyFile, certs.serving.key);
  writeFileSync(path.join(dir, 'expensive.yaml'), expensivePolicies());
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function config(extra: Record<string, unknown>): AdmissionConfig {
  const parsed = parseAdmissionConfig({
    apiVersion: 'palisade.dev/v1',
    kind: 'AdmissionConfiguration',
    defaults: { enforce: 'pss:baseline' },
    policies: ['expensive.yaml'],
    ...extra,
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.error));
  return parsed.value;
}

async function serve(
  file: AdmissionConfig,
  threads: number,
  namespaces?: NamespaceSource,
): Promise<AdmissionServer & Pick<ReviewPool, 'started' | 'decided'>> {
  const compiled = compileAdmissionConfig(file);
  if (!compiled.ok) throw new Error('compile');
  const pool = await startReviewPool({
    config: file,
    cwd: dir,
    threads,
    deadlineMs: file.evaluation.deadlineMs,
    ...(file.evaluation.maxQueue !== undefined ? { maxQueue: file.evaluation.maxQueue } : {}),
    inline: { maxBytes: file.evaluation.inlineMaxBytes, costLimit: file.evaluation.inlineCostLimit },
    ...(namespaces ? { namespaces } : {}),
  });
  const server = await startAdmissionServer({
    config: compiled.value,
    pool,
    overloadFailurePolicy: file.evaluation.failurePolicy ?? file.failurePolicy,
    tls: { certFile, keyFile },
    port: 0,
    logger: pino({ level: 'silent' }),
    processMetrics: false,
  });
  return Object.assign(server, { started: () => pool.started(), decided: () => pool.decided() });
}

function review(res: ClientResponse): AdmissionReviewResponse {
  expect(res.status).toBe(200);
  return res.json as AdmissionReviewResponse;
}

describe('evaluation in worker threads', () => {
  // The latency of this case is measured against the CLI's process in stall.latency.test.ts.
  it('an expensive review is cut at its deadline while 100 cheap ones and the probes go on', async () => {
    const server = await serve(config({ evaluation: { threads: 2, deadlineMs: DEADLINE_MS } }), 2);
    const agent = new https.Agent({ keepAlive: true, maxSockets: 200 });
    try {
      const post = (body: string): Promise<ClientResponse> =>
        request(`${server.url}/validate`, { ca, body, agent });
      const cheapBody = (i: number): string =>
        JSON.stringify(
          reviewOf(podOf(`p${i}`, { namespace: 'shop', privileged: i % 2 === 0 }), { uid: `cheap-${i}` }),
        );
      // Warm the workers and open the 100 connections first: the burst measures reviews, not handshakes.
      await Promise.all(Array.from({ length: 100 }, (_, i) => post(cheapBody(i))));
      const startedBefore = server.started();

      const t0 = performance.now();
      let expensiveAt = 0;
      const expensive = post(JSON.stringify(reviewOf(bigSecret(), { uid: 'expensive' }))).then((r) => {
        expensiveAt = performance.now() - t0;
        return r;
      });
      // Let the expensive body reach a worker first.
      await new Promise((resolve) => setTimeout(resolve, 50));
      const cheapDone: number[] = [];
      const cheap = Array.from({ length: 100 }, async (_, i) => {
        const r = await post(cheapBody(i));
        cheapDone.push(performance.now() - t0);
        return [i, r] as const;
      });
      const probeTimes: number[] = [];
      const probes = (async () => {
        for (let i = 0; i < 10; i++) {
          const t = performance.now();
          const r = await request(`${server.url}/healthz`, { ca, method: 'GET', agent });
          probeTimes.push(performance.now() - t);
          expect(r.status).toBe(200);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })();
      for (const [i, r] of await Promise.all(cheap)) {
        const answer = review(r);
        expect(answer.response.uid).toBe(`cheap-${i}`);
        expect(answer.response.allowed).toBe(i % 2 !== 0);
      }
      await probes;
      const slow = review(await expensive);
      // Cut at the deadline and denied per failurePolicy Fail.
      expect(slow.response).toMatchObject({
        uid: 'expensive',
        allowed: false,
        status: { code: 504, reason: 'Timeout' },
      });
      expect(slow.response.status?.message).toContain('not decided within its deadline');
      expect(expensiveAt).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
      expect(expensiveAt).toBeLessThan(DEADLINE_MS + 5000);
      // Every cheap review was answered before the expensive one: none waited behind it.
      expect(Math.max(...cheapDone)).toBeLessThan(expensiveAt);
      expect(probeTimes.length).toBe(10);
      // By default the small reviews are decided on the main thread; the 2.4 MB one never is.
      const decided = server.decided();
      expect(decided.workers).toBeGreaterThanOrEqual(1);
      expect(decided.inline).toBeGreaterThanOrEqual(100);
      expect(decided.inline + decided.workers).toBe(201);
      // The worker that ran it was terminated and replaced.
      await expect.poll(() => server.started(), { timeout: 10_000 }).toBeGreaterThan(startedBefore);
      const after = review(await post(cheapBody(1)));
      expect(after.response.allowed).toBe(true);
      const metrics = await server.metrics.metrics();
      expect(metrics).toMatch(
        /palisade_admission_undecided_total\{endpoint="validate",reason="deadline"\} 1/,
      );
    } finally {
      agent.destroy();
      await server.close();
    }
  }, 90_000);

  it('beyond the queue bound a review is answered at once per the failure policy', async () => {
    const server = await serve(
      // Every review to the worker: a small one would be decided on the main thread, queue or not.
      config({
        evaluation: { threads: 1, deadlineMs: 5000, maxQueue: 0, failurePolicy: 'Ignore', inlineMaxBytes: 0 },
      }),
      1,
    );
    try {
      const expensive = request(`${server.url}/validate`, {
        ca,
        body: JSON.stringify(reviewOf(bigSecret(), { uid: 'expensive' })),
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const t = performance.now();
      const shed = review(
        await request(`${server.url}/validate`, {
          ca,
          body: JSON.stringify(reviewOf(podOf('p', { privileged: true }), { uid: 'shed' })),
        }),
      );
      const took = performance.now() - t;
      console.log(`shed answer after ${took.toFixed(1)} ms`);
      expect(shed.response).toMatchObject({ uid: 'shed', allowed: true });
      expect(shed.response.warnings?.[0]).toMatch(/^palisade: admitted unchecked: palisade is overloaded/);
      expect(shed.response.auditAnnotations?.['evaluation-errors-ignored']).toMatch(/^shed: /);
      expect(took).toBeLessThan(2000);
      await expensive;
    } finally {
      await server.close();
    }
  }, 60_000);

  const turnBody = (i: number): Uint8Array =>
    new TextEncoder().encode(
      JSON.stringify(reviewOf(podOf(`p${i}`, { privileged: i % 2 === 0 }), { uid: `turn-${i}` })),
    );
  const turnPool = (inline: Record<string, number>): Promise<ReviewPool> =>
    startReviewPool({
      config: config({ policies: [] }),
      cwd: dir,
      threads: 1,
      deadlineMs: DEADLINE_MS,
      inline: { maxBytes: 16 * 1024, costLimit: 5000, ...inline },
    });

  it.each([
    ['beyond maxPerTurn small reviews', { maxPerTurn: 10, maxTurnMs: 60_000 }, 10],
    // Any decision takes longer than a nanosecond: the first one uses the turn's time up.
    ['beyond maxTurnMs of deciding', { maxPerTurn: 1000, maxTurnMs: 1e-6 }, 1],
  ])(
    '%s in one turn of the event loop, the rest wait for later turns (or an idle worker)',
    async (_name, bounds, here) => {
      const pool = await turnPool(bounds);
      try {
        // 30 reviews in one turn, as a backlog of connections delivers them: `here` decided now.
        const pending = Array.from({ length: 30 }, (_, i) => pool.review(turnBody(i), 'validate'));
        expect(pending.filter((p) => !(p instanceof Promise))).toHaveLength(here);
        // The rest are decided a slice per turn, with the event loop's other work between.
        let settled = 0;
        for (const p of pending) void Promise.resolve(p).then(() => settled++);
        const atNextTurn = await new Promise<number>((resolve) => {
          setImmediate(() => {
            resolve(settled);
          });
        });
        expect(atNextTurn).toBeLessThan(30);
        const outcomes = await Promise.all(pending.map((p) => Promise.resolve(p)));
        for (const [i, o] of outcomes.entries()) {
          if (o.kind !== 'answer') throw new Error(`review ${i}: ${o.kind}`);
          expect(JSON.parse(o.review)).toMatchObject({
            response: { uid: `turn-${i}`, allowed: i % 2 !== 0 },
          });
        }
        const decided = pool.decided();
        // All decided on the main thread (none handed to a worker), none shed.
        expect(decided).toMatchObject({ inline: 30, workers: 0, shed: 0, full: 0, late: 0 });
        expect(decided.queued).toBe(30 - here);
        // The next turn starts afresh, the queue empty: decided at once.
        await new Promise((resolve) => setImmediate(resolve));
        const again = pool.review(turnBody(0), 'validate');
        expect(again instanceof Promise).toBe(false);
        expect(pool.queued()).toBe(0);
      } finally {
        await pool.close();
      }
    },
    60_000,
  );

  it.each([
    // name, bounds, what sheds
    // The turn's time is no bound here (a loaded machine would make it one): 5 reviews per turn.
    ['beyond the queue bound at once', { maxPerTurn: 5, maxTurnMs: 60_000, maxQueue: 10 }, 'full'],
    [
      'a review that waited past maxWaitMs when its turn comes',
      { maxPerTurn: 5, maxTurnMs: 60_000, maxWaitMs: 1e-6 },
      'late',
    ],
  ] as const)(
    'the main thread sheds %s, per the failure policy',
    async (_name, bounds, reason) => {
      const pool = await turnPool(bounds);
      try {
        // The worker kept busy, so nothing spills to it.
        const busy = pool.review(
          new TextEncoder().encode(JSON.stringify(reviewOf(podOf('big', { image: 'x'.repeat(20_000) })))),
          'validate',
        );
        const pending = Array.from({ length: 40 }, (_, i) => pool.review(turnBody(i), 'validate'));
        const outcomes = await Promise.all(pending.map((p) => Promise.resolve(p)));
        const shed = outcomes.filter((o) => o.kind === 'shed').length;
        const answered = outcomes.filter((o) => o.kind === 'answer').length;
        expect(shed + answered).toBe(40);
        const decided = pool.decided();
        expect(decided.shed).toBe(shed);
        expect(decided[reason]).toBe(shed);
        // 5 decided in this turn; beyond the bound of 10 shed at once, or every waiting one late.
        expect(shed).toBe(reason === 'full' ? 40 - 5 - 10 : 40 - 5);
        if (reason === 'full')
          expect(pending.slice(15).every((p) => !(p instanceof Promise) && p.kind === 'shed')).toBe(true);
        await busy;
      } finally {
        await pool.close();
      }
    },
    60_000,
  );

  it('1,000 reviews from 200 connections at once on the real server: every one decided, the probes answered between slices', async () => {
    const file = config({ policies: [], evaluation: { threads: 1 } });
    const compiled = compileAdmissionConfig(file);
    if (!compiled.ok) throw new Error('compile');
    const pool = await startReviewPool({
      config: file,
      cwd: dir,
      threads: 1,
      deadlineMs: DEADLINE_MS,
      inline: { maxBytes: 16 * 1024, costLimit: 5000, maxPerTurn: 4 },
    });
    const server = await startAdmissionServer({
      config: compiled.value,
      pool,
      tls: { certFile, keyFile },
      port: 0,
      logger: pino({ level: 'silent' }),
      processMetrics: false,
    });
    // 200 connections at once, 5 reviews each over keep-alive: bursts of far more than 4 per turn.
    const agent = new https.Agent({ keepAlive: true, maxSockets: 200, ca });
    try {
      const answers: AdmissionReviewResponse[] = [];
      let probes = 0;
      let slowestProbe = 0;
      let probing = true;
      const probe = (async () => {
        while (probing) {
          const t = performance.now();
          expect((await request(`${server.url}/healthz`, { ca })).status).toBe(200);
          probes++;
          slowestProbe = Math.max(slowestProbe, performance.now() - t);
        }
      })();
      await Promise.all(
        Array.from({ length: 200 }, async (_, c) => {
          for (let i = 0; i < 5; i++) {
            const uid = `c${c}-${i}`;
            const res = await request(`${server.url}/validate`, {
              agent,
              body: JSON.stringify(reviewOf(podOf(uid, { privileged: i % 2 === 0 }), { uid })),
            });
            const answer = review(res);
            expect(answer.response).toMatchObject({ uid, allowed: i % 2 !== 0 });
            answers.push(answer);
          }
        }),
      );
      probing = false;
      await probe;
      expect(answers).toHaveLength(1000);
      // None answered per the failure policy: the excess waited for its turn.
      expect(answers.filter((a) => a.response.warnings?.some((w) => w.includes('unchecked')))).toEqual([]);
      const decided = pool.decided();
      console.log(
        `burst: ${JSON.stringify(decided)}, ${probes} /healthz probes, the slowest ${slowestProbe.toFixed(0)} ms`,
      );
      expect(decided.shed).toBe(0);
      expect(decided.queued).toBeGreaterThan(0);
      expect(probes).toBeGreaterThan(0);
    } finally {
      agent.destroy();
      await server.close();
    }
  }, 120_000);

  it.each([
    ['the workers', 0],
    ['the main thread', 16 * 1024],
  ])(
    'decided by %s: namespace label changes and objects without TypeMeta',
    async (_where, inlineMaxBytes) => {
      const namespaces = new FixedNamespaces();
      namespaces.set('team', { 'palisade.dev/enforce': 'none' });
      const server = await serve(
        config({ defaults: { enforce: 'none' }, policies: [], evaluation: { inlineMaxBytes } }),
        2,
        namespaces,
      );
      try {
        const pod = podOf('root', { namespace: 'team', privileged: true });
        const { apiVersion: _a, kind: _k, ...bare } = pod;
        const body = reviewOf(pod, { namespace: 'team', uid: 'no-typemeta' }) as {
          request: Record<string, unknown>;
        };
        body.request.object = bare;
        const send = async (): Promise<AdmissionReviewResponse> =>
          review(await request(`${server.url}/validate`, { ca, body: JSON.stringify(body) }));
        expect((await send()).response.allowed).toBe(true);
        namespaces.set('team', { 'palisade.dev/enforce': 'pss-restricted' });
        // A change reaches each worker by a broadcast message, so a review decided a moment
        // after it may still see the old labels (the label e2e test allows 2 s): poll until
        // six answers in a row, from whichever threads, agree.
        const sixInARow = async (): Promise<AdmissionReviewResponse[]> => {
          const out: AdmissionReviewResponse[] = [];
          for (let i = 0; i < 6; i++) out.push(await send());
          return out;
        };
        await expect
          .poll(async () => (await sixInARow()).map((r) => r.response.allowed), { timeout: 10_000 })
          .toEqual([false, false, false, false, false, false]);
        for (const r of await sixInARow())
          expect(r.response.status?.message).toContain('Pod team/root: pss/privileged');
        namespaces.set('team', { 'palisade.dev/enforce': 'restrictd' });
        await expect
          .poll(async () => (await sixInARow()).map((r) => r.response.allowed), { timeout: 10_000 })
          .toEqual([true, true, true, true, true, true]);
        const typo = await send();
        expect(typo.response.allowed).toBe(true);
        expect(typo.response.warnings?.[0]).toMatch(
          /palisade: namespace team: palisade.dev\/enforce="restrictd" is not a known/,
        );
        const decided = server.decided();
        expect(inlineMaxBytes === 0 ? decided.workers : decided.inline).toBeGreaterThanOrEqual(9);
        expect(inlineMaxBytes === 0 ? decided.inline : decided.workers).toBe(0);
      } finally {
        await server.close();
      }
    },
    60_000,
  );
});
