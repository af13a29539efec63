import { isolationTableLines } from './isolation.js';
import { SEVERITIES, formatRef } from '../core/index.js';
import type { Finding, Severity } from '../core/index.js';
import { describeException } from './build.js';
import type { ScanReport } from './model.js';
import { formatPosition, sanitizeTerminal } from './text.js';

/** Options of the terminal table. */
export interface TableOptions {
  /** Colour severities with ANSI escape codes. */
  color?: boolean;
}

const RESET = '\u001b[0m';
const SEVERITY_COLOR: Record<Severity, string> = {
  critical: '\u001b[1;31m',
  high: '\u001b[31m',
  medium: '\u001b[33m',
  low: '\u001b[36m',
  info: '\u001b[90m',
};
const DIM = '\u001b[2m';
const BOLD = '\u001b[1m';

// Width of the severity column: the longest label, `CRITICAL`, plus a space.
const SEVERITY_WIDTH = 9;
const INDENT = '  ';
const DETAIL_INDENT = ' '.repeat(INDENT.length + SEVERITY_WIDTH);

interface Group {
  header: string;
  findings: Finding[];
}

/**
 * Groups findings by resource and file, keeping the report's order (file, line), so a
 * reader walks the manifests top to bottom.
 */
function groupFindings(findings: readonly Finding[]): Group[] {
  const groups = new Map<string, Group>();
  for (const f of findings) {
    const key = JSON.stringify([f.resource, f.location?.file ?? null]);
    let g = groups.get(key);
    if (!g) {
      const where = f.location ? `  ${f.location.file}:${f.location.line}` : '';
      g = { header: `${formatRef(f.resource)}${where}`, findings: [] };
      groups.set(key, g);
    }
    g.findings.push(f);
  }
  return [...groups.values()];
}

/** Renders the report for a terminal: findings grouped by resource, input errors, then a summary. */
export function renderTable(report: ScanReport, options: TableOptions = {}): string {
  const color = options.color === true;
  const paint = (code: string, s: string): string => (color ? `${code}${s}${RESET}` : s);
  const out: string[] = [];

  for (const g of groupFindings(report.findings)) {
    out.push(paint(BOLD, sanitizeTerminal(g.header)));
    for (const f of g.findings) {
      const label = f.severity.toUpperCase().padEnd(SEVERITY_WIDTH);
      const sev = f.suppressed ? paint(DIM, label) : paint(SEVERITY_COLOR[f.severity], label);
      out.push(
        `${INDENT}${sev}${sanitizeTerminal(f.controlId)}  ${sanitizeTerminal(f.message, DETAIL_INDENT)}`,
      );
      const at: string[] = [];
      if (f.fieldPath) at.push(sanitizeTerminal(f.fieldPath));
      if (f.location) at.push(`(line ${f.location.line}, column ${f.location.column})`);
      if (at.length > 0) out.push(`${DETAIL_INDENT}${paint(DIM, at.join(' '))}`);
      if (f.suppressed) {
        const s = f.suppressed;
        const who = s.owner ? `, owner ${s.owner}` : '';
        const until = s.expires ? `, until ${s.expires}` : '';
        out.push(
          `${DETAIL_INDENT}suppressed (${s.kind}${who}${until}): ${sanitizeTerminal(s.reason, DETAIL_INDENT)}`,
        );
      }
    }
    out.push('');
  }

  if (report.findings.length === 0) {
    out.push(`No findings in ${plural(report.summary.resources, 'resource')}.`, '');
  }

  if (report.inputErrors.length > 0) {
    out.push(paint(BOLD, `Input errors (${report.inputErrors.length})`));
    for (const e of report.inputErrors) {
      out.push(
        `${INDENT}${sanitizeTerminal(formatPosition(e))}: ${sanitizeTerminal(e.message, INDENT + INDENT)}`,
      );
    }
    out.push('');
  }

  if (report.scores && report.scores.length > 0) {
    out.push(paint(BOLD, 'Scores'));
    for (const s of report.scores) {
      out.push(
        `${INDENT}${sanitizeTerminal(s.framework).padEnd(24)} ${String(s.score).padStart(5)}%  (${s.passed} of ${s.applicable} applicable controls passed${s.groups ? ', mean of its groups' : ''})`,
      );
      for (const g of s.groups ?? [])
        if (g.applicable > 0)
          out.push(
            `${INDENT}${INDENT}${sanitizeTerminal(g.name).padEnd(22)} ${String(g.score).padStart(5)}%  (${g.passed} of ${g.applicable})`,
          );
    }
    out.push('');
  }

  const isolation = isolationTableLines(report, INDENT);
  if (isolation.length > 0) out.push(paint(BOLD, 'Namespace isolation'), ...isolation, '');

  const images = report.images;
  if (images) {
    out.push(paint(BOLD, 'Images'));
    out.push(
      `${INDENT}${plural(images.references, 'image reference')} in ${plural(images.containers, 'container')}, ${plural(images.digests, 'digest')}: ${images.scanned} scanned, ${images.notScanned.length} not scanned; ${plural(images.vulnerabilities, 'vulnerabilit', 'y', 'ies')}${images.severity === 'info' ? '' : ` at or above ${images.severity}`}`,
    );
    for (const n of images.notScanned)
      out.push(
        `${INDENT}not scanned: ${sanitizeTerminal(n.image)}${n.digest !== undefined && !n.image.endsWith(`@${n.digest}`) ? ` (${n.digest})` : ''}: ${sanitizeTerminal(n.reason, INDENT + INDENT)}`,
      );
    out.push('');
  }

  const x = report.exceptions;
  if (x && (x.expired.length > 0 || x.unused.length > 0 || x.ignoredAnnotations.length > 0)) {
    out.push(paint(BOLD, 'Exceptions'));
    for (const e of x.expired)
      out.push(`${INDENT}expired, no longer applied: ${sanitizeTerminal(describeException(e))}`);
    for (const e of x.unused)
      out.push(`${INDENT}unused, matched nothing: ${sanitizeTerminal(describeException(e))}`);
    for (const a of x.ignoredAnnotations)
      out.push(
        `${INDENT}annotation ignored (needs --allow-annotation-exceptions): ${sanitizeTerminal(`${a.controlId} on ${formatRef(a.resource)}`)}`,
      );
    out.push('');
  }

  out.push(summaryLine(report, paint));
  return `${out.join('\n')}\n`;
}

function summaryLine(report: ScanReport, paint: (code: string, s: string) => string): string {
  const s = report.summary;
  const counts = SEVERITIES.map((sev) => paint(SEVERITY_COLOR[sev], `${sev} ${s.bySeverity[sev]}`)).join(
    ', ',
  );
  const parts = [plural(s.resources, 'resource'), `${plural(s.findings, 'finding')} (${counts})`];
  if (s.suppressed) parts.push(`${s.suppressed} suppressed`);
  parts.push(plural(s.inputErrors, 'input error'));
  if (report.images)
    parts.push(
      `${plural(report.images.scanned, 'image')} scanned, ${report.images.notScanned.length} not scanned`,
    );
  return `Summary: ${parts.join(', ')}`;
}

function plural(n: number, word: string, one = '', many = 's'): string {
  return `${n} ${word}${n === 1 ? one : many}`;
}
