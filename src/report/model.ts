import type { Finding, InputIssue, ResourceRef, Severity } from '../core/index.js';

/** Counts by severity, every severity present. */
export type SeverityCounts = Record<Severity, number>;

/** Compliance score of one framework (filled by the controls catalogue). */
export interface FrameworkScore {
  framework: string;
  /** 0–100, one decimal, weighted by severity; see docs/frameworks.md#scoring. */
  score: number;
  /** Applicable controls without an unsuppressed finding. */
  passed: number;
  failed: number;
  /** Controls that had something to evaluate (passed + failed). */
  applicable: number;
  /** Ids of the failed controls, in catalogue order. */
  failedControls?: string[];
  /**
   * Per-group scores when the framework is scored by group (MITRE ATT&CK: one per tactic);
   * `score` is then the mean of the groups with an applicable control.
   */
  groups?: FrameworkGroupScore[];
}

/** The score of one group of a framework (e.g. one MITRE ATT&CK tactic). */
export interface FrameworkGroupScore {
  name: string;
  score: number;
  passed: number;
  failed: number;
  applicable: number;
}

/** An exception as reports show it (expired or unused). */
export interface ReportException {
  controlId: string;
  reason: string;
  owner: string;
  // `| undefined`: exceptions arrive from a schema-validated file where absent keys read so.
  expires?: string | undefined;
  resources?:
    | {
        kind?: string | undefined;
        namespace?: string | undefined;
        name?: string | undefined;
        labels?: Record<string, string> | undefined;
      }
    | undefined;
}

/** What happened to the exceptions of a run: they are reported, never silently ignored. */
export interface ReportExceptions {
  /** Past their expiry date: they no longer suppress anything. */
  expired: ReportException[];
  /** Matched no finding: stale or mistyped. */
  unused: ReportException[];
  /** `palisade.dev/exception.*` annotations present but not honoured (no --allow-annotation-exceptions). */
  ignoredAnnotations: { resource: ResourceRef; controlId: string }[];
}

/** Metadata of a control that appears in the report (rules in SARIF, the HTML legend). */
export interface ReportControl {
  id: string;
  title: string;
  severity: Severity;
  rationale: string;
  remediation: string;
  frameworks: { id: string; control: string }[];
  /** Page that documents the control (SARIF `helpUri`, HTML link); optional. */
  helpUri?: string;
}

/** The tool that produced a report; `informationUri` defaults to Palisade's home page. */
export interface ReportTool {
  name: string;
  version: string;
  informationUri?: string;
}

/**
 * The scan result every renderer reads. The JSON form is a public contract
 * (`apiVersion: palisade.dev/v1`, `kind: ScanReport`): add fields, never rename them.
 */
export interface ScanReport {
  apiVersion: 'palisade.dev/v1';
  kind: 'ScanReport';
  summary: {
    resources: number;
    findings: number;
    bySeverity: SeverityCounts;
    inputErrors: number;
    suppressed?: number;
  };
  findings: Finding[];
  inputErrors: InputIssue[];
  /** Controls that were evaluated, for renderers that list rules (SARIF, HTML, JUnit). */
  controls?: ReportControl[];
  /** Every evaluated resource, for renderers that list passes (JUnit). */
  resources?: ResourceRef[];
  scores?: FrameworkScore[];
  /** Expired, unused and ignored exceptions; present when the run had exceptions to apply. */
  exceptions?: ReportExceptions;
  /** The date the assessment is for (`YYYY-MM-DD`): exception expiry and version end of life use it. */
  scanDate?: string;
  /** Tool and run metadata. */
  tool?: ReportTool;
  /** Namespace-to-namespace reachability under the NetworkPolicies (table and HTML reports). */
  networkIsolation?: NetworkIsolationSummary;
  /** The images of the workloads, when the scan looked inside them (`scan --images`). */
  images?: ImagesSummary;
}

/**
 * What `scan --images` did with the images of the workloads: how many references and digests,
 * how many were scanned, and each one that was not (never silently passed).
 */
export interface ImagesSummary {
  /** Containers read. */
  containers: number;
  /** Distinct image references. */
  references: number;
  /** Distinct digests they resolved to (each pulled and scanned once). */
  digests: number;
  scanned: number;
  /** Vulnerabilities at or above `severity`, summed over the scanned digests. */
  vulnerabilities: number;
  severity: Severity;
  notScanned: { image: string; digest?: string; reason: string; containers: number }[];
}

/**
 * For every ordered pair of namespaces that run pods: `open` when some workload of `from` may
 * connect to some workload of `to` (with one example connection), else `isolated`.
 */
export interface NetworkIsolationSummary {
  namespaces: string[];
  pairs: { from: string; to: string; status: 'isolated' | 'open'; example?: string }[];
  /** Why the pairs were not computed (a cluster above the summary's size limit). */
  omitted?: string;
}
