import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type StoreTarget } from '../src/store/index.js';
import { startPostgres, type TestPostgres } from './harness/postgres.js';
import { requirePostgresOrSkip } from './harness/postgres-gate.js';

const WRITER = path.join(import.meta.dirname, 'harness', 'store-writer.ts');

/** Runs the writer, SIGKILLs it once it prints `mid-scan`; returns the committed scan id. */
async function killMidScan(arg: string): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, arg], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.once('exit', (_code, signal) => {
      resolve(signal);
    }),
  );
  let committed: number | undefined;
  let sawMid = false;
  for await (const line of createInterface({ input: child.stdout })) {
    const m = /^committed (\d+)$/.exec(line);
    if (m) committed = Number(m[1]);
    if (line === 'mid-scan') {
      sawMid = true;
      child.kill('SIGKILL');
      break;
    }
    if (line === 'finished') break;
  }
  const signal = await exited;
  if (!sawMid) throw new Error(`writer never reached the middle of its scan: ${stderr}`);
  expect(signal).toBe('SIGKILL');
  if (committed === undefined) throw new Error('writer committed nothing');
  return committed;
}

async function checkAfterKill(target: StoreTarget, committed: number): Promise<void> {
  const store = await openStore(target);
  try {
    const scans = await store.listScans();
    expect(scans.map((s) => s.id)).toEqual([committed]);
    expect((await store.scanFindings(committed)).map((f) => f.name).sort()).toEqual(['a', 'b']);
    expect(await store.openFindingsBySeverity('prod')).toMatchObject({ high: 2 });
    // The store takes writes again: no lock or half-written row is left behind.
    const next = await store.recordScan({
      cluster: { name: 'prod' },
      time: Date.UTC(2026, 10, 3),
      source: 'cluster',
      sourceDetail: 'x',
      palisadeVersion: '0.1.0',
      resources: 1,
      inputErrors: 0,
      findings: [],
      scores: [],
    });
    expect(next.resolved).toBe(2);
  } finally {
    await store.close();
  }
}

describe('a writer killed mid-scan loses no committed scan and leaves no half scan', () => {
  it('sqlite', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'palisade-durability-'));
    try {
      const file = path.join(dir, 'palisade.db');
      const committed = await killMidScan(`sqlite:${file}`);
      await checkAfterKill({ kind: 'sqlite', file }, committed);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const gate = requirePostgresOrSkip();
  describe.skipIf(!gate.run)('postgres', () => {
    let pg: TestPostgres | undefined;
    beforeAll(async () => {
      pg = await startPostgres();
    }, 120_000);
    afterAll(async () => {
      await pg?.stop();
    }, 60_000);
    it('postgres', { timeout: 120_000 }, async () => {
      if (!pg) throw new Error('PostgreSQL did not start');
      const url = await pg.createDatabase('durability');
      const committed = await killMidScan(url);
      await checkAfterKill({ kind: 'postgres', url }, committed);
    });
  });
});
