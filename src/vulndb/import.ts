/**
 * Reading OSV records from files, directories and zip exports (the per-ecosystem `all.zip`
 * of osv.dev) into the database. Every malformed record is reported with its file (and zip
 * entry) and record id; the rest is imported. Input sizes are bounded: a zip entry or a JSON
 * file above the limit is an error for that entry, never read into memory.
 */
import { createReadStream } from 'node:fs';
import { lstat, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import yauzl from 'yauzl';
import type { ImportCounts, VulnDb } from './db.js';

/** Where imported records go: the database, or a counting sink in benchmarks. */
export type OsvSink = Pick<VulnDb, 'putRecords' | 'recordImport'>;
import { parseOsvRecord, type OsvRecord } from './osv.js';

/** One problem found while importing, located by file (and zip entry) and record id. */
export interface ImportIssue {
  file: string;
  entry?: string;
  recordId?: string;
  message: string;
}

/** Limits that keep a hostile input from exhausting memory or time. */
export interface ImportLimits {
  /** Largest JSON file or zip entry read (bytes, uncompressed). */
  maxEntryBytes: number;
  /** Most entries read from one zip file. */
  maxZipEntries: number;
}

/** Defaults: real OSV records are a few kB; the largest real ones stay far below 32 MiB. */
export const DEFAULT_IMPORT_LIMITS: ImportLimits = {
  maxEntryBytes: 32 * 1024 * 1024,
  maxZipEntries: 2_000_000,
};

/** Options of {@link importOsv}. */
export interface ImportOptions {
  limits?: Partial<ImportLimits>;
  /** Called now and then with the number of records read so far. */
  onProgress?: (records: number) => void;
  /** Time recorded as the import time (tests pass a fixed clock). */
  now?: () => Date;
}

/** The outcome of an import. */
export interface ImportReport extends ImportCounts {
  records: number;
  files: number;
  issues: ImportIssue[];
}

const BATCH = 2000;

class Importer {
  private batch: OsvRecord[] = [];
  readonly report: ImportReport = {
    records: 0,
    files: 0,
    added: 0,
    replaced: 0,
    unchanged: 0,
    withdrawn: 0,
    issues: [],
  };

  constructor(
    private readonly db: OsvSink,
    readonly limits: ImportLimits,
    private readonly onProgress: ((n: number) => void) | undefined,
  ) {}

  /** Takes one JSON document: a record or an array of records. */
  document(text: string, file: string, entry?: string): void {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      this.issue(file, entry, undefined, `not JSON: ${(e as Error).message}`);
      return;
    }
    const items = Array.isArray(json) ? json : [json];
    for (const item of items) {
      const parsed = parseOsvRecord(item);
      if (!parsed.ok) {
        const id =
          typeof item === 'object' && item !== null && 'id' in item
            ? (item as { id: unknown }).id
            : undefined;
        this.issue(file, entry, typeof id === 'string' ? id.slice(0, 200) : undefined, parsed.error);
        continue;
      }
      this.batch.push(parsed.value);
      this.report.records++;
      if (this.batch.length >= BATCH) this.flush();
    }
  }

  issue(file: string, entry: string | undefined, recordId: string | undefined, message: string): void {
    this.report.issues.push({
      file,
      ...(entry !== undefined ? { entry } : {}),
      ...(recordId !== undefined ? { recordId } : {}),
      message,
    });
  }

  flush(): void {
    if (this.batch.length === 0) return;
    const c = this.db.putRecords(this.batch);
    this.report.added += c.added;
    this.report.replaced += c.replaced;
    this.report.unchanged += c.unchanged;
    this.report.withdrawn += c.withdrawn;
    this.batch = [];
    this.onProgress?.(this.report.records);
  }
}

async function readBounded(file: string, max: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of createReadStream(file)) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > max) return undefined;
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function isZip(file: string): Promise<boolean> {
  if (file.toLowerCase().endsWith('.zip')) return true;
  for await (const chunk of createReadStream(file, { start: 0, end: 3 })) {
    const b = chunk as Buffer;
    return b.length >= 4 && b.readUInt32LE(0) === 0x04034b50;
  }
  return false;
}

function openZip(file: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(
      file,
      { lazyEntries: true, autoClose: true, validateEntrySizes: true, strictFileNames: false },
      (e, zip) => {
        if (e !== null || zip === undefined) reject(e ?? new Error('cannot open zip'));
        else resolve(zip);
      },
    );
  });
}

