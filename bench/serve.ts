/**
 * Dashboard API speed: the history store of bench/store.ts (100 scans of a synthetic
 * 10,000-object cluster, ≈ 1 M finding rows) served by `palisade serve` on 127.0.0.1, then
 * p50/p99 over HTTP of the overview page's calls (summary, scores, changes, top risks) and of
 * a filtered, sorted findings page (namespace + severity, rotating through namespaces and
 * pages). Every request computes its answer (no If-None-Match).
 *
 * Baseline in the same run: GET /api/v1/health on the same server, the HTTP floor (socket,
 * routing, headers, compression check) that every API call pays.
 *
 * Then the UI (bench/_ui.ts): its bundle size gzipped, and its first meaningful render in
 * chromium on the demo data (median of cold loads; `render_ms=NA` when chromium is absent),
 * with DOMContentLoaded of the same loads as its baseline. PALISADE_BENCH_SCANS overrides the
 * number of scans (default 100).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { buildServer } from '../src/server/index.js';
import { openStore } from '../src/store/index.js';
import { scans } from './store.js';
import { benchUi } from './_ui.js';

const ROUNDS = 200;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function timed(base: string, paths: readonly string[]): Promise<number[]> {
  const times: number[] = [];
  for (const p of paths) {
    const t = performance.now();
    const res = await request(`${base}${p}`, { headers: { 'accept-encoding': 'gzip' } });
    await res.body.arrayBuffer();
    times.push(performance.now() - t);
    if (res.statusCode !== 200) throw new Error(`${p} answered ${res.statusCode}`);
  }
  return times.sort((a, b) => a - b);
}

function line(name: string, times: readonly number[]): string {
  return `${name}: p50 ${percentile(times, 50).toFixed(2)} ms p99 ${percentile(times, 99).toFixed(2)} ms (${times.length} requests)`;
}

export async function run(): Promise<string> {
  const count = Number(process.env.PALISADE_BENCH_SCANS ?? 100);
  const inputs = scans(count, Date.now() - count * 86_400_000);
  const rows = inputs.reduce((n, s) => n + s.findings.length, 0);
  const dir = mkdtempSync(path.join(tmpdir(), 'palisade-bench-serve-'));
  const store = await openStore({ kind: 'sqlite', file: path.join(dir, 'palisade.db') });
  try {
    const t = performance.now();
    for (const [i, input] of inputs.entries()) {
      await store.recordScan(input);
      if (process.stderr.isTTY && i % 10 === 9)
        process.stderr.write(`  recording: ${i + 1}/${count} scans\r`);
    }
    console.log(
      `store: ${count} scans, ${rows} finding rows recorded in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );
    const app = await buildServer({ store, auth: { mode: 'none' } });
    const base = (await app.listen({ host: '127.0.0.1', port: 0 })).replace(/\/$/, '');
    try {
      const overviewPaths = ['/summary', '/scores', '/changes', '/top-risks'].map((p) => `/api/v1${p}`);
      // Warm-up: first statements prepared, caches filled as in a running dashboard.
      await timed(base, [...overviewPaths, '/api/v1/findings?limit=50', '/api/v1/health']);
      const health = await timed(
        base,
        Array.from({ length: ROUNDS }, () => '/api/v1/health'),
      );
      const overview = await timed(
        base,
        Array.from(
          { length: ROUNDS },
          (_, i) => overviewPaths[i % overviewPaths.length] ?? '/api/v1/summary',
        ),
      );
      const findings = await timed(
        base,
        Array.from(
          { length: ROUNDS },
          (_, i) =>
            `/api/v1/findings?namespace=ns-${i % 50}&severity=critical,high&sort=severity&limit=50&offset=${(i % 4) * 50}`,
        ),
      );
      const search = await timed(
        base,
        Array.from(
          { length: ROUNDS / 4 },
          (_, i) => `/api/v1/findings?q=app-${100 + i}&sort=lastSeen&order=desc&limit=50`,
        ),
      );
      console.log(line('health (HTTP floor)', health));
      console.log(line('overview calls', overview));
      console.log(line('filtered findings page', findings));
      console.log(line('free-text findings search', search));
      const apiP99 = Math.max(percentile(overview, 99), percentile(findings, 99));
      console.log(`api p99 / HTTP floor p99: ${(apiP99 / percentile(health, 99)).toFixed(1)}`);
      const ui = await benchUi((l) => {
        console.log(l);
      });
      const renderMs = ui.renderMs === null ? 'NA' : ui.renderMs.toFixed(0);
      if (ui.renderMs !== null && ui.domReadyMs !== null)
        console.log(`ui first render / DOMContentLoaded: ${(ui.renderMs / ui.domReadyMs).toFixed(2)}`);
      return (
        `bench serve: api_p99_ms=${apiP99.toFixed(1)} render_ms=${renderMs} bundle_kb=${ui.bundleKb.toFixed(0)} ` +
        `overview_p99_ms=${percentile(overview, 99).toFixed(1)} findings_p99_ms=${percentile(findings, 99).toFixed(1)} ` +
        `search_p99_ms=${percentile(search, 99).toFixed(1)} floor_p99_ms=${percentile(health, 99).toFixed(1)} finding_rows=${rows}`
      );
    } finally {
      await app.close();
    }
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
