import type { Finding, Severity } from '../core/index.js';

/** Where the store lives: a SQLite file or a PostgreSQL URL. */
export type StoreTarget = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };

/**
 * How much history is kept. Applied on every write, so the store never grows without bound:
 * scans (with their findings, grants and reachability rows) per cluster by count and age;
 * admission decisions, image results and alerts by age and row count.
 */
export interface RetentionPolicy {
  /** Scans kept per cluster, newest first. */
  maxScans: number;
  /** Scans older than this many days are deleted. */
  maxScanAgeDays: number;
  /** Admission decisions, image results and alerts older than this many days are deleted. */
  maxEventAgeDays: number;
  /** Rows kept per event table (admission decisions, image results, alerts). */
  maxEventRows: number;
}

/** The retention used when none is configured. */
export const DEFAULT_RETENTION: RetentionPolicy = {
  maxScans: 1000,
  maxScanAgeDays: 400,
  maxEventAgeDays: 90,
  maxEventRows: 1_000_000,
};

/** A framework score as recorded with a scan. */
export interface ScoreRow {
  framework: string;
  score: number;
  passed: number;
  failed: number;
  applicable: number;
}

/** An exception that was expired or matched nothing in a scan. */
export interface ExceptionRow {
  controlId: string;
  reason: string;
  owner: string;
  expires?: string | undefined;
}

/** One RBAC right of one subject, as drift compares them. */
export interface RbacGrantRow {
  /** `Kind:namespace:name` (namespace empty for users and groups). */
  subject: string;
  /** `''` cluster-wide, else the namespace. */
  namespace: string;
  rule: string;
  /** `binding → role`. */
  via: string;
}

/** One allowed connection between two endpoints. */
export interface ReachabilityRow {
  src: string;
  dst: string;
  conn: string;
}

/**
 * The image one container of one workload runs, as drift compares them: the reference as
 * written (manifests) or as the API returns it (clusters), and the digest when it is known
 * (pinned in the reference, or reported by a running Pod's container status).
 */
export interface WorkloadImageRow {
  kind: string;
  /** `''` for cluster-scoped objects (none run containers today, but the key stays total). */
  namespace: string;
  name: string;
  container: string;
  image: string;
  digest?: string | undefined;
}

/** Everything recorded for one scan; written in one transaction. */
export interface ScanInput {
  cluster: { name: string; server?: string | undefined };
  /** Milliseconds since the epoch. */
  time: number;
  source: string;
  sourceDetail: string;
  palisadeVersion: string;
  kubernetesVersion?: string | undefined;
  /** Namespaces the scan covered; absent for every namespace. */
  scope?: readonly string[] | undefined;
  resources: number;
  inputErrors: number;
  findings: readonly Finding[];
  scores: readonly ScoreRow[];
  exceptions?: { expired: readonly ExceptionRow[]; unused: readonly ExceptionRow[] } | undefined;
  /** Absent when the scan did not compute grants (drift then says so). */
  rbacGrants?: readonly RbacGrantRow[] | undefined;
  /** Absent when the scan did not compute reachability. */
  reachability?: readonly ReachabilityRow[] | undefined;
  /** The images each workload's containers run; absent when the scan did not list them. */
  images?: readonly WorkloadImageRow[] | undefined;
}

/** A recorded scan as history lists it. */
export interface ScanSummary {
  id: number;
  cluster: string;
  time: number;
  source: string;
  sourceDetail: string;
  palisadeVersion: string;
  kubernetesVersion?: string;
  scope?: string[];
  resources: number;
  /** Unsuppressed findings of the scan. */
  findings: number;
  suppressed: number;
  bySeverity: Record<Severity, number>;
  inputErrors: number;
  scores: ScoreRow[];
  rbacGrants: number | null;
  reachability: number | null;
}

/** A finding as the store keeps it, with its life across scans. */
export interface StoredFinding {
  fingerprint: string;
  controlId: string;
  severity: Severity;
  /** The namespace, the Namespace's own name for a Namespace object, `''` when cluster-scoped. */
  namespace: string;
  apiVersion: string;
  kind: string;
  name: string;
  fieldPath: string;
  title: string;
  message: string;
  location?: string;
  firstSeen: number;
  lastSeen: number;
  resolvedAt?: number;
  suppressed: boolean;
}

