import { err, ok } from '../core/index.js';
import type { Result } from '../core/index.js';
import { renderJson, writeJsonReport } from './contract.js';
import { renderCsv, writeCsv } from './csv.js';
import { renderHtml } from './html.js';
import { renderJunit, writeJunit } from './junit.js';
import type { ScanReport } from './model.js';
import { renderSarif, writeSarif } from './sarif.js';
import type { ReportWriter } from './stream.js';
import { renderTable } from './table.js';
import { renderYaml } from './yaml.js';

/** Every report format, in the order help text lists them. */
export const REPORT_FORMATS = ['table', 'json', 'yaml', 'sarif', 'junit', 'html', 'csv'] as const;

/** A report format name. */
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** Options every renderer may read; each ignores what it does not use. */
export interface RenderOptions {
  /** Colour the table with ANSI codes (the CLI sets it when stdout is a terminal). */
  color?: boolean;
  /** Directory scanned paths are relative to (SARIF artifact URIs). */
  scanRoot?: string;
}

/** One `-o` value: a format and, optionally, the file to write it to (stdout when absent). */
export interface OutputSpec {
  format: ReportFormat;
  file?: string;
}

/** Returns true when the string names a report format. */
export function isReportFormat(s: string): s is ReportFormat {
  return (REPORT_FORMATS as readonly string[]).includes(s);
}

/** Renders a report in one format. */
export function renderReport(format: ReportFormat, report: ScanReport, options: RenderOptions = {}): string {
  switch (format) {
    case 'table':
      return renderTable(report, options.color !== undefined ? { color: options.color } : {});
    case 'json':
      return renderJson(report);
    case 'yaml':
      return renderYaml(report);
    case 'sarif':
      return renderSarif(report, options.scanRoot !== undefined ? { scanRoot: options.scanRoot } : {});
    case 'junit':
      return renderJunit(report);
    case 'html':
      return renderHtml(report);
    case 'csv':
      return renderCsv(report);
  }
}

/**
 * Writes a report in one format in pieces, the same text `renderReport` returns: JSON, SARIF,
 * CSV and JUnit a batch of findings at a time (a report may be far larger than a string can
 * be), the other formats at once. `check` runs between batches (the CLI's heap check).
 */
export function writeReport(
  format: ReportFormat,
  report: ScanReport,
  write: ReportWriter,
  options: RenderOptions = {},
  check?: () => void,
): void {
  switch (format) {
    case 'json':
      writeJsonReport(report, write, check);
      return;
    case 'sarif':
      writeSarif(report, options.scanRoot !== undefined ? { scanRoot: options.scanRoot } : {}, write, check);
      return;
    case 'csv':
      writeCsv(report, write, check);
      return;
    case 'junit':
      writeJunit(report, write, check);
      return;
    default:
      write(renderReport(format, report, options));
  }
}

/**
 * Parses repeated `-o FORMAT` and `-o FORMAT=FILE` values. No value means one table on
 * stdout. Every bad value is reported in one message, so a user fixes them all at once.
 */
export function parseOutputSpecs(values: readonly string[]): Result<OutputSpec[], string> {
  return parseFormatSpecs(values, REPORT_FORMATS, isReportFormat, { text: 'table' });
}

/**
 * The `-o FORMAT[=FILE]` parser of every command: `formats` are the command's own, `aliases`
 * map other names onto them (`text` → `table`), `table` is the default. Every bad value is
 * reported in one message; two outputs to one file are refused.
 */
export function parseFormatSpecs<F extends string>(
  values: readonly string[],
  formats: readonly F[],
  isFormat: (name: string) => name is F = (name): name is F => (formats as readonly string[]).includes(name),
  aliases: Readonly<Record<string, F>> = {},
  defaultFormat?: F,
): Result<{ format: F; file?: string }[], string> {
  const fallback = defaultFormat ?? (formats.includes('table' as F) ? ('table' as F) : formats[0]);
  if (values.length === 0) return fallback === undefined ? ok([]) : ok([{ format: fallback }]);
  const specs: { format: F; file?: string }[] = [];
  const problems: string[] = [];
  const files = new Map<string, string>();
  for (const raw of values) {
    const eq = raw.indexOf('=');
    const given = (eq === -1 ? raw : raw.slice(0, eq)).trim().toLowerCase();
    const name = aliases[given] ?? given;
    const file = eq === -1 ? undefined : raw.slice(eq + 1).trim();
    if (!isFormat(name)) {
      problems.push(
        given === ''
          ? `output "${raw}" names no format; valid formats: ${formats.join(', ')}`
          : `unknown output format "${given}"; valid formats: ${formats.join(', ')}`,
      );
      continue;
    }
    if (file === '') {
      problems.push(`output "${raw}" has an empty file name; use ${name}=FILE or just ${name} for stdout`);
      continue;
    }
    if (file !== undefined) {
      const previous = files.get(file);
      if (previous !== undefined) {
        problems.push(`file "${file}" is the target of both ${previous} and ${name}`);
        continue;
      }
      files.set(file, name);
      specs.push({ format: name, file });
    } else {
      specs.push({ format: name });
    }
  }
  return problems.length > 0 ? err(problems.join('\n')) : ok(specs);
}
