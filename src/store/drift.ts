/**
 * Drift between two assessments (pure): findings opened and closed (by fingerprint, suppressed
 * ones left out on both sides), RBAC rights gained and lost per subject, and allowed
 * connections added and removed, and the image each workload container runs (changed, added,
 * removed), each only when both sides recorded them.
 */
import { SEVERITIES, severityAtLeast, type Severity } from '../core/index.js';
import type { RbacGrantRow, ReachabilityRow, WorkloadImageRow } from './types.js';

/** A finding as drift compares and shows it. */
export interface DriftFinding {
  fingerprint: string;
  controlId: string;
  severity: Severity;
  namespace: string;
  kind: string;
  name: string;
  fieldPath: string;
  title: string;
  location?: string;
  suppressed?: boolean;
  /** The last write to the object, when an audit log was given. */
  changedBy?: { user: string; time: string; verb: string };
}

/** One side of a comparison: a stored scan, a snapshot or a directory assessed on the fly. */
export interface DriftSide {
  /** How the side was named on the command line, with what it resolved to. */
  label: string;
  findings: readonly DriftFinding[];
  rbacGrants?: readonly RbacGrantRow[] | undefined;
  reachability?: readonly ReachabilityRow[] | undefined;
  /** The images each workload's containers run; absent when the side did not list them. */
  images?: readonly WorkloadImageRow[] | undefined;
}

/** An image as drift shows it: the reference and, when known, the digest. */
export interface DriftImage {
  image: string;
  digest?: string;
}

/** One container whose image changed between the sides. */
export interface ImageChange {
  kind: string;
  namespace: string;
  name: string;
  container: string;
  from: DriftImage;
  to: DriftImage;
}

/** Images changed, added (a new workload or container) and removed, per workload container. */
export interface ImagesDrift {
  changed: ImageChange[];
  added: WorkloadImageRow[];
  removed: WorkloadImageRow[];
}

/** Rights one subject gained and lost. */
export interface SubjectDrift {
  subject: string;
  gained: Omit<RbacGrantRow, 'subject'>[];
  lost: Omit<RbacGrantRow, 'subject'>[];
}

/** The difference between two sides; the JSON form is `kind: Drift`. */
export interface DriftReport {
  apiVersion: 'palisade.dev/v1';
  kind: 'Drift';
  base: string;
  head: string;
  findings: { opened: DriftFinding[]; closed: DriftFinding[]; unchanged: number };
  /** Absent when a side did not record RBAC grants; `notes` says which. */
  rbac?: SubjectDrift[];
  /** Absent when a side did not record reachability; `notes` says which. */
  reachability?: { added: ReachabilityRow[]; removed: ReachabilityRow[] };
  /** Absent when a side did not list its workload images; `notes` says which. */
  images?: ImagesDrift;
  notes: string[];
}

function bySeverity(a: DriftFinding, b: DriftFinding): number {
  return (
    SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) ||
    a.controlId.localeCompare(b.controlId) ||
    a.namespace.localeCompare(b.namespace) ||
    a.name.localeCompare(b.name) ||
    a.fieldPath.localeCompare(b.fieldPath)
  );
}

function grantKey(g: RbacGrantRow): string {
  return `${g.subject}\u0000${g.namespace}\u0000${g.rule}\u0000${g.via}`;
}

function reachKey(r: ReachabilityRow): string {
  return `${r.src}\u0000${r.dst}\u0000${r.conn}`;
}

function containerKey(r: WorkloadImageRow): string {
  return `${r.namespace}\u0000${r.kind}\u0000${r.name}\u0000${r.container}`;
}

function imageOf(r: WorkloadImageRow): DriftImage {
  return r.digest !== undefined ? { image: r.image, digest: r.digest } : { image: r.image };
}

function byContainer(
  x: { namespace: string; kind: string; name: string; container: string },
  y: { namespace: string; kind: string; name: string; container: string },
): number {
  return (
    x.namespace.localeCompare(y.namespace) ||
    x.kind.localeCompare(y.kind) ||
    x.name.localeCompare(y.name) ||
    x.container.localeCompare(y.container)
  );
}

/**
 * Images changed per workload container (pure): a container whose reference differs, or whose
 * digest differs where both sides know it, changed; one only on the head side was added, one
 * only on the base side removed. A digest learned or lost alone (a Pod that started or went
 * away) is no change.
 */
