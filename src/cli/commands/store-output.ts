import path from 'node:path';
import { UsageError } from '../../core/index.js';
import type { CliIO } from '../io.js';

/** One `-o FORMAT[=FILE]` of the store commands. */
export interface StoreOutput {
  format: 'table' | 'json';
  file?: string;
}

/** Parses `-o table|json[=FILE]` values (default one table on stdout). */
export function parseStoreOutputs(values: readonly string[]): StoreOutput[] {
  if (values.length === 0) return [{ format: 'table' }];
  return values.map((v) => {
    const eq = v.indexOf('=');
    const format = eq < 0 ? v : v.slice(0, eq);
    if (format !== 'table' && format !== 'json')
      throw new UsageError(`-o must be table or json, optionally FORMAT=FILE (got "${v}")`);
    const file = eq < 0 ? undefined : v.slice(eq + 1);
    if (file === '') throw new UsageError(`-o ${format}= needs a file name`);
    return file === undefined ? { format } : { format, file };
  });
}

/** Writes each output: JSON from `data`, the table from `table()`. */
export async function writeStoreOutputs(
  outputs: readonly StoreOutput[],
  io: CliIO,
  data: unknown,
  table: () => string,
): Promise<void> {
  for (const o of outputs) {
    const text = o.format === 'json' ? `${JSON.stringify(data, null, 2)}\n` : table();
    if (o.file === undefined) io.stdout.write(text);
    else await io.writeFile(path.resolve(io.cwd, o.file), text);
  }
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
