import { stat } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../../core/index.js';
import {
  downloadToTemp,
  importOsv,
  isUrl,
  openVulnDb,
  parseDuration,
  resolveVulnDbPath,
  VulnDb,
  vulnDbAgeWarning,
  type ImportReport,
  type VulnDbStatus,
} from '../../vulndb/index.js';
import type { CliIO } from '../io.js';
import { renderData, writeOutputs, type OutputTarget } from '../output.js';

/** Options shared by the `db` commands. */
export interface DbOptions {
  vulnDb?: string;
  outputs: readonly OutputTarget<'table' | 'json' | 'yaml'>[];
  quiet: boolean;
}

function clean(s: string): string {
  // File names and record ids come from the input: never let them drive the terminal.
  // eslint-disable-next-line no-control-regex -- stripping control characters is the point
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

function progress(io: CliIO, quiet: boolean): ((n: number) => void) | undefined {
  if (quiet || io.stderr.isTTY !== true) return undefined;
  return (n) => {
    io.stderr.write(`\rimporting: ${n} records`);
  };
}

async function writeReport(
  io: CliIO,
  report: ImportReport,
  file: string,
  outputs: DbOptions['outputs'],
  quiet: boolean,
): Promise<number> {
  if (!quiet && io.stderr.isTTY === true) io.stderr.write('\r\x1b[2K');
  for (const i of report.issues) {
    const where = i.entry !== undefined ? `${i.file}!${i.entry}` : i.file;
    io.stderr.write(`palisade: ${clean(where)}: ${clean(i.message)}\n`);
  }
  await writeOutputs(outputs, io, (format) =>
    format === 'table'
      ? `${file}: ${report.records} records read from ${report.files} files: ${report.added} added, ${report.replaced} replaced, ` +
        `${report.unchanged} unchanged, ${report.withdrawn} withdrawn, ${report.issues.length} errors\n`
      : renderData(format, { database: file, ...report }),
  );
  if (report.records === 0 && report.issues.length === 0) {
    // Fail closed: an import that found nothing is an input error, not a success.
    io.stderr.write(
      'palisade: no OSV records found (expected *.json records, directories of them or all.zip exports)\n',
    );
    return 2;
  }
  return report.issues.length > 0 ? 2 : 0;
}

/** `palisade db import PATH…`. */
export async function runDbImport(paths: string[], options: DbOptions, io: CliIO): Promise<number> {
  if (paths.length === 0) throw new UsageError('db import: give at least one file, directory or zip');
  const file = resolveVulnDbPath(options.vulnDb, io.env, io.cwd);
  const db = VulnDb.openForWrite(file);
  try {
    const onProgress = progress(io, options.quiet);
    const sources = paths.map((p) => path.resolve(io.cwd, p));
    const report = await importOsv(db, sources, onProgress ? { onProgress } : {});
    return await writeReport(io, report, file, options.outputs, options.quiet);
  } finally {
    db.close();
  }
}

/** `palisade db update --from DIR_OR_URL`. */
export async function runDbUpdate(from: string, options: DbOptions, io: CliIO): Promise<number> {
  const file = resolveVulnDbPath(options.vulnDb, io.env, io.cwd);
  let source = from;
  let cleanup: (() => Promise<void>) | undefined;
  if (isUrl(from)) {
    if (!options.quiet && io.stderr.isTTY === true) io.stderr.write('downloading…\n');
    const dl = await downloadToTemp(from);
    source = dl.file;
    cleanup = dl.cleanup;
  } else {
    source = path.resolve(io.cwd, from);
    const st = await stat(source).catch(() => undefined);
    if (st === undefined)
      throw new UsageError(`${from}: no such directory or file (--from takes a directory or an http(s) URL)`);
  }
  const db = VulnDb.openForWrite(file);
  try {
    const onProgress = progress(io, options.quiet);
    const report = await importOsv(db, [source], onProgress ? { onProgress } : {});
    return await writeReport(io, report, file, options.outputs, options.quiet);
  } finally {
    db.close();
    await cleanup?.();
  }
}

function renderStatus(s: VulnDbStatus, size: number, now: Date): string {
  const lines = [`database:  ${s.path} (${(size / 1024 / 1024).toFixed(1)} MiB, schema ${s.schemaVersion})`];
  lines.push(`records:   ${s.records}`);
  if (s.updatedAt !== undefined) {
    const days = (now.getTime() - Date.parse(s.updatedAt)) / 86_400_000;
    lines.push(`updated:   ${s.updatedAt} (${days.toFixed(1)} days ago)`);
  } else lines.push('updated:   never');
  if (s.ecosystems !== undefined && s.ecosystems.length > 0) {
    lines.push('ecosystems:');
    for (const e of s.ecosystems) lines.push(`  ${e.ecosystem.padEnd(24)} ${e.records}`);
  }
  if (s.imports.length > 0) {
    lines.push('recent imports:');
    for (const i of s.imports) {
      lines.push(
        `  ${i.at}  +${i.added} ~${i.replaced} =${i.unchanged} -${i.withdrawn} errors ${i.errors}  ${clean(i.sources.join(', '))}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

/** `palisade db status`. */
export async function runDbStatus(options: DbOptions & { maxDbAge: string }, io: CliIO): Promise<number> {
  const maxAge = parseDuration(options.maxDbAge);
  if (maxAge === undefined)
    throw new UsageError(`--max-db-age ${options.maxDbAge}: expected a duration such as 12h, 7d or 2w`);
  const file = resolveVulnDbPath(options.vulnDb, io.env, io.cwd);
  const db = openVulnDb(file);
  try {
    const status = db.status({ ecosystems: true });
    const size = (await stat(file)).size;
    const now = new Date();
    const warning = vulnDbAgeWarning(status, maxAge, now);
    if (warning !== undefined) io.stderr.write(`palisade: warning: ${warning}\n`);
    await writeOutputs(options.outputs, io, (format) =>
      format === 'table'
        ? renderStatus(status, size, now)
        : renderData(format, { ...status, sizeBytes: size, stale: warning !== undefined }),
    );
    return 0;
  } finally {
    db.close();
  }
}
