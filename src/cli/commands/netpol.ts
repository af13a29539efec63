import { open, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { InputError, Inventory, UsageError, type InputIssue } from '../../core/index.js';
import { parseFormatSpecs } from '../../report/index.js';
import {
  analyzeInventory,
  compareObserved,
  connLines,
  formatObservedCsv,
  formatObservedJson,
  formatObservedText,
  looksLikeFlows,
  observedGraph,
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

/** One output of a command: a format, and a file or standard output. */
export interface NetpolOutput<F extends string> {
  format: F;
  file?: string;
}

/**
 * The outputs asked for with `-o FORMAT[=FILE]` (repeatable; `text` is `table`) and
 * `--output-file` (the file of the first output without one), by the parser `scan` uses.
 */
export function netpolOutputs<F extends string>(
  opts: Record<string, unknown>,
  formats: readonly F[],
  fallback: F,
): NetpolOutput<F>[] {
  const raw = opts.output;
  const values = Array.isArray(raw)
    ? raw.filter((v): v is string => typeof v === 'string')
    : str(raw)
      ? [str(raw) as string]
      : [];
  const aliases: Record<string, F> = (formats as readonly string[]).includes('table')
    ? { text: 'table' as F }
    : {};
  const parsed = parseFormatSpecs(values, formats, undefined, aliases, fallback);
  if (!parsed.ok) throw new UsageError(parsed.error);
  const specs = parsed.value;
  const outputFile = str(opts.outputFile);
  if (outputFile !== undefined) {
    const target = specs.find((s) => s.file === undefined);
    if (!target)
      throw new UsageError('--output-file given but every -o already names its file (use -o FORMAT=FILE)');
    target.file = outputFile;
  }
  return specs;
}

/** Writes each output, rendered once per format. */
async function writeOutputs<F extends string>(
  io: CliIO,
  outputs: readonly NetpolOutput<F>[],
  render: (format: F) => string,
  quiet: boolean,
  what: string,
): Promise<void> {
  for (const o of outputs) await emit(io, render(o.format), o.file, quiet, `${o.format} ${what}`);
}

function namespaceOf(peer: string): string | undefined {
  if (peer.endsWith('[External]')) return undefined;
  const i = peer.indexOf('/');
  return i > 0 ? peer.slice(0, i) : undefined;
}

const MATRIX_FORMATS = ['table', 'json', 'yaml', 'csv', 'dot', 'html'] as const;

/** `palisade netpol matrix`: prints the allowed connections. */
export async function runMatrix(paths: string[], opts: Record<string, unknown>, io: CliIO): Promise<number> {
  const { inventory, errors } = await load(paths, io, opts);
  const granularity = opts.granularity === 'pod' ? 'pod' : 'workload';
  const { analysis, issues } = analyzeInventory(inventory, {
    granularity,
    ipBlockMatchesPods: opts.ipblockMatchesPods === true,
  });
  const namespaces = new Set((opts.namespace as string[] | undefined) ?? []);
  const keep =
    namespaces.size === 0
      ? undefined
      : (l: ConnLine): boolean =>
          namespaces.has(namespaceOf(l.src) ?? '') || namespaces.has(namespaceOf(l.dst) ?? '');
  const ingressLines = ingressControllerLines(analysis, inventory.resources);
  const extra = sortLines(keep ? ingressLines.filter(keep) : ingressLines);
  const lines = mergeLines(connLines(analysis, keep), extra);
  const outputs = netpolOutputs(opts, MATRIX_FORMATS, 'table');
  const quiet = opts.quiet === true;
  const only = outputs.length === 1 ? outputs[0] : undefined;
  if (
    only &&
    only.file === undefined &&
    only.format !== 'yaml' &&
    only.format !== 'dot' &&
    only.format !== 'html'
  ) {
    // One streamable output on stdout: written as the rows are computed.
    writeConnList(only.format === 'table' ? 'text' : only.format, lines, (chunk) => {
      io.stdout.write(chunk);
    });
  } else {
    const all = [...lines];
    await writeOutputs(
      io,
      outputs,
      (format) => {
        switch (format) {
          case 'table':
          case 'json':
          case 'csv': {
            const chunks: string[] = [];
            writeConnList(format === 'table' ? 'text' : format, all, (chunk) => chunks.push(chunk));
            return chunks.join('');
          }
          case 'yaml':
            return stringify(all.map((l) => ({ src: l.src, dst: l.dst, conn: l.conn.toString() })));
          case 'dot':
            return formatConnListDot(all);
          case 'html':
            return formatConnListHtml(all);
        }
      },
      quiet,
      'matrix',
    );
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
  const outputs = netpolOutputs(opts, ['table', 'json', 'yaml'] as const, 'table');
  const { inventory, errors } = await load(paths, io, opts);
  const granularity = opts.granularity === 'pod' ? 'pod' : 'workload';
  const { analysis, issues } = analyzeInventory(inventory, {
    granularity,
    ipBlockMatchesPods: opts.ipblockMatchesPods === true,
  });
  const bad = reportIssues(io, errors, issues);
  const src = findEndpoint(analysis, str(opts.from) ?? '', 'ingress', '--from');
  const dst = findEndpoint(analysis, str(opts.to) ?? '', 'egress', '--to');
  if (analysis.isExternal(src) && analysis.isExternal(dst))
    throw new UsageError('--from and --to cannot both be outside the cluster');
  const e = explainConnection(analysis, src, dst, port);
  await writeOutputs(
    io,
    outputs,
    (format) =>
      format === 'json'
        ? `${JSON.stringify(e, null, 2)}\n`
        : format === 'yaml'
          ? stringify(JSON.parse(JSON.stringify(e)))
          : formatExplanation(e),
    opts.quiet === true,
    'explanation',
  );
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
  const outputs = netpolOutputs(opts, ['yaml', 'json'] as const, 'yaml');
  for (const t of [str(opts.since), str(opts.until)])
    if (t !== undefined && Number.isNaN(Date.parse(t)))
      throw new UsageError(`--since/--until must be ISO times (got "${t}")`);
  const { inventory, errors } = await load(paths, io);
  const { flows, bad: badFlows } = await readFlows(files, str(opts.format) ?? 'auto', io);
  const since = str(opts.since);
  const until = str(opts.until);
  const generated = generatePolicies(inventory, flows, {
    ...(since ? { since: new Date(since).toISOString() } : {}),
    ...(until ? { until: new Date(until).toISOString() } : {}),
    defaultDeny: opts.defaultDeny !== false,
  });
  // -n keeps the policies of those namespaces; every flow still informs them (a peer in another
  // namespace stays a peer), and the staged replay judges the flows against what is kept.
  const namespaces = (opts.namespace as string[] | undefined) ?? [];
  const result =
    namespaces.length === 0
      ? generated
      : {
          ...generated,
          policies: generated.policies.filter((p) => namespaces.includes(p.metadata?.namespace ?? '')),
        };
  if (namespaces.length > 0 && result.policies.length === 0 && generated.policies.length > 0) {
    const known = [...new Set(generated.policies.map((p) => p.metadata?.namespace ?? ''))].sort();
    throw new InputError(
      `no policy generated in namespace ${namespaces.join(', ')}: the flows and manifests give policies for ${known.join(', ')}`,
    );
  }
  const quiet = opts.quiet === true;
  if (!quiet) {
    for (const w of result.warnings) io.stderr.write(`warning: ${w}\n`);
    for (const n of result.notes) io.stderr.write(`note: ${n}\n`);
    for (const s of result.skipped) io.stderr.write(`${s.origin}: flow skipped: ${s.message}\n`);
  }
  const { issues } = analyzeInventory(inventory);
  const bad = reportIssues(io, errors, issues) || badFlows;
  const render = (format: 'yaml' | 'json'): string =>
    format === 'json'
      ? `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: result.policies }, null, 2)}\n`
      : `${result.notes.map((n) => `# ${n}\n`).join('')}${result.policies.map((p) => `---\n${stringify(p)}`).join('')}`;
  if (opts.staged !== true) {
    await writeOutputs(io, outputs, render, quiet, 'policies');
    return bad ? 2 : 0;
  }
  const staged = stageGeneratedPolicies(inventory, result);
  const lines = [
    `Staged replay of ${staged.flowsReplayed} observed flow(s) against existing + ${result.policies.length} generated policies:`,
  ];
  if (staged.blocked.length === 0) lines.push('  blocked observed flows: none');
  else {
    lines.push(`  blocked observed flows: ${staged.blocked.length}`);
    for (const b of staged.blocked) lines.push(`    ${b.origin}: ${b.src} => ${b.dst} : ${b.conn}`);
  }
  if (staged.unreplayed.length > 0) {
    lines.push(
      `  flows that could not be replayed (an end matches nothing known): ${staged.unreplayed.length}`,
    );
    for (const u of staged.unreplayed.slice(0, 50)) lines.push(`    ${u.origin}: ${u.message}`);
  }
  lines.push(`  currently allowed in-cluster paths that would close or narrow: ${staged.closed.length}`);
  for (const c of staged.closed.slice(0, 50))
    lines.push(`    ${c.src} => ${c.dst} : ${c.before} -> ${c.after}`);
  if (staged.closed.length > 50) lines.push(`    … ${staged.closed.length - 50} more`);
  const replay = `${lines.join('\n')}\n`;
  const toStdout = outputs.filter((o) => o.file === undefined);
  await writeOutputs(io, outputs, render, quiet, 'policies');
  if (toStdout.length === 0) io.stdout.write(replay);
  else if (toStdout.every((o) => o.format === 'yaml'))
    // After the policies on standard output, as comments: the output stays valid YAML.
    io.stdout.write(replay.replace(/^/gm, '# ').replace(/# $/, ''));
  else io.stderr.write(replay);
  if (bad) return 2;
  return staged.blocked.length + staged.unreplayed.length > 0 ? 1 : 0;
}

/** `palisade netpol diff`: change impact between two versions. */
export async function runDiff(
  base: string,
  head: string,
  opts: Record<string, unknown>,
  io: CliIO,
): Promise<number> {
  const outputs = netpolOutputs(opts, ['table', 'json', 'yaml', 'csv', 'sarif'] as const, 'table');
  const a = await load([base], io);
  const b = await load([head], io);
  const diff = diffInventories(a.inventory, b.inventory);
  await writeOutputs(
    io,
    outputs,
    (format) => {
      switch (format) {
        case 'json':
          return `${JSON.stringify(diff, null, 2)}\n`;
        case 'yaml':
          return stringify(JSON.parse(JSON.stringify(diff)));
        case 'csv':
          return formatDiffCsv(diff);
        case 'sarif':
          return formatDiffSarif(diff, { name: 'palisade', version: palisadeVersion() });
        case 'table':
          return formatDiffText(diff);
      }
    },
    false,
    'diff',
  );
  const bad = reportIssues(io, [...a.errors, ...b.errors], [...diff.issues.base, ...diff.issues.head]);
  if (bad) return 2;
  return opts.failOnNewExposure === true && diff.newExposure > 0 ? 1 : 0;
}

/** Reads the beginning of a file (enough to tell flows from manifests). */
async function head(file: string): Promise<string> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(8192);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await fh.close();
  }
}

/**
 * Splits `netpol flows` arguments: `-`, and files that read as flow exports, are flows;
 * directories, `.yaml`/`.yml` files and files naming an `apiVersion` are manifests.
 */
async function splitFlowArgs(
  paths: readonly string[],
  io: CliIO,
): Promise<{ flows: string[]; manifests: string[] }> {
  const flows: string[] = [];
  const manifests: string[] = [];
  for (const p of paths) {
    if (p === '-') {
      flows.push(p);
      continue;
    }
    const abs = path.resolve(io.cwd, p);
    let info;
    try {
      info = await stat(abs);
    } catch (e) {
      throw new UsageError(`${p}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    if (info.isDirectory() || /\.ya?ml$/i.test(p)) manifests.push(p);
    else if (looksLikeFlows(await head(abs))) flows.push(p);
    else manifests.push(p);
  }
  return { flows, manifests };
}

const FLOW_FORMATS = ['table', 'json', 'yaml', 'csv', 'dot', 'html'] as const;

/** `palisade netpol flows`: observed connections, optionally against the current policies. */
export async function runFlows(paths: string[], opts: Record<string, unknown>, io: CliIO): Promise<number> {
  const outputs = netpolOutputs(opts, FLOW_FORMATS, 'table');
  for (const t of [str(opts.since), str(opts.until)])
    if (t !== undefined && Number.isNaN(Date.parse(t)))
      throw new UsageError(`--since/--until must be ISO times (got "${t}")`);
  const { flows: flowFiles, manifests } = await splitFlowArgs(paths, io);
  if (flowFiles.length === 0)
    throw new UsageError('no flow export given: palisade netpol flows FLOWS... [MANIFESTS...] (see --help)');
  const fromCluster = opts.cluster === true || str(opts.snapshot) !== undefined;
  const againstPolicy = opts.againstPolicy === true;
  if (againstPolicy && manifests.length === 0 && !fromCluster)
    throw new UsageError(
      '--against-policy needs the manifests (files or directories), --cluster or --snapshot',
    );
  let inventory = new Inventory();
  let inputErrors: InputIssue[] = [];
  if (manifests.length > 0 || fromCluster) {
    const loaded = await load(manifests, io, opts);
    inventory = loaded.inventory;
    inputErrors = loaded.errors;
  }
  const { flows, bad: badFlows } = await readFlows(flowFiles, str(opts.format) ?? 'auto', io);
  if (flows.length === 0) {
    reportIssues(io, inputErrors, []);
    io.stderr.write(
      `palisade: ${flowFiles.join(', ')}: no flow could be read; check the export format (--format)\n`,
    );
    return 2;
  }
  const since = str(opts.since);
  const until = str(opts.until);
  const namespaces = (opts.namespace as string[] | undefined) ?? [];
  const report = compareObserved(inventory, flows, {
    againstPolicy,
    ipBlockMatchesPods: opts.ipblockMatchesPods === true,
    namespaces: opts.allNamespaces === true ? [] : namespaces,
    ...(since ? { since: new Date(since).toISOString() } : {}),
    ...(until ? { until: new Date(until).toISOString() } : {}),
  });
  const quiet = opts.quiet === true;
  if (!quiet) {
    for (const s of report.skipped.slice(0, 20)) io.stderr.write(`${s.origin}: flow skipped: ${s.message}\n`);
    if (report.skipped.length > 20) io.stderr.write(`… ${report.skipped.length - 20} more flows skipped\n`);
  }
  const graph = (): ReturnType<typeof observedGraph> => observedGraph(report);
  const summary = `${report.flowsUsed} observed flow(s) between ${report.pairs.length} pair(s)${
    report.gap
      ? `; ${report.denied ?? 0} pair(s) denied by the current policies, ${report.gap.length} allowed pair(s) never observed`
      : ''
  }.`;
  await writeOutputs(
    io,
    outputs,
    (format) => {
      switch (format) {
        case 'table':
          return formatObservedText(report);
        case 'json':
          return formatObservedJson(report);
        case 'yaml':
          return stringify(JSON.parse(formatObservedJson(report)));
        case 'csv':
          return formatObservedCsv(report);
        case 'dot': {
          const g = graph();
          return formatConnListDot(g.lines, g.tags);
        }
        case 'html': {
          const g = graph();
          return formatConnListHtml(g.lines, 'Palisade observed traffic', { tags: g.tags, summary });
        }
      }
    },
    quiet,
    'flows report',
  );
  const bad = reportIssues(io, inputErrors, report.policyIssues) || badFlows;
  if (bad) return 2;
  return againstPolicy && (report.denied ?? 0) > 0 ? 1 : 0;
}
