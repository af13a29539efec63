/** `palisade policy test` and `palisade policy export`. */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument, stringify } from 'yaml';
import { UsageError } from '../../core/index.js';
import { loadFiles } from '../../load/index.js';
import {
  compilePolicies,
  exportNative,
  isPolicyObject,
  parsePolicyTest,
  runPolicyTest,
} from '../../policy/index.js';
import { modelOf } from '../../rbac/index.js';
import type { CliIO } from '../io.js';
import { MANIFEST_FORMATS, parseOutputs, renderData, writeOutputs, type OutputFormats } from '../output.js';
import { rbacAuthorizer } from './policy-scan.js';

const SUITE_SUFFIXES = ['.test.yaml', '.test.yml'];

async function findSuites(p: string): Promise<string[]> {
  const info = await stat(p);
  if (!info.isDirectory()) return [p];
  const out: string[] = [];
  const entries = await readdir(p, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const full = path.join(p, e.name);
    if (e.isDirectory() && !e.name.startsWith('.') && e.name !== 'node_modules')
      out.push(...(await findSuites(full)));
    else if (SUITE_SUFFIXES.some((s) => e.name.endsWith(s))) out.push(full);
  }
  return out;
}

function rel(io: CliIO, f: string): string {
  return path.relative(io.cwd, f).split(path.sep).join('/') || '.';
}

/** Options of `palisade policy test`. */
export interface PolicyTestOptions {
  quiet?: boolean;
  /** `-o FORMAT[=FILE]`: table (the PASS/FAIL lines, default), json, yaml. */
  output?: string[];
  outputFile?: string;
}

/** The formats of `policy test`. */
const POLICY_TEST_FORMATS: OutputFormats<'table' | 'json' | 'yaml'> = {
  formats: ['table', 'json', 'yaml'],
  default: 'table',
  aliases: { text: 'table' },
};

/** One case's outcome in a `policy test` report. */
interface PolicyCaseOutcome {
  suite: string;
  case: string;
  passed: boolean;
  reason?: string;
}

/** Runs every PolicyTest suite under the paths; returns 0 all passed, 1 a case failed, 2 input errors. */
export async function runPolicyTestCommand(
  paths: string[],
  options: PolicyTestOptions,
  io: CliIO,
): Promise<number> {
  if (paths.length === 0) throw new UsageError('policy test needs at least one directory or suite file');
  const outputs = parseOutputs(options.output ?? [], options.outputFile, POLICY_TEST_FORMATS);
  const outcomes: PolicyCaseOutcome[] = [];
  let passed = 0;
  let failed = 0;
  let inputErrors = 0;
  const suites: string[] = [];
  for (const p of paths) {
    try {
      suites.push(...(await findSuites(path.resolve(io.cwd, p))));
    } catch {
      io.stderr.write(`palisade: ${p}: no such file or directory\n`);
      inputErrors++;
    }
  }
  if (suites.length === 0 && inputErrors === 0) {
    io.stderr.write(
      `palisade: no suites found (looked for ${SUITE_SUFFIXES.map((s) => `*${s}`).join(', ')})\n`,
    );
    inputErrors++;
  }
  for (const file of suites) {
    const shown = rel(io, file);
    const doc = parseDocument(await readFile(file, 'utf8'));
    if (doc.errors.length > 0) {
      io.stderr.write(`${shown}: ${doc.errors[0]?.message ?? 'invalid YAML'}\n`);
      inputErrors++;
      continue;
    }
    const suite = parsePolicyTest(doc.toJS());
    if (!suite.ok) {
      io.stderr.write(`${shown}: invalid PolicyTest: ${suite.error}\n`);
      inputErrors++;
      continue;
    }
    const dir = path.dirname(file);
    const loaded = await loadFiles(
      suite.value.policies.map((p) => path.resolve(dir, p)),
      { cwd: io.cwd },
    );
    for (const e of loaded.inputErrors) {
      io.stderr.write(`${e.file}${e.line !== undefined ? `:${e.line}` : ''}: ${e.message}\n`);
      inputErrors++;
    }
    const { results, errors } = runPolicyTest(suite.value, loaded.inventory.resources, {
      authorizerFor: (rbac) => rbacAuthorizer(() => modelOf(rbac)),
    });
    for (const e of errors) {
      const where = e.file ? `${e.file}${e.line !== undefined ? `:${e.line}:${e.column ?? 1}` : ''}: ` : '';
      io.stderr.write(`${where}${e.kind} ${e.policy}: ${e.path}: ${e.message}\n`);
      inputErrors++;
    }
    for (const r of results) {
      if (r.passed) passed++;
      else failed++;
      outcomes.push({
        suite: r.suite,
        case: r.case,
        passed: r.passed,
        ...(r.passed || r.reason === undefined ? {} : { reason: r.reason }),
      });
    }
  }
  const report = {
    apiVersion: 'palisade.dev/v1',
    kind: 'PolicyTestReport',
    summary: { passed, failed, inputErrors },
    results: outcomes,
  };
  await writeOutputs(outputs, io, (format) => {
    if (format !== 'table') return renderData(format, report);
    const lines = outcomes
      .filter((o) => !o.passed || !options.quiet)
      .map((o) =>
        o.passed ? `PASS ${o.suite} › ${o.case}\n` : `FAIL ${o.suite} › ${o.case}: ${o.reason ?? ''}\n`,
      );
    return `${lines.join('')}${passed} passed, ${failed} failed\n`;
  });
  if (inputErrors > 0) return 2;
  return failed > 0 ? 1 : 0;
}

/** Options of `palisade policy export`. */
export interface PolicyExportOptions {
  output?: string[];
  outputFile?: string;
}

/** Writes the native objects for the policies in the given files; 2 when a policy does not compile. */
export async function runPolicyExportCommand(
  paths: string[],
  options: PolicyExportOptions,
  io: CliIO,
): Promise<number> {
  if (paths.length === 0) throw new UsageError('policy export needs at least one file or directory');
  const outputs = parseOutputs(options.output ?? [], options.outputFile, MANIFEST_FORMATS);
  const loaded = await loadFiles(paths, { cwd: io.cwd, readStdin: () => io.readStdin() });
  let code = 0;
  for (const e of loaded.inputErrors) {
    io.stderr.write(`${e.file}${e.line !== undefined ? `:${e.line}` : ''}: ${e.message}\n`);
    code = 2;
  }
  const policies = loaded.inventory.resources.filter((r) => isPolicyObject(r.object));
  const { errors } = compilePolicies(policies);
  for (const e of errors) {
    io.stderr.write(
      `${e.file ?? '<policy>'}${e.line !== undefined ? `:${e.line}:${e.column ?? 1}` : ''}: ${e.kind} ${e.policy}: ${e.path}: ${e.message}\n`,
    );
    code = 2;
  }
  if (policies.length === 0) {
    io.stderr.write('palisade: no policies found in the given files\n');
    return 2;
  }
  const objects = policies.flatMap((r) => exportNative(r.object));
  await writeOutputs(outputs, io, (format) =>
    format === 'json'
      ? renderData('json', { apiVersion: 'v1', kind: 'List', items: objects })
      : objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n'),
  );
  return code;
}
