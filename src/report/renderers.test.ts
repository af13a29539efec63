import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { XMLParser } from 'fast-xml-parser';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CATALOG, evaluateControls } from '../controls/index.js';
import { loadFiles } from '../load/index.js';
import { buildReport, renderReport, type ScanReport } from './index.js';

const REPO = path.resolve(import.meta.dirname, '../..');
const DEMO = path.join(REPO, 'examples/demo-cluster');
const require = createRequire(import.meta.url);

/** Scans the demo cluster in process, with one finding suppressed, so every renderer sees both kinds. */
async function demoReport(): Promise<ScanReport> {
  const loaded = await loadFiles([DEMO], { cwd: DEMO, readStdin: () => Promise.resolve(Buffer.alloc(0)) });
  const evaluation = evaluateControls(loaded.inventory, CATALOG);
  const findings = evaluation.findings.map((f, i) =>
    i === 0
      ? {
          ...f,
          suppressed: { kind: 'exception' as const, reason: 'accepted until the rewrite', owner: 'platform' },
        }
      : f,
  );
  return buildReport({
    resources: loaded.inventory.resources.map((r) => r.ref),
    findings,
    inputErrors: [{ file: 'broken.yaml', line: 3, column: 1, message: 'bad indentation' }],
    controls: CATALOG.map((c) => ({
      id: c.id,
      title: c.title,
      severity: c.severity,
      rationale: c.rationale,
      remediation: c.remediation,
      frameworks: [...c.frameworks],
    })),
    tool: { name: 'palisade', version: '0.0.0-test' },
  });
}

interface SarifLog {
  runs: {
    tool: { driver: { rules: { id: string; help?: { text: string }; properties?: { tags?: string[] } }[] } };
    results: {
      ruleId: string;
      level?: string;
      suppressions?: { kind: string; justification?: string }[];
      locations?: {
        physicalLocation?: {
          artifactLocation?: { uri?: string };
          region?: { startLine?: number; startColumn?: number };
        };
      }[];
    }[];
  }[];
}

const report = await demoReport();

describe('SARIF 2.1.0', () => {
  const sarifText = renderReport('sarif', report, { scanRoot: DEMO });
  const sarif = JSON.parse(sarifText) as SarifLog;
  const schemaFile = (() => {
    try {
      return path.join(
        path.dirname(require.resolve('@microsoft/sarif-multitool-linux/package.json')),
        'sarif-2.1.0.json',
      );
    } catch {
      return undefined;
    }
  })();

  it('has findings to validate', () => {
    expect(report.findings.length).toBeGreaterThan(5);
    expect(sarif.runs[0]?.results.length).toBe(report.findings.length);
  });

  it.skipIf(schemaFile === undefined || !existsSync(schemaFile))(
    'validates against the SARIF 2.1.0 schema shipped with the SARIF Multitool',
    () => {
      const ajv = new Ajv2020({ allErrors: true, strict: false });
      addFormats.default(ajv);
      const schema = JSON.parse(readFileSync(schemaFile ?? '', 'utf8')) as Record<string, unknown>;
      const validate = ajv.compile(schema);
      const ok = validate(sarif);
      expect(validate.errors ?? []).toEqual([]);
      expect(ok).toBe(true);
      // The same validator must reject a broken log, or the check above proves nothing.
      expect(validate({ version: '2.1.0', runs: [{ tool: {}, results: [{ message: {} }] }] })).toBe(false);
    },
  );

  it('passes the SARIF Multitool validate command with no errors or warnings', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'palisade-sarif-'));
    try {
      const input = path.join(dir, 'palisade.sarif');
      const output = path.join(dir, 'validation.sarif');
      writeFileSync(input, sarifText);
      execFileSync(
        process.execPath,
        [require.resolve('@microsoft/sarif-multitool/bin.js'), 'validate', input, '-o', output, '--quiet'],
        { stdio: 'pipe', timeout: 60_000 },
      );
      const validation = JSON.parse(readFileSync(output, 'utf8')) as SarifLog;
      const problems = (validation.runs[0]?.results ?? []).map((r) => `${r.level ?? 'warning'} ${r.ruleId}`);
      expect(problems).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives every result a relative file and a start line and column', () => {
    for (const r of sarif.runs[0]?.results ?? []) {
      const loc = r.locations?.[0]?.physicalLocation;
      expect(loc?.artifactLocation?.uri).toMatch(/^[^/][^:]*\.ya?ml$/);
      expect(loc?.region?.startLine).toBeGreaterThan(0);
      expect(loc?.region?.startColumn).toBeGreaterThan(0);
    }
  });

  it('declares one rule per control with help text and framework tags', () => {
    const rules = sarif.runs[0]?.tool.driver.rules ?? [];
    expect(rules.map((r) => r.id).sort()).toEqual(CATALOG.map((c) => c.id).sort());
    for (const rule of rules) {
      expect(rule.help?.text.length).toBeGreaterThan(10);
      expect(rule.properties?.tags?.length).toBeGreaterThan(0);
    }
  });

  it('keeps suppressed findings as results with a suppression and its justification', () => {
    const suppressed = (sarif.runs[0]?.results ?? []).filter((r) => r.suppressions?.length);
    expect(suppressed).toHaveLength(1);
    expect(suppressed[0]?.suppressions?.[0]?.justification).toContain('accepted until the rewrite');
  });
});

