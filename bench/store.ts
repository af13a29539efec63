/**
 * History store: 100 scans of a synthetic 10,000-object cluster (≈ 10,000 findings per scan,
 * ≈ 1 M finding rows in all) written to SQLite and to a throwaway PostgreSQL, one scan a day
 * with realistic churn (each scan resolves ~2% of the open findings, opens ~2% new ones and
 * changes the message or severity of ~1%), then the two dashboard queries: open findings by
 * severity for one namespace now, and the score history of the last 90 days.
 *
 * Baseline in the same run: the same rows inserted with better-sqlite3 directly (one prepared
 * single-row insert in one transaction, no lifecycle tracking): the floor of the write path.
 *
 * PALISADE_BENCH_SCANS overrides the number of scans (default 100).
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SEVERITIES, type Finding, type Severity } from '../src/core/index.js';
import { openStore, type ScanInput, type Store } from '../src/store/index.js';
import { postgresBinDir, startPostgres } from '../test/harness/postgres.js';

const OBJECTS = 10_000;
const NAMESPACES = 50;
const DAY = 86_400_000;
const CONTROLS = Array.from({ length: 40 }, (_, i) => `workload/control-${i}`);

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

interface Live {
  object: number;
  control: number;
  severity: Severity;
  version: number;
}

/** The findings of every scan, generated up front so only the store is timed. */

export function scans(count: number, start: number): ScanInput[] {
  const rand = rng(7);
  let nextObject = OBJECTS;
  const live = new Map<string, Live>();
  const add = (object: number): void => {
    const control = Math.floor(rand() * CONTROLS.length);
    const severity = SEVERITIES[Math.floor(rand() * 4)] ?? 'low';
    live.set(`${object}/${control}`, { object, control, severity, version: 0 });
  };
  for (let o = 0; o < OBJECTS; o++) add(o);
  const out: ScanInput[] = [];
  for (let s = 0; s < count; s++) {
    if (s > 0) {
      for (const [k, f] of live) {
        const r = rand();
        if (r < 0.02) live.delete(k);
        else if (r < 0.03) f.version++;
      }
      for (let i = 0; i < OBJECTS * 0.02; i++) add(nextObject++);
    }
    const findings: Finding[] = [];
    for (const f of live.values()) {
      const ns = `ns-${f.object % NAMESPACES}`;
      findings.push({
        controlId: CONTROLS[f.control] ?? 'workload/control',
        title: `Control ${f.control} must hold`,
        severity: f.version % 2 === 1 && f.severity !== 'critical' ? 'critical' : f.severity,
        message: `container app of Deployment ${ns}/app-${f.object} violates control ${f.control} (v${f.version})`,
        resource: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: `app-${f.object}` },
        fieldPath: 'spec.template.spec.containers[0].securityContext',
        remediation: 'fix it',
        frameworks: [],
      });
    }
    out.push({
      cluster: { name: 'bench', server: 'https://127.0.0.1:6443' },
      time: start + s * DAY,
      source: 'cluster',
      sourceDetail: 'https://127.0.0.1:6443',
      palisadeVersion: '0.1.0',
      kubernetesVersion: '1.33.1',
      resources: OBJECTS,
      inputErrors: 0,
      findings,
      scores: ['cis-1.10', 'nsa-cisa-1.2', 'mitre-attack'].map((framework, i) => ({
        framework,
        score: 50 + ((s + i) % 20),
        passed: 30,
        failed: 10,
        applicable: 40,
      })),
      rbacGrants: [],
    });
  }
  return out;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

interface Figures {
  writePerS: number;
  rows: number;
  p50: number;
  p99: number;
  mib: number;
}

