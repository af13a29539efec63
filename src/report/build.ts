import { SEVERITIES, contractRef, formatRef } from '../core/index.js';
import type {
  Finding,
  FrameworkRef,
  InputIssue,
  ResourceRef,
  SourceLocation,
  Suppression,
} from '../core/index.js';
import type {
  FrameworkScore,
  ReportControl,
  ReportException,
  ReportExceptions,
  ReportTool,
  ScanReport,
  SeverityCounts,
} from './model.js';

/** Everything a scan produced, before it is shaped into a report. */
export interface BuildReportInput {
  resources: readonly ResourceRef[];
  findings: readonly Finding[];
  inputErrors: readonly InputIssue[];
  controls: readonly ReportControl[];
  scores?: readonly FrameworkScore[];
  exceptions?: ReportExceptions;
  scanDate?: string;
  tool: ReportTool;
}

/** Returns a zero count for every severity. */
export function emptySeverityCounts(): SeverityCounts {
  return { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
}

/**
 * Assembles the report every renderer reads: summary computed, findings and input errors
 * sorted, and every object copied with a fixed key order so the JSON contract is byte-stable
 * whatever order the producers built their objects in.
 */
export function buildReport(input: BuildReportInput): ScanReport {
  // Findings of one resource share its reference object: copy each reference once.
  const refs = new Map<ResourceRef, ResourceRef>();
  const refOf = (ref: ResourceRef): ResourceRef => {
    let out = refs.get(ref);
    if (out === undefined) {
      out = isContractRef(ref) ? ref : normalizeRef(ref);
      refs.set(ref, out);
    }
    return out;
  };
  // Findings of one control share its frameworks list: copy each list once.
  const frameworkLists = new Map<readonly FrameworkRef[], FrameworkRef[]>();
  const frameworksOf = (list: readonly FrameworkRef[]): FrameworkRef[] => {
    let out = frameworkLists.get(list);
    if (out === undefined) {
      out = list.every(isContractFrameworkRef)
        ? (list as FrameworkRef[])
        : list.map((fw) => ({ id: fw.id, control: fw.control }));
      frameworkLists.set(list, out);
    }
    return out;
  };
  const findings = sortOwnFindings(input.findings.map((f) => normalizeFinding(f, refOf, frameworksOf)));
  const bySeverity = emptySeverityCounts();
  let counted = 0;
  let suppressed = 0;
  for (const f of findings) {
    // Excepted findings stay visible in every format but never count against the scan.
    if (f.suppressed) {
      suppressed++;
      continue;
    }
    bySeverity[f.severity]++;
    counted++;
  }
  const inputErrors = sortInputIssues(input.inputErrors.map(normalizeIssue));
  const report: ScanReport = {
    apiVersion: 'palisade.dev/v1',
    kind: 'ScanReport',
    summary: {
      resources: input.resources.length,
      findings: counted,
      bySeverity,
      inputErrors: inputErrors.length,
      suppressed,
    },
    findings,
    inputErrors,
    controls: [...input.controls].map(normalizeControl).sort((a, b) => compareStrings(a.id, b.id)),
    resources: input.resources.map(normalizeRef),
    tool: normalizeTool(input.tool),
  };
  if (input.scores) report.scores = input.scores.map(normalizeScore);
  if (input.exceptions) report.exceptions = normalizeExceptions(input.exceptions);
  if (input.scanDate !== undefined) report.scanDate = input.scanDate;
  return report;
}

/** Orders findings by file, line, column and control id; findings without a file come last. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  // Array.prototype.sort is stable, so equal keys keep the producers' order.
  return [...findings].sort(compareFindings);
}

/** `sortFindings` of an array the caller owns, sorted in place. */
function sortOwnFindings(findings: Finding[]): Finding[] {
  return findings.sort(compareFindings);
}

function compareFindings(a: Finding, b: Finding): number {
  return (
    compareLocations(a.location, b.location) ||
    compareStrings(a.controlId, b.controlId) ||
    // Cluster findings have no file: order them by resource and field so output is deterministic.
    compareStrings(formatRef(a.resource), formatRef(b.resource)) ||
    compareStrings(a.fieldPath ?? '', b.fieldPath ?? '')
  );
}

function compareLocations(a: SourceLocation | undefined, b: SourceLocation | undefined): number {
  if (!a || !b) return a ? -1 : b ? 1 : 0;
  return compareStrings(a.file, b.file) || a.line - b.line || a.column - b.column;
}

function sortInputIssues(issues: readonly InputIssue[]): InputIssue[] {
  return [...issues].sort(
    (a, b) =>
      compareStrings(a.file, b.file) ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.column ?? 0) - (b.column ?? 0) ||
      compareStrings(a.message, b.message),
  );
}

