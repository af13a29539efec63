import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../main.js';
import { memoryIO } from '../io.js';

interface Expected {
  args: string[];
  stdin?: string;
  exitCode: number;
  findings: { controlId: string; file: string; line: number; column?: number }[];
  inputErrors: { file: string; line?: number }[];
}

interface JsonReport {
  apiVersion: string;
  kind: string;
  summary: { resources: number; findings: number; inputErrors: number; bySeverity: Record<string, number> };
  findings: {
    controlId: string;
    resource: { namespace?: string; name?: string };
    location?: { file: string; line: number; column: number };
  }[];
  inputErrors: { file: string; line?: number; message: string }[];
}

const TESTDATA = path.join(import.meta.dirname, '../testdata/scan');
const cases = readdirSync(TESTDATA).sort();

describe('palisade scan golden cases', () => {
  it.each(cases)('%s', async (name) => {
    const dir = path.join(TESTDATA, name);
    const expected = JSON.parse(readFileSync(path.join(dir, 'expected.json'), 'utf8')) as Expected;
    const io = memoryIO({
      cwd: dir,
      ...(expected.stdin !== undefined
        ? { stdin: readFileSync(path.join(dir, expected.stdin), 'utf8') }
        : {}),
    });
    const code = await main(expected.args, io);
    const report = JSON.parse(io.out()) as JsonReport;
    expect(report.apiVersion).toBe('palisade.dev/v1');
    expect(report.kind).toBe('ScanReport');
    expect(
      report.findings.map((f) => ({
        controlId: f.controlId,
        file: f.location?.file,
        line: f.location?.line,
        ...(expected.findings.some((e) => e.column !== undefined) ? { column: f.location?.column } : {}),
      })),
    ).toEqual(expected.findings);
    expect(
      report.inputErrors.map((e) => ({ file: e.file, ...(e.line !== undefined ? { line: e.line } : {}) })),
    ).toEqual(expected.inputErrors);
    expect(report.summary.inputErrors).toBe(expected.inputErrors.length);
    expect(code).toBe(expected.exitCode);
  });
});

describe('palisade scan exit codes and outputs', () => {
  const demo = path.resolve(import.meta.dirname, '../../../examples/demo-cluster');

  it.each([
    [['--fail-on', 'critical'], 1],
    [['--fail-on', 'none'], 0],
    [['--fail-on', 'high'], 1],
  ])('demo cluster with %j exits %i', async (flags, exitCode) => {
    const io = memoryIO({ cwd: demo });
    expect(await main(['scan', '.', '-o', 'json', ...flags], io)).toBe(exitCode);
  });

  it('writes several formats at once', async () => {
    const io = memoryIO({ cwd: demo });
    const code = await main(
      ['scan', '.', '-o', 'sarif=out/report.sarif', '-o', 'csv', '--output-file', 'r.csv', '-o', 'json'],
      io,
    );
    expect(code).toBe(1);
    const sarif = JSON.parse(io.files.get(path.join(demo, 'out/report.sarif')) ?? '{}') as {
      version?: string;
    };
    expect(sarif.version).toBe('2.1.0');
    expect(io.files.get(path.join(demo, 'r.csv'))?.split('\n')[0]).toMatch(/controlId|control/i);
    expect((JSON.parse(io.out()) as JsonReport).summary.resources).toBeGreaterThan(50);
  });

  it('filters by namespace', async () => {
    const io = memoryIO({ cwd: demo });
    await main(['scan', '.', '-o', 'json', '-n', 'ops'], io);
    const report = JSON.parse(io.out()) as JsonReport;
    expect(report.findings.length).toBeGreaterThan(0);
    // The Namespace ops itself is in scope too (its default-deny findings).
    expect(
      new Set(report.findings.map((f) => f.resource.namespace ?? `Namespace ${f.resource.name}`)),
    ).toEqual(new Set(['ops', 'Namespace ops']));
  });

  it.each([
    [['scan', '.', '--fail-on', 'severe'], /fail-on/],
    [['scan', '.', '-o', 'pdf'], /pdf/],
    [['scan', '--no-such-flag'], /unknown option/],
  ])('usage error %j exits 2', async (args, message) => {
    const io = memoryIO({ cwd: demo });
    expect(await main(args, io)).toBe(2);
    expect(io.err()).toMatch(message);
  });

  it('reports a missing path as an input error and exits 2', async () => {
    const io = memoryIO({ cwd: demo });
    expect(await main(['scan', 'does-not-exist', 'ops', '-o', 'json'], io)).toBe(2);
    expect((JSON.parse(io.out()) as JsonReport).inputErrors[0]?.message).toMatch(/no such file/);
  });

  it('with nothing else to scan, a missing path is exit 2 on stderr and no report', async () => {
    const io = memoryIO({ cwd: demo });
    expect(await main(['scan', 'does-not-exist', '-o', 'json'], io)).toBe(2);
    expect(io.out()).toBe('');
    expect(io.err()).toContain('palisade: does-not-exist: cannot read: no such file or directory');
  });

  it('--ignore-input-errors lets findings decide the exit code', async () => {
    const io = memoryIO({ cwd: path.join(TESTDATA, 'broken-among-good') });
    expect(await main(['scan', 'input', '-o', 'json', '--ignore-input-errors'], io)).toBe(1);
  });

  it('prints help with examples', async () => {
    const io = memoryIO({ cwd: demo });
    expect(await main(['scan', '--help'], io)).toBe(0);
    expect(io.out()).toMatch(/Examples:/);
    expect(io.out()).toMatch(/--fail-on/);
  });

  it('prints the version', async () => {
    const io = memoryIO({ cwd: demo });
    expect(await main(['version'], io)).toBe(0);
    expect(io.out()).toMatch(/^palisade \d+\.\d+\.\d+/);
  });
});

