import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { UsageError, type InputIssue, type Inventory } from '../../core/index.js';
import {
  analyzeInventory,
  connLines,
  diffInventories,
  explainConnection,
  formatConnListDot,
  formatConnListHtml,
  formatDiffCsv,
  formatDiffSarif,
  formatDiffText,
  formatExplanation,
  ingressControllerLines,
  mergeLines,
  sortLines,
  writeConnList,
  generatePolicies,
  isProtocol,
  parseFlows,
  stageGeneratedPolicies,
  type Analysis,
  type ConnLine,
  type Flow,
  type FlowFormat,
  type PolicyIssue,
  type Protocol,
} from '../../network/index.js';
import { loadInventorySource } from './cluster-source.js';
import type { CliIO } from '../io.js';
import { palisadeVersion } from '../version.js';

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

async function load(
  paths: string[],
  io: CliIO,
  opts: Record<string, unknown> = {},
): Promise<{ inventory: Inventory; errors: InputIssue[] }> {
  const loaded = await loadInventorySource(paths, opts, io);
  return { inventory: loaded.inventory, errors: loaded.inputErrors };
}

function reportIssues(
  io: CliIO,
  inputErrors: readonly InputIssue[],
  policyIssues: readonly PolicyIssue[],
): boolean {
  for (const e of inputErrors) {
    const where =
      e.line !== undefined ? `${e.file}:${e.line}${e.column !== undefined ? `:${e.column}` : ''}` : e.file;
    io.stderr.write(`${where}: ${e.message}\n`);
  }
  for (const p of policyIssues) {
    const where = p.file
      ? `${p.file}${p.line !== undefined ? `:${p.line}:${p.column ?? 1}` : ''}`
      : `NetworkPolicy ${p.resource.namespace ?? ''}/${p.resource.name}`;
    io.stderr.write(
      `${where}: NetworkPolicy ${p.resource.namespace ?? 'default'}/${p.resource.name} ${p.path}: ${p.message} (policy ignored)\n`,
    );
  }
  return inputErrors.length + policyIssues.length > 0;
}

async function emit(
  io: CliIO,
  text: string,
  file: string | undefined,
  quiet: boolean,
  what: string,
): Promise<void> {
  if (file === undefined) io.stdout.write(text);
  else {
    await io.writeFile(path.resolve(io.cwd, file), text);
    if (!quiet) io.stderr.write(`Wrote ${what} to ${file}\n`);
  }
}

function namespaceOf(peer: string): string | undefined {
  if (peer.endsWith('[External]')) return undefined;
  const i = peer.indexOf('/');
  return i > 0 ? peer.slice(0, i) : undefined;
}

/** `palisade netpol matrix`: prints the allowed connections. */
export async function runMatrix(paths: string[], opts: Record<string, unknown>, io: CliIO): Promise<number> {
  const { inventory, errors } = await load(paths, io, opts);
  const granularity = opts.granularity === 'pod' ? 'pod' : 'workload';
  const { analysis, issues } = analyzeInventory(inventory, { granularity });
  const namespaces = new Set((opts.namespace as string[] | undefined) ?? []);
  const keep =
    namespaces.size === 0
      ? undefined
      : (l: ConnLine): boolean =>
          namespaces.has(namespaceOf(l.src) ?? '') || namespaces.has(namespaceOf(l.dst) ?? '');
  const ingressLines = ingressControllerLines(analysis, inventory.resources);
  const extra = sortLines(keep ? ingressLines.filter(keep) : ingressLines);
  const lines = mergeLines(connLines(analysis, keep), extra);
  const format = str(opts.output) ?? 'text';
  const outputFile = str(opts.outputFile);
  if (format === 'text' || format === 'json' || format === 'csv') {
    // Written as the rows are computed; to a file, written once complete.
    if (outputFile === undefined)
      writeConnList(format, lines, (chunk) => {
        io.stdout.write(chunk);
      });
    else {
      const chunks: string[] = [];
      writeConnList(format, lines, (chunk) => chunks.push(chunk));
      await emit(io, chunks.join(''), outputFile, opts.quiet === true, `${format} matrix`);
    }
  } else {
    const render: Record<string, (l: ConnLine[]) => string> = {
      dot: formatConnListDot,
      html: (l) => formatConnListHtml(l),
    };
    const renderer = render[format];
    if (!renderer) throw new UsageError(`unknown output format "${format}"`);
    await emit(io, renderer([...lines]), outputFile, opts.quiet === true, `${format} matrix`);
  }
  const bad = reportIssues(io, errors, issues);
  return bad ? 2 : 0;
}

