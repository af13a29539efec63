/**
 * Glue between a finished scan and the history store: the rows recorded besides the report
 * (RBAC grants, reachability) and the `--db` handling shared by `scan`, `history` and `drift`.
 */
import { homedir } from 'node:os';
import path from 'node:path';
import {
  containersOf,
  podTemplateOf,
  UsageError,
  type Inventory,
  type KubeObject,
  type Resource,
} from '../../core/index.js';
import { analyzeInventory, connList } from '../../network/index.js';
import { allBindings, bindingLabel, buildRbacModel, formatRule, roleLabel } from '../../rbac/index.js';
import { findingSeverityOf, type ScannedImage } from '../../images/index.js';
import {
  openStore,
  resolveStoreTarget,
  type RbacGrantRow,
  type ReachabilityRow,
  type RetentionPolicy,
  type ImageResultInput,
  type ScanInput,
  type Store,
  type WorkloadImageRow,
} from '../../store/index.js';
import type { CliIO } from '../io.js';
import { palisadeVersion } from '../version.js';
import type { ScanAssessment, ScanOptions } from './scan.js';

/** Workload-like objects above which reachability is not recorded (its size grows with the square). */
const MAX_REACHABILITY_WORKLOADS = 2000;
const WORKLOAD_KINDS = new Set([
  'Pod',
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'Job',
  'CronJob',
]);

/** Opens the store named by `--db`, `PALISADE_DB` or the default file. */
export async function openCliStore(
  db: string | undefined,
  io: CliIO,
  retention: Partial<RetentionPolicy> = {},
): Promise<Store> {
  const target = resolveStoreTarget(db, io.env, io.env.HOME ?? homedir(), io.cwd);
  return openStore(target, { retention });
}

/** Every (subject, scope, rule, binding → role) an inventory's RBAC grants (pure). */
export function rbacGrantRows(inventory: Inventory): RbacGrantRow[] {
  const model = buildRbacModel(inventory);
  const out = new Map<string, RbacGrantRow>();
  for (const b of allBindings(model)) {
    const role = b.role;
    if (!role) continue;
    const via = `${bindingLabel(b)} → ${roleLabel(role)}`;
    const namespace = b.namespace ?? '';
    for (const s of b.subjects) {
      const ns = s.kind === 'ServiceAccount' ? (s.namespace ?? b.namespace ?? '') : '';
      const subject = `${s.kind}:${ns}:${s.name}`;
      for (const r of role.rules) {
        const row = { subject, namespace, rule: formatRule(r), via };
        out.set(`${subject}\u0000${namespace}\u0000${row.rule}\u0000${via}`, row);
      }
    }
  }
  return [...out.values()];
}

/** The allowed connections between workloads, or undefined when the inventory is too big to keep them (pure). */
export function reachabilityRows(inventory: Inventory): ReachabilityRow[] | undefined {
  let workloads = 0;
  for (const r of inventory.resources) if (WORKLOAD_KINDS.has(r.ref.kind)) workloads++;
  if (workloads > MAX_REACHABILITY_WORKLOADS) return undefined;
  const { analysis } = analyzeInventory(inventory, { granularity: 'workload' });
  return connList(analysis).map((l) => ({ src: l.src, dst: l.dst, conn: l.conn.toString() }));
}

/** Kinds whose containers run (a PodTemplate object only describes them). */
const RUNNING_KINDS = new Set([...WORKLOAD_KINDS, 'ReplicationController']);
const DIGEST = /sha256:[0-9a-f]{64}/;

/** The digest pinned in an image reference (`repo@sha256:…`), if any. */
function pinnedDigest(image: string): string | undefined {
  const at = image.lastIndexOf('@');
  if (at === -1) return undefined;
  const m = DIGEST.exec(image.slice(at + 1));
  return m?.[0];
}

/** The controller owner of an object (`ownerReferences[].controller`), when it is in the inventory. */
function controllerOf(inventory: Inventory, r: Resource): Resource | undefined {
  const owners: unknown = r.object.metadata?.ownerReferences;
  if (!Array.isArray(owners)) return undefined;
  for (const o of owners as unknown[]) {
    if (o === null || typeof o !== 'object') continue;
    const { kind, name, controller } = o as { kind?: unknown; name?: unknown; controller?: unknown };
    if (controller === true && typeof kind === 'string' && typeof name === 'string')
      return inventory.get(kind, r.ref.namespace, name);
  }
  return undefined;
}

