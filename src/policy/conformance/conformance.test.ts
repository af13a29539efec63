import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bufbuildAdapter, celJsAdapter, celJsCompiledAdapter } from './adapters.js';
import { runConformanceFile, type ConformanceAdapter, type FileScore } from './runner.js';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
const DIR = path.resolve(repoRoot, '../shared/oracles/cel/cel-spec-conformance/tests/simple/testdata');
const present = existsSync(DIR);
/** Floors a little under the measured rates (docs/decisions/cel-engine.md): a drop is a regression. */
const FLOOR_ALL = 0.5;
const FLOOR_NO_PROTO = 0.7;
if (!present) console.warn(`SKIP cel conformance: ${DIR} is absent`);

function runAll(adapter: ConformanceAdapter): FileScore[] {
  return readdirSync(DIR)
    .filter((f) => f.endsWith('.textproto'))
    .sort()
    .map((f) =>
      runConformanceFile(adapter, f.replace(/\.textproto$/, ''), readFileSync(path.join(DIR, f), 'utf8')),
    );
}

function pct(a: number, b: number): string {
  return b === 0 ? '-' : `${((a / b) * 100).toFixed(1)}%`;
}

function report(name: string, scores: FileScore[]): { all: number; noProto: number } {
  const sum = (f: (s: FileScore) => number): number => scores.reduce((a, s) => a + f(s), 0);
  const [passed, total, passedNp, totalNp] = [
    sum((s) => s.passed),
    sum((s) => s.total),
    sum((s) => s.passedNoProto),
    sum((s) => s.totalNoProto),
  ];
  const lines = scores.map(
    (s) =>
      `  ${s.file.padEnd(16)} all ${`${s.passed}/${s.total}`.padEnd(9)} ${pct(s.passed, s.total).padStart(6)}   without protobuf messages ${`${s.passedNoProto}/${s.totalNoProto}`.padEnd(9)} ${pct(s.passedNoProto, s.totalNoProto).padStart(6)}`,
  );
  console.log(
    `cel conformance ${name}: ${passed}/${total} (${pct(passed, total)}); without protobuf messages ${passedNp}/${totalNp} (${pct(passedNp, totalNp)})\n${lines.join('\n')}`,
  );
  return { all: total === 0 ? 0 : passed / total, noProto: totalNp === 0 ? 0 : passedNp / totalNp };
}

describe.skipIf(!present)('cel-spec conformance', () => {
  it('the chosen engine (@marcbachmann/cel-js) stays above its measured pass-rate floors', () => {
    const rate = report('@marcbachmann/cel-js (chosen)', runAll(celJsAdapter()));
    expect(rate.noProto).toBeGreaterThanOrEqual(FLOOR_NO_PROTO);
    expect(rate.all).toBeGreaterThanOrEqual(FLOOR_ALL);
  });

  it('the compiled path passes every test the interpreter passes, file by file', () => {
    const interpreted = runAll(celJsAdapter());
    const compiled = runAll(celJsCompiledAdapter());
    const rate = report('@marcbachmann/cel-js compiled to closures', compiled);
    expect(rate.noProto).toBeGreaterThanOrEqual(FLOOR_NO_PROTO);
    const lost: string[] = [];
    compiled.forEach((c, i) => {
      const failing = new Set(c.failures.map((f) => f.name));
      for (const f of interpreted[i]?.failures ?? []) failing.delete(f.name);
      for (const name of failing) lost.push(`${c.file}: ${name}`);
    });
    expect(lost).toEqual([]);
  });

  it('the alternative (@bufbuild/cel) is measured for the decision page', () => {
    const rate = report('@bufbuild/cel', runAll(bufbuildAdapter()));
    expect(rate.all).toBeGreaterThan(0);
  });
});
