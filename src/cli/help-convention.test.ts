import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { memoryIO } from './io.js';
import { buildProgram, main } from './main.js';

// The CLI convention of every command, read from its own --help (docs/cli.md): `-o FORMAT[=FILE]`
// (repeatable) with `--output-file`, `table` (alias `text`), `json` and `yaml` plus the command's
// own formats; `-n`/`-A` where namespaces apply; `--context`/`--kubeconfig` where a cluster is
// read; an "Exit codes" line and examples. Issue #20 found the commands differing; a command
// added without a row here fails the first test.

interface Row {
  /** Formats `-o` must list; undefined means the command writes no report (`exempt` says why). */
  formats?: readonly string[];
  /** `table` is among the formats, so `text` must be its alias. */
  table?: boolean;
  namespaces?: 'n' | 'nA';
  cluster?: boolean;
  exempt?: string;
}

const T = ['table', 'json', 'yaml'] as const;
const COMMANDS: Record<string, Row> = {
  scan: { formats: [...T, 'sarif', 'junit', 'html', 'csv'], table: true, namespaces: 'nA', cluster: true },
  'node scan': { formats: [...T, 'sarif', 'junit', 'html', 'csv'], table: true },
  'snapshot save': { namespaces: 'nA', cluster: true, exempt: 'writes the snapshot file it is given' },
  history: { formats: T, table: true },
  drift: { formats: T, table: true, cluster: true },
  watch: { cluster: true, exempt: 'runs until stopped; results go to the store, PolicyReports and metrics' },
  'controls list': { formats: [...T, 'md'], table: true },
  'netpol matrix': { formats: [...T, 'csv', 'dot', 'html'], table: true, namespaces: 'nA', cluster: true },
  'netpol flows': { formats: [...T, 'csv', 'dot', 'html'], table: true, namespaces: 'nA', cluster: true },
  'netpol query': { formats: T, table: true, cluster: true },
  'netpol generate': { formats: ['yaml', 'json'], namespaces: 'nA' },
  'netpol diff': { formats: [...T, 'csv', 'sarif'], table: true },
  'rbac who-can': { formats: T, table: true, namespaces: 'nA', cluster: true },
  'rbac can-i': { formats: T, table: true, namespaces: 'n', cluster: true },
  'rbac list': { formats: T, table: true, namespaces: 'nA', cluster: true },
  'rbac paths': { formats: [...T, 'dot', 'html'], table: true, cluster: true },
  'rbac suggest': { formats: ['yaml', 'json', 'diff'], cluster: true },
  'rbac sod': { formats: T, table: true, cluster: true },
  'rbac diff': { formats: T, table: true, cluster: true },
  'policy test': { formats: T, table: true },
  'policy export': { formats: ['yaml', 'json'] },
  'admission serve': {
    cluster: true,
    exempt: 'a server: decisions go to the API server, the store and metrics',
  },
  'admission install': { formats: ['yaml', 'json'], namespaces: 'n', cluster: true },
  'admission cert': { namespaces: 'n', exempt: 'writes the certificate and key files it is given' },
  serve: { exempt: 'a server (the dashboard)' },
  'image scan': { formats: [...T, 'cyclonedx', 'spdx'], table: true },
  'registry watch': { exempt: 'runs until stopped; results go to the store' },
  version: { formats: T, table: true },
  'detect run': { formats: [...T, 'ecs', 'cef', 'syslog', 'slack'], table: true },
  'detect serve': { formats: [...T, 'ecs', 'cef', 'syslog', 'slack'], table: true },
  'detect learn': { exempt: 'writes the baseline file named by --baseline' },
  'detect test': { formats: T, table: true },
  'db import': { formats: T, table: true },
  'db status': { formats: T, table: true },
  'db update': { formats: T, table: true },
};

function leaves(c: Command, prefix: string[] = []): string[] {
  if (c.commands.length === 0) return [prefix.join(' ')];
  return c.commands.flatMap((s) => leaves(s, [...prefix, s.name()]));
}

/** The help's options, each flag list with its whole (possibly wrapped) description. */
function optionsOf(help: string): Map<string, string> {
  const out = new Map<string, string>();
  const section = help.split(/^Options:$/m)[1]?.split(/^\S/m)[0] ?? '';
  let current: string | undefined;
  for (const line of section.split('\n')) {
    if (line.startsWith('  -')) {
      // Flags and their description are separated by two or more spaces.
      const rest = line.slice(2);
      const gap = rest.indexOf('  ');
      current = (gap === -1 ? rest : rest.slice(0, gap)).trim();
      out.set(current, gap === -1 ? '' : rest.slice(gap).trim());
    } else if (current !== undefined && line.trim() !== '')
      out.set(current, `${out.get(current) ?? ''} ${line.trim()}`);
  }
  return out;
}

async function helpOf(command: string): Promise<string> {
  const io = memoryIO({ cwd: '/' });
  expect(await main([...command.split(' '), '--help'], io)).toBe(0);
  return io.out();
}

const has = (options: Map<string, string>, flag: string): string | undefined =>
  [...options.entries()].find(([flags]) => flags.split(/[ ,]+/).includes(flag))?.[1];

describe('every command follows the CLI convention in its --help', () => {
  it('the table names every command there is', () => {
    const all = leaves(buildProgram(memoryIO({ cwd: '/' }), () => undefined)).sort();
    expect(all).toEqual(Object.keys(COMMANDS).sort());
  });

  it.each(Object.entries(COMMANDS))('%s', async (command, row) => {
    const help = await helpOf(command);
    const options = optionsOf(help);
    expect(help, 'an "Exit codes" line').toMatch(/^Exit codes[^:\n]*: 0 /m);
    expect(help, 'examples').toMatch(/^Examples:$/m);
    expect(help, 'an example of the command itself').toContain(`$ palisade ${command}`);
    if (row.formats) {
      const output = has(options, '--output');
      expect(output, '-o, --output').toBeDefined();
      expect(has(options, '-o')).toBe(output);
      expect(output).toMatch(/repeatable/);
      for (const f of row.formats) expect(output, `-o lists ${f}`).toMatch(new RegExp(`\\b${f}\\b`));
      if (row.table) expect(output, 'text, the alias of table').toMatch(/\btext\b/);
      expect(has(options, '--output-file'), '--output-file').toBeDefined();
    } else {
      expect(row.exempt, 'a command without -o says why').toBeDefined();
    }
    if (row.namespaces) expect(has(options, '-n'), '-n').toBe(has(options, '--namespace'));
    if (row.namespaces) expect(has(options, '--namespace'), '--namespace').toBeDefined();
    if (row.namespaces === 'nA')
      expect(has(options, '-A') ?? has(options, '--all-namespaces'), '-A').toBeDefined();
    if (row.namespaces === 'nA') expect(has(options, '-A')).toBe(has(options, '--all-namespaces'));
    if (row.cluster) {
      expect(has(options, '--context'), '--context').toBeDefined();
      expect(has(options, '--kubeconfig'), '--kubeconfig').toBeDefined();
    }
  });
});
