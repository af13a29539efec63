/**
 * Full manifest scan (load with positions, controls, JSON report) of 10,000 mixed
 * resources in 500 files, against a plain js-yaml load of the same files in this process.
 * Both sides take the fastest of several interleaved rounds, in wall and in CPU time (CPU
 * time is what a busy machine disturbs least); the last line reports wall time.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import jsyaml from 'js-yaml';
import { CATALOG, evaluateControls } from '../src/controls/index.js';
import { loadFiles } from '../src/load/index.js';
import { buildReport, renderReport } from '../src/report/index.js';
import { HARDENED_SHARE, writeCorpus } from './_corpus.js';

const FILES = 500;
const PER_FILE = 20;
// Single rounds vary by ±25% on a shared virtual machine; the minimum of each side needs this
// many rounds to settle (see docs/decisions/yaml-loader.md).
const ROUNDS = 11;

/** Wall and CPU (user + system, all threads) milliseconds of one run. */
interface Sample {
  wall: number;
  cpu: number;
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function measure<T>(fn: () => T | Promise<T>): Promise<{ value: T; sample: Sample }> {
  const cpu = cpuMs();
  const wall = performance.now();
  const value = await fn();
  return { value, sample: { wall: performance.now() - wall, cpu: cpuMs() - cpu } };
}

/** The least time of the rounds, wall and CPU separately: the run least disturbed by other load. */
function fastest(samples: readonly Sample[]): Sample {
  return {
    wall: Math.min(...samples.map((s) => s.wall)),
    cpu: Math.min(...samples.map((s) => s.cpu)),
  };
}

export async function run(): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-bench-scan-'));
  try {
    const files = writeCorpus(dir, FILES, PER_FILE);
    const baseline: Sample[] = [];
    const full: Sample[] = [];
    let resources = 0;
    let findings = 0;
    let bytes = 0;
    // Rounds alternate between the two sides so both see the same machine load.
    for (let round = 0; round < ROUNDS; round++) {
      const base = await measure(() => {
        let docs = 0;
        for (const f of files) {
          jsyaml.loadAll(readFileSync(f, 'utf8'), (d) => {
            if (d) docs++;
          });
        }
        return docs;
      });
      baseline.push(base.sample);

      const scan = await measure(async () => {
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
        return { resources: loaded.inventory.size, findings: report.findings.length, bytes: json.length };
      });
      full.push(scan.sample);
      ({ resources, findings, bytes } = scan.value);
      if (base.value !== resources) {
        throw new Error(`baseline saw ${base.value} documents, scan saw ${resources}`);
      }
    }
    const f = fastest(full);
    const b = fastest(baseline);
    const perSecond = Math.round(resources / (f.wall / 1000));
    const perCpuSecond = Math.round(resources / (f.cpu / 1000));
    const ratio = f.wall / b.wall;
    // tsx's own --require/--import loader arguments are not V8 or GC settings; leave them out.
    const argv = process.execArgv.filter(
      (a, i, all) => !/^--(require|import)$/.test(a) && !/^--(require|import)$/.test(all[i - 1] ?? ''),
    );
    const flags = [...argv, process.env['NODE_OPTIONS'] ?? ''].filter((x) => x !== '').join(' ');
    console.log(
      `corpus: ${resources} resources in ${files.length} files (5,000 Deployments and 1,000 CronJobs, ${Math.round(HARDENED_SHARE * 100)}% of them hardened; 1,000 each of Services, ConfigMaps, Roles, NetworkPolicies); ${findings} findings from ${CATALOG.length} controls; JSON report ${(bytes / 1e6).toFixed(1)} MB`,
    );
    console.log(
      `node ${process.version}; node/V8 flags: ${flags === '' ? 'none (defaults, as bin/palisade.js runs)' : flags}`,
    );
    console.log(
      `full scan (fastest of ${ROUNDS}): wall ${f.wall.toFixed(0)} ms -> ${perSecond} resources/s (target >= 10000); CPU ${f.cpu.toFixed(0)} ms -> ${perCpuSecond} resources/CPU-s`,
    );
    console.log(
      `js-yaml loadAll baseline (fastest of ${ROUNDS}): wall ${b.wall.toFixed(0)} ms; CPU ${b.cpu.toFixed(0)} ms`,
    );
    console.log(
      `ratio full/baseline: wall ${ratio.toFixed(2)} (target <= 3); CPU ${(f.cpu / b.cpu).toFixed(2)}`,
    );
    return `bench scan: resources_per_s=${perSecond} ratio_to_parse=${ratio.toFixed(2)}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
