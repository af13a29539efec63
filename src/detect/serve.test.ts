import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createDetector } from './detector.js';
import { builtinRules } from './load.js';
import { startAuditWebhook, type AuditWebhook } from './serve.js';
import type { Alert } from './detector.js';

function post(url: string, body: unknown): Promise<{ status: number; retryAfter: string | undefined }> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/audit`,
      { method: 'POST', headers: { 'content-type': 'application/json' }, timeout: 5000 },
      (res) => {
        res.resume();
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: res.headers['retry-after'],
          });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const item = (i: number): Record<string, unknown> => ({
  auditID: `a${i}`,
  stage: 'ResponseComplete',
  verb: 'list',
  user: { username: 'eve' },
  objectRef: { resource: 'secrets' },
  responseStatus: { code: 200 },
});

let server: AuditWebhook | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('audit webhook backend', () => {
  it('answers a batch at once and judges its events (items without kind, as the API server sends them)', async () => {
    const alerts: Alert[] = [];
    server = await startAuditWebhook({
      detector: createDetector({ rules: builtinRules(), dedupSeconds: 0 }),
      onAlert: (a) => alerts.push(a),
      host: '127.0.0.1',
      port: 0,
    });
    expect((await post(server.url, { kind: 'EventList', items: [item(1), item(2)] })).status).toBe(200);
    await server.drained();
    expect(alerts.map((a) => a.rule)).toEqual([
      'secrets-listed-all-namespaces',
      'secrets-listed-all-namespaces',
    ]);
    expect(alerts.map((a) => a.evidence[0])).toEqual(['a1', 'a2']);
  });

  it('refuses a batch that does not fit the queue with 429 and Retry-After, and counts it', async () => {
    server = await startAuditWebhook({
      detector: createDetector({ rules: builtinRules() }),
      onAlert: () => undefined,
      host: '127.0.0.1',
      port: 0,
      queueCapacity: 3,
    });
    const r = await post(server.url, { kind: 'EventList', items: [item(1), item(2), item(3), item(4)] });
    expect(r).toEqual({ status: 429, retryAfter: '1' });
    expect(await server.metrics.getSingleMetricAsString('palisade_detect_batches_rejected_total')).toContain(
      'palisade_detect_batches_rejected_total 1',
    );
    expect((await post(server.url, { kind: 'Pod' })).status).toBe(200);
    expect((await post(server.url, [1, 2])).status).toBe(400);
  });
});
