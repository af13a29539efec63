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
import {
  DriftResponseSchema,
  FindingsResponseSchema,
  ImagesResponseSchema,
  ImageVulnerabilitiesResponseSchema,
  SummaryResponseSchema,
} from './api-types.js';

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

  it('drift lists the images changed per workload container when both scans recorded them', async () => {
    const row = (image: string) => ({
      kind: 'Deployment',
      namespace: 'shop',
      name: 'web',
      container: 'web',
      image,
    });
    const s0 = await store.recordScan(testScan(0, []));
    const s1 = await store.recordScan(testScan(1, [], { images: [row('web:1.0')] }));
    const s2 = await store.recordScan(testScan(2, [], { images: [row('web:1.1')] }));
    const app = await buildServer({ store, auth: { mode: 'none' } });
    const d = DriftResponseSchema.parse(await get(app, `/api/v1/drift?base=${s1.id}&head=${s2.id}`));
    expect(d.images).toEqual({
      changed: [
        {
          kind: 'Deployment',
          namespace: 'shop',
          name: 'web',
          container: 'web',
          from: { image: 'web:1.0' },
          to: { image: 'web:1.1' },
        },
      ],
      added: [],
      removed: [],
    });
    const old = DriftResponseSchema.parse(await get(app, `/api/v1/drift?base=${s0.id}&head=${s1.id}`));
    expect(old.images).toBeUndefined();
    expect(old.notes.join(' ')).toMatch(/images not compared: scan \d+ has no recorded workload images/);
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

  it('lists image results (newest per digest) and the vulnerabilities of one, filtered, with VEX suppression shown', async () => {
    const vuln = (id: string, pkg: string, severity: 'critical' | 'high' | 'low', extra = {}) => ({
      vulnId: id,
      aliases: [`GHSA-${id}`],
      package: pkg,
      version: '1.0',
      severity,
      location: `sha256:layer:/lib/${pkg}`,
      ...extra,
    });
    await store.recordImageResult({
      digest: 'sha256:aa',
      ref: 'shop/api:1.0',
      scannedAt: 1000,
      packages: 10,
      vulnerabilities: [vuln('CVE-1', 'openssl', 'high')],
    });
    const newest = await store.recordImageResult({
      digest: 'sha256:aa',
      ref: 'shop/api:1.0',
      scannedAt: 2000,
      os: 'Debian GNU/Linux 12 (bookworm)',
      packages: 11,
      vulnDbTime: 1500,
      detail: { source: 'registry', platform: 'linux/amd64', layers: ['sha256:l1', 'sha256:l2'] },
      vulnerabilities: [
        vuln('CVE-1', 'openssl', 'high', { fixedVersion: '1.1', cvss: 7.5 }),
        vuln('CVE-2', 'zlib', 'critical'),
        vuln('CVE-3', 'musl', 'low', { suppressed: { justification: 'vulnerable_code_not_present' } }),
      ],
    });
    await store.recordImageResult({
      digest: 'sha256:bb',
      ref: 'shop/web:2.0',
      scannedAt: 1500,
      packages: 3,
      vulnerabilities: [],
    });
    const app = await buildServer({ store, auth: { mode: 'none' } });
    const list = ImagesResponseSchema.parse(await get(app, '/api/v1/images'));
    expect(list.enabled).toBe(true);
    expect(list.items.map((i) => [i.ref, i.scannedAt, i.suppressed])).toEqual([
      ['shop/api:1.0', 2000, 1],
      ['shop/web:2.0', 1500, 0],
    ]);
    expect(list.items[0]?.bySeverity).toEqual({ critical: 1, high: 1, medium: 0, low: 0, info: 0 });
    const history = ImagesResponseSchema.parse(await get(app, '/api/v1/images?history=true'));
    expect(history.items).toHaveLength(3);

    const detail = ImageVulnerabilitiesResponseSchema.parse(await get(app, '/api/v1/images/vulnerabilities'));
    expect(detail.image).toMatchObject({
      id: newest,
      os: 'Debian GNU/Linux 12 (bookworm)',
      platform: 'linux/amd64',
      source: 'registry',
      layers: 2,
      vulnDbTime: 1500,
    });
    expect(detail.total).toBe(3);
    expect(detail.items.map((v) => v.id)).toEqual(['CVE-2', 'CVE-1', 'CVE-3']);
    expect(detail.items[1]).toEqual({
      id: 'CVE-1',
      aliases: ['GHSA-CVE-1'],
      package: 'openssl',
      version: '1.0',
      fixedVersion: '1.1',
      severity: 'high',
      cvss: 7.5,
      location: 'sha256:layer:/lib/openssl',
    });
    expect(detail.items[2]?.suppressed).toEqual({ justification: 'vulnerable_code_not_present' });
    const filtered = async (qs: string): Promise<string[]> =>
      ImageVulnerabilitiesResponseSchema.parse(
        await get(app, `/api/v1/images/vulnerabilities?image=${newest}&${qs}`),
      ).items.map((v) => v.id);
    expect(await filtered('severity=critical,low')).toEqual(['CVE-2', 'CVE-3']);
    expect(await filtered('package=SSL')).toEqual(['CVE-1']);
    expect(await filtered('package=%25')).toEqual([]);
    expect(await filtered('fixable=true')).toEqual(['CVE-1']);
    expect(await filtered('fixable=false')).toEqual(['CVE-2', 'CVE-3']);
    expect(await filtered('suppressed=false')).toEqual(['CVE-2', 'CVE-1']);
    expect(await filtered('suppressed=true')).toEqual(['CVE-3']);
    expect(await filtered('limit=1&offset=1')).toEqual(['CVE-1']);
    const missing = await app.inject({ method: 'GET', url: '/api/v1/images/vulnerabilities?image=999' });
    expect(missing.statusCode).toBe(404);
    for (const bad of ['image=0', 'severity=urgent', 'fixable=yes', 'limit=100000', 'extra=1']) {
      const r = await app.inject({ method: 'GET', url: `/api/v1/images/vulnerabilities?${bad}` });
      expect(r.statusCode, bad).toBe(400);
    }
    await app.close();
  });

  it('answers the image routes of an empty store with empty lists, not errors', async () => {
    const app = await buildServer({ store, auth: { mode: 'none' } });
    expect(await get(app, '/api/v1/images')).toMatchObject({ enabled: false, items: [] });
    expect(await get(app, '/api/v1/images/vulnerabilities')).toEqual({
      image: null,
      items: [],
      total: 0,
      limit: 100,
      offset: 0,
    });
    await app.close();
  });

  it('refuses to start without a way to authenticate', async () => {
    await expect(buildServer({ store, auth: { mode: 'required' } })).rejects.toThrow(
      /authentication is required/,
    );
  });
});