async function measure(
  name: string,
  store: Store,
  inputs: readonly ScanInput[],
  size: () => Promise<number>,
): Promise<Figures> {
  let rows = 0;
  let ms = 0;
  for (const [i, input] of inputs.entries()) {
    const t = performance.now();
    await store.recordScan(input);
    ms += performance.now() - t;
    rows += input.findings.length;
    if (process.stderr.isTTY && i % 10 === 9)
      process.stderr.write(`  ${name}: ${i + 1}/${inputs.length} scans\r`);
  }
  const writePerS = rows / (ms / 1000);
  const now = inputs.at(-1)?.time ?? 0;
  const times: number[] = [];
  for (let i = 0; i < 200; i++) {
    const ns = `ns-${i % NAMESPACES}`;
    let t = performance.now();
    await store.openFindingsBySeverity('bench', ns);
    times.push(performance.now() - t);
    t = performance.now();
    const points = await store.scoreHistory('bench', now - 90 * DAY);
    times.push(performance.now() - t);
    if (points.length === 0) throw new Error('score history is empty');
  }
  times.sort((a, b) => a - b);
  const open = await store.openFindingsBySeverity('bench', 'ns-3');
  const mib = (await size()) / 1024 / 1024;
  const f = { writePerS, rows, p50: percentile(times, 50), p99: percentile(times, 99), mib };
  console.log(
    `${name}: ${inputs.length} scans, ${rows} finding rows in ${(ms / 1000).toFixed(1)} s = ${Math.round(writePerS)} findings/s; ` +
      `queries p50 ${f.p50.toFixed(2)} ms p99 ${f.p99.toFixed(2)} ms; ${mib.toFixed(1)} MiB; ns-3 open now ${JSON.stringify(open)}`,
  );
  return f;
}

async function baseline(dir: string, inputs: readonly ScanInput[]): Promise<number> {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(path.join(dir, 'baseline.db'));
  db.pragma('journal_mode = WAL');
  db.exec(
    'CREATE TABLE f (scan integer, control text, ns text, name text, field text, severity text, message text)',
  );
  const insert = db.prepare('INSERT INTO f VALUES (?, ?, ?, ?, ?, ?, ?)');
  let rows = 0;
  const t = performance.now();
  for (const [i, input] of inputs.entries()) {
    db.transaction(() => {
      for (const f of input.findings)
        insert.run(i, f.controlId, f.resource.namespace, f.resource.name, f.fieldPath, f.severity, f.message);
    })();
    rows += input.findings.length;
  }
  const perS = rows / ((performance.now() - t) / 1000);
  db.close();
  console.log(`baseline: raw single-row inserts, no lifecycle: ${Math.round(perS)} rows/s`);
  return perS;
}

export async function run(): Promise<string> {
  const count = Number(process.env.PALISADE_BENCH_SCANS ?? 100);
  const inputs = scans(count, Date.UTC(2026, 0, 1));
  console.log(
    `generated ${count} scans of ${OBJECTS} objects (${inputs.reduce((n, s) => n + s.findings.length, 0)} findings)`,
  );
  const dir = mkdtempSync(path.join(tmpdir(), 'palisade-bench-store-'));
  try {
    const floor = await baseline(dir, inputs.slice(0, Math.min(10, count)));
    const file = path.join(dir, 'palisade.db');
    const sqlite = await openStore({ kind: 'sqlite', file });
    const fileSize = (): Promise<number> =>
      Promise.resolve(
        [file, `${file}-wal`].filter((f) => existsSync(f)).reduce((n, f) => n + statSync(f).size, 0),
      );
    const s = await measure('sqlite', sqlite, inputs, fileSize);
    await sqlite.close();
    console.log(`sqlite write rate / raw insert floor: ${(s.writePerS / floor).toFixed(2)}`);

    let pgNote = 'postgres=skipped';
    if (postgresBinDir()) {
      const server = await startPostgres();
      try {
        const url = await server.createDatabase('bench');
        const pg = await openStore({ kind: 'postgres', url });
        const size = async (): Promise<number> => {
          const { sql } = await import('kysely');
          const r = await sql<{ n: number }>`SELECT pg_database_size(current_database()) AS n`.execute(pg.db);
          return r.rows[0]?.n ?? 0;
        };
        const p = await measure('postgres', pg, inputs, size);
        await pg.close();
        pgNote = `pg_write_per_s=${Math.round(p.writePerS)} pg_query_p99_ms=${p.p99.toFixed(1)} pg_db_mib=${p.mib.toFixed(0)}`;
      } finally {
        await server.stop();
      }
    } else {
      console.log('postgres: skipped (PostgreSQL server binaries not found)');
    }
    return `bench store: write_per_s=${Math.round(s.writePerS)} query_p99_ms=${s.p99.toFixed(1)} db_mib=${s.mib.toFixed(0)} ${pgNote} watch_ratio=n/a`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
