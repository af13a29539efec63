import type { ScanReport } from './model.js';
import { writeJson, type ReportWriter } from './stream.js';

/**
 * The public JSON form of a report (`palisade.dev/v1` ScanReport), with a fixed key order:
 * the contract fields first, then the additions (controls, resources, scores, tool).
 */
export function toContractObject(report: ScanReport): Record<string, unknown> {
  const summary: Record<string, unknown> = {
    resources: report.summary.resources,
    findings: report.summary.findings,
    bySeverity: { ...report.summary.bySeverity },
    inputErrors: report.summary.inputErrors,
  };
  if (report.summary.suppressed !== undefined) summary['suppressed'] = report.summary.suppressed;
  const out: Record<string, unknown> = {
    apiVersion: report.apiVersion,
    kind: report.kind,
    summary,
    findings: report.findings,
    inputErrors: report.inputErrors,
  };
  if (report.scanDate !== undefined) out['scanDate'] = report.scanDate;
  if (report.scores) out['scores'] = report.scores;
  if (report.exceptions) out['exceptions'] = report.exceptions;
  if (report.controls) out['controls'] = report.controls;
  if (report.resources) out['resources'] = report.resources;
  if (report.tool) out['tool'] = report.tool;
  if (report.images) out['images'] = report.images;
  return out;
}

/** Renders the report as the JSON contract, two-space indented, ending with a newline. */
export function renderJson(report: ScanReport): string {
  return `${JSON.stringify(toContractObject(report), null, 2)}\n`;
}

/** `renderJson` in pieces: findings, input errors and resources in batches (see stream.ts). */
export function writeJsonReport(report: ScanReport, write: ReportWriter, check?: () => void): void {
  const root = toContractObject(report);
  const expand = new Set<unknown>([root, root['findings'], root['inputErrors'], root['resources']]);
  writeJson(root, expand, write, check);
}
