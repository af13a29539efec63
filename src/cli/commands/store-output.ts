import type { CliIO } from '../io.js';
import { parseOutputs, renderData, writeOutputs, type OutputFormats, type OutputTarget } from '../output.js';

/** One `-o FORMAT[=FILE]` of the store commands. */
export type StoreOutput = OutputTarget<'table' | 'json' | 'yaml'>;

const STORE_FORMATS: OutputFormats<'table' | 'json' | 'yaml'> = {
  formats: ['table', 'json', 'yaml'],
  default: 'table',
  aliases: { text: 'table' },
};

/** Parses `-o table|json|yaml[=FILE]` values and `--output-file` (default one table on stdout). */
export function parseStoreOutputs(values: readonly string[], outputFile?: string): StoreOutput[] {
  return parseOutputs(values, outputFile, STORE_FORMATS);
}

/** Writes each output: JSON or YAML from `data`, the table from `table()`. */
export async function writeStoreOutputs(
  outputs: readonly StoreOutput[],
  io: CliIO,
  data: unknown,
  table: () => string,
): Promise<void> {
  await writeOutputs(outputs, io, (format) => (format === 'table' ? table() : renderData(format, data)));
}

/** Replaces control characters (from cluster object names) so a terminal shows them inert. */
export function inert(s: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

/** Renders rows as left-aligned columns under a header. */
export function columns(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows].map((r) => r.map(inert));
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return (
    all
      .map((r) =>
        r
          .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

/** Formats an epoch time in milliseconds as `YYYY-MM-DD HH:MM` UTC. */
export function shortTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}
