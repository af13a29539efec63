import { formatRef } from '../core/index.js';
import type { Finding, ResourceRef } from '../core/index.js';
import { normalizeRef } from './build.js';
import type { ScanReport } from './model.js';
import type { ReportWriter } from './stream.js';
import { escapeXml, escapeXmlAttribute, formatPosition } from './text.js';

/** Name of the passing test case a resource without unsuppressed findings gets. */
export const JUNIT_PASS_NAME = 'no findings';

/** Name of the test suite that holds input errors. */
export const JUNIT_INPUT_SUITE = 'input errors';

interface Case {
  name: string;
  classname: string;
  file?: string;
  line?: number;
  outcome?: { tag: 'failure' | 'error' | 'skipped'; message: string; type?: string; body?: string };
}

interface Suite {
  name: string;
  file?: string;
  cases: Case[];
}

function refKey(ref: ResourceRef): string {
  return JSON.stringify(normalizeRef(ref));
}

function classnameOf(ref: ResourceRef): string {
  return [ref.apiVersion, ref.kind, ref.namespace ?? '', ref.name].filter((p) => p !== '').join('.');
}

function describeFinding(f: Finding): string {
  const where = f.location ? ` at ${formatPosition(f.location)}` : '';
  const field = f.fieldPath ? ` (${f.fieldPath})` : '';
  return `[${f.severity}] ${f.message}${where}${field}\nRemediation: ${f.remediation}`;
}

/**
 * One suite per resource, one case per control with findings on it. The report does not say
 * which controls applied to a resource, so a resource without unsuppressed findings gets one
 * passing case instead of a guess at every control that might have passed.
 */
function resourceSuites(report: ScanReport): Suite[] {
  const byResource = new Map<string, { ref: ResourceRef; findings: Finding[] }>();
  for (const ref of report.resources ?? []) byResource.set(refKey(ref), { ref, findings: [] });
  for (const f of report.findings) {
    const key = refKey(f.resource);
    const entry = byResource.get(key) ?? { ref: f.resource, findings: [] };
    entry.findings.push(f);
    byResource.set(key, entry);
  }
  const suites: Suite[] = [];
  const entries = [...byResource.values()].sort((a, b) => {
    const x = formatRef(a.ref);
    const y = formatRef(b.ref);
    return x < y ? -1 : x > y ? 1 : 0;
  });
  for (const { ref, findings } of entries) {
    const classname = classnameOf(ref);
    const byControl = new Map<string, Finding[]>();
    for (const f of findings) byControl.set(f.controlId, [...(byControl.get(f.controlId) ?? []), f]);
    const cases: Case[] = [];
    for (const [controlId, list] of byControl) {
      const first = list[0];
      if (!first) continue;
      const failing = list.filter((f) => !f.suppressed);
      const c: Case = { name: `${controlId}: ${first.title}`, classname };
      if (first.location) {
        c.file = first.location.file;
        c.line = first.location.line;
      }
      if (failing.length > 0) {
        const head = failing[0] ?? first;
        c.outcome = {
          tag: 'failure',
          message: failing.length === 1 ? head.message : `${head.message} (and ${failing.length - 1} more)`,
          type: head.severity,
          body: failing.map(describeFinding).join('\n\n'),
        };
      } else {
        const reasons = list.map((f) => f.suppressed?.reason ?? '').filter((r) => r !== '');
        c.outcome = { tag: 'skipped', message: `suppressed: ${[...new Set(reasons)].join('; ')}` };
      }
      cases.push(c);
    }
    if (!findings.some((f) => !f.suppressed)) cases.push({ name: JUNIT_PASS_NAME, classname });
    const file = findings.find((f) => f.location)?.location?.file;
    suites.push({ name: formatRef(ref), ...(file !== undefined ? { file } : {}), cases });
  }
  return suites;
}

