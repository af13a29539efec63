/**
 * Failed checks as report findings, so a node scan can be rendered by every report format
 * (SARIF, JUnit, HTML, CSV). Component checks are attributed to the component, file checks
 * to the file; the location is the flag's line in its manifest when known.
 */
import type { Finding, ResourceRef, Severity } from '../../core/index.js';
import type { CheckResult } from './assemble.js';
import { COMPONENT_BINARIES } from './facts.js';

/** API group of the pseudo-objects node findings are attributed to. */
export const NODE_API_VERSION = 'palisade.dev/v1';

/** The control id a benchmark check is reported under, e.g. `control-plane/1.2.1`. */
export function controlIdOf(result: Pick<CheckResult, 'id'>): string {
  return `control-plane/${result.id}`;
}

/** Scored checks that fail are high; unscored ones medium. */
export function severityOf(result: Pick<CheckResult, 'scored'>): Severity {
  return result.scored ? 'high' : 'medium';
}

function subjectOf(r: CheckResult): ResourceRef {
  const component = r.evidence.find((e) => e.component)?.component;
  if (component)
    return { apiVersion: NODE_API_VERSION, kind: 'NodeComponent', name: COMPONENT_BINARIES[component] };
  const file = r.evidence.find((e) => e.source === 'file' && e.pass === false) ?? r.evidence[0];
  return { apiVersion: NODE_API_VERSION, kind: 'NodeFile', name: file?.name ?? r.id };
}

/** What a failed check expected and what it found, as a finding message. */
export function checkMessage(r: CheckResult): string {
  const failed = r.evidence.filter((e) => e.pass === false);
  // A setting two tests of the check read (`has X OR is absent`) is shown once.
  const parts = failed.map((e) =>
    e.source === 'file'
      ? `${e.name} is ${e.mode ?? e.value} ${e.owner ?? ''}`.trim()
      : e.found
        ? `${e.name}=${e.value}${e.source === 'config' && e.location ? ` in ${e.location.file}` : ''}`
        : `${[...(e.alsoTried ?? []), e.name].join(', ')} not set`,
  );
  const seen = [...new Set(parts)].join('; ');
  return `${r.text}: expected ${r.expected ?? 'a passing audit'}${seen ? `; found ${seen}` : ''}`;
}

/** Findings for the failed checks (warnings, skips and errors are not findings). */
export function toFindings(results: readonly CheckResult[]): Finding[] {
  return results
    .filter((r) => r.status === 'fail')
    .map((r) => ({
      controlId: controlIdOf(r),
      title: r.text,
      severity: severityOf(r),
      message: checkMessage(r),
      resource: subjectOf(r),
      ...(r.location ? { location: r.location } : {}),
      remediation: r.remediation,
      frameworks: [{ id: r.benchmark, control: r.id }],
    }));
}

/** Report metadata of one check (the shape of the report's control list). */
export interface CheckControl {
  id: string;
  title: string;
  severity: Severity;
  rationale: string;
  remediation: string;
  frameworks: { id: string; control: string }[];
}

/** Report metadata of every check, for renderers that list rules. */
export function toReportControls(results: readonly CheckResult[]): CheckControl[] {
  return results.map((r) => ({
    id: controlIdOf(r),
    title: r.text,
    severity: severityOf(r),
    rationale: `${r.benchmark} ${r.id} (${r.group.id} ${r.group.title})`,
    remediation: r.remediation,
    frameworks: [{ id: r.benchmark, control: r.id }],
  }));
}
