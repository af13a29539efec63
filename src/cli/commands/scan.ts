import { namespaceIsolationOf } from '../../network/index.js';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isNode, LineCounter, parseDocument } from 'yaml';
import {
  checkHeap,
  InputError,
  isSeverity,
  parseFieldPath,
  severityAtLeast,
  UsageError,
  type InputIssue,
  type Inventory,
  type ResourceRef,
  type Severity,
} from '../../core/index.js';
import {
  applyExceptions,
  CATALOG,
  NODE_CONTROLS,
  evaluateControls,
  parseExceptionList,
  type ExceptionRule,
  componentWorkloadFindings,
  evaluateComponentWorkloads,
  toReportControls,
} from '../../controls/index.js';
import {
  applicableControls,
  parseScanConfig,
  scoreFrameworks,
  selectFrameworks,
  unknownSettingIds,
  type ScanConfig,
} from '../../frameworks/index.js';
import { componentWorkloads, loadFiles } from '../../load/index.js';
import {
  bufferedWriter,
  buildReport,
  parseOutputSpecs,
  writeReport,
  type ReportFormat,
  type ScanReport,
} from '../../report/index.js';
import { useColor, type CliIO } from '../io.js';
import { progressReporter } from '../progress.js';
import { palisadeVersion } from '../version.js';
import type { ScannedImage } from '../../images/index.js';
import type { PreparedImageScan, ScanImagesOptions } from './scan-images.js';
import {
  checkClusterOptions,
  loadClusterSource,
  loadSnapshotSource,
  markSnapshots,
  requireObjects,
  describeSource,
  snapshotAmongPaths,
  type ClusterSourceOptions,
} from './cluster-source.js';

/** Options of `palisade scan`, as parsed from the command line. */
export interface ScanOptions
  extends Omit<ClusterSourceOptions, 'namespace' | 'quiet'>, Omit<ScanImagesOptions, 'quiet'> {
  /** `--images`: look inside every image the workloads run (docs/images.md#workload-images). */
  images?: boolean;
  failOn: string;
  output: string[];
  outputFile?: string;
  namespace?: string[];
  quiet?: boolean;
  ignoreInputErrors?: boolean;
  /** `--framework` values (repeatable, comma-separated); empty means the default, `all`. */
  framework?: string[];
  /** `--exceptions FILE`: an ExceptionList document. */
  exceptions?: string;
  /** `--allow-annotation-exceptions`: honour `palisade.dev/exception.*` annotations. */
  allowAnnotationExceptions?: boolean;
  /** `--scan-date YYYY-MM-DD`: the date exceptions and end-of-life dates are judged at (default today, UTC). */
  scanDate?: string;
  /** `--config FILE`: a palisade.dev/v1 Config with per-control settings. */
  config?: string;
  /** CEL policy files or directories evaluated besides the controls. */
  policy?: string[];
  /** Apply Pod policies to workload pod templates (default true). */
  policyAutogen?: boolean;
  /** Today's date for the default scan date; injected so tests do not read the clock. */
  today?: () => string;
  /** `--db PATH|URL`: record the scan in the history store. */
  db?: string;
  /** `--db-cluster NAME`: the name the scan is recorded under (default: context, or the scanned paths). */
  dbCluster?: string;
  /** `--retain-scans N`: scans kept per cluster in the store. */
  retainScans?: number;
  /** `--retain-days N`: scans older than this are deleted from the store. */
  retainDays?: number;
  /** The clock for the recorded scan time; injected by tests. */
  now?: () => Date;
}

/** A parsed YAML file plus a way to turn a field path into `file:line` for messages. */
interface YamlFile {
  value: unknown;
  /** `file:line` of the deepest node on the path that exists (`file` alone when none does). */
  where(fieldPath: string): string;
}

