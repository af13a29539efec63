import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import { Migrator } from 'kysely/migration';
import { InputError } from '../core/index.js';
import { migrationProvider, type StoreDialect } from './migrations.js';
import type { StoreSchema } from './schema.js';
import { Store } from './store.js';
import { describeStoreTarget } from './target.js';
import type { RetentionPolicy, StoreTarget } from './types.js';

/** Options of {@link openStore}. */
export interface OpenStoreOptions {
  retention?: Partial<RetentionPolicy>;
  /** PostgreSQL connect timeout in milliseconds (default 10 s). */
  connectTimeoutMs?: number;
  /** PostgreSQL per-statement timeout in milliseconds (default 120 s). */
  statementTimeoutMs?: number;
}

const PG_INT8 = 20;

async function sqliteDb(file: string): Promise<Kysely<StoreSchema>> {
  const { default: Database } = await import('better-sqlite3');
  let database;
  try {
    // One level only (the default ~/.palisade): a mistyped deeper path is an error, not a tree.
    if (!existsSync(path.dirname(file))) mkdirSync(path.dirname(file), { mode: 0o700 });
    database = new Database(file);
    // WAL: readers never block the writer; FULL: a committed scan survives a power cut, not
    // just a killed process. One fsync per scan is cheap.
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = FULL');
    database.pragma('busy_timeout = 10000');
  } catch (e) {
    database?.close();
    throw new InputError(
      `cannot open store ${file}: ${e instanceof Error ? e.message : String(e)}; pass --db with a writable SQLite file or a postgres:// URL`,
    );
  }
  return new Kysely<StoreSchema>({ dialect: new SqliteDialect({ database }) });
}

type BuiltinParser = (oid: number, format?: 'text' | 'binary') => (value: string) => unknown;

/** The driver's parsers, except BIGINT ids and times read as numbers (they stay far below 2^53). */
function parserOf(builtin: BuiltinParser): BuiltinParser {
  const int8 = (v: string): number => Number(v);
  return (oid, format) => (oid === PG_INT8 ? int8 : builtin(oid, format));
}

async function postgresDb(url: string, options: OpenStoreOptions): Promise<Kysely<StoreSchema>> {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({
    connectionString: url,
    max: 4,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    statement_timeout: options.statementTimeoutMs ?? 120_000,
    query_timeout: (options.statementTimeoutMs ?? 120_000) + 5_000,
    types: {
      getTypeParser: parserOf(pg.types.getTypeParser as BuiltinParser) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client's error (server restart) must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  return new Kysely<StoreSchema>({ dialect: new PostgresDialect({ pool }) });
}

/** Runs every pending migration; returns the names applied. */
export async function migrateStore(db: Kysely<StoreSchema>, dialect: StoreDialect): Promise<string[]> {
  const migrator = new Migrator({ db, provider: migrationProvider(dialect) });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) throw error instanceof Error ? error : new Error('migration failed');
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/**
 * Opens the store (creating the SQLite file and its folder when missing), brings its schema to
 * the latest migration and returns it. Connection failures are input errors that name the
 * store without its password.
 */
export async function openStore(target: StoreTarget, options: OpenStoreOptions = {}): Promise<Store> {
  const dialect: StoreDialect = target.kind;
  const db = target.kind === 'sqlite' ? await sqliteDb(target.file) : await postgresDb(target.url, options);
  try {
    await migrateStore(db, dialect);
  } catch (e) {
    await db.destroy();
    const why = e instanceof Error ? e.message : String(e);
    throw new InputError(`cannot open store ${describeStoreTarget(target)}: ${why}`);
  }
  return new Store(db, dialect, options.retention);
}
