import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { formatRef, InputError, isSeverity, UsageError } from '../../core/index.js';
import {
  computeDrift,
  driftFailsOn,
  findingFingerprint,
  findingNamespace,
  LastWriters,
  parseScanRef,
  type DriftFinding,
  type DriftReport,
  type DriftSide,
  type Store,
} from '../../store/index.js';
import { systemErrorText, type CliIO } from '../io.js';
import { openCliStore, rbacGrantRows, reachabilityRows, workloadImageRows } from './record.js';
import { assessScan } from './scan.js';
import { columns, inert, parseStoreOutputs, shortTime, writeStoreOutputs } from './store-output.js';

/** Options of `palisade drift`. */
export interface DriftOptions {
  db?: string;
  cluster?: string;
  failOnNew: string;
  framework?: string[];
  output: string[];
  outputFile?: string;
  quiet?: boolean;
  /** `--audit-log FILE`: who last wrote each changed object. */
  auditLog?: string;
  /** For a `live` side: kubeconfig context, file and request timeout. */
  context?: string;
  kubeconfig?: string;
  requestTimeout?: string;
}

/** Adds the last writer of each opened and closed finding's object from an audit log. */
async function attributeChanges(report: DriftReport, file: string, io: CliIO): Promise<void> {
  const changed = [...report.findings.opened, ...report.findings.closed];
  const writers = new LastWriters(changed);
  const target = path.resolve(io.cwd, file);
  try {
    const lines = createInterface({ input: createReadStream(target), crlfDelay: Infinity });
    for await (const line of lines) writers.add(line);
  } catch (e) {
    throw new InputError(`${file}: cannot read the audit log: ${systemErrorText(e)}`);
  }
  let found = 0;
  for (const f of changed) {
    const by = writers.of(f);
    if (by) {
      f.changedBy = by;
      found++;
    }
  }
  report.notes.push(
    `${found} of ${changed.length} changed finding(s) attributed from the audit log ${file} (last write to the object)`,
  );
}

async function kindOf(io: CliIO, arg: string): Promise<'file' | 'dir' | undefined> {
  try {
    const s = await stat(path.resolve(io.cwd, arg));
    return s.isDirectory() ? 'dir' : 'file';
  } catch {
    return undefined;
  }
}

/** The side argument that names the live cluster of the kubeconfig context. */
export const LIVE_SIDE = 'live';

async function assessedSide(
  arg: string,
  kind: 'file' | 'dir' | 'live',
  options: DriftOptions,
  io: CliIO,
): Promise<DriftSide> {
  const a = await assessScan(
    kind === 'dir' ? [arg] : [],
    {
      ...(kind === 'file' ? { snapshot: arg } : {}),
      ...(kind === 'live'
        ? {
            cluster: true,
            ...(options.context !== undefined ? { context: options.context } : {}),
            ...(options.kubeconfig !== undefined ? { kubeconfig: options.kubeconfig } : {}),
            ...(options.requestTimeout !== undefined ? { requestTimeout: options.requestTimeout } : {}),
          }
        : {}),
      quiet: true,
      framework: options.framework ?? [],
    },
    io,
  );
  if (a.report.inputErrors.length > 0) {
    const first = a.report.inputErrors[0];
    throw new InputError(
      `${arg}: ${a.report.inputErrors.length} input error(s), first ${first?.file ?? ''}${first?.line ? `:${first.line}` : ''}: ${first?.message ?? ''}; fix them so drift compares whole assessments`,
    );
  }
  return {
    label:
      kind === 'live'
        ? `live cluster${a.cluster?.context ? ` (context ${a.cluster.context})` : ''}`
        : kind === 'dir'
          ? `${arg} (manifests)`
          : `${arg} (snapshot)`,
    findings: a.report.findings.map((f) => ({
      fingerprint: findingFingerprint(f),
      controlId: f.controlId,
      severity: f.severity,
      namespace: findingNamespace(f.resource),
      kind: f.resource.kind,
      name: f.resource.name,
      fieldPath: f.fieldPath ?? '',
      title: f.title,
      ...(f.location ? { location: `${f.location.file}:${f.location.line}:${f.location.column}` } : {}),
      ...(f.suppressed ? { suppressed: true } : {}),
    })),
    rbacGrants: rbacGrantRows(a.inventory),
    reachability: reachabilityRows(a.inventory),
    images: workloadImageRows(a.inventory),
  };
}

async function storedSide(arg: string, store: Store, cluster: string | undefined): Promise<DriftSide> {
  const ref = parseScanRef(arg);
  if (!ref)
    throw new UsageError(
      `${arg}: not a scan id, latest, latest~N, nor an existing snapshot file or manifest directory`,
    );
  const found = await store.resolveScan(ref, cluster);
  if (!found.ok) throw new UsageError(`${arg}: ${found.error}`);
  const scan = found.scan;
  return {
    label: `scan ${scan.id} (${scan.cluster}, ${shortTime(scan.time)} UTC)`,
    findings: await store.scanFindings(scan.id),
    rbacGrants: await store.scanRbacGrants(scan.id),
    reachability: await store.scanReachability(scan.id),
    images: await store.scanImages(scan.id),
  };
}

