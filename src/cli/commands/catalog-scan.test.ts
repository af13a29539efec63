import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { memoryIO } from '../io.js';
import { main } from '../main.js';

const DIR = path.join(import.meta.dirname, '../testdata/exceptions');

interface JsonFinding {
  controlId: string;
  resource: { kind: string; namespace?: string; name: string };
  suppressed?: { kind: string; reason: string; owner?: string; expires?: string };
}
interface JsonReport {
  findings: JsonFinding[];
  scanDate?: string;
  scores?: {
    framework: string;
    score: number;
    passed: number;
    failed: number;
    applicable: number;
    failedControls?: string[];
  }[];
  exceptions?: {
    expired: { controlId: string }[];
    unused: { controlId: string }[];
    ignoredAnnotations: { controlId: string; resource: { name: string } }[];
  };
}

async function scan(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = memoryIO({ cwd: DIR });
  const code = await main(['scan', 'manifests.yaml', '-q', ...args], io);
  return { code, out: io.out(), err: io.err() };
}

async function scanJson(args: string[]): Promise<{ code: number; report: JsonReport }> {
  const { code, out } = await scan(['-o', 'json', ...args]);
  return { code, report: JSON.parse(out) as JsonReport };
}

const find = (r: JsonReport, id: string): JsonFinding | undefined =>
  r.findings.find((f) => f.controlId === id);
const EXC = ['--exceptions', 'exceptions.yaml'];

