import type { Finding, InputIssue, ResourceRef, Severity } from '../core/index.js';

/** Counts by severity, every severity present. */
export type SeverityCounts = Record<Severity, number>;

/** Compliance score of one framework (filled by the controls catalogue). */
export interface FrameworkScore {
  framework: string;
  /** 0–100, weighted by severity; see docs/scoring.md. */
  score: number;
  passed: number;
  failed: number;
  applicable: number;
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
  /** Tool and run metadata. */
  tool?: ReportTool;
}
