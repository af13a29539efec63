import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { memoryIO } from '../io.js';
import { main } from '../main.js';

const root = mkdtempSync(path.join(tmpdir(), 'palisade-store-cli-'));
mkdirSync(path.join(root, 'home'));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

const deployment = (privileged: boolean, image = 'registry.local/web:1.0') => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: ${image}
          securityContext: {privileged: ${String(privileged)}}
`;
const binding = (name: string, resource: string) => `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: ${name}, namespace: shop}
rules: [{apiGroups: [""], resources: [${resource}], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ${name}, namespace: shop}
subjects: [{kind: ServiceAccount, name: ci, namespace: shop}]
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: ${name}}
`;

function dir(name: string, files: Record<string, string>): string {
  const d = path.join(root, name);
  mkdirSync(d, { recursive: true });
  for (const [f, text] of Object.entries(files)) writeFileSync(path.join(d, f), text);
  return d;
}

const base = dir('base', { 'web.yaml': deployment(true), 'rbac.yaml': binding('read-pods', 'pods') });
const head = dir('head', {
  'web.yaml': deployment(false, `registry.local/web@sha256:${'ab'.repeat(32)}`),
  'rbac.yaml': `${binding('read-pods', 'pods')}---\n${binding('read-secrets', 'secrets')}`,
});
const db = path.join(root, 'history.db');

async function run(args: string[], env: Record<string, string> = {}) {
  const io = memoryIO({ cwd: root, env: { HOME: path.join(root, 'home'), ...env } });
  const code = await main(args, io);
  return { code, out: io.out(), err: io.err() };
}

interface HistoryJson {
  kind: string;
  scans: { id: number; cluster: string; findings: number; source: string; scores: { framework: string }[] }[];
}
interface DriftJson {
  kind: string;
  findings: { opened: { controlId: string }[]; closed: { controlId: string; name: string }[] };
  rbac?: { subject: string; gained: { rule: string }[]; lost: unknown[] }[];
  reachability?: unknown;
  images?: {
    changed: {
      kind: string;
      namespace: string;
      name: string;
      container: string;
      from: unknown;
      to: unknown;
    }[];
    added: unknown[];
    removed: unknown[];
  };
  notes: string[];
}

describe('scan --db, history and drift', () => {
  it('records scans, lists them, and compares them', async () => {
    const first = await run(['scan', base, '--db', db, '--db-cluster', 'lab', '-o', 'json']);
    expect(first.code).toBe(1);
    expect(first.err).toMatch(/Recorded scan 1 of lab: \d+ new, 0 resolved/);
    const second = await run([
      'scan',
      head,
      '--db',
      db,
      '--db-cluster',
      'lab',
      '-q',
      '-o',
      'json',
      '--fail-on',
      'none',
    ]);
    expect(second.code).toBe(0);
    expect(second.err).toBe('');

    const history = await run(['history', '--db', db, '-o', 'json']);
    expect(history.code).toBe(0);
    const h = JSON.parse(history.out) as HistoryJson;
    expect(h.kind).toBe('ScanHistory');
    expect(h.scans.map((s) => [s.id, s.cluster, s.source])).toEqual([
      [2, 'lab', 'manifests'],
      [1, 'lab', 'manifests'],
    ]);
    expect(h.scans[1]?.findings).toBeGreaterThan(0);
    expect(h.scans[0]?.scores.length).toBeGreaterThan(0);
    const table = await run(['history', '--db', db]);
    expect(table.out).toMatch(/^ID\s+TIME \(UTC\)\s+CLUSTER/);
    expect(table.out.split('\n').filter((l) => /^\d+\s/.test(l))).toHaveLength(2);

    const drift = await run(['drift', 'latest~1', 'latest', '--db', db, '-o', 'json']);
    expect(drift.code).toBe(0);
    const d = JSON.parse(drift.out) as DriftJson;
    expect(d.kind).toBe('Drift');
    expect(d.findings.closed).toContainEqual(
      expect.objectContaining({ controlId: 'workload/no-privileged', name: 'web' }),
    );
    expect(d.findings.opened.map((f) => f.controlId)).not.toContain('workload/no-privileged');
    expect(d.rbac).toEqual([
      expect.objectContaining({
        subject: 'ServiceAccount:shop:ci',
        gained: [expect.objectContaining({ rule: 'get secrets [core]' })],
        lost: [],
      }),
    ]);
    expect(d.reachability).toBeDefined();
    expect(d.images).toEqual({
      changed: [
        {
          kind: 'Deployment',
          namespace: 'shop',
          name: 'web',
          container: 'web',
          from: { image: 'registry.local/web:1.0' },
          to: { image: `registry.local/web@sha256:${'ab'.repeat(32)}`, digest: `sha256:${'ab'.repeat(32)}` },
        },
      ],
      added: [],
      removed: [],
    });
    const text = await run(['drift', 'latest~1', 'latest', '--db', db]);
    expect(text.out).toContain('Images: 1 changed, 0 added, 0 removed');
    expect(text.out).toMatch(
      /^ {2}~ Deployment shop\/web container web: registry\.local\/web:1\.0 → registry\.local\/web@sha256:(ab){32}$/m,
    );
  });

  it('compares a stored scan with a directory assessed on the fly and fails on new findings', async () => {
    const back = await run(['drift', 'latest', base, '--db', db, '--fail-on-new', 'high']);
    expect(back.code).toBe(1);
    expect(back.out).toMatch(/^\+\s+\S+\s+workload\/no-privileged\s+Deployment shop\/web/m);
    const lenient = await run(['drift', 'latest', base, '--db', db, '-q']);
    expect(lenient.code).toBe(0);
    const same = await run(['drift', head, head, '-o', 'json']);
    const s = JSON.parse(same.out) as DriftJson;
    expect(s.findings.opened).toEqual([]);
    expect(s.findings.closed).toEqual([]);
    expect(s.images).toEqual({ changed: [], added: [], removed: [] });
    // A directory compared with the stored scan of the other: images from the inventory.
    const mixed = JSON.parse(
      (await run(['drift', 'latest', base, '--db', db, '-o', 'json'])).out,
    ) as DriftJson;
    expect(mixed.images?.changed.map((c) => [c.name, c.to])).toEqual([
      ['web', { image: 'registry.local/web:1.0' }],
    ]);
  });

  it('says who last wrote each changed object when given an audit log', async () => {
    const log = path.join(root, 'audit.log');
    const line = (user: string, time: string, code = 200): string =>
      JSON.stringify({
        apiVersion: 'audit.k8s.io/v1',
        kind: 'Event',
        stage: 'ResponseComplete',
        verb: 'patch',
        user: { username: user },
        objectRef: { resource: 'deployments', namespace: 'shop', name: 'web', apiGroup: 'apps' },
        responseStatus: { code },
        stageTimestamp: time,
      });
    writeFileSync(
      log,
      [
        line('alice', '2026-12-06T09:00:00Z'),
        line('mallory', '2026-12-07T09:00:00Z', 403),
        line('bob', '2026-12-07T08:00:00Z'),
      ].join('\n'),
    );
    const r = await run(['drift', base, head, '--audit-log', log]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/CHANGED BY/);
    expect(r.out).toMatch(/workload\/no-privileged\s+Deployment shop\/web.*bob patch 2026-12-07T08:00:00Z/);
    const json = JSON.parse((await run(['drift', base, head, '--audit-log', log, '-o', 'json'])).out) as {
      findings: { closed: { name: string; changedBy?: { user: string } }[] };
    };
    expect(json.findings.closed.find((f) => f.name === 'web')?.changedBy).toMatchObject({ user: 'bob' });
    const missing = await run(['drift', base, head, '--audit-log', path.join(root, 'nope.log')]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/nope\.log: cannot read the audit log/);
  });

  it('rejects what names no scan, with exit 2', async () => {
    for (const args of [
      ['drift', '999', 'latest', '--db', db],
      ['drift', 'latest~9', 'latest', '--db', db],
      ['drift', 'not-a-thing', 'latest', '--db', db],
      ['history', '--db', db, '--cluster', 'nope'],
      ['history', '--db', db, '-o', 'xml'],
    ]) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err, args.join(' ')).toMatch(/^palisade: /);
    }
  });

  it('uses PALISADE_DB, then ~/.palisade/palisade.db', async () => {
    const envDb = path.join(root, 'env.db');
    await run(['scan', head, '-q', '-o', 'json', '--fail-on', 'none', '--db-cluster', 'env'], {
      PALISADE_DB: envDb,
    });
    expect(existsSync(envDb)).toBe(true);
    const listed = JSON.parse(
      (await run(['history', '-o', 'json'], { PALISADE_DB: envDb })).out,
    ) as HistoryJson;
    expect(listed.scans.map((s) => s.cluster)).toEqual(['env']);
    await run(['scan', head, '-q', '-o', 'json', '--fail-on', 'none', '--db-cluster', 'home']);
    expect(existsSync(path.join(root, 'home', '.palisade', 'palisade.db'))).toBe(true);
  });

  it('keeps at most --retain-scans scans', async () => {
    const small = path.join(root, 'small.db');
    for (let i = 0; i < 3; i++)
      await run([
        'scan',
        head,
        '--db',
        small,
        '--retain-scans',
        '2',
        '-q',
        '-o',
        'json',
        '--fail-on',
        'none',
      ]);
    const h = JSON.parse((await run(['history', '--db', small, '-o', 'json'])).out) as HistoryJson;
    expect(h.scans.map((s) => s.id)).toEqual([3, 2]);
  });
});