/** An admission decision as the webhook's decision log produces it (structurally its `DecisionEvent`). */
export interface AdmissionDecisionInput {
  /** ISO 8601 time. */
  time: string;
  uid: string;
  endpoint: string;
  operation: string;
  kind: string;
  resource: string;
  namespace: string;
  name: string;
  username: string;
  result: string;
  exempt?: string | undefined;
  patched: boolean;
  violations: readonly { controlId: string }[];
  policyDecisions: readonly unknown[];
  errors: readonly unknown[];
}

/** A stored admission decision. */
export interface AdmissionDecisionRow {
  time: number;
  uid: string;
  operation: string;
  kind: string;
  namespace: string;
  name: string;
  username: string;
  result: string;
  controls: string[];
}

/** One vulnerability of an image, the shape agreed with the supply-chain work (docs/store.md). */
export interface ImageVulnerabilityInput {
  vulnId: string;
  aliases: readonly string[];
  package: string;
  version: string;
  fixedVersion?: string | undefined;
  severity: Severity;
  cvss?: number | undefined;
  /** `layer-digest:path`. */
  location: string;
  suppressed?: { justification: string } | undefined;
}

/** The result of scanning one image, the shape agreed with the supply-chain work (docs/store.md). */
export interface ImageResultInput {
  cluster?: string | undefined;
  scanId?: number | undefined;
  digest: string;
  ref: string;
  /** Milliseconds since the epoch. */
  scannedAt: number;
  os?: string | undefined;
  packages: number;
  vulnDbTime?: number | undefined;
  vulnerabilities: readonly ImageVulnerabilityInput[];
  detail?: Record<string, unknown> | undefined;
}

/** A stored image result, without its vulnerability rows. */
export interface ImageResultRow {
  id: number;
  digest: string;
  ref: string;
  scannedAt: number;
  packages: number;
  bySeverity: Record<Severity, number>;
}

/** A stored image result as a list shows it: `bySeverity` counts unsuppressed vulnerabilities. */
export interface ImageResultSummary extends ImageResultRow {
  /** Vulnerabilities a VEX statement suppressed. */
  suppressed: number;
  os?: string;
  /** The cluster scan that found the image, when one did. */
  scanId?: number;
}

/** One image result with what its recorded detail says about how it was read. */
export interface ImageResultDetail extends ImageResultSummary {
  platform?: string;
  source?: string;
  layers?: number;
  /** Import time of the vulnerability database used. */
  vulnDbTime?: number;
}

/** Which vulnerabilities of an image result to read, and which page of them. */
export interface ImageVulnerabilityFilter {
  severity?: readonly Severity[] | undefined;
  /** Substring of the package name, case-insensitive. */
  package?: string | undefined;
  /** Only ones a released version fixes (`true`) or none does (`false`). */
  fixable?: boolean | undefined;
  /** Only suppressed (`true`) or only unsuppressed (`false`) ones. */
  suppressed?: boolean | undefined;
  limit: number;
  offset: number;
}

/** A stored vulnerability of an image result. */
export interface ImageVulnerabilityRow {
  id: string;
  aliases: string[];
  package: string;
  version: string;
  fixedVersion?: string;
  severity: Severity;
  cvss?: number;
  /** `layer-digest:path`. */
  location: string;
  suppressed?: { justification: string };
}

/** A detection alert, the shape agreed with the detection work (docs/store.md). */
export interface AlertInput {
  /** Milliseconds since the epoch. */
  time: number;
  cluster?: string | undefined;
  rule: string;
  severity: Severity;
  mitre?: string | undefined;
  message: string;
  subject: string;
  target: string;
  incident?: string | undefined;
  /** Evidence events, secrets already redacted. */
  evidence: readonly unknown[];
}

/** A stored alert. */
export interface AlertRow extends Omit<AlertInput, 'evidence' | 'cluster'> {
  id: number;
  evidence: unknown[];
}

/** One identity's detection baseline as the store keeps it (docs/detect.md, "Baselines"). */
export interface BaselineRecord {
  identity: string;
  kind: string;
  events: number;
  /** The baseline, JSON-serialisable; the store does not look inside. */
  model: unknown;
  /** Milliseconds since the epoch of the last change. */
  updatedAt: number;
}

/** A point of the score history of a cluster. */
export interface ScorePoint {
  scanId: number;
  time: number;
  framework: string;
  score: number;
}