describe('exceptions in palisade scan', () => {
  it('suppresses a matching finding with its reason, owner and expiry, and keeps it in the report', async () => {
    const { report } = await scanJson([...EXC, '--scan-date', '2026-12-01']);
    expect(find(report, 'workload/no-privileged')?.suppressed).toEqual({
      kind: 'exception',
      reason: 'the log shipper reads host logs',
      owner: 'platform-team',
      expires: '2026-12-31',
    });
    expect(report.scanDate).toBe('2026-12-01');
  });

  it.each([
    ['2026-12-31', false],
    ['2027-01-01', true],
  ])('on %s the exception has expired: %s', async (date, expired) => {
    const { code, report } = await scanJson([...EXC, '--scan-date', date, '--fail-on', 'critical']);
    expect(find(report, 'workload/no-privileged')?.suppressed !== undefined).toBe(!expired);
    expect(report.exceptions?.expired.map((e) => e.controlId).includes('workload/no-privileged')).toBe(
      expired,
    );
    // The critical finding gates the run again once its exception has expired.
    expect(code).toBe(expired ? 1 : 0);
  });

  it('reports an expired exception and does not apply it', async () => {
    const { report } = await scanJson([...EXC, '--scan-date', '2026-12-01']);
    expect(find(report, 'workload/no-host-path')?.suppressed).toBeUndefined();
    expect(report.exceptions?.expired.map((e) => e.controlId)).toEqual(['workload/no-host-path']);
  });

  it('reports an exception that matches nothing as unused, on stderr too', async () => {
    const { report } = await scanJson([...EXC, '--scan-date', '2026-12-01']);
    expect(report.exceptions?.unused.map((e) => e.controlId)).toEqual(['rbac/no-wildcards']);
    const io = memoryIO({ cwd: DIR });
    await main(['scan', 'manifests.yaml', '-o', 'json', ...EXC, '--scan-date', '2026-12-01'], io);
    expect(io.err()).toContain('exception for rbac/no-wildcards matched no finding');
    expect(io.err()).toContain('exception for workload/no-host-path expired on 2026-01-31');
  });

  it.each([
    [[], undefined, 1],
    [['--allow-annotation-exceptions'], { kind: 'annotation', reason: 'vendor image, pinned upstream' }, 0],
  ])('annotation exceptions with %j', async (flags, suppressed, ignored) => {
    const { report } = await scanJson(['--scan-date', '2026-12-01', ...flags]);
    expect(find(report, 'workload/image-tag')?.suppressed).toEqual(suppressed);
    expect(report.exceptions?.ignoredAnnotations.length ?? 0).toBe(ignored);
  });

  it('marks excepted findings as SARIF suppressions with the justification', async () => {
    const { out } = await scan([
      '-o',
      'sarif',
      ...EXC,
      '--scan-date',
      '2026-12-01',
      '--allow-annotation-exceptions',
    ]);
    const run = (
      JSON.parse(out) as {
        runs: {
          results: {
            ruleId: string;
            suppressions?: { kind: string; status: string; justification: string }[];
          }[];
          invocations: { toolConfigurationNotifications?: { descriptor: { id: string } }[] }[];
          properties: { scores?: unknown[] };
        }[];
      }
    ).runs[0];
    const byRule = (id: string) => run?.results.find((r) => r.ruleId === id);
    expect(byRule('workload/no-privileged')?.suppressions).toEqual([
      {
        kind: 'external',
        status: 'accepted',
        justification: 'the log shipper reads host logs; owner: platform-team; expires: 2026-12-31',
      },
    ]);
    expect(byRule('workload/image-tag')?.suppressions?.[0]).toMatchObject({
      kind: 'inSource',
      status: 'accepted',
    });
    expect(byRule('workload/no-host-path')?.suppressions).toBeUndefined();
    expect(run?.invocations[0]?.toolConfigurationNotifications?.map((n) => n.descriptor.id)).toEqual([
      'exception-expired',
      'exception-unused',
    ]);
    expect(run?.properties.scores?.length).toBe(3);
  });

  it.each([
    [
      'table',
      'expired, no longer applied: workload/no-host-path on ops/* (owner platform-team, expires 2026-01-31)',
    ],
    ['table', 'unused, matched nothing: rbac/no-wildcards on every resource (owner security)'],
    [
      'table',
      'annotation ignored (needs --allow-annotation-exceptions): workload/image-tag on Deployment shop/web',
    ],
    ['html', '<li><strong>expired</strong> (no longer applied): workload/no-host-path on ops/*'],
    ['html', '<li><strong>unused</strong> (matched nothing): rbac/no-wildcards on every resource'],
  ])('lists expired, unused and ignored exceptions in the %s output', async (format, line) => {
    const { out } = await scan(['-o', format, ...EXC, '--scan-date', '2026-12-01']);
    expect(out).toContain(line);
  });

  it('rejects an invalid exceptions file with every problem and its path (exit 2)', async () => {
    const { code, err } = await scan(['--exceptions', 'bad-exceptions.yaml']);
    expect(code).toBe(2);
    expect(err).toContain('bad-exceptions.yaml:5: exceptions[0].reason: a reason is required');
    expect(err).toContain('bad-exceptions.yaml:7: exceptions[0].expires: expires must be a date YYYY-MM-DD');
  });

  it.each([
    ['palisade.yaml', 0, ''],
    [
      'bad-config.yaml',
      2,
      'bad-config.yaml:4: kubernetesVersion: kubernetesVersion must look like v1.31 or v1.31.2',
    ],
  ])('reads the configuration %s', async (file, code, message) => {
    const out = await scan(['--config', file, '--fail-on', 'none']);
    expect(out.code).toBe(code);
    expect(out.err).toContain(message);
  });

  it('rejects a missing exceptions file and a bad scan date (exit 2)', async () => {
    expect((await scan(['--exceptions', 'missing.yaml'])).code).toBe(2);
    const bad = await scan(['--scan-date', '01/12/2026']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--scan-date must be a date YYYY-MM-DD');
  });
});

describe('frameworks and scores in palisade scan', () => {
  it('runs no built-in control with --framework none', async () => {
    const { code, report } = await scanJson(['--framework', 'none']);
    expect(report.findings).toEqual([]);
    expect(report.scores).toEqual([]);
    expect(code).toBe(0);
  });

  it.each([
    [['--framework', 'cis'], ['cis-1.10']],
    [
      ['--framework', 'nsa,mitre'],
      ['nsa-cisa-1.2', 'mitre-attack'],
    ],
    [[], ['cis-1.10', 'nsa-cisa-1.2', 'mitre-attack']],
  ])('scores %j as %j', async (flags, frameworks) => {
    const { report } = await scanJson(flags);
    expect(report.scores?.map((s) => s.framework)).toEqual(frameworks);
    for (const s of report.scores ?? []) {
      expect(s.applicable).toBe(s.passed + s.failed);
      expect(s.score).toBeGreaterThanOrEqual(0);
      expect(s.score).toBeLessThan(100);
    }
  });

  it('selects only CIS-mapped controls with --framework cis', async () => {
    const { report } = await scanJson(['--framework', 'cis']);
    const ids = new Set(report.findings.map((f) => f.controlId));
    expect(ids.has('workload/no-privileged')).toBe(true);
    // Mapped to NSA/CISA and MITRE only.
    expect(ids.has('workload/read-only-root-fs')).toBe(false);
  });

  it('rejects an unknown framework (exit 2)', async () => {
    const { code, err } = await scan(['--framework', 'iso27001']);
    expect(code).toBe(2);
    expect(err).toContain('unknown framework "iso27001"');
  });

  it('puts the scores in every report format', async () => {
    const cis = async (format: string): Promise<string> =>
      (await scan(['-o', format, '--framework', 'cis'])).out;
    const json = JSON.parse(await cis('json')) as JsonReport;
    const score = json.scores?.[0];
    if (!score) throw new Error('no score');
    const pct = `${score.score}%`;
    expect(await cis('table')).toMatch(new RegExp(`cis-1\\.10\\s+${pct.replace('.', '\\.')}`));
    expect(await cis('yaml')).toContain(`framework: cis-1.10\n    score: ${score.score}`);
    expect(await cis('html')).toContain(`<td>cis-1.10</td><td>${pct}</td>`);
    expect(await cis('csv')).toContain(
      `,cis-1.10,compliance score,${pct} (${score.passed} of ${score.applicable} applicable controls passed)`,
    );
    const sarif = JSON.parse(await cis('sarif')) as {
      runs: { properties: { scores: { score: number }[] } }[];
    };
    expect(sarif.runs[0]?.properties.scores[0]?.score).toBe(score.score);
    const junit = new XMLParser({ ignoreAttributes: false }).parse(await cis('junit')) as {
      testsuites: {
        testsuite: {
          '@_name': string;
          properties?: { property: { '@_name': string; '@_value': string }[] };
        }[];
      };
    };
    const props = junit.testsuites.testsuite.find((s) => s['@_name'] === 'compliance scores')?.properties
      ?.property;
    expect(props?.find((p) => p['@_name'] === 'cis-1.10.score')?.['@_value']).toBe(String(score.score));
  });
});

describe('configuration file', () => {
  it('passes per-control settings and the target Kubernetes version', async () => {
    const { report } = await scanJson(['--config', 'palisade.yaml', '--scan-date', '2026-12-01']);
    const registries = report.findings.filter((f) => f.controlId === 'workload/allowed-registries');
    expect(registries.map((f) => f.resource.name).sort()).toEqual(['log-shipper', 'web']);
    expect(find(report, 'cluster/version-eol')?.resource).toMatchObject({ kind: 'Cluster', name: 'cluster' });
  });

  it('warns about settings for a control that does not exist', async () => {
    const io = memoryIO({ cwd: DIR });
    await main(['scan', 'manifests.yaml', '-o', 'json', '--config', 'typo-config.yaml'], io);
    expect(io.err()).toContain('settings for unknown control workload/allowed-registry');
  });

  it('without it, allowed registries are not judged and end of life says it could not judge', async () => {
    const { report } = await scanJson(['--scan-date', '2026-12-01']);
    expect(find(report, 'workload/allowed-registries')).toBeUndefined();
    // Issue #20: version currency passed silently on manifests without a version.
    expect(find(report, 'cluster/version-eol')).toMatchObject({
      severity: 'info',
      message: expect.stringContaining('could not judge') as unknown,
    });
    expect(report.scores?.find((s) => s.framework === 'nsa-cisa-1.2')?.failedControls).not.toContain(
      'cluster/version-eol',
    );
  });
});
