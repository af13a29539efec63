import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ImageGateJob, type GateJobEvent, type GateJobPorts } from './gate-job.js';
import { storeFacts, VerdictStore } from './verdict-store.js';

const D1 = `sha256:${'a'.repeat(64)}`;
const D2 = `sha256:${'b'.repeat(64)}`;

describe('verdict store and background job', () => {
  let dir: string;
  let store: VerdictStore;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'palisade-gate-job-'));
    store = VerdictStore.openForWrite(path.join(dir, 'images.sqlite'));
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function fakePorts(calls: string[], fail = new Set<string>()): GateJobPorts {
    return {
      resolve: (ref) => {
        calls.push(`resolve ${ref}`);
        return Promise.resolve(D2);
      },
      scan: (ref, digest) => {
        calls.push(`scan ${digest}`);
        if (fail.has(digest)) return Promise.reject(new Error('registry 127.0.0.1:1: connection refused'));
        return Promise.resolve({
          packages: 3,
          findings: [{ id: 'CVE-1', severity: 'high', package: 'musl@1.2.4-r2', fixedVersion: '1.2.4-r3' }],
        });
      },
      verify: (ref, digest) => {
        calls.push(`verify ${digest}`);
        return Promise.resolve({
          verified: digest === D1,
          reason: digest === D1 ? 'ok' : 'no signature found',
        });
      },
    };
  }

  it('scans each digest once, records tags and signatures, and a read-only reader sees them', async () => {
    const calls: string[] = [];
    const events: GateJobEvent[] = [];
    const job = new ImageGateJob({
      store,
      ports: fakePorts(calls),
      signaturePolicy: 'p1',
      listen: false,
      onEvent: (e) => events.push(e),
    });
    job.enqueue(`r.io/a@${D1}`);
    job.enqueue(`r.io/a@${D1}`);
    job.enqueue('r.io/a:1');
    await job.idle();
    // The tag resolves to D2, scanned once too; D1 was queued once.
    expect(calls).toEqual([`scan ${D1}`, `verify ${D1}`, 'resolve r.io/a:1', `scan ${D2}`, `verify ${D2}`]);
    const reader = VerdictStore.openReadOnly(store.path);
    try {
      expect(reader.scanOf(D1)?.findings.map((f) => f.id)).toEqual(['CVE-1']);
      expect(reader.scanOf(D1)?.packages).toBe(3);
      expect(reader.digestOf('r.io/a:1')).toBe(D2);
      expect(reader.signatureOf(D1, 'p1')?.verified).toBe(true);
      expect(reader.signatureOf(D2, 'p1')).toMatchObject({ verified: false, reason: 'no signature found' });
      expect(reader.signatureOf(D1, 'other')).toBeUndefined();
    } finally {
      reader.close();
    }
    expect(events.map((e) => e.outcome)).toEqual(['scanned', 'signature', 'scanned', 'signature']);
    // Known digests are not scanned again.
    job.enqueue(`r.io/b@${D1}`);
    await job.idle();
    expect(calls.slice(5)).toEqual([]);
    await job.close();
  });

  it('keeps a failed scan as such and retries it only after the recheck interval', async () => {
    const calls: string[] = [];
    let now = Date.parse('2026-12-07T10:00:00Z');
    const job = new ImageGateJob({
      store,
      ports: fakePorts(calls, new Set([D1])),
      listen: false,
      recheckMs: 60_000,
      clock: () => new Date(now),
    });
    job.enqueue(`r.io/a@${D1}`);
    await job.idle();
    expect(store.scanOf(D1)?.error).toBe('registry 127.0.0.1:1: connection refused');
    job.enqueue(`r.io/a@${D1}`);
    await job.idle();
    expect(calls).toEqual([`scan ${D1}`]);
    now += 61_000;
    job.enqueue(`r.io/a@${D1}`);
    await job.idle();
    expect(calls).toEqual([`scan ${D1}`, `scan ${D1}`]);
    await job.close();
  });

  it('drops references beyond its queue bound and says so', async () => {
    const events: GateJobEvent[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const job = new ImageGateJob({
      store,
      listen: false,
      maxQueue: 2,
      onEvent: (e) => events.push(e),
      ports: {
        resolve: () => Promise.resolve(D1),
        scan: async () => {
          await gate;
          return { packages: 0, findings: [] };
        },
      },
    });
    const accepted = [1, 2, 3, 4].map((i) => job.enqueue(`r.io/a${i}@sha256:${String(i).repeat(64)}`));
    // The first is taken off the queue at once; two wait; the fourth does not fit.
    expect(accepted).toEqual([true, true, true, false]);
    expect(events.filter((e) => e.outcome === 'dropped').map((e) => e.ref)).toEqual([
      `r.io/a4@sha256:${'4'.repeat(64)}`,
    ]);
    release();
    await job.close();
  });

  it('hears the announcements of store facts on the store’s channel, once per image', async () => {
    const calls: string[] = [];
    let scanned: () => void = () => undefined;
    const done = new Promise<void>((r) => (scanned = r));
    const job = new ImageGateJob({
      store,
      ports: fakePorts(calls),
      onEvent: (e) => {
        if (e.outcome === 'scanned') scanned();
      },
    });
    const reader = VerdictStore.openReadOnly(store.path);
    const facts = storeFacts(reader);
    facts.seen(`r.io/a@${D1}`);
    facts.seen(`r.io/a@${D1}`);
    await done;
    await job.idle();
    expect(reader.scanOf(D1)?.findings).toHaveLength(1);
    expect(calls.filter((c) => c.startsWith('scan'))).toEqual([`scan ${D1}`]);
    facts.close();
    reader.close();
    await job.close();
  });

  it('a stored scan whose findings cannot be read counts as failed, not clean', () => {
    store.putScan({ digest: D1, ref: 'r', scannedAt: 't', packages: 1, findings: [] });
    // Damage the row the way a bad disk or a foreign writer could.
    const db = (store as unknown as { db: { prepare(sql: string): { run(...a: unknown[]): void } } }).db;
    db.prepare('UPDATE image_scans SET findings = ? WHERE digest = ?').run('{not json', D1);
    const reader = VerdictStore.openReadOnly(store.path);
    try {
      expect(reader.scanOf(D1)?.error).toBe('the stored scan is unreadable');
    } finally {
      reader.close();
    }
  });

  it('a missing store is a clear input error for readers', () => {
    expect(() => VerdictStore.openReadOnly(path.join(dir, 'none.sqlite'))).toThrow(
      /none\.sqlite: no image verdict store/,
    );
  });
});
