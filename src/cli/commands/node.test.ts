import { chmodSync, chownSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CIS_1_10 } from '../../controls/index.js';
import { memoryIO } from '../io.js';
import { main } from '../main.js';

const TESTDATA = path.resolve(import.meta.dirname, '../../load/testdata');
const isRoot = process.getuid?.() === 0;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'palisade-node-'));
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

interface StatOverlay {
  defaults: { file: string; directory: string; owner: string };
  paths: Record<string, { mode?: string; owner?: string }>;
}

function ids(file: string): Map<string, number> {
  return new Map(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.includes(':'))
      .map((l) => {
        const [name = '', , id = '0'] = l.split(':');
        return [name, Number(id)] as const;
      }),
  );
}

/** Copies a fixture node and gives its files the modes (and, as root, the owners) of stat.json. */
function materialize(name: string): string {
  const src = path.join(TESTDATA, name, 'root');
  const dest = path.join(tmp, name);
  cpSync(src, dest, { recursive: true });
  const overlay = JSON.parse(readFileSync(path.join(TESTDATA, name, 'stat.json'), 'utf8')) as StatOverlay;
  const users = ids(path.join(src, 'etc/passwd'));
  const groups = ids(path.join(src, 'etc/group'));
  const apply = (rel: string, isDir: boolean): void => {
    const nodePath = `/${rel}`;
    const o = overlay.paths[nodePath] ?? {};
    const p = path.join(dest, rel);
    chmodSync(p, parseInt(o.mode ?? (isDir ? overlay.defaults.directory : overlay.defaults.file), 8));
    if (isRoot) {
      const [u = 'root', g = 'root'] = (o.owner ?? overlay.defaults.owner).split(':');
      chownSync(p, users.get(u) ?? 0, groups.get(g) ?? 0);
    }
  };
  const walk = (rel: string): void => {
    for (const e of readdirSync(path.join(dest, rel), { withFileTypes: true })) {
      const child = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) walk(child);
      apply(child, e.isDirectory());
    }
  };
  walk('');
  return dest;
}

// Checks on owners can only be arranged when the tests run as root (chown).
const OWNER_CHECKS = new Set(
  CIS_1_10.checks
    .filter(
      (c) => c.audit?.kind === 'files' && (c.audit.line === 'owner' || c.audit.line === 'ownership-named'),
    )
    .map((c) => c.id),
);

interface JsonReport {
  kind: string;
  summary: Record<string, number>;
  results: { id: string; status: string; location?: { file: string; line: number } }[];
  inputErrors: unknown[];
}

describe.each([
  ['node-hardened', 0],
  ['node-weak', 1],
])('palisade node scan --root %s', (name, exitCode) => {
  const root = materialize(name);
  const expected = (
    JSON.parse(readFileSync(path.join(TESTDATA, name, 'expected.json'), 'utf8')) as {
      statuses: Record<string, string>;
    }
  ).statuses;

  it(`reports the expected status per benchmark id and exits ${exitCode}`, async () => {
    const io = memoryIO({ cwd: tmp });
    const code = await main(['node', 'scan', '--root', root, '-o', 'json'], io);
    const report = JSON.parse(io.out()) as JsonReport;
    expect(report.kind).toBe('NodeScanReport');
    const got = Object.fromEntries(
      report.results.filter((r) => isRoot || !OWNER_CHECKS.has(r.id)).map((r) => [r.id, r.status]),
    );
    const want = Object.fromEntries(
      Object.entries(expected).filter(([id]) => isRoot || !OWNER_CHECKS.has(id)),
    );
    expect(got).toEqual(want);
    expect(report.summary.checks).toBe(95);
    if (isRoot) expect(code).toBe(exitCode);
  });

  it('renders the table and SARIF of the same scan', async () => {
    const io = memoryIO({ cwd: tmp });
    await main(['node', 'scan', '--root', root, '-o', 'table', '-o', 'sarif=out.sarif'], io);
    expect(io.out()).toMatch(/95 checks: \d+ pass, \d+ fail, \d+ warn, 0 error, 3 skip/);
    const sarif = JSON.parse(io.files.get(path.join(tmp, 'out.sarif')) ?? '{}') as {
      runs: { results: { ruleId: string }[] }[];
    };
    const fails = Object.entries(expected).filter(
      ([id, s]) => s === 'fail' && (isRoot || !OWNER_CHECKS.has(id)),
    ).length;
    expect(sarif.runs[0]?.results.length ?? 0).toBeGreaterThanOrEqual(fails);
  });
});

describe('palisade node scan usage', () => {
  it.each([
    [['node', 'scan', '--root', path.join(tmp, 'missing')], 'is not a directory'],
    [['node', 'scan', '--root', tmp, '--section', 'policies'], '--section must be one of'],
    [['node', 'scan', '--root', tmp, '-o', 'pdf'], 'unknown output format'],
  ])('%j exits 2', async (args, message) => {
    const io = memoryIO({ cwd: tmp });
    expect(await main(args, io)).toBe(2);
    expect(io.err()).toContain(message);
  });

  it('exits 2 for an unknown benchmark', async () => {
    const io = memoryIO({ cwd: tmp });
    expect(await main(['node', 'scan', '--root', tmp, '--benchmark', 'cis-9'], io)).toBe(2);
  });

  it('limits the checks to the sections asked for', async () => {
    const root = materialize('node-weak');
    const io = memoryIO({ cwd: tmp });
    const code = await main(
      ['node', 'scan', '--root', root, '--section', 'etcd', '-o', 'json', '--fail-on', 'none'],
      io,
    );
    const report = JSON.parse(io.out()) as JsonReport;
    expect(report.results.map((r) => r.id)).toEqual(['2.1', '2.2', '2.3', '2.4', '2.5', '2.6', '2.7']);
    expect(code).toBe(0);
  });

  it('shows help with examples', async () => {
    const io = memoryIO({ cwd: tmp });
    expect(await main(['node', 'scan', '--help'], io)).toBe(0);
    expect(io.out()).toContain('palisade node scan --root /host');
  });
});
