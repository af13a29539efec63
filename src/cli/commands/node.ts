import { stat } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../../core/index.js';
import {
  BENCHMARKS,
  evaluateBenchmark,
  evaluateNodeControls,
  NODE_API_VERSION,
  nodeControlFindings,
  nodeControlMetadata,
  toFindings,
  toReportControls,
  type NodeControlResult,
  type BenchmarkResult,
  type BenchmarkSection,
  type CheckResult,
  type CheckStatus,
  type StatusCounts,
} from '../../controls/index.js';
import { localNodeFs, readNodeFacts } from '../../load/index.js';
import { buildReport, REPORT_FORMATS, renderReport, type ReportFormat } from '../../report/index.js';
import type { InputIssue } from '../../core/index.js';
import { useColor, type CliIO } from '../io.js';
import { parseOutputs, renderData, type OutputFormats } from '../output.js';
import { palisadeVersion } from '../version.js';

/** Options of `palisade node scan`, as parsed from the command line. */
export interface NodeScanOptions {
  root: string;
  benchmark: string;
  output: string[];
  /** `--output-file FILE`: the file of the one `-o` that names none. */
  outputFile?: string;
  sections?: string[];
  failOn: string;
  quiet?: boolean;
  /** `--scan-date YYYY-MM-DD`: the date certificates are judged at (default today, UTC). */
  scanDate?: string;
  /** `--config FILE`: a palisade.dev/v1 Config; `settings` of the node controls are read. */
  config?: string;
  /** Today's date for the default scan date; injected so tests do not read the clock. */
  today?: () => string;
}

/** The formats of `node scan`: the node report (table, json, yaml) and findings (the rest). */
export const NODE_FORMATS: OutputFormats<ReportFormat> = {
  formats: REPORT_FORMATS,
  default: 'table',
  aliases: { text: 'table' },
};

/**
 * The JSON form of a node scan (`apiVersion: palisade.dev/v1`, `kind: NodeScanReport`), a
 * public contract: add fields, never rename them.
 */
export interface NodeScanReport {
  apiVersion: 'palisade.dev/v1';
  kind: 'NodeScanReport';
  benchmark: string;
  title: string;
  root: string;
  summary: StatusCounts & { checks: number; inputErrors: number };
  results: CheckResult[];
  /** The date certificates were judged at (YYYY-MM-DD). */
  scanDate: string;
  /** Palisade's node controls (anonymous auth, certificate expiry): `error` means could not check. */
  controls: NodeControlResult[];
  controlSummary: { pass: number; fail: number; error: number };
  inputErrors: InputIssue[];
  tool: { name: string; version: string };
}

const SECTIONS: readonly BenchmarkSection[] = ['master', 'etcd', 'controlplane', 'node'];

function toReport(
  result: BenchmarkResult,
  root: string,
  issues: readonly InputIssue[],
  scanDate: string,
  controls: NodeControlResult[],
): NodeScanReport {
  const count = (status: NodeControlResult['status']): number =>
    controls.filter((c) => c.status === status).length;
  return {
    apiVersion: 'palisade.dev/v1',
    kind: 'NodeScanReport',
    benchmark: result.benchmark,
    title: result.title,
    root,
    summary: { checks: result.results.length, ...result.summary, inputErrors: issues.length },
    results: result.results,
    scanDate,
    controls,
    controlSummary: { pass: count('pass'), fail: count('fail'), error: count('error') },
    inputErrors: [...issues],
    tool: { name: 'palisade', version: palisadeVersion() },
  };
}

const COLORS: Record<CheckStatus, string> = {
  pass: '\u001b[32m',
  fail: '\u001b[31m',
  warn: '\u001b[33m',
  error: '\u001b[1;31m',
  skip: '\u001b[90m',
};
const RESET = '\u001b[0m';

function clean(s: string): string {
  // Values come from files on the node: never let them drive the terminal.
  // eslint-disable-next-line no-control-regex -- stripping control characters is the point
  return s.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '?');
}