function parsePort(
  value: string | undefined,
  protocol: string,
): { protocol: Protocol; port: number } | undefined {
  if (value === undefined) return undefined;
  const m = /^(?:([a-zA-Z]+)[/:])?(\d+)$/.exec(value.trim());
  const proto = (m?.[1] ?? protocol).toUpperCase();
  const port = Number(m?.[2]);
  if (!m || !isProtocol(proto) || !Number.isInteger(port) || port < 1 || port > 65535)
    throw new UsageError(`--port must be PORT or PROTOCOL/PORT with a port from 1 to 65535 (got "${value}")`);
  return { protocol: proto, port };
}

function findEndpoint(
  analysis: Analysis,
  value: string,
  direction: 'ingress' | 'egress',
  flag: string,
): number {
  const looksIp = /^[0-9.]+$/.test(value) || (value.includes(':') && !value.includes('/'));
  const i = looksIp ? analysis.externalFor(value, direction) : analysis.findPeer(value);
  if (i !== undefined) return i;
  const last = value.split('/').pop() ?? value;
  const bracket = last.indexOf('[');
  const needle = bracket < 0 ? last : last.slice(0, bracket);
  const close = analysis.peers
    .map((_, j) => analysis.nameOf(j))
    .filter((n) => n.includes(needle))
    .slice(0, 5);
  throw new UsageError(
    `${flag} ${value}: no such ${looksIp ? 'address' : 'workload or pod'}${close.length > 0 ? ` (did you mean ${close.join(', ')}?)` : ''}`,
  );
}

/** `palisade netpol query`: explains one connection. */
export async function runQuery(paths: string[], opts: Record<string, unknown>, io: CliIO): Promise<number> {
  const port = parsePort(str(opts.port), str(opts.protocol) ?? 'TCP');
  const { inventory, errors } = await load(paths, io, opts);
  const granularity = opts.granularity === 'pod' ? 'pod' : 'workload';
  const { analysis, issues } = analyzeInventory(inventory, { granularity });
  const bad = reportIssues(io, errors, issues);
  const src = findEndpoint(analysis, str(opts.from) ?? '', 'ingress', '--from');
  const dst = findEndpoint(analysis, str(opts.to) ?? '', 'egress', '--to');
  if (analysis.isExternal(src) && analysis.isExternal(dst))
    throw new UsageError('--from and --to cannot both be outside the cluster');
  const e = explainConnection(analysis, src, dst, port);
  io.stdout.write(opts.output === 'json' ? `${JSON.stringify(e, null, 2)}\n` : formatExplanation(e));
  if (bad) return 2;
  return e.verdict === 'allowed' ? 0 : 1;
}

async function readFlows(
  files: string[],
  format: string,
  io: CliIO,
): Promise<{ flows: Flow[]; bad: boolean }> {
  const flows: Flow[] = [];
  let bad = false;
  for (const f of files) {
    let text: string;
    try {
      text =
        f === '-' ? (await io.readStdin()).toString('utf8') : await readFile(path.resolve(io.cwd, f), 'utf8');
    } catch (e) {
      io.stderr.write(`${f}: cannot read flows: ${(e as Error).message}\n`);
      bad = true;
      continue;
    }
    const parsed = parseFlows(
      text,
      f === '-' ? '<stdin>' : f,
      format === 'auto' ? undefined : (format as FlowFormat),
    );
    for (const i of parsed.issues) io.stderr.write(`${i.origin}: ${i.message}\n`);
    if (parsed.issues.length > 0) bad = true;
    flows.push(...parsed.flows);
  }
  return { flows, bad };
}

