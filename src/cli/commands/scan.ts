import path from 'node:path';
import {
  isSeverity,
  severityAtLeast,
  UsageError,
  type InputIssue,
  type Inventory,
  type Severity,
} from '../../core/index.js';
import { CATALOG, evaluateControls } from '../../controls/index.js';
import { loadFiles } from '../../load/index.js';
import { buildReport, parseOutputSpecs, renderReport, type ReportFormat } from '../../report/index.js';
import { useColor, type CliIO } from '../io.js';
import { progressReporter } from '../progress.js';
import { palisadeVersion } from '../version.js';
import {
  checkClusterOptions,
  loadClusterSource,
  loadSnapshotSource,
  type ClusterSourceOptions,
} from './cluster-source.js';

/** Options of `palisade scan`, as parsed from the command line. */
export interface ScanOptions extends Omit<ClusterSourceOptions, 'namespace' | 'quiet'> {
  failOn: string;
  output: string[];
  outputFile?: string;
  namespace?: string[];
  quiet?: boolean;
  ignoreInputErrors?: boolean;
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

  checkClusterOptions(paths, options);
  let loaded: { inventory: Inventory; inputErrors: InputIssue[] };
  if (options.cluster || options.snapshot !== undefined) {
    loaded =
      options.snapshot !== undefined
        ? await loadSnapshotSource(options.snapshot, io)
        : await loadClusterSource(options, io);
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
  }

  const evaluation = evaluateControls(loaded.inventory, CATALOG);
  const namespaces = options.namespace?.length ? new Set(options.namespace) : undefined;
  const inScope = (ns: string | undefined): boolean => !namespaces || namespaces.has(ns ?? '');
  const resources = loaded.inventory.resources.filter((r) => inScope(r.ref.namespace));
  const findings = evaluation.findings.filter((f) => inScope(f.resource.namespace));
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
    controls: CATALOG.map((c) => ({
      id: c.id,
      title: c.title,
      severity: c.severity,
      rationale: c.rationale,
      remediation: c.remediation,
      frameworks: [...c.frameworks],
    })),
    tool: { name: 'palisade', version: palisadeVersion() },
  });

  for (const out of outputs) {
    const color = out.file === undefined && useColor(io.stdout, io.env);
    const text = renderReport(out.format, report, { color, scanRoot: io.cwd });
    if (out.file === undefined) io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    else {
      await io.writeFile(path.resolve(io.cwd, out.file), text);
      if (!options.quiet) io.stderr.write(`Wrote ${out.format} report to ${out.file}\n`);
    }
  }

  if (report.inputErrors.length > 0 && !options.ignoreInputErrors) return 2;
  const threshold: Severity | undefined = failOn === 'none' ? undefined : failOn;
  if (threshold && report.findings.some((f) => !f.suppressed && severityAtLeast(f.severity, threshold)))
    return 1;
  return 0;
}
