import { createHash } from 'node:crypto';
import { formatRef } from '../core/index.js';
import type { Finding, InputIssue, ResourceRef, Severity } from '../core/index.js';
import { describeException } from './build.js';
import type { ReportControl, ScanReport } from './model.js';
import { LazyItems, writeJson, type ReportWriter } from './stream.js';
import { pascalCase } from './text.js';

/** Options of the SARIF renderer. */
export interface SarifOptions {
  /** Directory the scanned paths are relative to; absolute files under it become relative URIs. */
  scanRoot?: string;
}

/** Home page reported as `tool.driver.informationUri` when the report names none. */
export const PALISADE_INFORMATION_URI = 'https://palisade.dev/';

/** The `uriBaseId` every manifest location is relative to. */
export const SARIF_SRCROOT = '%SRCROOT%';

/** Key under `partialFingerprints`; the suffix versions the hashing scheme. */
export const SARIF_FINGERPRINT_KEY = 'palisadeFinding/v1';

type SarifLevel = 'error' | 'warning' | 'note';

const LEVEL: Record<Severity, SarifLevel> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  info: 'note',
};

// GitHub code scanning reads `security-severity` as a CVSS-like score: above 9.0 is
// critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low. Each value sits inside its band.
const SECURITY_SEVERITY: Record<Severity, string> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '3.0',
  info: '0.0',
};

interface ArtifactLocation {
  uri: string;
  uriBaseId?: string;
}

/** Returns the SARIF level of a severity. */
export function sarifLevel(s: Severity): SarifLevel {
  return LEVEL[s];
}

/**
 * A fingerprint that survives edits elsewhere in the file: it hashes what the finding is
 * about (control, resource, field), never its line.
 */
export function findingFingerprint(f: Pick<Finding, 'controlId' | 'resource' | 'fieldPath'>): string {
  const r = f.resource;
  const key = [f.controlId, r.apiVersion, r.kind, r.namespace ?? '', r.name, f.fieldPath ?? ''].join(
    '\u0000',
  );
  return createHash('sha256').update(key).digest('hex').slice(0, 32);
}

/**
 * Turns a scanned file name into a SARIF artifact location: relative to `%SRCROOT%` with
 * forward slashes and percent-encoded segments, or an absolute `file:` URI when the file lies
 * outside the scan root.
 */
export function artifactLocation(file: string, scanRoot?: string): ArtifactLocation {
  let path = file.replace(/\\/g, '/');
  if (isAbsolute(path) && scanRoot !== undefined) {
    const root = ensureTrailingSlash(scanRoot.replace(/\\/g, '/'));
    if (path.startsWith(root)) path = path.slice(root.length);
  }
  if (isAbsolute(path)) return { uri: fileUri(path) };
  const segments = path.split('/').filter((s) => s !== '' && s !== '.');
  return { uri: segments.map(encodeURIComponent).join('/'), uriBaseId: SARIF_SRCROOT };
}

function isAbsolute(p: string): boolean {
  return p.startsWith('/') || /^[A-Za-z]:\//.test(p);
}

function ensureTrailingSlash(p: string): string {
  return p.endsWith('/') ? p : `${p}/`;
}

function fileUri(absolute: string): string {
  const segments = absolute
    .split('/')
    .map((s, i) => (i === 0 && /^[A-Za-z]:$/.test(s) ? s : encodeURIComponent(s)));
  const joined = segments.join('/');
  return joined.startsWith('/') ? `file://${joined}` : `file:///${joined}`;
}

function ruleFromFinding(f: Finding): ReportControl {
  return {
    id: f.controlId,
    title: f.title,
    severity: f.severity,
    rationale: f.title,
    remediation: f.remediation,
    frameworks: f.frameworks,
  };
}

function collectRules(report: ScanReport): ReportControl[] {
  const rules = [...(report.controls ?? [])];
  const known = new Set(rules.map((r) => r.id));
  // Findings of user policies may name controls the catalogue does not list; every result
  // still needs a rule to point at.
  for (const f of report.findings) {
    if (!known.has(f.controlId)) {
      known.add(f.controlId);
      rules.push(ruleFromFinding(f));
    }
  }
  return rules;
}

function frameworkTags(frameworks: readonly { id: string; control: string }[]): string[] {
  return frameworks.map((fw) => `${fw.id}:${fw.control}`);
}