async function readYamlFile(io: CliIO, file: string, what: string): Promise<YamlFile> {
  let text: string;
  try {
    text = await readFile(path.resolve(io.cwd, file), 'utf8');
  } catch (e) {
    throw new InputError(`cannot read ${what} ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    const line = first ? lines.linePos(first.pos[0]).line : undefined;
    throw new InputError(`${file}${line ? `:${line}` : ''}: not valid YAML: ${first?.message ?? ''}`);
  }
  return {
    value: doc.toJS() as unknown,
    where(fieldPath) {
      const segments = parseFieldPath(fieldPath);
      for (let n = segments.length; n > 0; n--) {
        const node: unknown = doc.getIn(segments.slice(0, n), true);
        if (isNode(node) && node.range) return `${file}:${lines.linePos(node.range[0]).line}`;
      }
      return file;
    },
  };
}

/** Reads a palisade.dev/v1 Config (`--config FILE`), every problem located; shared with `node scan`. */
export async function readScanConfig(io: CliIO, file: string | undefined): Promise<ScanConfig | undefined> {
  if (file === undefined) return undefined;
  const yaml = await readYamlFile(io, file, 'configuration');
  const parsed = parseScanConfig(yaml.value);
  if (!parsed.ok)
    throw new InputError(
      parsed.error.map((i) => `${yaml.where(i.path)}: ${i.path}: ${i.message}`).join('\n'),
    );
  return parsed.value;
}

async function readExceptions(io: CliIO, file: string | undefined): Promise<ExceptionRule[]> {
  if (file === undefined) return [];
  const yaml = await readYamlFile(io, file, 'exceptions file');
  const { rules, issues } = parseExceptionList(yaml.value);
  if (issues.length > 0)
    throw new InputError(issues.map((i) => `${yaml.where(i.path)}: ${i.path}: ${i.message}`).join('\n'));
  return rules;
}

function utcToday(): string {
  return new Date().toISOString().slice(0, 10);
}

/** A finished assessment: the report plus what recording and drift need besides it. */
export interface ScanAssessment {
  report: ScanReport;
  inventory: Inventory;
  /** The live cluster or snapshot the objects came from; absent for manifests. */
  cluster?: { server: string; context: string; snapshot?: string };
  /** The images scanned with `--images`, for the history store. */
  images?: { scanned: ScannedImage[]; vulnDbTime?: number };
}

/** Runs `palisade scan` and returns the exit code: 0 clean, 1 findings at or above --fail-on, 2 input errors. */
export async function runScan(paths: string[], options: ScanOptions, io: CliIO): Promise<number> {
  const failOn = options.failOn;
  if (failOn !== 'none' && !isSeverity(failOn)) {
    throw new UsageError(
      `--fail-on must be one of critical, high, medium, low, info or none (got "${failOn}")`,
    );
  }
  const specs = parseOutputSpecs(options.output.length > 0 ? options.output : ['table']);
  if (!specs.ok) throw new UsageError(specs.error);
  const outputs: { format: ReportFormat; file?: string }[] = specs.value.map((s) => ({ ...s }));
  if (options.outputFile !== undefined) {
    const target = outputs.find((o) => o.file === undefined);
    if (!target)
      throw new UsageError('--output-file given but every -o already names its file (use -o FORMAT=FILE)');
    target.file = options.outputFile;
  }
  const recording =
    options.db !== undefined || options.dbCluster !== undefined
      ? await import('./record.js').then((m) => m.prepareRecording(options, io))
      : undefined;

  let report: ScanReport;
  try {
    const assessment = await assessScan(paths, options, io);
    report = assessment.report;
    await writeOutputs(report, outputs, options, io);
    if (recording) await recording.record(paths, assessment);
  } finally {
    await recording?.close();
  }

  if (report.inputErrors.length > 0 && !options.ignoreInputErrors) return 2;
  const threshold: Severity | undefined = failOn === 'none' ? undefined : failOn;
  if (threshold && report.findings.some((f) => !f.suppressed && severityAtLeast(f.severity, threshold)))
    return 1;
  return 0;
}

/**
 * Reads the objects (files, live cluster or snapshot), evaluates controls and policies,
 * applies exceptions and scores: everything `scan` does before rendering. Drift reuses it to
 * assess a directory or snapshot on the fly.
 */
export async function assessScan(
  paths: string[],
  options: Omit<ScanOptions, 'failOn' | 'output'>,
  io: CliIO,
): Promise<ScanAssessment> {
  const selection = selectFrameworks(options.framework ?? []);
  if (!selection.ok) throw new UsageError(selection.error);
  const scanDate = options.scanDate ?? (options.today ?? utcToday)();
  if (!/^\d{4}-\d{2}-\d{2}$/.test(scanDate) || Number.isNaN(Date.parse(scanDate)))
    throw new UsageError(`--scan-date must be a date YYYY-MM-DD (got "${scanDate}")`);
  const config = await readScanConfig(io, options.config);
  const rules = await readExceptions(io, options.exceptions);
  if (!options.images) {
    const flags: [string, unknown][] = [
      ['--vuln-db', options.vulnDb],
      ['--severity', options.severity],
      ['--unscanned-severity', options.unscannedSeverity],
      ['--max-db-age', options.maxDbAge],
      ['--platform', options.platform],
      ['--registry-ca', options.registryCa],
      ['--cache-dir', options.cacheDir],
      ['--ignore-unfixed', options.ignoreUnfixed === true ? true : undefined],
      ['--plain-http', options.plainHttp === true ? true : undefined],
      ['--vex', options.vex?.length ? options.vex : undefined],
      ['--image-concurrency', options.imageConcurrency],
      ['--registry-timeout', options.registryTimeout],
      ['--username', options.username],
      ['--password-stdin', options.passwordStdin === true ? true : undefined],
      ['--auth-registry', options.authRegistry],
    ];
    const given = flags.filter(([, v]) => v !== undefined).map(([f]) => f);
    if (given.length > 0)
      throw new UsageError(`${given.join(', ')} ${given.length === 1 ? 'needs' : 'need'} --images`);
  }
  if (options.passwordStdin === true && paths.includes('-'))
    throw new UsageError(
      '--password-stdin and - both read standard input: give the manifests as a file or folder',
    );
  // Opened before anything is read: a missing vulnerability database fails in a moment, not
  // after minutes of reading a cluster.
  const imageScan = options.images
    ? await (await import('./scan-images.js')).prepareImageScan(options, io)
    : undefined;
  try {
    return await assessWith(paths, options, io, {
      selection: selection.value,
      scanDate,
      config,
      rules,
      imageScan,
    });
  } finally {
    imageScan?.close();
  }
}

async function assessWith(
  paths: string[],
  options: Omit<ScanOptions, 'failOn' | 'output'>,
  io: CliIO,
  prepared: {
    selection: Extract<ReturnType<typeof selectFrameworks>, { ok: true }>['value'];
    scanDate: string;
    config: ScanConfig | undefined;
    rules: ExceptionRule[];
    imageScan: PreparedImageScan | undefined;
  },
): Promise<ScanAssessment> {
  const { selection, scanDate, config, rules, imageScan } = prepared;
  if (config && !options.quiet) {
    // One Config serves `scan` and `node scan`: the node controls' settings are known ids too.
    const unknown = unknownSettingIds(config, new Set([...CATALOG, ...NODE_CONTROLS].map((c) => c.id)));
    for (const id of unknown)
      io.stderr.write(`palisade: warning: settings for unknown control ${id} in ${options.config ?? ''}\n`);
  }

  checkClusterOptions(paths, options);
  let loaded: { inventory: Inventory; inputErrors: InputIssue[] };
  let cluster: ScanAssessment['cluster'];
  const snapshot =
    options.snapshot ??
    (options.cluster ? undefined : await snapshotAmongPaths(paths, io, options.quiet === true));
  if (options.cluster || snapshot !== undefined) {
    const source =
      snapshot !== undefined ? await loadSnapshotSource(snapshot, io) : await loadClusterSource(options, io);
    loaded = source;
    cluster = {
      server: source.server,
      context: source.context,
      ...(snapshot !== undefined ? { snapshot } : {}),
    };
  } else {
    const progress = progressReporter(
      options.quiet ? { write: () => undefined } : io.stderr,
      'Reading manifests',
    );
    loaded = await loadFiles(paths.length > 0 ? paths : ['.'], {
      cwd: io.cwd,
      readStdin: () => io.readStdin(),
      onProgress: (done, total) => {
        progress.update(done, total);
      },
    });
    progress.done();
    markSnapshots(loaded);
  }
  requireObjects(
    loaded,
    describeSource(paths, { ...options, ...(snapshot !== undefined ? { snapshot } : {}) }),
    io,
  );

  loaded.inventory.facts.scanDate = scanDate;
  if (config?.kubernetesVersion !== undefined && loaded.inventory.facts.kubernetesVersion === undefined)
    loaded.inventory.facts.kubernetesVersion = config.kubernetesVersion;
  const controls = selection.controls;
  const evaluation = evaluateControls(loaded.inventory, controls, {
    settings: config?.settings ?? {},
    checkpoint: () => {
      checkHeap('evaluating controls');
    },
  });
  const policies = options.policy?.length
    ? await (
        await import('./policy-scan.js')
      ).scanWithPolicies(options.policy, loaded.inventory, io, {
        autogen: options.policyAutogen !== false,
      })
    : undefined;
  if (policies) {
    evaluation.findings.push(...policies.findings);
    loaded.inputErrors.push(...policies.inputErrors);
  }
  // The CIS flag checks on control-plane components the inventory holds as objects (static
  // pods, kube-proxy's DaemonSet): the node checks that need no node. Not part of the scores.
  const components = selection.sets.some((s) => s.framework === 'cis-1.10')
    ? evaluateComponentWorkloads(componentWorkloads(loaded.inventory))
    : [];
  evaluation.findings.push(...componentWorkloadFindings(components));
  const componentControls = new Map(
    components.flatMap((c) => toReportControls(c.results)).map((c) => [c.id, c] as const),
  );
  const namespaces = options.namespace?.length ? new Set(options.namespace) : undefined;
  // A Namespace object is in the scope of itself: `-n shop` keeps shop's own findings
  // (e.g. its missing default-deny policy).
  const scopeOf = (ref: ResourceRef): string | undefined =>
    ref.kind === 'Namespace' && ref.apiVersion === 'v1' ? ref.name : ref.namespace;
  const inScope = (ref: ResourceRef): boolean => !namespaces || namespaces.has(scopeOf(ref) ?? '');
  const resources = loaded.inventory.resources.filter((r) => inScope(r.ref));
  const images = imageScan ? await imageScan.run(resources) : undefined;
  if (images) evaluation.findings.push(...images.findings);
  const excepted = applyExceptions(
    evaluation.findings.filter((f) => inScope(f.resource)),
    resources,
    rules,
    { today: scanDate, allowAnnotations: options.allowAnnotationExceptions === true },
  );
  const findings = excepted.findings;
  const scores = scoreFrameworks(selection.sets, findings, applicableControls(resources, controls));
  if (!options.quiet) {
    for (const r of excepted.expired)
      io.stderr.write(
        `palisade: warning: exception for ${r.controlId} expired on ${r.expires ?? ''} and no longer applies\n`,
      );
    for (const r of excepted.unused)
      io.stderr.write(`palisade: warning: exception for ${r.controlId} matched no finding\n`);
    if (excepted.ignoredAnnotations.length > 0)
      io.stderr.write(
        `palisade: warning: ${excepted.ignoredAnnotations.length} exception annotation(s) ignored; pass --allow-annotation-exceptions to honour them\n`,
      );
  }
  const inputErrors = [
    ...loaded.inputErrors,
    ...evaluation.errors.map((e) => ({
      file: e.resource?.source?.file ?? '<evaluation>',
      message: `control ${e.controlId} failed to evaluate${e.resource ? ` on ${e.resource.ref.kind} ${e.resource.ref.name}` : ''}: ${e.message}`,
    })),
  ];
  const report = buildReport({
    resources: resources.map((r) => r.ref),
    findings,
    inputErrors,
    controls: controls
      .map((c) => ({
        id: c.id,
        title: c.title,
        severity: c.severity,
        rationale: c.rationale,
        remediation: c.remediation,
        frameworks: [...c.frameworks],
      }))
      .concat(policies?.controls ?? [], [...componentControls.values()], imageScan?.controls ?? []),
    scores,
    scanDate,
    ...(rules.length > 0 || excepted.ignoredAnnotations.length > 0
      ? {
          exceptions: {
            expired: excepted.expired,
            unused: excepted.unused,
            ignoredAnnotations: excepted.ignoredAnnotations,
          },
        }
      : {}),
    tool: { name: 'palisade', version: palisadeVersion() },
  });
  report.networkIsolation = namespaceIsolationOf(loaded.inventory);
  if (images) report.images = images.summary;
  return {
    report,
    inventory: loaded.inventory,
    ...(cluster ? { cluster } : {}),
    ...(images
      ? {
          images: {
            scanned: images.scanned,
            ...(images.vulnDbTime !== undefined ? { vulnDbTime: images.vulnDbTime } : {}),
          },
        }
      : {}),
  };
}

/** Writes every requested format, streaming where the format allows. */
async function writeOutputs(
  report: ScanReport,
  outputs: readonly { format: ReportFormat; file?: string }[],
  options: ScanOptions,
  io: CliIO,
): Promise<void> {
  for (const out of outputs) {
    const color = out.file === undefined && useColor(io.stdout, io.env);
    const render = { color, scanRoot: io.cwd };
    // Reports are written in pieces: one can be many times the size of its input.
    const check = (): void => {
      checkHeap(`writing the ${out.format} report`);
    };
    if (out.file === undefined) {
      let last = '';
      const stdout = bufferedWriter((t) => {
        io.stdout.write(t);
      });
      writeReport(
        out.format,
        report,
        (t) => {
          if (t !== '') last = t;
          stdout.write(t);
        },
        render,
        check,
      );
      if (!last.endsWith('\n')) stdout.write('\n');
      stdout.flush();
    } else {
      const target = path.resolve(io.cwd, out.file);
      if (io.openFile) {
        const file = await io.openFile(target);
        const buffered = bufferedWriter((t) => {
          file.write(t);
        });
        writeReport(out.format, report, buffered.write, render, check);
        buffered.flush();
        await file.close();
      } else {
        const parts: string[] = [];
        writeReport(out.format, report, (t) => parts.push(t), render, check);
        await io.writeFile(target, parts.join(''));
      }
      if (!options.quiet) io.stderr.write(`Wrote ${out.format} report to ${out.file}\n`);
    }
  }
}