function evidenceLine(r: CheckResult): string | undefined {
  const shown = r.evidence.filter((e) => e.pass === false);
  const list = shown.length > 0 ? shown : r.evidence;
  if (list.length === 0) return undefined;
  const seen = new Set<string>();
  const unique = list.filter((e) => {
    const key = `${e.source}|${e.name}|${e.value}|${e.found}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return unique
    .slice(0, 5)
    .map((e) => {
      const where = e.location ? ` (${e.location.file}:${e.location.line})` : '';
      if (e.source === 'file') return `${e.name} mode ${e.mode ?? '?'} owner ${e.owner ?? '?'}`;
      if (e.found) return `${e.name}=${e.value}${where} [${e.source}]`;
      return `${[...(e.alsoTried ?? []), e.name].join(', ')} not set`;
    })
    .concat(unique.length > 5 ? [`… ${unique.length - 5} more`] : [])
    .join('; ');
}

/** Renders the node report as a terminal table, grouped by benchmark group. */
export function renderNodeTable(report: NodeScanReport, color = false): string {
  const paint = (status: CheckStatus, s: string): string => (color ? `${COLORS[status]}${s}${RESET}` : s);
  const out: string[] = [`${report.title} on ${report.root}`, ''];
  let group = '';
  for (const r of report.results) {
    if (r.group.id !== group) {
      group = r.group.id;
      out.push(`[${r.group.id}] ${r.group.title}`);
    }
    out.push(`  ${paint(r.status, r.status.toUpperCase().padEnd(5))} ${r.id.padEnd(7)} ${clean(r.text)}`);
    if (r.status === 'fail' || r.status === 'warn' || r.status === 'error') {
      if (r.reason !== undefined && r.status !== 'warn')
        out.push(`                reason: ${clean(r.reason)}`);
      if (r.expected) out.push(`                expected: ${clean(r.expected)}`);
      const ev = evidenceLine(r);
      if (ev !== undefined && r.reason !== 'Test marked as a manual test')
        out.push(`                found: ${clean(ev)}`);
      if (r.status === 'fail') out.push(`                fix: ${clean(r.remediation)}`);
    } else if (r.status === 'skip' && r.reason !== undefined) {
      out.push(`                ${clean(r.reason)}`);
    }
  }
  if (report.controls.length > 0)
    out.push('', `[palisade] Palisade node controls (judged at ${report.scanDate})`);
  for (const c of report.controls) {
    const status: CheckStatus = c.status;
    const label = c.status === 'error' ? 'ERROR' : c.status.toUpperCase();
    out.push(`  ${paint(status, label.padEnd(5))} ${clean(c.controlId)}  ${clean(c.message)}`);
    if (c.status === 'fail') {
      if (c.location) out.push(`                at: ${clean(c.location.file)}:${c.location.line}`);
      out.push(`                fix: ${clean(c.remediation)}`);
    }
  }
  const s = report.summary;
  out.push('');
  for (const i of report.inputErrors)
    out.push(`input error: ${clean(i.file)}${i.line !== undefined ? `:${i.line}` : ''}: ${clean(i.message)}`);
  out.push(
    `${s.checks} checks: ${paint('pass', `${s.pass} pass`)}, ${paint('fail', `${s.fail} fail`)}, ${paint('warn', `${s.warn} warn`)}, ${paint('error', `${s.error} error`)}, ${paint('skip', `${s.skip} skip`)}`,
  );
  const cs = report.controlSummary;
  out.push(
    `${report.controls.length} Palisade node controls: ${paint('pass', `${cs.pass} pass`)}, ${paint('fail', `${cs.fail} fail`)}, ${paint('error', `${cs.error} could not check`)}`,
  );
  return `${out.join('\n')}\n`;
}

/** Runs `palisade node scan` and returns the exit code. */
export async function runNodeScan(options: NodeScanOptions, io: CliIO): Promise<number> {
  const benchmark = BENCHMARKS[options.benchmark];
  if (!benchmark)
    throw new UsageError(
      `unknown benchmark "${options.benchmark}"; known: ${Object.keys(BENCHMARKS).join(', ')}`,
    );
  if (!['fail', 'warn', 'none'].includes(options.failOn))
    throw new UsageError(`--fail-on must be fail, warn or none (got "${options.failOn}")`);
  const sections = (options.sections ?? []).map((s) => {
    if (!(SECTIONS as readonly string[]).includes(s))
      throw new UsageError(`--section must be one of ${SECTIONS.join(', ')} (got "${s}")`);
    return s as BenchmarkSection;
  });
  const specs = parseOutputs(options.output, options.outputFile, NODE_FORMATS);
  const scanDate = options.scanDate ?? (options.today ?? utcToday)();
  if (!/^\d{4}-\d{2}-\d{2}$/.test(scanDate) || Number.isNaN(Date.parse(scanDate)))
    throw new UsageError(`--scan-date must be a date YYYY-MM-DD (got "${scanDate}")`);
  const settings = options.config !== undefined ? await readNodeSettings(io, options.config) : {};

  const root = path.resolve(io.cwd, options.root);
  const rootStat = await stat(root).catch(() => undefined);
  if (!rootStat?.isDirectory()) throw new UsageError(`--root ${options.root} is not a directory`);

  const facts = await readNodeFacts(localNodeFs(root));
  const result = evaluateBenchmark(benchmark, facts, sections.length > 0 ? { sections } : {});
  const controls =
    sections.length > 0 ? [] : evaluateNodeControls(facts, { now: Date.parse(scanDate), settings });
  const report = toReport(result, options.root, facts.issues, scanDate, controls);

  for (const spec of specs) {
    const text = render(spec.format, report, spec.file === undefined && useColor(io.stdout, io.env), root);
    if (spec.file === undefined) io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    else {
      await io.writeFile(path.resolve(io.cwd, spec.file), text);
      if (!options.quiet) io.stderr.write(`Wrote ${spec.format} report to ${spec.file}\n`);
    }
  }

  if (report.inputErrors.length > 0) return 2;
  if (options.failOn === 'none') return 0;
  const bad: readonly CheckStatus[] =
    options.failOn === 'warn' ? ['fail', 'error', 'warn'] : ['fail', 'error'];
  if (report.controls.some((c) => c.status === 'fail' || c.status === 'error')) return 1;
  return report.results.some((r) => bad.includes(r.status)) ? 1 : 0;
}

function utcToday(): string {
  return new Date().toISOString().slice(0, 10);
}

/** The per-control settings of a palisade.dev/v1 Config (the same file `scan --config` reads). */
async function readNodeSettings(
  io: CliIO,
  file: string,
): Promise<Readonly<Record<string, Readonly<Record<string, unknown>>>>> {
  const { readScanConfig } = await import('./scan.js');
  const config = await readScanConfig(io, file);
  return config?.settings ?? {};
}

function render(format: ReportFormat, report: NodeScanReport, color: boolean, root: string): string {
  if (format === 'json' || format === 'yaml') return renderData(format, report);
  if (format === 'table') return renderNodeTable(report, color);
  const scan = buildReport({
    resources: [],
    findings: [...toFindings(report.results), ...nodeControlFindings(report.controls, NODE_API_VERSION)],
    inputErrors: report.inputErrors,
    controls: [...toReportControls(report.results), ...nodeControlMetadata()],
    tool: report.tool,
  });
  return renderReport(format, scan, { color, scanRoot: root });
}