function inputSuite(report: ScanReport): Suite | undefined {
  if (report.inputErrors.length === 0) return undefined;
  return {
    name: JUNIT_INPUT_SUITE,
    cases: report.inputErrors.map((e) => ({
      name: formatPosition(e),
      classname: 'palisade.input',
      file: e.file,
      ...(e.line !== undefined ? { line: e.line } : {}),
      outcome: {
        tag: 'error',
        message: e.message,
        type: 'InputError',
        body: `${formatPosition(e)}: ${e.message}`,
      },
    })),
  };
}

function count(cases: readonly Case[], tag: 'failure' | 'error' | 'skipped'): number {
  return cases.filter((c) => c.outcome?.tag === tag).length;
}

function counts(cases: readonly Case[]): string {
  return `tests="${cases.length}" failures="${count(cases, 'failure')}" errors="${count(cases, 'error')}" skipped="${count(cases, 'skipped')}"`;
}

function attr(name: string, value: string | number | undefined): string {
  return value === undefined ? '' : ` ${name}="${escapeXmlAttribute(String(value))}"`;
}

function renderCase(c: Case): string[] {
  const open = `    <testcase${attr('name', c.name)}${attr('classname', c.classname)}${attr('file', c.file)}${attr('line', c.line)}`;
  if (!c.outcome) return [`${open}/>`];
  const o = c.outcome;
  const tag = `      <${o.tag}${attr('message', o.message)}${attr('type', o.type)}`;
  const inner = o.body === undefined ? `${tag}/>` : `${tag}>${escapeXml(o.body)}</${o.tag}>`;
  return [`${open}>`, inner, '    </testcase>'];
}

/** Name of the suite that carries compliance scores as properties (it has no test cases). */
export const JUNIT_COMPLIANCE_SUITE = 'compliance scores';

/**
 * Scores go in `<properties>` of a suite without cases, so CI dashboards show them without
 * counting a second failure for findings the resource suites already report.
 */
function complianceSuite(report: ScanReport): string[] {
  if (!report.scores || report.scores.length === 0) return [];
  const lines = [
    `  <testsuite${attr('name', JUNIT_COMPLIANCE_SUITE)} tests="0" failures="0" errors="0" skipped="0">`,
    '    <properties>',
  ];
  for (const s of report.scores) {
    const p = (key: string, value: string | number): string =>
      `      <property${attr('name', `${s.framework}.${key}`)}${attr('value', value)}/>`;
    lines.push(
      p('score', s.score),
      p('passed', s.passed),
      p('failed', s.failed),
      p('applicable', s.applicable),
    );
  }
  lines.push('    </properties>', '  </testsuite>');
  return lines;
}

/** Renders the report as JUnit XML: suites per resource, cases per control, input errors as errors. */
export function renderJunit(report: ScanReport): string {
  const parts: string[] = [];
  writeJunit(report, (t) => parts.push(t));
  return parts.join('');
}

/** `renderJunit` in pieces: a few suites at a time. */
export function writeJunit(
  report: ScanReport,
  write: ReportWriter,
  check: () => void = () => undefined,
): void {
  const suites = resourceSuites(report);
  const inputs = inputSuite(report);
  if (inputs) suites.push(inputs);
  const total = { tests: 0, failure: 0, error: 0, skipped: 0 };
  for (const s of suites) {
    total.tests += s.cases.length;
    for (const c of s.cases) if (c.outcome) total[c.outcome.tag]++;
  }
  let lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="palisade" tests="${total.tests}" failures="${total.failure}" errors="${total.error}" skipped="${total.skipped}">`,
  ];
  lines.push(...complianceSuite(report));
  const flush = (): void => {
    write(`${lines.join('\n')}\n`);
    lines = [];
    check();
  };
  for (const s of suites) {
    lines.push(`  <testsuite${attr('name', s.name)} ${counts(s.cases)}${attr('file', s.file)}>`);
    for (const c of s.cases) lines.push(...renderCase(c));
    lines.push('  </testsuite>');
    if (lines.length >= 4096) flush();
  }
  lines.push('</testsuites>');
  flush();
}
