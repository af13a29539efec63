/**
 * The server in process (fastify inject) over a store built from in-memory scans: answers
 * follow new scans despite the answer cache, drift computed in SQL agrees with the CLI's pure
 * drift, and suppressed findings carry their exception.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { computeDrift, openStore, type Store } from '../store/index.js';
import { testFinding, testScan } from '../store/testing.js';
import { buildServer } from './app.js';
import { DriftResponseSchema, FindingsResponseSchema, SummaryResponseSchema } from './api-types.js';

let dir: string;
let store: Store;

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'palisade-app-'));
  store = await openStore({ kind: 'sqlite', file: path.join(dir, 'p.db') });
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function get(app: Awaited<ReturnType<typeof buildServer>>, url: string): Promise<unknown> {
  const r = await app.inject({ method: 'GET', url });
  expect(r.statusCode, r.body).toBe(200);
  return r.json();
}

describe('buildServer in process', () => {
  it('answers an empty store with empty pages, not errors', async () => {
    const app = await buildServer({ store, auth: { mode: 'none' } });
    expect(await get(app, '/api/v1/summary')).toMatchObject({ cluster: null, scan: null, byNamespace: [] });
    expect(await get(app, '/api/v1/findings')).toMatchObject({ items: [], total: 0, scanId: null });
    expect(await get(app, '/api/v1/scores')).toEqual({ cluster: null, frameworks: [] });
    const drift = await app.inject({ method: 'GET', url: '/api/v1/drift' });
    expect(drift.statusCode).toBe(404);
    const rbac = await app.inject({ method: 'GET', url: '/api/v1/rbac/who-can?verb=get&resource=pods' });
    expect(rbac.statusCode).toBe(503);
    expect(rbac.json()).toMatchObject({ error: { code: 'unavailable' } });
    await app.close();
  });

  it('follows a newly recorded scan although answers are cached', async () => {
    await store.recordScan(testScan(0, [testFinding('a'), testFinding('b')]));
    const app = await buildServer({ store, auth: { mode: 'none' } });
    const first = SummaryResponseSchema.parse(await get(app, '/api/v1/summary'));
    expect(first.bySeverity.high).toBe(2);
    await store.recordScan(
      testScan(1, [testFinding('a'), testFinding('c', { severity: 'critical' }), testFinding('d')]),
    );
    const second = SummaryResponseSchema.parse(await get(app, '/api/v1/summary'));
    expect(second.bySeverity).toMatchObject({ critical: 1, high: 2 });
    expect(second.scan?.id).not.toBe(first.scan?.id);
    await app.close();
  });

  it('computes drift in SQL exactly as the pure drift does', async () => {
    const before = [
      testFinding('a'),
      testFinding('b'),
      testFinding('c', { suppressed: true }),
      testFinding('e'),
    ];
    const after = [
      testFinding('a'),
      testFinding('c'),
      testFinding('d', { severity: 'critical' }),
      testFinding('e', { suppressed: true }),
    ];
    const s1 = await store.recordScan(testScan(0, before));
    const s2 = await store.recordScan(testScan(1, after));
    const app = await buildServer({ store, auth: { mode: 'none' } });
    const api = DriftResponseSchema.parse(await get(app, `/api/v1/drift?base=${s1.id}&head=${s2.id}`));
    const pure = computeDrift(
      { label: 'b', findings: await store.scanFindings(s1.id) },
      { label: 'h', findings: await store.scanFindings(s2.id) },
    );
    const ids = (l: readonly { fingerprint: string }[]): string[] => l.map((f) => f.fingerprint).sort();
    expect(ids(api.findings.opened)).toEqual(ids(pure.findings.opened));
    expect(ids(api.findings.closed)).toEqual(ids(pure.findings.closed));
    expect(api.findings.unchanged).toBe(pure.findings.unchanged);
    expect(api.findings.opened.map((f) => f.name).sort()).toEqual(['c', 'd']);
    expect(api.findings.closed.map((f) => f.name).sort()).toEqual(['b', 'e']);
    await app.close();
  });

  it('lists suppressed findings only when asked, flagged', async () => {
    await store.recordScan(testScan(0, [testFinding('a'), testFinding('b', { suppressed: true })]));
    const app = await buildServer({ store, auth: { mode: 'none' } });
    const open = FindingsResponseSchema.parse(await get(app, '/api/v1/findings'));
    expect(open.items.map((f) => f.name)).toEqual(['a']);
    const all = FindingsResponseSchema.parse(await get(app, '/api/v1/findings?suppressed=true&sort=name'));
    expect(all.items.map((f) => [f.name, f.suppressed])).toEqual([
      ['a', false],
      ['b', true],
    ]);
    expect(all.items[1]?.exception).toEqual({ reason: 'accepted', owner: 'team-a' });
    expect(all.items[0]?.exception).toBeUndefined();
    await app.close();
  });

  it('refuses to start without a way to authenticate', async () => {
    await expect(buildServer({ store, auth: { mode: 'required' } })).rejects.toThrow(
      /authentication is required/,
    );
  });
});