/** Compares by UTF-16 code units so the order never depends on the machine's locale. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Copies a resource reference with the contract's key order. */
export const normalizeRef: (ref: ResourceRef) => ResourceRef = contractRef;

/** Keys of a finding in contract order; `location` and `fieldPath` are optional. */
const FINDING_KEYS = [
  'controlId',
  'title',
  'severity',
  'message',
  'resource',
  'location',
  'fieldPath',
  'remediation',
  'frameworks',
] as const;

/** True when a plain object's own keys are exactly `keys`, in that order, optional ones aside. */
function hasKeysInOrder(o: object, keys: readonly string[], optional: (key: string) => boolean): boolean {
  if (Object.getPrototypeOf(o) !== Object.prototype) return false;
  let i = 0;
  for (const k in o) {
    while (i < keys.length && keys[i] !== k && optional(keys[i] ?? '')) i++;
    if (keys[i] !== k) return false;
    i++;
  }
  while (i < keys.length && optional(keys[i] ?? '')) i++;
  return i === keys.length;
}

const noOptionalKeys = (): boolean => false;
const optionalFindingKey = (k: string): boolean => k === 'location' || k === 'fieldPath';
const LOCATION_KEYS = ['file', 'line', 'column'] as const;
const REF_KEYS = ['apiVersion', 'kind', 'namespace', 'name'] as const;
const FRAMEWORK_KEYS = ['id', 'control'] as const;

/** A reference that is already its contract copy (the controls engine builds them so). */
function isContractRef(ref: ResourceRef): boolean {
  return ref.namespace !== '' && hasKeysInOrder(ref, REF_KEYS, (k) => k === 'namespace');
}

function isContractFrameworkRef(fw: FrameworkRef): boolean {
  return hasKeysInOrder(fw, FRAMEWORK_KEYS, noOptionalKeys);
}

/**
 * True when a finding is already what `normalizeFinding` would copy it to (the controls
 * engine builds them so): the report then keeps the object itself rather than a copy of each
 * of tens of thousands of findings. Nothing mutates a finding once it is built.
 */
function isContractFinding(f: Finding, resource: ResourceRef, frameworks: FrameworkRef[]): boolean {
  return (
    f.resource === resource &&
    f.frameworks === frameworks &&
    f.suppressed === undefined &&
    hasKeysInOrder(f, FINDING_KEYS, optionalFindingKey) &&
    (f.location === undefined || hasKeysInOrder(f.location, LOCATION_KEYS, noOptionalKeys))
  );
}

function normalizeFinding(
  f: Finding,
  refOf: (ref: ResourceRef) => ResourceRef,
  frameworksOf: (list: readonly FrameworkRef[]) => FrameworkRef[],
): Finding {
  // Built in contract order: the optional keys sit between the required ones. Written out per
  // case rather than with spreads, which allocate and copy a temporary object per finding.
  const resource = refOf(f.resource);
  const frameworks = frameworksOf(f.frameworks);
  if (isContractFinding(f, resource, frameworks)) return f;
  const loc = f.location;
  const location = loc ? { file: loc.file, line: loc.line, column: loc.column } : undefined;
  let out: Finding;
  if (location && f.fieldPath !== undefined) {
    out = {
      controlId: f.controlId,
      title: f.title,
      severity: f.severity,
      message: f.message,
      resource,
      location,
      fieldPath: f.fieldPath,
      remediation: f.remediation,
      frameworks,
    };
  } else if (location) {
    out = {
      controlId: f.controlId,
      title: f.title,
      severity: f.severity,
      message: f.message,
      resource,
      location,
      remediation: f.remediation,
      frameworks,
    };
  } else if (f.fieldPath !== undefined) {
    out = {
      controlId: f.controlId,
      title: f.title,
      severity: f.severity,
      message: f.message,
      resource,
      fieldPath: f.fieldPath,
      remediation: f.remediation,
      frameworks,
    };
  } else {
    out = {
      controlId: f.controlId,
      title: f.title,
      severity: f.severity,
      message: f.message,
      resource,
      remediation: f.remediation,
      frameworks,
    };
  }
  if (f.suppressed) out.suppressed = normalizeSuppression(f.suppressed);
  return out;
}

