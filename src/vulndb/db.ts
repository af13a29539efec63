/**
 * The local vulnerability database: OSV records in one SQLite file (better-sqlite3), indexed
 * by (ecosystem key, package key) so finding a package's records is one indexed query.
 * Opening reads one meta row and loads nothing else; records are parsed when first looked up.
 */
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { InputError } from '../core/index.js';
import type { VulnSource } from './match.js';
import { ecosystemKey, packageKey, type OsvRecord } from './osv.js';

const SCHEMA_VERSION = '1';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS vulns (id TEXT PRIMARY KEY, modified TEXT NOT NULL, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS affected (
  ecosystem TEXT NOT NULL, name TEXT NOT NULL, vuln_id TEXT NOT NULL,
  PRIMARY KEY (ecosystem, name, vuln_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS imports (
  id INTEGER PRIMARY KEY, at TEXT NOT NULL, sources TEXT NOT NULL, added INTEGER NOT NULL,
  replaced INTEGER NOT NULL, unchanged INTEGER NOT NULL, withdrawn INTEGER NOT NULL, errors INTEGER NOT NULL
);
`;

/** How to import a database: the hint every "missing database" error carries. */
export const IMPORT_HINT =
  'import OSV records first: palisade db import all.zip (files, directories and per-ecosystem all.zip exports) or palisade db update --from DIR_OR_URL';

/** Counts of one import. */
export interface ImportCounts {
  added: number;
  replaced: number;
  unchanged: number;
  withdrawn: number;
}

/** One past import, as `db status` lists it. */
export interface ImportEntry extends ImportCounts {
  at: string;
  sources: string[];
  errors: number;
}

/** What `db status` reports. Public contract (JSON output): add fields, never rename them. */
export interface VulnDbStatus {
  path: string;
  schemaVersion: string;
  records: number;
  /** Time of the last import (ISO 8601), absent when nothing was ever imported. */
  updatedAt?: string;
  imports: ImportEntry[];
  ecosystems?: { ecosystem: string; records: number }[];
}

/** Resolves the database path: `--vuln-db`, else `PALISADE_VULN_DB`, else `~/.palisade/vulndb.sqlite`. */
export function resolveVulnDbPath(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string = process.cwd(),
): string {
  const chosen = flag ?? env.PALISADE_VULN_DB;
  if (chosen !== undefined && chosen !== '') return path.resolve(cwd, chosen);
  const home = env.HOME ?? os.homedir();
  return path.join(home, '.palisade', 'vulndb.sqlite');
}

interface VulnRow {
  record: string;
}

/** An open vulnerability database. */
export class VulnDb implements VulnSource {
  private readonly cache = new Map<string, OsvRecord>();
  private readonly byPackage: Database.Statement<[string, string], VulnRow>;

  private constructor(
    private readonly db: Database.Database,
    readonly path: string,
  ) {
    this.byPackage = db.prepare(
      'SELECT v.id AS id, v.record AS record FROM affected a JOIN vulns v ON v.id = a.vuln_id WHERE a.ecosystem = ? AND a.name = ?',
    );
  }

  /** Opens an existing database read-only; a missing or foreign file is an InputError saying how to import one. */
  static open(file: string): VulnDb {
    if (!existsSync(file)) throw new InputError(`${file}: no vulnerability database; ${IMPORT_HINT}`);
    let db: Database.Database;
    try {
      db = new Database(file, { readonly: true, fileMustExist: true });
    } catch {
      throw new InputError(
        `${file}: cannot open the vulnerability database (not an SQLite file?); ${IMPORT_HINT}`,
      );
    }
    checkSchema(db, file);
    return new VulnDb(db, file);
  }

  /** Opens (creating when absent) a database for writing. */
  static openForWrite(file: string): VulnDb {
    mkdirSync(path.dirname(file), { recursive: true });
    let db: Database.Database;
    try {
      db = new Database(file);
      db.pragma('journal_mode = DELETE');
      db.pragma('synchronous = NORMAL');
      db.exec(SCHEMA);
      db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run(
        'schema_version',
        SCHEMA_VERSION,
      );
    } catch (e) {
      throw new InputError(`${file}: cannot write the vulnerability database (${(e as Error).message})`);
    }
    checkSchema(db, file);
    return new VulnDb(db, file);
  }

  /** Records naming this package (any spelling of the ecosystem release OSV uses). */
  recordsFor(ecosystem: string, name: string): OsvRecord[] {
    const rows = this.byPackage.all(ecosystemKey(ecosystem), packageKey(ecosystem, name)) as (VulnRow & {
      id: string;
    })[];
    return rows.map((row) => {
      let r = this.cache.get(row.id);
      if (r === undefined) {
        r = JSON.parse(row.record) as OsvRecord;
        this.cache.set(row.id, r);
      }
      return r;
    });
  }

  /** Stores records in one transaction; newer `modified` wins, withdrawn records are removed. */
  putRecords(records: readonly OsvRecord[]): ImportCounts {
    const counts: ImportCounts = { added: 0, replaced: 0, unchanged: 0, withdrawn: 0 };
    const getStored = this.db.prepare<[string], { modified: string; record: string }>(
      'SELECT modified, record FROM vulns WHERE id = ?',
    );
    const insert = this.db.prepare('INSERT OR REPLACE INTO vulns (id, modified, record) VALUES (?, ?, ?)');
    const deleteVuln = this.db.prepare('DELETE FROM vulns WHERE id = ?');
    const deleteAffected = this.db.prepare(
      'DELETE FROM affected WHERE ecosystem = ? AND name = ? AND vuln_id = ?',
    );
    const insertAffected = this.db.prepare(
      'INSERT OR IGNORE INTO affected (ecosystem, name, vuln_id) VALUES (?, ?, ?)',
    );
    // The stored record says which index rows it owns: no second index on vuln_id is needed.
    const unindex = (stored: string, id: string): void => {
      for (const [eco, name] of indexKeys(JSON.parse(stored) as OsvRecord)) deleteAffected.run(eco, name, id);
    };
    this.db.transaction(() => {
      for (const r of records) {
        const existing = getStored.get(r.id);
        if (r.withdrawn !== undefined) {
          if (existing !== undefined) {
            unindex(existing.record, r.id);
            deleteVuln.run(r.id);
          }
          counts.withdrawn++;
          continue;
        }
        if (existing !== undefined && existing.modified >= r.modified) {
          counts.unchanged++;
          continue;
        }
        if (existing !== undefined) unindex(existing.record, r.id);
        insert.run(r.id, r.modified, JSON.stringify(r));
        for (const [eco, name] of indexKeys(r)) insertAffected.run(eco, name, r.id);
        if (existing === undefined) counts.added++;
        else counts.replaced++;
      }
    })();
    return counts;
  }

  /** Records an import in the history and refreshes the record count. */
  recordImport(at: Date, sources: readonly string[], counts: ImportCounts, errors: number): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          'INSERT INTO imports (at, sources, added, replaced, unchanged, withdrawn, errors) VALUES (?, ?, ?, ?, ?, ?, ?)',
        )
        .run(
          at.toISOString(),
          JSON.stringify(sources),
          counts.added,
          counts.replaced,
          counts.unchanged,
          counts.withdrawn,
          errors,
        );
      const { n } = this.db.prepare<[], { n: number }>('SELECT count(*) AS n FROM vulns').get() ?? { n: 0 };
      const setMeta = this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
      setMeta.run('records', String(n));
      setMeta.run('updated_at', at.toISOString());
    })();
  }

  /** The database's status; per-ecosystem counts only when asked (they scan the index). */
  status(options: { ecosystems?: boolean; imports?: number } = {}): VulnDbStatus {
    const meta = new Map(
      this.db
        .prepare<[], { key: string; value: string }>('SELECT key, value FROM meta')
        .all()
        .map((r) => [r.key, r.value]),
    );
    const rows = this.db
      .prepare<[number], ImportCounts & { at: string; sources: string; errors: number }>(
        'SELECT at, sources, added, replaced, unchanged, withdrawn, errors FROM imports ORDER BY id DESC LIMIT ?',
      )
      .all(options.imports ?? 10);
    const status: VulnDbStatus = {
      path: this.path,
      schemaVersion: meta.get('schema_version') ?? '',
      records: Number(meta.get('records') ?? '0'),
      imports: rows.map((r) => ({
        at: r.at,
        sources: JSON.parse(r.sources) as string[],
        added: r.added,
        replaced: r.replaced,
        unchanged: r.unchanged,
        withdrawn: r.withdrawn,
        errors: r.errors,
      })),
    };
    const updated = meta.get('updated_at');
    if (updated !== undefined) status.updatedAt = updated;
    if (options.ecosystems === true) {
      status.ecosystems = this.db
        .prepare<[], { ecosystem: string; records: number }>(
          'SELECT ecosystem, count(DISTINCT vuln_id) AS records FROM affected GROUP BY ecosystem ORDER BY ecosystem',
        )
        .all();
    }
    return status;
  }

  /** Closes the file. */
  close(): void {
    this.db.close();
  }
}

function indexKeys(r: OsvRecord): [string, string][] {
  const out: [string, string][] = [];
  for (const a of r.affected) {
    if (a.package !== undefined)
      out.push([ecosystemKey(a.package.ecosystem), packageKey(a.package.ecosystem, a.package.name)]);
  }
  return out;
}

function checkSchema(db: Database.Database, file: string): void {
  let version: string | undefined;
  try {
    version = db
      .prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?')
      .get('schema_version')?.value;
  } catch {
    version = undefined;
  }
  if (version !== SCHEMA_VERSION) {
    db.close();
    throw new InputError(
      `${file}: not a Palisade vulnerability database (schema ${version ?? 'missing'}, expected ${SCHEMA_VERSION}); ${IMPORT_HINT}`,
    );
  }
}

/** Opens the vulnerability database read-only (see {@link VulnDb.open}). */
export function openVulnDb(file: string): VulnDb {
  return VulnDb.open(file);
}

const DURATION = /^(\d+)(ms|s|m|h|d|w)$/;
const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Parses a duration such as `7d`, `12h`, `30m`; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (m === null) return undefined;
  return Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? NaN);
}

/** A warning when the database is older than `maxAgeMs` (or was never updated); undefined when fresh. */
export function vulnDbAgeWarning(status: VulnDbStatus, maxAgeMs: number, now: Date): string | undefined {
  if (status.updatedAt === undefined)
    return `${status.path}: the vulnerability database was never imported; ${IMPORT_HINT}`;
  const age = now.getTime() - Date.parse(status.updatedAt);
  if (age <= maxAgeMs) return undefined;
  const days = (age / 86_400_000).toFixed(1);
  return `${status.path}: the vulnerability database is ${days} days old (last import ${status.updatedAt}); run palisade db update --from DIR_OR_URL`;
}