function sarifRule(c: ReportControl): Record<string, unknown> {
  const frameworks = frameworkTags(c.frameworks);
  const helpText = [c.rationale, `Remediation: ${c.remediation}`];
  const helpMarkdown = [`**${c.title}**`, c.rationale, `**Remediation:** ${c.remediation}`];
  if (frameworks.length > 0) {
    helpText.push(`Frameworks: ${frameworks.join(', ')}`);
    helpMarkdown.push(`**Frameworks:** ${frameworks.map((t) => `\`${t}\``).join(', ')}`);
  }
  let name = pascalCase(c.title);
  // SARIF wants `name` to differ from the opaque `id`; leave it out rather than repeat it.
  const rule: Record<string, unknown> = { id: c.id };
  if (name === '' || name.toLowerCase() === c.id.toLowerCase()) name = '';
  if (name !== '') rule['name'] = name;
  rule['shortDescription'] = { text: c.title };
  rule['fullDescription'] = { text: c.rationale };
  rule['help'] = { text: helpText.join('\n\n'), markdown: helpMarkdown.join('\n\n') };
  if (c.helpUri !== undefined) rule['helpUri'] = c.helpUri;
  rule['defaultConfiguration'] = { level: LEVEL[c.severity] };
  rule['properties'] = {
    tags: ['security', 'kubernetes', ...frameworks],
    precision: 'high',
    // GitHub's own analyzers spell the note level `recommendation` here.
    'problem.severity': LEVEL[c.severity] === 'note' ? 'recommendation' : LEVEL[c.severity],
    'security-severity': SECURITY_SEVERITY[c.severity],
  };
  return rule;
}

function region(line: number | undefined, column: number | undefined): Record<string, number> | undefined {
  if (line === undefined || line < 1) return undefined;
  return column !== undefined && column >= 1 ? { startLine: line, startColumn: column } : { startLine: line };
}

function physicalLocation(
  file: string,
  line: number | undefined,
  column: number | undefined,
  scanRoot?: string,
) {
  const r = region(line, column);
  return {
    physicalLocation: {
      artifactLocation: artifactLocation(file, scanRoot),
      ...(r ? { region: r } : {}),
    },
  };
}

function logicalLocations(ref: ResourceRef, fieldPath: string | undefined): Record<string, unknown>[] {
  const resource = formatRef(ref);
  const out: Record<string, unknown>[] = [
    { name: ref.name, fullyQualifiedName: `${ref.apiVersion}/${resource}`, kind: 'resource' },
  ];
  if (fieldPath)
    out.push({
      name: fieldPath,
      fullyQualifiedName: `${ref.apiVersion}/${resource}:${fieldPath}`,
      kind: 'property',
    });
  return out;
}

function sarifResult(f: Finding, ruleIndex: number, scanRoot: string | undefined): Record<string, unknown> {
  const location: Record<string, unknown> = f.location
    ? physicalLocation(f.location.file, f.location.line, f.location.column, scanRoot)
    : {};
  // Cluster findings have no file; the logical location (resource and field) is where they point.
  location['logicalLocations'] = logicalLocations(f.resource, f.fieldPath);
  const result: Record<string, unknown> = {
    ruleId: f.controlId,
    ruleIndex,
    level: LEVEL[f.severity],
    message: { text: f.message },
    locations: [location],
    partialFingerprints: { [SARIF_FINGERPRINT_KEY]: findingFingerprint(f) },
  };
  if (f.suppressed) {
    const s = f.suppressed;
    const details = [s.reason, s.owner ? `owner: ${s.owner}` : '', s.expires ? `expires: ${s.expires}` : ''];
    result['suppressions'] = [
      {
        // An exception lives outside the manifests (configuration); an annotation is in the source.
        kind: s.kind === 'annotation' ? 'inSource' : 'external',
        status: 'accepted',
        justification: details.filter((d) => d !== '').join('; '),
      },
    ];
  }
  result['properties'] = {
    severity: f.severity,
    resource: f.resource,
    ...(f.fieldPath !== undefined ? { fieldPath: f.fieldPath } : {}),
    remediation: f.remediation,
    tags: frameworkTags(f.frameworks),
  };
  return result;
}

function notification(issue: InputIssue, scanRoot: string | undefined): Record<string, unknown> {
  return {
    level: 'error',
    message: { text: issue.message },
    locations: [physicalLocation(issue.file, issue.line, issue.column, scanRoot)],
    descriptor: { id: 'input-error' },
  };
}

function exceptionNotifications(report: ScanReport): Record<string, unknown>[] {
  const x = report.exceptions;
  if (!x) return [];
  const note = (id: string, text: string): Record<string, unknown> => ({
    level: 'warning',
    message: { text },
    descriptor: { id },
  });
  return [
    ...x.expired.map((e) =>
      note('exception-expired', `expired exception no longer applied: ${describeException(e)}`),
    ),
    ...x.unused.map((e) => note('exception-unused', `exception matched no finding: ${describeException(e)}`)),
    ...x.ignoredAnnotations.map((a) =>
      note(
        'exception-annotation-ignored',
        `annotation exception for ${a.controlId} on ${formatRef(a.resource)} ignored (needs --allow-annotation-exceptions)`,
      ),
    ),
  ];
}

function originalUriBaseIds(scanRoot: string | undefined): Record<string, unknown> | undefined {
  if (scanRoot === undefined) return undefined;
  const root = scanRoot.replace(/\\/g, '/');
  // A relative root cannot become the absolute URI SARIF requires here; consumers then
  // resolve %SRCROOT% themselves (GitHub uses the repository root).
  if (!isAbsolute(root)) return undefined;
  return { [SARIF_SRCROOT]: { uri: ensureTrailingSlash(fileUri(root)) } };
}

/** Builds the SARIF 2.1.0 log object of a report (one run). */
export function toSarif(report: ScanReport, options: SarifOptions = {}): Record<string, unknown> {
  return sarifLog(report, options, false).log;
}

/**
 * The SARIF log; with `lazy`, its results are a `LazyItems` built one batch at a time as they
 * are written, and `expand` lists what `writeJson` must write member by member.
 */
function sarifLog(
  report: ScanReport,
  options: SarifOptions,
  lazy: boolean,
): { log: Record<string, unknown>; expand: Set<unknown> } {
  const rules = collectRules(report);
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const tool = report.tool ?? { name: 'palisade', version: '0.0.0' };
  const driver: Record<string, unknown> = {
    name: 'palisade',
    version: tool.version,
    informationUri: tool.informationUri ?? PALISADE_INFORMATION_URI,
  };
  if (/^\d+\.\d+\.\d+(?:[-+].*)?$/.test(tool.version)) driver['semanticVersion'] = tool.version;
  driver['rules'] = rules.map(sarifRule);

  const invocation: Record<string, unknown> = { executionSuccessful: report.inputErrors.length === 0 };
  if (report.inputErrors.length > 0) {
    invocation['toolExecutionNotifications'] = report.inputErrors.map((e) =>
      notification(e, options.scanRoot),
    );
  }

  const configNotes = exceptionNotifications(report);
  if (configNotes.length > 0) invocation['toolConfigurationNotifications'] = configNotes;

  const invocations = [invocation];
  const run: Record<string, unknown> = { tool: { driver }, invocations };
  const bases = originalUriBaseIds(options.scanRoot);
  if (bases) run['originalUriBaseIds'] = bases;
  const result = (f: Finding): Record<string, unknown> =>
    sarifResult(f, index.get(f.controlId) ?? 0, options.scanRoot);
  const findings = report.findings;
  const results = lazy
    ? new LazyItems(findings.length, (i) => result(findings[i] as Finding))
    : findings.map(result);
  run['results'] = results;
  // Columns come from the YAML parser, which counts JavaScript string positions.
  run['columnKind'] = 'utf16CodeUnits';
  const properties: Record<string, unknown> = { summary: report.summary };
  if (report.scanDate !== undefined) properties['scanDate'] = report.scanDate;
  if (report.scores) properties['scores'] = report.scores;
  if (report.exceptions) properties['exceptions'] = report.exceptions;
  run['properties'] = properties;
  const runs = [run];
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs,
  };
  return {
    log,
    expand: new Set<unknown>([
      log,
      runs,
      run,
      results,
      invocations,
      invocation,
      invocation['toolExecutionNotifications'],
    ]),
  };
}

/** `renderSarif` in pieces, results built and written in batches (see stream.ts). */
export function writeSarif(
  report: ScanReport,
  options: SarifOptions,
  write: ReportWriter,
  check?: () => void,
): void {
  const { log, expand } = sarifLog(report, options, true);
  writeJson(log, expand, write, check);
}

/** Renders the report as a SARIF 2.1.0 log, two-space indented. */
export function renderSarif(report: ScanReport, options: SarifOptions = {}): string {
  return `${JSON.stringify(toSarif(report, options), null, 2)}\n`;
}