export function compareImages(
  base: readonly WorkloadImageRow[],
  head: readonly WorkloadImageRow[],
): ImagesDrift {
  const b = new Map(base.map((r) => [containerKey(r), r]));
  const h = new Map(head.map((r) => [containerKey(r), r]));
  const changed: ImageChange[] = [];
  const added: WorkloadImageRow[] = [];
  for (const [k, to] of h) {
    const from = b.get(k);
    if (!from) {
      added.push(to);
      continue;
    }
    const digestDiffers = from.digest !== undefined && to.digest !== undefined && from.digest !== to.digest;
    if (from.image !== to.image || digestDiffers)
      changed.push({
        kind: to.kind,
        namespace: to.namespace,
        name: to.name,
        container: to.container,
        from: imageOf(from),
        to: imageOf(to),
      });
  }
  const removed = [...b].filter(([k]) => !h.has(k)).map(([, r]) => r);
  return {
    changed: changed.sort(byContainer),
    added: added.sort(byContainer),
    removed: removed.sort(byContainer),
  };
}

/** Compares two sides (pure). */
export function computeDrift(base: DriftSide, head: DriftSide): DriftReport {
  const open = (side: DriftSide): Map<string, DriftFinding> =>
    new Map(side.findings.filter((f) => f.suppressed !== true).map((f) => [f.fingerprint, f]));
  const before = open(base);
  const after = open(head);
  const opened = [...after.values()].filter((f) => !before.has(f.fingerprint)).sort(bySeverity);
  const closed = [...before.values()].filter((f) => !after.has(f.fingerprint)).sort(bySeverity);
  const notes: string[] = [];
  const report: DriftReport = {
    apiVersion: 'palisade.dev/v1',
    kind: 'Drift',
    base: base.label,
    head: head.label,
    findings: { opened, closed, unchanged: after.size - opened.length },
    notes,
  };

  if (base.rbacGrants && head.rbacGrants) {
    const b = new Map(base.rbacGrants.map((g) => [grantKey(g), g]));
    const h = new Map(head.rbacGrants.map((g) => [grantKey(g), g]));
    const subjects = new Map<string, SubjectDrift>();
    const entry = (s: string): SubjectDrift => {
      let e = subjects.get(s);
      if (!e) subjects.set(s, (e = { subject: s, gained: [], lost: [] }));
      return e;
    };
    for (const [k, g] of h)
      if (!b.has(k)) entry(g.subject).gained.push({ namespace: g.namespace, rule: g.rule, via: g.via });
    for (const [k, g] of b)
      if (!h.has(k)) entry(g.subject).lost.push({ namespace: g.namespace, rule: g.rule, via: g.via });
    const order = (x: Omit<RbacGrantRow, 'subject'>, y: Omit<RbacGrantRow, 'subject'>): number =>
      x.namespace.localeCompare(y.namespace) || x.rule.localeCompare(y.rule) || x.via.localeCompare(y.via);
    report.rbac = [...subjects.values()]
      .map((s) => ({ ...s, gained: s.gained.sort(order), lost: s.lost.sort(order) }))
      .sort((x, y) => x.subject.localeCompare(y.subject));
  } else {
    notes.push(`RBAC not compared: ${base.rbacGrants ? head.label : base.label} has no recorded grants`);
  }

  if (base.reachability && head.reachability) {
    const b = new Set(base.reachability.map(reachKey));
    const h = new Set(head.reachability.map(reachKey));
    const order = (x: ReachabilityRow, y: ReachabilityRow): number =>
      x.src.localeCompare(y.src) || x.dst.localeCompare(y.dst) || x.conn.localeCompare(y.conn);
    report.reachability = {
      added: head.reachability.filter((r) => !b.has(reachKey(r))).sort(order),
      removed: base.reachability.filter((r) => !h.has(reachKey(r))).sort(order),
    };
  } else {
    notes.push(
      `reachability not compared: ${base.reachability ? head.label : base.label} has no recorded reachability`,
    );
  }

  if (base.images && head.images) report.images = compareImages(base.images, head.images);
  else
    notes.push(
      `images not compared: ${base.images ? head.label : base.label} has no recorded workload images (scans recorded before this version do not list them)`,
    );
  return report;
}

/** True when a finding opened at or above the threshold. */
export function driftFailsOn(report: DriftReport, threshold: Severity): boolean {
  return report.findings.opened.some((f) => severityAtLeast(f.severity, threshold));
}
