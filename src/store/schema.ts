/**
 * The tables of the history store as kysely sees them. Times are milliseconds since the epoch
 * (SQLite INTEGER, PostgreSQL BIGINT read back as numbers); booleans are 0/1 integers so both
 * backends read the same values. Text columns never hold null where "none" has a natural
 * spelling: a cluster-scoped finding has namespace `''`, a finding without a field path `''`.
 */
import type { Generated } from 'kysely';

export interface ClustersTable {
  id: Generated<number>;
  /** Unique name: the kubeconfig context, a snapshot's context, or `--db-cluster`. */
  name: string;
  server: string | null;
  created_at: number;
}

export interface ScansTable {
  id: Generated<number>;
  cluster_id: number;
  started_at: number;
  /** `manifests`, `cluster`, `snapshot`, or another reader's name (`watch` later). */
  source: string;
  /** Paths, server URL or snapshot file, for people; never parsed. */
  source_detail: string;
  palisade_version: string;
  kubernetes_version: string | null;
  /** JSON array of the namespaces the scan covered, or null for every namespace. */
  scope: string | null;
  resources: number;
  /** Unsuppressed findings, and their split by severity. */
  findings: number;
  suppressed: number;
  critical: number;
  high: number;
  medium: number;
  low: number;
  info: number;
  input_errors: number;
  /** Number of RBAC grant rows kept for the scan; null when none were recorded. */
  rbac_grants: number | null;
  /** Number of reachability rows kept for the scan; null when not recorded. */
  reachability: number | null;
  /** Number of workload image rows kept for the scan; null when not recorded (migration 0003). */
  images: number | null;
}

export interface ScanScoresTable {
  scan_id: number;
  framework: string;
  score: number;
  passed: number;
  failed: number;
  applicable: number;
}

export interface FindingsTable {
  id: Generated<number>;
  cluster_id: number;
  fingerprint: string;
  control_id: string;
  severity: string;
  namespace: string;
  api_version: string;
  kind: string;
  name: string;
  field_path: string;
  title: string;
  message: string;
  /** `file:line:column` for manifests; null for live objects. */
  location: string | null;
  first_seen: number;
  last_seen: number;
  /** Time of the first scan that no longer had it; null while open. */
  resolved_at: number | null;
  first_scan_id: number;
  last_scan_id: number;
  /** 1 when the latest scan that had it suppressed it (exception or annotation). */
  suppressed: number;
  /** Hash of the fields a later scan may change (severity, texts, location, suppression): unchanged rows are not rewritten. */
  state: string;
}

export interface ScanFindingsTable {
  scan_id: number;
  finding_id: number;
  suppressed: number;
}

export interface ScanExceptionsTable {
  scan_id: number;
  /** `applied` (suppressed a finding), `expired` or `unused`. */
  status: string;
  control_id: string;
  /** `exception` or `annotation`. */
  kind: string;
  reason: string;
  owner: string;
  expires: string;
  /** The suppressed finding for `applied`; null otherwise. */
  finding_id: number | null;
}

export interface RbacGrantsTable {
  scan_id: number;
  /** `Kind:namespace:name` (namespace empty for users and groups). */
  subject: string;
  /** `''` cluster-wide, else the namespace the binding grants in. */
  namespace: string;
  rule: string;
  /** `binding → role`. */
  via: string;
}

export interface ReachabilityTable {
  scan_id: number;
  src: string;
  dst: string;
  conn: string;
}

/** One container of one workload and the image it runs, per scan (migration 0003). */
export interface ScanImagesTable {
  scan_id: number;
  kind: string;
  namespace: string;
  name: string;
  container: string;
  image: string;
  digest: string | null;
}

export interface AdmissionDecisionsTable {
  id: Generated<number>;
  time: number;
  cluster_id: number | null;
  uid: string;
  endpoint: string;
  operation: string;
  kind: string;
  resource: string;
  namespace: string;
  name: string;
  username: string;
  result: string;
  exempt: string | null;
  patched: number;
  /** Violated control ids, space-separated, for filtering without parsing `detail`. */
  controls: string;
  /** JSON of violations, policy decisions and errors. */
  detail: string;
}

export interface ImageResultsTable {
  id: Generated<number>;
  cluster_id: number | null;
  scan_id: number | null;
  digest: string;
  ref: string;
  scanned_at: number;
  os: string | null;
  packages: number;
  critical: number;
  high: number;
  medium: number;
  low: number;
  info: number;
  /** Import time of the vulnerability database used; null when none. */
  vulndb_time: number | null;
  /** JSON: signature verification, platform, anything else the image scanner keeps. */
  detail: string;
}

export interface ImageVulnerabilitiesTable {
  image_result_id: number;
  vuln_id: string;
  /** Other ids of the same vulnerability, space-separated (CVE and GHSA together). */
  aliases: string;
  package: string;
  version: string;
  fixed_version: string | null;
  severity: string;
  cvss: number | null;
  /** Where the package came from: `layer-digest:path`. */
  location: string;
  /** 1 when a VEX statement says not affected; the justification is kept. */
  suppressed: number;
  justification: string | null;
}

export interface AlertsTable {
  id: Generated<number>;
  time: number;
  cluster_id: number | null;
  rule: string;
  severity: string;
  mitre: string | null;
  message: string;
  subject: string;
  target: string;
  incident: string | null;
  /** JSON array of evidence events (secrets already redacted by the producer). */
  evidence: string;
}

/** One identity's learned behaviour (detection baselines). */
export interface DetectBaselinesTable {
  /** User, ServiceAccount (`system:serviceaccount:ns:name`) or workload (`ns/name`). */
  identity: string;
  /** What kind of identity it is (`human`, `serviceaccount`, `workload`, …). */
  kind: string;
  /** Events the baseline counts. */
  events: number;
  /** JSON of the baseline as the detector keeps it (opaque to the store). */
  model: string;
  updated_at: number;
}

/** Every table of the store. */
export interface StoreSchema {
  clusters: ClustersTable;
  scans: ScansTable;
  scan_scores: ScanScoresTable;
  findings: FindingsTable;
  scan_findings: ScanFindingsTable;
  scan_exceptions: ScanExceptionsTable;
  rbac_grants: RbacGrantsTable;
  reachability: ReachabilityTable;
  scan_images: ScanImagesTable;
  admission_decisions: AdmissionDecisionsTable;
  image_results: ImageResultsTable;
  image_vulnerabilities: ImageVulnerabilitiesTable;
  alerts: AlertsTable;
  detect_baselines: DetectBaselinesTable;
}