describe('JUnit', () => {
  const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(
    renderReport('junit', report),
  ) as { testsuites: { testsuite: JunitSuite | JunitSuite[] } };
  const suites = ([] as JunitSuite[]).concat(xml.testsuites.testsuite);
  const cases = suites.flatMap((s) => ([] as JunitCase[]).concat(s.testcase ?? []));

  it('has one failing test case per resource and control, carrying every message', () => {
    const failures = cases.filter((c) => c.failure !== undefined && !c.classname.startsWith('input'));
    const unsuppressed = report.findings.filter((f) => !f.suppressed);
    const pairs = new Set(unsuppressed.map((f) => `${JSON.stringify(f.resource)} ${f.controlId}`));
    expect(pairs.size).toBeLessThan(unsuppressed.length);
    expect(failures.length).toBe(pairs.size);
    const messages = failures.map((c) => textOf(c.failure)).join('\n');
    for (const f of unsuppressed) expect(messages).toContain(f.message);
  });

  it('reports input errors as failures of their own', () => {
    expect(JSON.stringify(suites)).toContain('broken.yaml');
  });
});

/** Every string inside a parsed XML node, joined, so assertions see the text as written. */
function textOf(node: unknown): string {
  if (typeof node === 'string') return node;
  if (node && typeof node === 'object') return Object.values(node).map(textOf).join(' ');
  return '';
}

interface JunitCase {
  name: string;
  classname: string;
  failure?: unknown;
  skipped?: unknown;
}
interface JunitSuite {
  name: string;
  testcase?: JunitCase | JunitCase[];
}