/** Image digests a running Pod reports, by container name (`status.*containerStatuses[].imageID`). */
function reportedDigests(pod: KubeObject): Map<string, string> {
  const out = new Map<string, string>();
  const status = (pod as { status?: Record<string, unknown> }).status;
  if (status === null || typeof status !== 'object') return out;
  for (const field of ['initContainerStatuses', 'containerStatuses', 'ephemeralContainerStatuses']) {
    const list = status[field];
    if (!Array.isArray(list)) continue;
    for (const c of list as unknown[]) {
      if (c === null || typeof c !== 'object') continue;
      const { name, imageID } = c as { name?: unknown; imageID?: unknown };
      if (typeof name !== 'string' || typeof imageID !== 'string' || imageID.length > 1024) continue;
      const m = DIGEST.exec(imageID);
      if (m) out.set(name, m[0]);
    }
  }
  return out;
}

/**
 * The image each container of each workload runs (pure). An object a controller in the
 * inventory owns (a Deployment's ReplicaSets and Pods) is reported through its top owner, so a
 * rollout is one change on the Deployment, not Pods coming and going. The digest is the one
 * pinned in the reference, else the one the running Pods report when they all agree.
 */
export function workloadImageRows(inventory: Inventory): WorkloadImageRow[] {
  const top = (r: Resource): Resource => {
    let cur = r;
    for (let depth = 0; depth < 8; depth++) {
      const owner = controllerOf(inventory, cur);
      if (!owner || !RUNNING_KINDS.has(owner.ref.kind)) return cur;
      cur = owner;
    }
    return cur;
  };
  const key = (r: Resource, container: string): string =>
    `${r.ref.kind}\u0000${r.ref.namespace ?? ''}\u0000${r.ref.name}\u0000${container}`;
  // Digests the Pods report, gathered on their top owner's containers (several: no answer).
  const reported = new Map<string, Set<string>>();
  for (const pod of inventory.byKind('Pod')) {
    const digests = reportedDigests(pod.object);
    if (digests.size === 0) continue;
    const owner = top(pod);
    for (const [container, digest] of digests) {
      const k = key(owner, container);
      let set = reported.get(k);
      if (!set) reported.set(k, (set = new Set()));
      set.add(digest);
    }
  }
  const rows = new Map<string, WorkloadImageRow>();
  for (const r of inventory.resources) {
    if (!RUNNING_KINDS.has(r.ref.kind) || top(r) !== r) continue;
    const template = podTemplateOf(r.object);
    if (!template) continue;
    for (const { container } of containersOf(template)) {
      if (typeof container.image !== 'string' || container.image === '') continue;
      const name = typeof container.name === 'string' ? container.name : '';
      const k = key(r, name);
      const seen = reported.get(k);
      const digest = pinnedDigest(container.image) ?? (seen?.size === 1 ? [...seen][0] : undefined);
      rows.set(k, {
        kind: r.ref.kind,
        namespace: r.ref.namespace ?? '',
        name: r.ref.name,
        container: name,
        image: container.image,
        ...(digest !== undefined ? { digest } : {}),
      });
    }
  }
  return [...rows.values()];
}

/** The name a scan is recorded under: `--db-cluster`, the context, or the scanned paths. */
export function recordedClusterName(
  paths: readonly string[],
  a: ScanAssessment,
  cwd: string,
  name?: string,
): string {
  if (name !== undefined) return name;
  if (a.cluster) return a.cluster.context;
  const list = paths.length > 0 ? paths : ['.'];
  return `manifests:${list.map((p) => (p === '-' ? 'stdin' : path.resolve(cwd, p))).join(',')}`;
}

/** What the store records for one image scanned with `scan --images` (pure; shape in docs/store.md). */
export function imageResultOf(
  image: ScannedImage,
  at: { cluster: string; scanId: number; scannedAt: number; vulnDbTime?: number },
): ImageResultInput {
  const r = image.result;
  const platform = [r.config.os, r.config.architecture, r.config.variant].filter(Boolean).join('/');
  return {
    cluster: at.cluster,
    scanId: at.scanId,
    digest: image.digest,
    ref: image.ref,
    scannedAt: at.scannedAt,
    ...(r.distro?.prettyName !== undefined ? { os: r.distro.prettyName } : {}),
    packages: r.packages.length,
    ...(at.vulnDbTime !== undefined ? { vulnDbTime: at.vulnDbTime } : {}),
    vulnerabilities: r.findings.map((f) => ({
      vulnId: f.id,
      aliases: f.aliases ?? [],
      package: f.package.name,
      version: f.package.version,
      ...(f.fixedVersion !== undefined ? { fixedVersion: f.fixedVersion } : {}),
      severity: findingSeverityOf(f.severity),
      ...(f.cvssScore !== undefined ? { cvss: f.cvssScore } : {}),
      location: `${f.package.location.layerDigest ?? ''}:${f.package.location.path}`,
      ...(f.suppressed === true
        ? { suppressed: { justification: f.vex?.justification ?? f.vex?.status ?? 'not_affected' } }
        : {}),
    })),
    detail: {
      ...(platform !== '' ? { platform } : {}),
      references: image.references,
      ...(r.manifestDigest !== undefined && r.manifestDigest !== image.digest
        ? { manifestDigest: r.manifestDigest }
        : {}),
    },
  };
}

