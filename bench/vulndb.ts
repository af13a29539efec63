/**
 * Vulnerability database: generates PALISADE_BENCH_RECORDS (default 200,000) OSV records in
 * OSV's schema, shaped like the osv.dev per-ecosystem exports (bench/_osv-corpus.ts), writes
 * them as one all.zip per ecosystem, imports them into a fresh SQLite file, then measures the
 * time to open the database and to match ~2,000 catalogued packages.
 *
 * Baseline in the same run: the same import (unzip, JSON.parse, validation) into a sink that
 * stores nothing (the floor of an import); the ratio is import time / floor time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { importOsv, matchPackages, openVulnDb, VulnDb, type OsvSink } from '../src/vulndb/index.js';
import { samplePackages, writeOsvCorpus } from './_osv-corpus.js';

/** The floor: the same import (unzip, JSON.parse, validation) into a sink that stores nothing. */
async function parseFloor(zips: string[]): Promise<number> {
  const sink: OsvSink = {
    putRecords: (records) => ({ added: records.length, replaced: 0, unchanged: 0, withdrawn: 0 }),
    recordImport: () => undefined,
  };
  const t0 = performance.now();
  const report = await importOsv(sink, zips);
  if (report.records === 0) throw new Error('floor read nothing');
  return (performance.now() - t0) / 1000;
}

export async function run(): Promise<string> {
  const total = Number(process.env.PALISADE_BENCH_RECORDS ?? 200_000);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-bench-vulndb-'));
  try {
    const tGen = performance.now();
    const zips = writeOsvCorpus(dir, total);
    console.log(
      `generated ${total} OSV records in ${zips.length} zip exports in ${((performance.now() - tGen) / 1000).toFixed(1)} s`,
    );

    const floorS = await parseFloor(zips);
    const dbFile = path.join(dir, 'vulndb.sqlite');
    const db = VulnDb.openForWrite(dbFile);
    const t0 = performance.now();
    const report = await importOsv(db, zips);
    const importS = (performance.now() - t0) / 1000;
    db.close();
    if (report.issues.length > 0)
      throw new Error(`import issues: ${JSON.stringify(report.issues.slice(0, 3))}`);
    const importPerS = Math.round(report.records / importS);
    console.log(
      `import: ${report.records} records (${report.added} added) in ${importS.toFixed(1)} s = ${importPerS}/s; floor (unzip + JSON.parse + validation) ${floorS.toFixed(1)} s; ratio ${(importS / floorS).toFixed(2)}`,
    );

    // Open: median of 5 fresh opens (each reads only the meta row).
    const opens: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      const ro = openVulnDb(dbFile);
      opens.push(performance.now() - t);
      ro.close();
    }
    const openMs = [...opens].sort((a, b) => a - b)[2] ?? NaN;

    const packages = samplePackages(2000);
    const tOpen = performance.now();
    const ro = openVulnDb(dbFile);
    const found = matchPackages(ro, packages);
    const matchMs = performance.now() - tOpen;
    const status = ro.status();
    ro.close();
    const affectedPkgs = new Set(found.map((f) => f.package.purl)).size;
    console.log(
      `open: median ${openMs.toFixed(1)} ms (${opens.map((o) => o.toFixed(1)).join(', ')}); match ${packages.length} packages: ${found.length} findings on ${affectedPkgs} packages in ${matchMs.toFixed(0)} ms (open included); db ${status.records} records`,
    );
    return `bench vulndb: records=${report.records} import_per_s=${importPerS} db_open_ms=${openMs.toFixed(1)} match_ms=${matchMs.toFixed(0)} import_ratio_to_parse=${(importS / floorS).toFixed(2)}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
