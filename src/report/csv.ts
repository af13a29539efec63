import { csvCell, type Finding } from '../core/index.js';
import type { FrameworkScore, ScanReport } from './model.js';
import type { ReportWriter } from './stream.js';

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
  'record',
] as const;

/**
 * Quotes one CSV field per RFC 4180. Control characters (ANSI escapes) are neutralised and
 * text that a spreadsheet would run as a formula (leading `=`, `+`, `-`, `@`, tab or CR) gets
 * a leading apostrophe: manifest values are attacker-controlled, and a security report must
 * not become a way to run one.
 */
export function csvField(value: string): string {
  return csvCell(value);
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
    'finding',
  ];
}

/** A compliance score as a CSV record: `record` is `score`, controlId the framework. */
function scoreRow(s: FrameworkScore): string[] {
  const cells: string[] = CSV_COLUMNS.map(() => '');
  const set = (col: (typeof CSV_COLUMNS)[number], v: string): void => {
    cells[CSV_COLUMNS.indexOf(col)] = v;
  };
  set('controlId', s.framework);
  set('title', 'compliance score');
  set('message', `${s.score}% (${s.passed} of ${s.applicable} applicable controls passed)`);
  set('frameworks', (s.failedControls ?? []).join(' '));
  set('record', 'score');
  return cells;
}

/**
 * Renders one header row, one row per finding (`record` = `finding`) and one per framework
 * score (`record` = `score`, failed control ids in `frameworks`), CRLF line endings as
 * RFC 4180 says.
 */
export function renderCsv(report: ScanReport): string {
  const parts: string[] = [];
  writeCsv(report, (t) => parts.push(t));
  return parts.join('');
}

/** `renderCsv` in pieces: a batch of rows at a time. */
export function writeCsv(report: ScanReport, write: ReportWriter, check: () => void = () => undefined): void {
  const ROWS = 2048;
  let lines: string[] = [CSV_COLUMNS.join(',')];
  const flush = (): void => {
    write(`${lines.join('\r\n')}\r\n`);
    lines = [];
    check();
  };
  for (const f of report.findings) {
    lines.push(row(f).map(csvField).join(','));
    if (lines.length >= ROWS) flush();
  }
  for (const s of report.scores ?? []) lines.push(scoreRow(s).map(csvField).join(','));
  if (lines.length > 0) flush();
}