/** Builds what the store records for one assessment (pure). */
export function scanInputOf(
  paths: readonly string[],
  a: ScanAssessment,
  options: { dbCluster?: string; namespace?: string[]; cwd: string; time: number },
): ScanInput {
  const report = a.report;
  return {
    cluster: {
      name: recordedClusterName(paths, a, options.cwd, options.dbCluster),
      ...(a.cluster ? { server: a.cluster.server } : {}),
    },
    time: options.time,
    source: a.cluster ? (a.cluster.snapshot !== undefined ? 'snapshot' : 'cluster') : 'manifests',
    sourceDetail: a.cluster
      ? (a.cluster.snapshot ?? a.cluster.server)
      : (paths.length > 0 ? paths : ['.']).join(' '),
    palisadeVersion: report.tool?.version ?? palisadeVersion(),
    kubernetesVersion: a.inventory.facts.kubernetesVersion,
    ...(options.namespace?.length ? { scope: options.namespace } : {}),
    resources: report.summary.resources,
    inputErrors: report.inputErrors.length,
    findings: report.findings,
    scores: (report.scores ?? []).map((s) => ({
      framework: s.framework,
      score: s.score,
      passed: s.passed,
      failed: s.failed,
      applicable: s.applicable,
    })),
    ...(report.exceptions
      ? {
          exceptions: {
            expired: report.exceptions.expired.map((e) => ({ ...e })),
            unused: report.exceptions.unused.map((e) => ({ ...e })),
          },
        }
      : {}),
    rbacGrants: rbacGrantRows(a.inventory),
    reachability: reachabilityRows(a.inventory),
    images: workloadImageRows(a.inventory),
  };
}

/**
 * Opens the store before the scan (a wrong `--db` fails fast, before minutes of reading a
 * cluster) and returns the step that records the finished scan.
 */
export async function prepareRecording(
  options: ScanOptions,
  io: CliIO,
): Promise<{ record(paths: readonly string[], a: ScanAssessment): Promise<void>; close(): Promise<void> }> {
  for (const [flag, v] of [
    ['--retain-scans', options.retainScans],
    ['--retain-days', options.retainDays],
  ] as const)
    if (v !== undefined && (!Number.isInteger(v) || v < 1))
      throw new UsageError(`${flag} must be a whole number of at least 1 (got ${v})`);
  const store = await openCliStore(options.db, io, {
    ...(options.retainScans !== undefined ? { maxScans: options.retainScans } : {}),
    ...(options.retainDays !== undefined ? { maxScanAgeDays: options.retainDays } : {}),
  });
  return {
    close: () => store.close(),
    async record(paths, a) {
      {
        const input = scanInputOf(paths, a, {
          ...(options.dbCluster !== undefined ? { dbCluster: options.dbCluster } : {}),
          ...(options.namespace ? { namespace: options.namespace } : {}),
          cwd: io.cwd,
          time: (options.now ?? (() => new Date()))().getTime(),
        });
        const done = await store.recordScan(input);
        for (const image of a.images?.scanned ?? [])
          await store.recordImageResult(
            imageResultOf(image, {
              cluster: input.cluster.name,
              scanId: done.id,
              scannedAt: input.time,
              ...(a.images?.vulnDbTime !== undefined ? { vulnDbTime: a.images.vulnDbTime } : {}),
            }),
          );
        if (!options.quiet)
          io.stderr.write(
            `Recorded scan ${done.id} of ${input.cluster.name}: ${done.opened} new, ${done.resolved} resolved finding(s)${done.pruned > 0 ? `; ${done.pruned} old scan(s) pruned` : ''}\n`,
          );
      }
    },
  };
}