function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, max: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (e, stream) => {
      if (e !== null || stream === undefined) {
        reject(e ?? new Error('cannot read entry'));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > max) {
          stream.destroy();
          resolve(undefined);
          return;
        }
        chunks.push(chunk);
      });
      stream.on('error', reject);
      stream.on('end', () => {
        resolve(Buffer.concat(chunks).toString('utf8'));
      });
    });
  });
}

/** Entries read at once from one zip: hides the latency of each entry's reads. */
const ZIP_IN_FLIGHT = 16;

async function importZip(im: Importer, file: string): Promise<void> {
  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(file);
  } catch (e) {
    im.issue(file, undefined, undefined, `not a readable zip file: ${(e as Error).message}`);
    return;
  }
  await new Promise<void>((resolve) => {
    let entries = 0;
    let inFlight = 0;
    let ended = false;
    let stopped = false;
    let waiting = false;
    const finishIfDone = (): void => {
      if ((ended || stopped) && inFlight === 0) resolve();
    };
    const next = (): void => {
      if (ended || stopped) return;
      if (inFlight >= ZIP_IN_FLIGHT) {
        waiting = true;
        return;
      }
      waiting = false;
      zip.readEntry();
    };
    zip.on('entry', (entry: yauzl.Entry) => {
      entries++;
      if (entries > im.limits.maxZipEntries) {
        im.issue(
          file,
          undefined,
          undefined,
          `more than ${im.limits.maxZipEntries} entries; the rest is not read`,
        );
        stopped = true;
        zip.close();
        finishIfDone();
        return;
      }
      const name = entry.fileName;
      if (name.endsWith('/') || !name.toLowerCase().endsWith('.json')) {
        next();
        return;
      }
      if (entry.uncompressedSize > im.limits.maxEntryBytes) {
        im.issue(
          file,
          name,
          undefined,
          `entry of ${entry.uncompressedSize} bytes exceeds the ${im.limits.maxEntryBytes}-byte limit; skipped`,
        );
        next();
        return;
      }
      inFlight++;
      readEntry(zip, entry, im.limits.maxEntryBytes)
        .then(
          (text) => {
            if (text === undefined) {
              im.issue(
                file,
                name,
                undefined,
                `entry exceeds the ${im.limits.maxEntryBytes}-byte limit; skipped`,
              );
            } else im.document(text, file, name);
          },
          (e: unknown) => {
            im.issue(file, name, undefined, `cannot read entry: ${(e as Error).message}`);
          },
        )
        .finally(() => {
          inFlight--;
          if (waiting) next();
          finishIfDone();
        });
      next();
    });
    zip.on('end', () => {
      ended = true;
      finishIfDone();
    });
    zip.on('error', (e: Error) => {
      im.issue(file, undefined, undefined, `zip error: ${e.message}`);
      stopped = true;
      finishIfDone();
    });
    next();
  });
}

async function importFile(im: Importer, file: string): Promise<void> {
  im.report.files++;
  if (await isZip(file)) {
    await importZip(im, file);
    return;
  }
  const text = await readBounded(file, im.limits.maxEntryBytes);
  if (text === undefined)
    im.issue(file, undefined, undefined, `file exceeds the ${im.limits.maxEntryBytes}-byte limit; skipped`);
  else im.document(text, file);
}

async function walk(im: Importer, dir: string): Promise<void> {
  const names = (await readdir(dir)).sort();
  for (const name of names) {
    const p = path.join(dir, name);
    const st = await lstat(p);
    if (st.isDirectory()) await walk(im, p);
    else if (st.isFile() && /\.(json|zip)$/i.test(name)) await importFile(im, p);
  }
}

/**
 * Imports OSV records from files, directories (recursively: `*.json` and `*.zip`; symbolic
 * links are not followed) and zip exports into an open database, and records the import.
 */
export async function importOsv(
  db: OsvSink,
  sources: readonly string[],
  options: ImportOptions = {},
): Promise<ImportReport> {
  const im = new Importer(db, { ...DEFAULT_IMPORT_LIMITS, ...options.limits }, options.onProgress);
  for (const source of sources) {
    let st;
    try {
      st = await stat(source);
    } catch {
      im.issue(source, undefined, undefined, 'no such file or directory');
      continue;
    }
    try {
      if (st.isDirectory()) await walk(im, source);
      else await importFile(im, source);
    } catch (e) {
      im.issue(source, undefined, undefined, `cannot read: ${(e as Error).message}`);
    }
    im.flush();
  }
  im.flush();
  const r = im.report;
  db.recordImport((options.now ?? (() => new Date()))(), sources, r, r.issues.length);
  return r;
}
