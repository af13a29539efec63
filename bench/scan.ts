/**
 * Full manifest scan (load with positions, controls, JSON report) of 10,000 mixed
 * resources in 500 files, against a plain js-yaml load of the same files in this process.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import jsyaml from 'js-yaml';
import { CATALOG, evaluateControls } from '../src/controls/index.js';
import { loadFiles } from '../src/load/index.js';
import { buildReport, renderReport } from '../src/report/index.js';
import { writeCorpus } from './_corpus.js';

const FILES = 500;
const PER_FILE = 20;
const ROUNDS = 5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

export async function run(): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-bench-scan-'));
  try {
    const files = writeCorpus(dir, FILES, PER_FILE);
    const baseline: number[] = [];
    const full: number[] = [];
    let resources = 0;
    let findings = 0;
    let bytes = 0;
    for (let round = 0; round < ROUNDS; round++) {
      let t = performance.now();
      let docs = 0;
      for (const f of files) {
        jsyaml.loadAll(readFileSync(f, 'utf8'), (d) => {
          if (d) docs++;
        });
      }
      baseline.push(performance.now() - t);

      t = performance.now();
      const loaded = await loadFiles([dir], { cwd: dir });
      const evaluation = evaluateControls(loaded.inventory, CATALOG);
      const report = buildReport({
        resources: loaded.inventory.resources.map((r) => r.ref),
        findings: evaluation.findings,
        inputErrors: loaded.inputErrors,
        controls: [],
        tool: { name: 'palisade', version: 'bench' },
      });
      const json = renderReport('json', report, {});
      full.push(performance.now() - t);
      resources = loaded.inventory.size;
      findings = report.findings.length;
      bytes = json.length;
      if (docs !== resources) throw new Error(`baseline saw ${docs} documents, scan saw ${resources}`);
    }
    const fullMs = median(full);
    const baseMs = median(baseline);
    const perSecond = Math.round(resources / (fullMs / 1000));
    const ratio = fullMs / baseMs;
    console.log(
      `corpus: ${resources} resources in ${files.length} files; ${findings} findings; JSON report ${(bytes / 1e6).toFixed(1)} MB`,
    );
    console.log(
      `full scan (median of ${ROUNDS}): ${fullMs.toFixed(0)} ms  -> ${perSecond} resources/s (target >= 10000)`,
    );
    console.log(`js-yaml loadAll baseline (median of ${ROUNDS}): ${baseMs.toFixed(0)} ms`);
    console.log(`ratio full/baseline: ${ratio.toFixed(2)} (target <= 3)`);
    return `bench scan: resources_per_s=${perSecond} ratio_to_parse=${ratio.toFixed(2)}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