describe('HTML', () => {
  const html = renderReport('html', report);

  it('is one self-contained file that loads nothing from the network', () => {
    expect(html.startsWith('<!doctype html>') || html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<(script|link|img|iframe)[^>]+(src|href)=["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/@import|url\(\s*["']?https?:/i);
  });

  it('shows every finding with its location and remediation, and severity/namespace/control filters', () => {
    for (const f of report.findings) {
      if (f.location) expect(html).toContain(`${f.location.file}:${f.location.line}`);
    }
    expect(html).toContain(report.findings[0]?.remediation.slice(0, 20).replace(/"/g, '&quot;'));
    for (const filter of ['severity', 'namespace', 'control']) expect(html.toLowerCase()).toContain(filter);
  });

  it('lists findings most severe first, keeping the read order within a severity', () => {
    const ranks = [...html.matchAll(/<tr data-index="(\d+)" data-rank="(\d)"/g)].map((m) => [
      Number(m[1]),
      Number(m[2]),
    ]);
    expect(ranks).toHaveLength(report.findings.length);
    expect(new Set(ranks.map((r) => r[1])).size).toBeGreaterThan(1);
    for (let i = 1; i < ranks.length; i++) {
      const [prev, cur] = [ranks[i - 1] ?? [0, 0], ranks[i] ?? [0, 0]];
      expect(cur[1]).toBeGreaterThanOrEqual(prev[1] ?? 0);
      expect(cur[0]).toBe(i);
    }
    const first = report.findings.filter((f) => f.severity === 'critical')[0];
    const row = html.match(/<tr data-index="0"[^>]*>/)?.[0] ?? '';
    expect(row).toContain(`data-control="${first?.controlId ?? ''}"`);
  });

  it('has a sort button on every column whose key every row carries', () => {
    const keys = [...html.matchAll(/<button type="button" data-sort="(\w+)"/g)].map((m) => m[1]);
    expect(keys).toEqual(['rank', 'control', 'resource', 'location', 'field', 'message']);
    const rows = [...html.matchAll(/<tr data-index=[^>]*>/g)].map((m) => m[0]);
    for (const r of rows) for (const k of keys) expect(r).toContain(`data-${k ?? ''}=`);
    expect(html).toContain('aria-sort');
  });

  it('collapses the failed controls of each framework behind their count', () => {
    const ids = ['workload/no-privileged', 'workload/no-host-pid', 'rbac/secrets-read'];
    const page = renderReport('html', {
      ...report,
      scores: [{ framework: 'nsa', score: 40, passed: 2, failed: 3, applicable: 5, failedControls: ids }],
    });
    expect(page).toContain(`<details><summary>3 controls</summary>${ids.join(', ')}</details>`);
    expect(page).not.toContain(`<td>${ids.join(', ')}</td>`);
  });
});

describe('CSV, JSON and YAML', () => {
  it('CSV has a header and one quoted row per finding', () => {
    const lines = renderReport('csv', report).trimEnd().split(/\r?\n/);
    expect(lines[0]).toMatch(/controlId/);
    expect(lines.length - 1).toBeGreaterThanOrEqual(report.findings.length);
  });

  it('JSON follows the ScanReport contract and YAML carries the same data', () => {
    const json = JSON.parse(renderReport('json', report)) as Record<string, unknown>;
    expect(Object.keys(json).slice(0, 5)).toEqual([
      'apiVersion',
      'kind',
      'summary',
      'findings',
      'inputErrors',
    ]);
    const finding = (json.findings as Record<string, unknown>[])[1];
    expect(Object.keys(finding ?? {})).toEqual(
      expect.arrayContaining([
        'controlId',
        'title',
        'severity',
        'message',
        'resource',
        'location',
        'fieldPath',
        'remediation',
        'frameworks',
      ]),
    );
    expect(parseYaml(renderReport('yaml', report))).toEqual(json);
  });
});

describe('the images summary of scan --images', () => {
  const report = (): ScanReport => {
    const r = buildReport({
      resources: [],
      findings: [],
      inputErrors: [],
      controls: [],
      tool: { name: 'palisade', version: '0.0.0-test' },
    });
    r.images = {
      containers: 3,
      references: 2,
      digests: 1,
      scanned: 1,
      vulnerabilities: 4,
      severity: 'high',
      notScanned: [
        { image: 'evil\u001b[2J<b>:1', reason: 'registry evil: connection refused', containers: 1 },
      ],
    };
    return r;
  };

  it('table: one line of totals, each image not scanned, and the summary line; escapes stay out', () => {
    const text = renderReport('table', report());
    expect(text).toContain(
      'Images\n  2 image references in 3 containers, 1 digest: 1 scanned, 1 not scanned; 4 vulnerabilities at or above high',
    );
    expect(text).toContain('not scanned: evil\uFFFD[2J<b>:1: registry evil: connection refused');
    expect(text).not.toContain('\u001b');
    expect(text).toMatch(/Summary: .*, 1 image scanned, 1 not scanned\n$/);
  });

  it('html escapes the names; json and yaml carry the summary as data', () => {
    const html = renderReport('html', report());
    expect(html).toContain('<section id="images">');
    expect(html).toContain('evil');
    expect(html).not.toContain('<b>:1');
    const json = JSON.parse(renderReport('json', report())) as { images?: unknown };
    expect(json.images).toEqual(report().images);
    const yaml = parseYaml(renderReport('yaml', report())) as { images?: unknown };
    expect(yaml.images).toEqual(report().images);
  });

  it('no section and no summary part when the scan did not look at images', () => {
    const r = buildReport({
      resources: [],
      findings: [],
      inputErrors: [],
      controls: [],
      tool: { name: 'palisade', version: '0.0.0-test' },
    });
    expect(renderReport('table', r)).not.toContain('Images');
    expect(renderReport('table', r)).not.toContain('images scanned');
    expect(renderReport('html', r)).not.toContain('id="images"');
  });
});