/** Renders a drift report for people. */
export function renderDriftTable(d: DriftReport): string {
  const out: string[] = [`Drift from ${inert(d.base)} to ${inert(d.head)}`, ''];
  const f = d.findings;
  out.push(`Findings: ${f.opened.length} opened, ${f.closed.length} closed, ${f.unchanged} unchanged`);
  const rows: (readonly ['+' | '-', DriftFinding])[] = [
    ...f.opened.map((x) => ['+', x] as const),
    ...f.closed.map((x) => ['-', x] as const),
  ];
  const attributed = rows.some(([, x]) => x.changedBy !== undefined);
  if (rows.length > 0)
    out.push(
      columns(
        ['', 'SEVERITY', 'CONTROL', 'OBJECT', 'FIELD', 'TITLE', ...(attributed ? ['CHANGED BY'] : [])],
        rows.map(([sign, x]) => [
          sign,
          x.severity,
          x.controlId,
          formatRef({
            apiVersion: '',
            kind: x.kind,
            name: x.name,
            ...(x.namespace && x.kind !== 'Namespace' ? { namespace: x.namespace } : {}),
          }),
          x.fieldPath || '-',
          x.title,
          ...(attributed
            ? [x.changedBy ? `${inert(x.changedBy.user)} ${x.changedBy.verb} ${x.changedBy.time}` : '-']
            : []),
        ]),
      ).trimEnd(),
    );
  if (d.rbac) {
    out.push('', `RBAC: ${d.rbac.length} subject(s) changed`);
    for (const s of d.rbac) {
      out.push(`  ${inert(s.subject)}`);
      for (const [sign, list] of [
        ['+', s.gained],
        ['-', s.lost],
      ] as const)
        for (const g of list)
          out.push(
            `    ${sign} ${g.namespace === '' ? 'cluster-wide' : `in ${inert(g.namespace)}`}: ${inert(g.rule)}  [${inert(g.via)}]`,
          );
    }
  }
  if (d.reachability) {
    const r = d.reachability;
    out.push('', `Reachability: ${r.added.length} added, ${r.removed.length} removed`);
    for (const [sign, list] of [
      ['+', r.added],
      ['-', r.removed],
    ] as const)
      for (const c of list) out.push(`  ${sign} ${inert(c.src)} => ${inert(c.dst)} : ${inert(c.conn)}`);
  }
  if (d.images) {
    const im = d.images;
    out.push(
      '',
      `Images: ${im.changed.length} changed, ${im.added.length} added, ${im.removed.length} removed`,
    );
    const where = (x: { kind: string; namespace: string; name: string; container: string }): string =>
      `${formatRef({
        apiVersion: '',
        kind: x.kind,
        name: x.name,
        ...(x.namespace ? { namespace: x.namespace } : {}),
      })} container ${inert(x.container)}`;
    const shown = (x: { image: string; digest?: string | undefined }): string =>
      x.digest !== undefined && !x.image.includes(x.digest)
        ? `${inert(x.image)} (${inert(x.digest)})`
        : inert(x.image);
    for (const c of im.changed) out.push(`  ~ ${where(c)}: ${shown(c.from)} → ${shown(c.to)}`);
    for (const a of im.added) out.push(`  + ${where(a)}: ${shown(a)}`);
    for (const r of im.removed) out.push(`  - ${where(r)}: ${shown(r)}`);
  }
  for (const n of d.notes) out.push('', `Note: ${n}`);
  return `${out.join('\n')}\n`;
}

/** Runs `palisade drift A B`: 0 compared, 1 a new finding at or above --fail-on-new, 2 usage or input error. */
export async function runDrift(
  base: string,
  head: string,
  options: DriftOptions,
  io: CliIO,
): Promise<number> {
  const outputs = parseStoreOutputs(options.output, options.outputFile);
  const threshold = options.failOnNew;
  if (threshold !== 'none' && !isSeverity(threshold))
    throw new UsageError(
      `--fail-on-new must be one of critical, high, medium, low, info or none (got "${threshold}")`,
    );
  const kinds = [await kindOf(io, base), await kindOf(io, head)] as const;
  let store: Store | undefined;
  try {
    const side = async (arg: string, kind: 'file' | 'dir' | undefined): Promise<DriftSide> => {
      if (kind) return assessedSide(arg, kind, options, io);
      // `live` (when no file or folder has that name): the cluster of the kubeconfig context.
      if (arg === LIVE_SIDE) return assessedSide(arg, 'live', options, io);
      store ??= await openCliStore(options.db, io);
      return storedSide(arg, store, options.cluster);
    };
    const a = await side(base, kinds[0]);
    const b = await side(head, kinds[1]);
    const report = computeDrift(a, b);
    if (options.auditLog !== undefined) await attributeChanges(report, options.auditLog, io);
    await writeStoreOutputs(outputs, io, report, () => renderDriftTable(report));
    return threshold !== 'none' && isSeverity(threshold) && driftFailsOn(report, threshold) ? 1 : 0;
  } finally {
    await store?.close();
  }
}
