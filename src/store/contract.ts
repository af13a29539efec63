/**
 * The store contract: one suite every backend passes (SQLite in `sqlite.test.ts`, PostgreSQL in
 * `test/store-postgres.int.test.ts`). `open` must return an empty, migrated store each call.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { findingFingerprint } from './fingerprint.js';
import type { Store } from './store.js';
import { TEST_T0, testFinding, testScan } from './testing.js';
import type { RetentionPolicy } from './types.js';

/** Opens a fresh, empty store with the given retention. */
export type OpenTestStore = (retention?: Partial<RetentionPolicy>) => Promise<Store>;

const DAY = 86_400_000;
const T0 = TEST_T0;

/** Registers the contract suite for one backend. */
export function storeContract(backend: string, open: OpenTestStore): void {
  describe(`store contract (${backend})`, () => {
    const opened: Store[] = [];
    const fresh = async (retention?: Partial<RetentionPolicy>): Promise<Store> => {
      const s = await open(retention);
      opened.push(s);
      return s;
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()));
    });

    it('tracks first seen, last seen, resolution and reopening by fingerprint', async () => {
      const s = await fresh();
      const a = testFinding('a');
      const b = testFinding('b', { severity: 'low' });
      const r1 = await s.recordScan(testScan(0, [a, b]));
      expect(r1).toMatchObject({ opened: 2, resolved: 0 });
      const r2 = await s.recordScan(testScan(1, [{ ...a, message: 'changed text', severity: 'critical' }]));
      expect(r2).toMatchObject({ opened: 0, resolved: 1 });
      const second = await s.scanFindings(r2.id);
      expect(second).toHaveLength(1);
      expect(second[0]).toMatchObject({
        fingerprint: findingFingerprint(a),
        severity: 'critical',
        message: 'changed text',
        firstSeen: T0,
        lastSeen: T0 + DAY,
      });
      expect(second[0]?.resolvedAt).toBeUndefined();
      // The first scan still lists both: history is per scan, not the latest state.
      expect((await s.scanFindings(r1.id)).map((f) => f.name).sort()).toEqual(['a', 'b']);
      const r3 = await s.recordScan(testScan(2, [a, b]));
      expect(r3).toMatchObject({ opened: 0, resolved: 0 });
      const third = await s.scanFindings(r3.id);
      expect(third.find((f) => f.name === 'b')).toMatchObject({ firstSeen: T0, lastSeen: T0 + 2 * DAY });
      expect(third.find((f) => f.name === 'b')?.resolvedAt).toBeUndefined();
    });

    it('updates a scan in place: opens, changes, closes and reopens findings (watch mode)', async () => {
      const s = await fresh();
      const a = testFinding('a');
      const b = testFinding('b', { severity: 'low' });
      const scan = await s.recordScan(testScan(0, [a]));
      const t1 = T0 + 1000;
      expect(await s.updateScan(scan.id, { time: t1, upserts: [b], closed: [], resources: 11 })).toEqual({
        opened: 1,
        resolved: 0,
      });
      expect((await s.scanFindings(scan.id)).map((f) => f.name).sort()).toEqual(['a', 'b']);
      expect(await s.openFindingsBySeverity('prod')).toMatchObject({ high: 1, low: 1 });
      const t2 = T0 + 2000;
      const r = await s.updateScan(scan.id, {
        time: t2,
        upserts: [{ ...b, severity: 'critical', message: 'worse' }],
        closed: [a],
        resources: 10,
        scores: [{ framework: 'cis-1.10', score: 50, passed: 1, failed: 1, applicable: 2 }],
      });
      expect(r).toEqual({ opened: 0, resolved: 1 });
      const [summary] = await s.listScans();
      expect(summary).toMatchObject({
        id: scan.id,
        findings: 1,
        resources: 10,
        bySeverity: { critical: 1, high: 0, low: 0 },
        scores: [{ framework: 'cis-1.10', score: 50 }],
      });
      const now = await s.scanFindings(scan.id);
      expect(now).toHaveLength(1);
      // An open finding's last sighting is its cluster's latest scan (whose time is its start).
      expect(now[0]).toMatchObject({ name: 'b', severity: 'critical', firstSeen: t1, lastSeen: T0 });
      // Closing twice is harmless; a closed finding comes back with its first sighting kept.
      expect(await s.updateScan(scan.id, { time: t2, upserts: [], closed: [a], resources: 10 })).toEqual({
        opened: 0,
        resolved: 0,
      });
      const t3 = T0 + 3000;
      expect(await s.updateScan(scan.id, { time: t3, upserts: [a], closed: [], resources: 10 })).toEqual({
        opened: 1,
        resolved: 0,
      });
      const back = (await s.scanFindings(scan.id)).find((f) => f.name === 'a');
      expect(back).toMatchObject({ firstSeen: T0, lastSeen: T0 });
      expect(back?.resolvedAt).toBeUndefined();
      // The next full scan starts from the updated state: nothing opens or resolves.
      expect(
        await s.recordScan(testScan(1, [a, { ...b, severity: 'critical', message: 'worse' }])),
      ).toMatchObject({ opened: 0, resolved: 0 });
    });

    it('keeps one row per fingerprint and tells findings on different fields apart', async () => {
      const s = await fresh();
      const a = testFinding('a', { field: 'spec.template.spec.containers[0].securityContext' });
      const r = await s.recordScan(
        testScan(0, [
          a,
          { ...a, message: 'duplicate' },
          testFinding('a', { field: 'spec.template.spec.hostPID' }),
        ]),
      );
      expect(r.opened).toBe(2);
      expect((await s.listScans())[0]?.findings).toBe(2);
    });

    it('a scan of some namespaces resolves nothing outside them', async () => {
      const s = await fresh();
      await s.recordScan(
        testScan(0, [testFinding('a', { namespace: 'shop' }), testFinding('b', { namespace: 'pay' })]),
      );
      const r = await s.recordScan(testScan(1, [], { scope: ['shop'] }));
      expect(r.resolved).toBe(1);
      expect(await s.openFindingsBySeverity('prod', 'pay')).toMatchObject({ high: 1 });
      expect(await s.openFindingsBySeverity('prod', 'shop')).toMatchObject({ high: 0 });
      expect((await s.listScans())[0]?.scope).toEqual(['shop']);
    });

    it('counts open findings by severity, leaving out suppressed and resolved ones', async () => {
      const s = await fresh();
      await s.recordScan(
        testScan(0, [
          testFinding('a', { severity: 'critical' }),
          testFinding('b', { severity: 'critical', suppressed: true }),
          testFinding('c', { severity: 'medium' }),
          testFinding('d', { severity: 'medium', namespace: 'other' }),
          testFinding('gone', { severity: 'low' }),
        ]),
      );
      await s.recordScan(
        testScan(1, [
          testFinding('a', { severity: 'critical' }),
          testFinding('b', { severity: 'critical', suppressed: true }),
          testFinding('c', { severity: 'medium' }),
          testFinding('d', { severity: 'medium', namespace: 'other' }),
        ]),
      );
      expect(await s.openFindingsBySeverity('prod', 'shop')).toEqual({
        critical: 1,
        high: 0,
        medium: 1,
        low: 0,
        info: 0,
      });
      expect(await s.openFindingsBySeverity('prod')).toEqual({
        critical: 1,
        high: 0,
        medium: 2,
        low: 0,
        info: 0,
      });
      const [latest] = await s.listScans();
      expect(latest).toMatchObject({ findings: 3, suppressed: 1, bySeverity: { critical: 1, medium: 2 } });
      expect(await s.openFindingsBySeverity('nope')).toEqual({
        critical: 0,
        high: 0,
        medium: 0,
        low: 0,
        info: 0,
      });
    });

    it('lists scans newest first with scores, per cluster, and resolves latest~N', async () => {
      const s = await fresh();
      const r1 = await s.recordScan(testScan(0, [testFinding('a')]));
      const r2 = await s.recordScan(testScan(1, []));
      await s.recordScan(testScan(0.5, [], { cluster: { name: 'staging' } }));
      const prod = await s.listScans({ cluster: 'prod' });
      expect(prod.map((x) => x.id)).toEqual([r2.id, r1.id]);
      expect(prod[1]).toMatchObject({
        cluster: 'prod',
        time: T0,
        source: 'cluster',
        kubernetesVersion: '1.33.1',
        resources: 10,
        findings: 1,
      });
      expect(prod[1]?.scores.map((x) => [x.framework, x.score])).toEqual([
        ['cis-1.10', 99],
        ['nsa-cisa-1.2', 90],
      ]);
      expect(await s.clusters()).toEqual(['prod', 'staging']);
      expect(await s.resolveScan({ kind: 'latest', back: 1 }, 'prod')).toMatchObject({
        ok: true,
        scan: { id: r1.id },
      });
      expect(await s.resolveScan({ kind: 'id', id: r2.id })).toMatchObject({ ok: true, scan: { id: r2.id } });
      const ambiguous = await s.resolveScan({ kind: 'latest', back: 0 });
      expect(ambiguous.ok).toBe(false);
      expect(await s.resolveScan({ kind: 'latest', back: 5 }, 'prod')).toMatchObject({ ok: false });
      expect(await s.resolveScan({ kind: 'id', id: 999_999 })).toMatchObject({ ok: false });
    });

    it('returns the score history since a time', async () => {
      const s = await fresh();
      for (let d = 0; d < 5; d++)
        await s.recordScan(
          testScan(
            d,
            Array.from({ length: d }, (_, i) => testFinding(`w${i}`)),
          ),
        );
      const points = await s.scoreHistory('prod', T0 + 2 * DAY, 'cis-1.10');
      expect(points.map((p) => [p.time, p.score])).toEqual([
        [T0 + 2 * DAY, 98],
        [T0 + 3 * DAY, 97],
        [T0 + 4 * DAY, 96],
      ]);
      expect(await s.scoreHistory('prod', T0)).toHaveLength(10);
    });

    it('keeps RBAC grants and reachability only for scans that recorded them', async () => {
      const s = await fresh();
      const grants = [
        {
          subject: 'ServiceAccount:shop:ci',
          namespace: 'shop',
          rule: 'get secrets [core]',
          via: 'RoleBinding/shop/ci → Role/shop/ci',
        },
      ];
      const reach = [{ src: 'shop/web[Deployment]', dst: 'shop/db[Deployment]', conn: 'TCP 5432' }];
      const r1 = await s.recordScan(testScan(0, [], { rbacGrants: grants, reachability: reach }));
      const r2 = await s.recordScan(testScan(1, [], { rbacGrants: [] }));
      expect(await s.scanRbacGrants(r1.id)).toEqual(grants);
      expect(await s.scanReachability(r1.id)).toEqual(reach);
      expect(await s.scanRbacGrants(r2.id)).toEqual([]);
      expect(await s.scanReachability(r2.id)).toBeUndefined();
      expect((await s.listScans())[0]).toMatchObject({ rbacGrants: 0, reachability: null });
    });

    it('keeps the workload images of scans that listed them, and drops them with their scan', async () => {
      const s = await fresh({ maxScans: 2 });
      const images = [
        {
          kind: 'Deployment',
          namespace: 'shop',
          name: 'web',
          container: 'web',
          image: 'registry.local/web:1.0',
        },
        {
          kind: 'Deployment',
          namespace: 'shop',
          name: 'web',
          container: 'init',
          image: `registry.local/init@sha256:${'c'.repeat(64)}`,
          digest: `sha256:${'c'.repeat(64)}`,
        },
      ];
      const r1 = await s.recordScan(testScan(0, [], { images }));
      const r2 = await s.recordScan(testScan(1, [], { images: [] }));
      expect(await s.scanImages(r1.id)).toEqual([images[1], images[0]]);
      const r3 = await s.recordScan(testScan(2, []));
      expect(await s.scanImages(r2.id)).toEqual([]);
      expect(await s.scanImages(r3.id)).toBeUndefined();
      expect(await s.scanImages(9999)).toBeUndefined();
      // r1 fell out of retention (two scans kept): its image rows went with it.
      const left = await s.db.selectFrom('scan_images').select('scan_id').execute();
      expect(left).toEqual([]);
    });

    it('applies retention by count on write, dropping findings only old scans held', async () => {
      const s = await fresh({ maxScans: 2 });
      await s.recordScan(testScan(0, [testFinding('old')]));
      await s.recordScan(testScan(1, [testFinding('kept')]));
      await s.recordScan(testScan(2, [testFinding('kept')]));
      const r = await s.recordScan(testScan(3, [testFinding('kept'), testFinding('new')]));
      expect(r.pruned).toBe(1);
      const scans = await s.listScans();
      expect(scans).toHaveLength(2);
      expect(await s.scanFindings(scans[1]?.id ?? 0)).toHaveLength(1);
      expect(await s.scoreHistory('prod', 0)).toHaveLength(4);
      // `old` was resolved and only held by pruned scans: it is gone; `kept` keeps its first sighting.
      const latest = await s.scanFindings(r.id);
      expect(latest.find((f) => f.name === 'kept')?.firstSeen).toBe(T0 + DAY);
    });

    it('applies retention by age on write', async () => {
      const s = await fresh({ maxScanAgeDays: 30 });
      await s.recordScan(testScan(0, [testFinding('a')]));
      await s.recordScan(testScan(10, [testFinding('a')]));
      const r = await s.recordScan(testScan(35, [testFinding('a')]));
      expect(r.pruned).toBe(1);
      expect((await s.listScans()).map((x) => x.time)).toEqual([T0 + 35 * DAY, T0 + 10 * DAY]);
    });

    it('writes a scan larger than one bulk chunk whole', async () => {
      const s = await fresh();
      const many = Array.from({ length: 12_345 }, (_, i) =>
        testFinding(`w${i}`, { namespace: `ns${i % 7}` }),
      );
      const r = await s.recordScan(testScan(0, many));
      expect(r.opened).toBe(12_345);
      expect(await s.scanFindings(r.id)).toHaveLength(12_345);
      const r2 = await s.recordScan(testScan(1, many.slice(100)));
      expect(r2).toMatchObject({ opened: 0, resolved: 100 });
    });

    it('rolls back a scan whose write fails: nothing of it is visible', async () => {
      const s = await fresh();
      await s.recordScan(testScan(0, [testFinding('a')]));
      const bad = testScan(1, [testFinding('a'), testFinding('b')]);
      // Two scores for one framework break the primary key after the findings were written.
      const dup = bad.scores[0];
      if (!dup) throw new Error('test scan has scores');
      await expect(s.recordScan({ ...bad, scores: [dup, dup] })).rejects.toThrow();
      const scans = await s.listScans();
      expect(scans).toHaveLength(1);
      expect(await s.openFindingsBySeverity('prod')).toMatchObject({ high: 1 });
      const again = await s.recordScan(testScan(2, [testFinding('a'), testFinding('b')]));
      expect(again.opened).toBe(1);
    });

    it('records admission decisions and keeps at most the configured number', async () => {
      const s = await fresh({ maxEventRows: 3 });
      const decision = (i: number) => ({
        time: new Date(Date.now() - 1000 + i).toISOString(),
        uid: `u${i}`,
        endpoint: 'validate',
        operation: 'CREATE',
        kind: 'Pod',
        resource: 'pods',
        namespace: 'shop',
        name: `p${i}`,
        username: 'alice',
        result: 'deny',
        patched: false,
        violations: [{ controlId: 'PAL-001' }, { controlId: 'PAL-002' }, { controlId: 'PAL-001' }],
        policyDecisions: [],
        errors: [],
      });
      await s.recordDecisions([decision(0), decision(1)]);
      await s.recordDecisions([decision(2), decision(3), decision(4)], 'prod');
      const rows = await s.listDecisions(0);
      expect(rows.map((r) => r.uid)).toEqual(['u4', 'u3', 'u2']);
      expect(rows[0]?.controls).toEqual(['PAL-001', 'PAL-002']);
    });

    it('records image results and alerts in the agreed shapes', async () => {
      const s = await fresh();
      const now = Date.now();
      const id = await s.recordImageResult({
        digest: 'sha256:abc',
        ref: 'registry.local/shop/web:1.0',
        scannedAt: now,
        packages: 120,
        vulnerabilities: [
          {
            vulnId: 'CVE-2026-1',
            aliases: ['GHSA-x'],
            package: 'openssl',
            version: '3.0.1',
            fixedVersion: '3.0.2',
            severity: 'critical',
            cvss: 9.8,
            location: 'sha256:l1:/var/lib/dpkg/status',
          },
          {
            vulnId: 'CVE-2026-2',
            aliases: [],
            package: 'zlib',
            version: '1.2',
            severity: 'high',
            location: 'sha256:l1:/lib',
            suppressed: { justification: 'vulnerable_code_not_in_execute_path' },
          },
        ],
      });
      expect(await s.latestImageResult('sha256:abc')).toMatchObject({
        id,
        packages: 120,
        bySeverity: { critical: 1, high: 0 },
      });
      expect(await s.latestImageResult('sha256:none')).toBeUndefined();
      await s.recordAlerts([
        {
          time: now,
          cluster: 'prod',
          rule: 'exec-into-pod',
          severity: 'high',
          mitre: 'T1609',
          message: 'alice exec into shop/web',
          subject: 'alice',
          target: 'shop/web',
          evidence: [{ verb: 'create' }],
        },
      ]);
      expect(await s.listAlerts(now - 1)).toEqual([
        expect.objectContaining({ rule: 'exec-into-pod', mitre: 'T1609', evidence: [{ verb: 'create' }] }),
      ]);
    });

    it('lists image results, reads one with its detail and pages its vulnerabilities', async () => {
      const s = await fresh();
      const vuln = (
        vulnId: string,
        pkg: string,
        severity: 'critical' | 'high' | 'low',
        extra: { fixedVersion?: string; cvss?: number; suppressed?: { justification: string } } = {},
      ) => ({
        vulnId,
        aliases: [`GHSA-${vulnId}`],
        package: pkg,
        version: '1.0',
        severity,
        location: 'sha256:l:/lib',
        ...extra,
      });
      expect(await s.listImageResults(0, 10)).toEqual([]);
      expect(await s.imageResult()).toBeUndefined();
      const old = await s.recordImageResult({
        digest: 'sha256:aa',
        ref: 'shop/api:0.9',
        scannedAt: T0,
        packages: 1,
        vulnerabilities: [vuln('CVE-0', 'zlib', 'high')],
      });
      const newest = await s.recordImageResult({
        digest: 'sha256:aa',
        ref: 'shop/api:1.0',
        scannedAt: T0 + 2000,
        os: 'Debian GNU/Linux 12 (bookworm)',
        packages: 9,
        vulnDbTime: T0 + 1500,
        detail: { source: 'registry', platform: 'linux/amd64', layers: ['sha256:l1', 'sha256:l2'] },
        vulnerabilities: [
          vuln('CVE-1', 'openssl', 'high', { fixedVersion: '1.1', cvss: 7.5 }),
          vuln('CVE-2', 'lib_z', 'critical'),
          vuln('CVE-3', 'musl', 'low', { suppressed: { justification: 'vulnerable_code_not_present' } }),
        ],
      });
      const web = await s.recordImageResult({
        digest: 'sha256:bb',
        ref: 'shop/web:2.0',
        scannedAt: T0 + 1000,
        packages: 3,
        vulnerabilities: [],
      });
      const list = await s.listImageResults(0, 10);
      expect(list.map((i) => [i.id, i.ref, i.suppressed])).toEqual([
        [newest, 'shop/api:1.0', 1],
        [web, 'shop/web:2.0', 0],
      ]);
      expect(list[0]).toEqual({
        id: newest,
        digest: 'sha256:aa',
        ref: 'shop/api:1.0',
        scannedAt: T0 + 2000,
        packages: 9,
        bySeverity: { critical: 1, high: 1, medium: 0, low: 0, info: 0 },
        suppressed: 1,
        os: 'Debian GNU/Linux 12 (bookworm)',
      });
      expect((await s.listImageResults(0, 10, true)).map((i) => i.id)).toEqual([newest, web, old]);
      expect((await s.listImageResults(T0 + 1500, 10, true)).map((i) => i.id)).toEqual([newest]);
      expect((await s.listImageResults(0, 1, true)).map((i) => i.id)).toEqual([newest]);

      expect(await s.imageResult()).toMatchObject({
        id: newest,
        platform: 'linux/amd64',
        source: 'registry',
        layers: 2,
        vulnDbTime: T0 + 1500,
      });
      expect(await s.imageResult(web)).toEqual({
        id: web,
        digest: 'sha256:bb',
        ref: 'shop/web:2.0',
        scannedAt: T0 + 1000,
        packages: 3,
        bySeverity: { critical: 0, high: 0, medium: 0, low: 0, info: 0 },
        suppressed: 0,
      });
      expect(await s.imageResult(newest + web + old)).toBeUndefined();

      const page = { limit: 100, offset: 0 };
      const all = await s.imageVulnerabilities(newest, page);
      expect(all.total).toBe(3);
      expect(all.items.map((v) => v.id)).toEqual(['CVE-2', 'CVE-1', 'CVE-3']);
      expect(all.items[1]).toEqual({
        id: 'CVE-1',
        aliases: ['GHSA-CVE-1'],
        package: 'openssl',
        version: '1.0',
        fixedVersion: '1.1',
        severity: 'high',
        cvss: 7.5,
        location: 'sha256:l:/lib',
      });
      expect(all.items[2]?.suppressed).toEqual({ justification: 'vulnerable_code_not_present' });
      const ids = async (filter: Parameters<Store['imageVulnerabilities']>[1]) => {
        const r = await s.imageVulnerabilities(newest, filter);
        return [r.total, r.items.map((v) => v.id)];
      };
      expect(await ids({ ...page, severity: ['critical', 'low'] })).toEqual([2, ['CVE-2', 'CVE-3']]);
      expect(await ids({ ...page, package: 'SSL' })).toEqual([1, ['CVE-1']]);
      // LIKE's wildcards match only themselves.
      expect(await ids({ ...page, package: '_' })).toEqual([1, ['CVE-2']]);
      expect(await ids({ ...page, package: '%' })).toEqual([0, []]);
      expect(await ids({ ...page, fixable: true })).toEqual([1, ['CVE-1']]);
      expect(await ids({ ...page, fixable: false })).toEqual([2, ['CVE-2', 'CVE-3']]);
      expect(await ids({ ...page, suppressed: false })).toEqual([2, ['CVE-2', 'CVE-1']]);
      expect(await ids({ ...page, suppressed: true })).toEqual([1, ['CVE-3']]);
      expect(await ids({ limit: 1, offset: 1 })).toEqual([3, ['CVE-1']]);
      expect(await ids({ ...page, severity: [] })).toEqual([3, ['CVE-2', 'CVE-1', 'CVE-3']]);
      expect(await s.imageVulnerabilities(web, page)).toEqual({ total: 0, items: [] });
    });

    it('keeps one detection baseline per identity, replaced on update, returned oldest first', async () => {
      const s = await fresh();
      expect(await s.loadBaselines()).toEqual([]);
      const model = (n: number): Record<string, unknown> => ({
        events: n,
        ops: { 'get configmaps ci': n, 'list secrets "odd"\u0000': 1 },
        hours: Array.from({ length: 24 }, (_, h) => (h === 3 ? n : 0)),
      });
      await s.saveBaselines([
        {
          identity: 'system:serviceaccount:ci:bot',
          kind: 'serviceaccount',
          events: 60,
          model: model(60),
          updatedAt: T0 + 2,
        },
        { identity: 'alice@example.com', kind: 'human', events: 5, model: model(5), updatedAt: T0 + 1 },
        { identity: 'shop/web', kind: 'workload', events: 7, model: model(7), updatedAt: T0 + 3 },
      ]);
      await s.saveBaselines([
        { identity: 'alice@example.com', kind: 'human', events: 9, model: model(9), updatedAt: T0 + 4 },
      ]);
      const all = await s.loadBaselines();
      expect(all.map((b) => [b.identity, b.events, b.updatedAt])).toEqual([
        ['system:serviceaccount:ci:bot', 60, T0 + 2],
        ['shop/web', 7, T0 + 3],
        ['alice@example.com', 9, T0 + 4],
      ]);
      expect(all[2]?.model).toEqual(model(9));
      expect(all[2]?.kind).toBe('human');
      // A bound keeps the most recently updated identities.
      expect((await s.loadBaselines(2)).map((b) => b.identity)).toEqual(['shop/web', 'alice@example.com']);
      // More rows than one statement takes go through in one call.
      const many = Array.from({ length: 1203 }, (_, i) => ({
        identity: `ns/w${i}`,
        kind: 'workload',
        events: i,
        model: model(i),
        updatedAt: T0 + 10 + i,
      }));
      await s.saveBaselines(many);
      const loaded = await s.loadBaselines();
      expect(loaded).toHaveLength(1206);
      expect(loaded.at(-1)).toMatchObject({ identity: 'ns/w1202', events: 1202, model: model(1202) });
    });
  });
}
