import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATALOG, evaluateControls } from '../controls/index.js';
import { loadFiles } from '../load/index.js';
import { buildReport, REPORT_FORMATS, renderReport, writeReport, type ScanReport } from './index.js';
import { bufferedWriter, LazyItems, writeJson } from './stream.js';

const DEMO = path.resolve(import.meta.dirname, '../../examples/demo-cluster');

function pieces(fn: (write: (t: string) => void) => void): { text: string; count: number; longest: number } {
  const parts: string[] = [];
  fn((t) => parts.push(t));
  return { text: parts.join(''), count: parts.length, longest: Math.max(...parts.map((p) => p.length)) };
}

describe('writeJson', () => {
  const big = Array.from({ length: 5000 }, (_, i) => ({
    i,
    s: `item "${i}"\n`,
    nested: { a: [i, { b: null }], e: [] },
  }));
  const cases: [string, unknown, (root: Record<string, unknown>) => unknown[]][] = [
    ['a large array at the top', big, (r) => [r]],
    [
      'large arrays as members',
      { a: 1, list: big, empty: [], none: undefined, obj: {}, tail: 'x' },
      (r) => [r, r['list'], r['empty']],
    ],
    [
      'a large array deep inside arrays and objects',
      { runs: [{ tool: { x: [1, 2] }, results: big, after: { k: 'v' } }], z: null },
      (r) => {
        const runs = r['runs'] as Record<string, unknown>[];
        const run = runs[0] ?? {};
        return [r, runs, run, run['results']];
      },
    ],
    [
      'undefined, functions and holes in expanded values',
      { a: undefined, f: () => 1, arr: [undefined, 1, () => 2], s: Symbol('x'), n: 0 },
      (r) => [r, r['arr']],
    ],
  ];
  it.each(cases)('%s: the text of JSON.stringify(value, null, 2), in pieces', (_name, value, expand) => {
    const root = value as Record<string, unknown>;
    const out = pieces((w) => {
      writeJson(root, new Set(expand(root)), w);
    });
    expect(out.text).toBe(`${JSON.stringify(value, null, 2)}\n`);
    expect(out.count).toBeGreaterThan(1);
  });

  it('builds lazy items only as they are written, like an array of them', () => {
    let made = 0;
    const items = new LazyItems(4100, (i) => {
      made++;
      return { i };
    });
    const root = { results: items };
    let madeAtFirstPiece = -1;
    const out = pieces((w) => {
      writeJson(root, new Set([root, items]), (t) => {
        if (madeAtFirstPiece < 0) madeAtFirstPiece = made;
        w(t);
      });
    });
    const array = Array.from({ length: 4100 }, (_, i) => ({ i }));
    expect(out.text).toBe(`${JSON.stringify({ results: array }, null, 2)}\n`);
    expect(madeAtFirstPiece).toBe(0);
    expect(made).toBe(4100);
  });

  it('runs the check between batches, so that a heap check can stop a long write', () => {
    let checks = 0;
    writeJson(
      big,
      new Set([big]),
      () => undefined,
      () => checks++,
    );
    expect(checks).toBeGreaterThanOrEqual(2);
    expect(() => {
      writeJson(
        big,
        new Set([big]),
        () => undefined,
        () => {
          throw new Error('stop');
        },
      );
    }).toThrow('stop');
  });
});

describe('bufferedWriter', () => {
  it('passes the text on in order, in pieces of about the given size', () => {
    const seen: string[] = [];
    const b = bufferedWriter((t) => seen.push(t), 10);
    for (const t of ['abc', 'defgh', 'ij', 'k', 'lmnopqrstu', 'v']) b.write(t);
    b.flush();
    expect(seen.join('')).toBe('abcdefghijklmnopqrstuv');
    expect(seen).toEqual(['abcdefghij', 'klmnopqrstu', 'v']);
  });
});

async function demo(): Promise<ScanReport> {
  const loaded = await loadFiles([DEMO], { cwd: DEMO });
  const evaluation = evaluateControls(loaded.inventory, CATALOG);
  return buildReport({
    resources: loaded.inventory.resources.map((r) => r.ref),
    findings: evaluation.findings,
    inputErrors: [{ file: 'broken.yaml', line: 3, column: 1, message: 'bad indentation' }],
    controls: CATALOG.map((c) => ({ ...c, frameworks: [...c.frameworks] })),
    scores: [{ framework: 'nsa', score: 50, passed: 1, failed: 1, applicable: 2, failedControls: ['x'] }],
    tool: { name: 'palisade', version: '1.0.0' },
  });
}

/** The demo report with its findings, resources and input errors repeated past a batch's size. */
function large(r: ScanReport): ScanReport {
  const times = Math.ceil(5000 / r.findings.length);
  const repeat = <T>(list: readonly T[], n: number, f: (x: T, k: number) => T): T[] =>
    Array.from({ length: n }, (_, k) => list.map((x) => f(x, k))).flat();
  return {
    ...r,
    findings: repeat(r.findings, times, (f, k) => ({
      ...f,
      resource: { ...f.resource, name: `${f.resource.name}-${k}` },
    })),
    resources: repeat(r.resources ?? [], 200, (x, k) => ({ ...x, name: `${x.name}-${k}` })),
    inputErrors: repeat(r.inputErrors, 3000, (e, k) => ({ ...e, line: k + 1 })),
  };
}

describe('writeReport', () => {
  it('writes exactly what renderReport returns, in every format', async () => {
    const report = await demo();
    expect(report.findings.length).toBeGreaterThan(0);
    for (const format of REPORT_FORMATS) {
      const options = { scanRoot: DEMO, color: false };
      expect(
        pieces((w) => {
          writeReport(format, report, w, options);
        }).text,
        format,
      ).toBe(renderReport(format, report, options));
    }
  });

  it('writes exactly what renderReport returns when a report is larger than a batch', async () => {
    const report = large(await demo());
    for (const format of ['json', 'sarif', 'csv', 'junit'] as const) {
      const options = { scanRoot: DEMO };
      expect(
        pieces((w) => {
          writeReport(format, report, w, options);
        }).text,
        format,
      ).toBe(renderReport(format, report, options));
    }
  });

  it('writes the large formats in pieces, none of them the whole report', async () => {
    const report = large(await demo());
    for (const format of ['json', 'sarif', 'csv', 'junit'] as const) {
      const out = pieces((w) => {
        writeReport(format, report, w, {});
      });
      expect(out.longest, format).toBeLessThan(out.text.length / 2);
    }
  });
});