/** `palisade netpol generate`: policies from flows, optionally with the staged replay. */
export async function runGenerate(
  paths: string[],
  opts: Record<string, unknown>,
  io: CliIO,
): Promise<number> {
  const files = (opts.flows as string[] | undefined) ?? [];
  if (files.length === 0) throw new UsageError('--flows FILE is required');
  for (const t of [str(opts.since), str(opts.until)])
    if (t !== undefined && Number.isNaN(Date.parse(t)))
      throw new UsageError(`--since/--until must be ISO times (got "${t}")`);
  const { inventory, errors } = await load(paths, io);
  const { flows, bad: badFlows } = await readFlows(files, str(opts.format) ?? 'auto', io);
  const since = str(opts.since);
  const until = str(opts.until);
  const result = generatePolicies(inventory, flows, {
    ...(since ? { since: new Date(since).toISOString() } : {}),
    ...(until ? { until: new Date(until).toISOString() } : {}),
    defaultDeny: opts.defaultDeny !== false,
  });
  const quiet = opts.quiet === true;
  if (!quiet) {
    for (const w of result.warnings) io.stderr.write(`warning: ${w}\n`);
    for (const s of result.skipped) io.stderr.write(`${s.origin}: flow skipped: ${s.message}\n`);
  }
  const { issues } = analyzeInventory(inventory);
  const bad = reportIssues(io, errors, issues) || badFlows;
  const text =
    opts.output === 'json'
      ? `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: result.policies }, null, 2)}\n`
      : result.policies.map((p) => `---\n${stringify(p)}`).join('');
  const outputFile = str(opts.outputFile);
  if (opts.staged === true) {
    if (outputFile !== undefined) await emit(io, text, outputFile, quiet, 'policies');
    const staged = stageGeneratedPolicies(inventory, result);
    const lines = [
      `Staged replay of ${staged.flowsReplayed} observed flow(s) against existing + ${result.policies.length} generated policies:`,
    ];
    if (staged.blocked.length === 0) lines.push('  blocked observed flows: none');
    else {
      lines.push(`  blocked observed flows: ${staged.blocked.length}`);
      for (const b of staged.blocked) lines.push(`    ${b.origin}: ${b.src} => ${b.dst} : ${b.conn}`);
    }
    lines.push(`  currently allowed in-cluster paths that would close or narrow: ${staged.closed.length}`);
    for (const c of staged.closed.slice(0, 50))
      lines.push(`    ${c.src} => ${c.dst} : ${c.before} -> ${c.after}`);
    if (staged.closed.length > 50) lines.push(`    … ${staged.closed.length - 50} more`);
    io.stdout.write(`${lines.join('\n')}\n`);
    if (bad) return 2;
    return staged.blocked.length > 0 ? 1 : 0;
  }
  await emit(io, text, outputFile, quiet, 'policies');
  return bad ? 2 : 0;
}

/** `palisade netpol diff`: change impact between two versions. */
export async function runDiff(
  base: string,
  head: string,
  opts: Record<string, unknown>,
  io: CliIO,
): Promise<number> {
  const a = await load([base], io);
  const b = await load([head], io);
  const diff = diffInventories(a.inventory, b.inventory);
  const format = str(opts.output) ?? 'text';
  const text =
    format === 'json'
      ? `${JSON.stringify(diff, null, 2)}\n`
      : format === 'csv'
        ? formatDiffCsv(diff)
        : format === 'sarif'
          ? formatDiffSarif(diff, { name: 'palisade', version: palisadeVersion() })
          : formatDiffText(diff);
  await emit(io, text, str(opts.outputFile), false, `${format} diff`);
  const bad = reportIssues(io, [...a.errors, ...b.errors], [...diff.issues.base, ...diff.issues.head]);
  if (bad) return 2;
  return opts.failOnNewExposure === true && diff.newExposure > 0 ? 1 : 0;
}
