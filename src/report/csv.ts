import type { Finding } from '../core/index.js';
import type { ScanReport } from './model.js';

/** Column names of the CSV format, in order. */
export const CSV_COLUMNS = [
  'severity',
  'controlId',
  'title',
  'message',
  'apiVersion',
  'kind',
  'namespace',
  'name',
  'file',
  'line',
  'column',
  'fieldPath',
  'remediation',
  'frameworks',
  'suppressed',
  'suppressionReason',
] as const;

/**
 * Quotes one CSV field per RFC 4180. Text that a spreadsheet would run as a formula
 * (leading `=`, `+`, `-`, `@`, tab or CR) gets a leading apostrophe: manifest values are
 * attacker-controlled, and a security report must not become a way to run one.
 */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function row(f: Finding): string[] {
  return [
    f.severity,
    f.controlId,
    f.title,
    f.message,
    f.resource.apiVersion,
    f.resource.kind,
    f.resource.namespace ?? '',
    f.resource.name,
    f.location?.file ?? '',
    f.location ? String(f.location.line) : '',
    f.location ? String(f.location.column) : '',
    f.fieldPath ?? '',
    f.remediation,
    f.frameworks.map((fw) => `${fw.id}:${fw.control}`).join(' '),
    f.suppressed ? 'true' : 'false',
    f.suppressed?.reason ?? '',
  ];
}

/** Renders one header row and one row per finding, CRLF line endings as RFC 4180 says. */
export function renderCsv(report: ScanReport): string {
  const lines = [CSV_COLUMNS.join(','), ...report.findings.map((f) => row(f).map(csvField).join(','))];
  return `${lines.join('\r\n')}\r\n`;
}