function normalizeSuppression(s: Suppression): Suppression {
  const out: Suppression = { kind: s.kind, reason: s.reason };
  if (s.owner !== undefined) out.owner = s.owner;
  if (s.expires !== undefined) out.expires = s.expires;
  return out;
}

function normalizeIssue(i: InputIssue): InputIssue {
  return {
    file: i.file,
    ...(i.line !== undefined ? { line: i.line } : {}),
    ...(i.column !== undefined ? { column: i.column } : {}),
    message: i.message,
  };
}

function normalizeControl(c: ReportControl): ReportControl {
  const out: ReportControl = {
    id: c.id,
    title: c.title,
    severity: c.severity,
    rationale: c.rationale,
    remediation: c.remediation,
    frameworks: c.frameworks.map((fw) => ({ id: fw.id, control: fw.control })),
  };
  if (c.helpUri !== undefined) out.helpUri = c.helpUri;
  return out;
}

function normalizeScore(s: FrameworkScore): FrameworkScore {
  const out: FrameworkScore = {
    framework: s.framework,
    score: s.score,
    passed: s.passed,
    failed: s.failed,
    applicable: s.applicable,
  };
  if (s.failedControls) out.failedControls = [...s.failedControls];
  if (s.groups)
    out.groups = s.groups.map((g) => ({
      name: g.name,
      score: g.score,
      passed: g.passed,
      failed: g.failed,
      applicable: g.applicable,
    }));
  return out;
}

function normalizeException(x: ReportException): ReportException {
  const out: ReportException = { controlId: x.controlId, reason: x.reason, owner: x.owner };
  if (x.expires !== undefined) out.expires = x.expires;
  if (x.resources) {
    const r: NonNullable<ReportException['resources']> = {};
    if (x.resources.kind !== undefined) r.kind = x.resources.kind;
    if (x.resources.namespace !== undefined) r.namespace = x.resources.namespace;
    if (x.resources.name !== undefined) r.name = x.resources.name;
    if (x.resources.labels !== undefined) r.labels = { ...x.resources.labels };
    out.resources = r;
  }
  return out;
}

function normalizeExceptions(x: ReportExceptions): ReportExceptions {
  return {
    expired: x.expired.map(normalizeException),
    unused: x.unused.map(normalizeException),
    ignoredAnnotations: x.ignoredAnnotations.map((a) => ({
      resource: normalizeRef(a.resource),
      controlId: a.controlId,
    })),
  };
}

/** Describes an exception in one line for renderers: `controlId on kind ns/name (owner, until date): reason`. */
export function describeException(x: ReportException): string {
  const sel = x.resources;
  const target = sel
    ? [
        sel.kind,
        sel.namespace !== undefined ? `${sel.namespace}/${sel.name ?? '*'}` : sel.name,
        sel.labels ? JSON.stringify(sel.labels) : undefined,
      ]
        .filter((p) => p !== undefined)
        .join(' ')
    : 'every resource';
  return `${x.controlId} on ${target} (owner ${x.owner}${x.expires !== undefined ? `, expires ${x.expires}` : ''}): ${x.reason}`;
}

function normalizeTool(t: ReportTool): ReportTool {
  const out: ReportTool = { name: t.name, version: t.version };
  if (t.informationUri !== undefined) out.informationUri = t.informationUri;
  return out;
}

/**
 * The exit code a scan should end with: 2 when an input could not be read (the gate cannot be
 * trusted), 1 when an unsuppressed finding is at or above `failOn`, otherwise 0.
 */
export function exitCodeFor(report: ScanReport, failOn: (typeof SEVERITIES)[number] | 'none'): 0 | 1 | 2 {
  if (report.summary.inputErrors > 0) return 2;
  if (failOn === 'none') return 0;
  const rank = SEVERITIES.indexOf(failOn);
  const failing = SEVERITIES.slice(0, rank + 1).some((s) => report.summary.bySeverity[s] > 0);
  return failing ? 1 : 0;
}