describe('palisade scan: CIS checks on control-plane objects', () => {
  const dir = path.join(import.meta.dirname, '../testdata/control-plane');
  const scan = async (...extra: string[]) => {
    const io = memoryIO({ cwd: dir });
    const code = await main(['scan', '.', '-o', 'json', '--fail-on', 'none', '-q', ...extra], io);
    const report = JSON.parse(io.out()) as Omit<JsonReport, 'findings'> & {
      findings: (JsonReport['findings'][number] & {
        message: string;
        fieldPath?: string;
        resource: { kind?: string };
      })[];
      controls: { id: string }[];
    };
    return { code, report, cp: report.findings.filter((f) => f.controlId.startsWith('control-plane/')) };
  };

  it('the static pod fails at its flags, kube-proxy at the ConfigMap its --config comes from', async () => {
    const { code, report, cp } = await scan();
    expect(code).toBe(0);
    expect(report.inputErrors).toEqual([]);
    const profiling = cp.find((f) => f.controlId === 'control-plane/1.2.15');
    expect(profiling).toMatchObject({
      resource: { kind: 'Pod', namespace: 'kube-system', name: 'kube-apiserver-cp1' },
      location: { file: 'kube-apiserver.yaml', line: 15 },
      fieldPath: 'spec.containers[0].command[2]',
    });
    const metrics = cp.find((f) => f.controlId === 'control-plane/4.3.1');
    expect(metrics).toMatchObject({
      resource: { kind: 'DaemonSet', namespace: 'kube-system', name: 'kube-proxy' },
      location: { file: 'kube-proxy.yaml', line: 22 },
    });
    expect(metrics?.message).toContain(
      '{.metricsBindAddress}=0.0.0.0:10249 in ConfigMap kube-system/kube-proxy key config.conf',
    );
    // --authorization-mode=Node,RBAC passes 1.2.6-1.2.8; every failing check has its rule.
    expect(cp.map((f) => f.controlId)).not.toContain('control-plane/1.2.7');
    const rules = new Set(report.controls.map((c) => c.id));
    expect(cp.every((f) => rules.has(f.controlId))).toBe(true);
  });

  it('runs with the CIS framework only', async () => {
    expect((await scan('--framework', 'nsa')).cp).toEqual([]);
    expect((await scan('--framework', 'cis')).cp.length).toBeGreaterThan(0);
  });
});
