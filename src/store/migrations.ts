/**
 * Versioned migrations of the history store: one source for both backends. Each migration
 * receives the dialect so the few type names that differ (auto-increment keys, doubles) are
 * chosen here and nowhere else. Migrations are append-only: never edit a shipped one, add the
 * next number.
 */
import { sql, type ColumnDefinitionBuilder, type Kysely } from 'kysely';
import type { Migration, MigrationProvider } from 'kysely/migration';

/** The two backends of the store. */
export type StoreDialect = 'sqlite' | 'postgres';

// Migrations run before the typed schema exists, so they see the database untyped.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- kysely's Migration signature
type AnyDb = Kysely<any>;

function types(dialect: StoreDialect): {
  id: 'integer' | 'bigserial';
  big: 'integer' | 'bigint';
  real: 'real' | 'double precision';
} {
  return dialect === 'sqlite'
    ? { id: 'integer', big: 'integer', real: 'real' }
    : { id: 'bigserial', big: 'bigint', real: 'double precision' };
}

async function initial(db: AnyDb, dialect: StoreDialect): Promise<void> {
  const t = types(dialect);
  const id = (c: ColumnDefinitionBuilder): ColumnDefinitionBuilder =>
    dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey();
  // A clustered key without a hidden rowid halves the size of the big link tables on SQLite.
  const withoutRowid = dialect === 'sqlite' ? sql`without rowid` : sql``;

  await db.schema
    .createTable('clusters')
    .addColumn('id', t.id, id)
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('server', 'text')
    .addColumn('created_at', t.big, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('scans')
    .addColumn('id', t.id, id)
    .addColumn('cluster_id', t.big, (c) => c.notNull())
    .addColumn('started_at', t.big, (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('source_detail', 'text', (c) => c.notNull())
    .addColumn('palisade_version', 'text', (c) => c.notNull())
    .addColumn('kubernetes_version', 'text')
    .addColumn('scope', 'text')
    .addColumn('resources', 'integer', (c) => c.notNull())
    .addColumn('findings', 'integer', (c) => c.notNull())
    .addColumn('suppressed', 'integer', (c) => c.notNull())
    .addColumn('critical', 'integer', (c) => c.notNull())
    .addColumn('high', 'integer', (c) => c.notNull())
    .addColumn('medium', 'integer', (c) => c.notNull())
    .addColumn('low', 'integer', (c) => c.notNull())
    .addColumn('info', 'integer', (c) => c.notNull())
    .addColumn('input_errors', 'integer', (c) => c.notNull())
    .addColumn('rbac_grants', 'integer')
    .addColumn('reachability', 'integer')
    .execute();
  await db.schema
    .createIndex('scans_cluster_time')
    .on('scans')
    .columns(['cluster_id', 'started_at'])
    .execute();

  await db.schema
    .createTable('scan_scores')
    .addColumn('scan_id', t.big, (c) => c.notNull())
    .addColumn('framework', 'text', (c) => c.notNull())
    .addColumn('score', t.real, (c) => c.notNull())
    .addColumn('passed', 'integer', (c) => c.notNull())
    .addColumn('failed', 'integer', (c) => c.notNull())
    .addColumn('applicable', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('scan_scores_pk', ['scan_id', 'framework'])
    .modifyEnd(withoutRowid)
    .execute();

  await db.schema
    .createTable('findings')
    .addColumn('id', t.id, id)
    .addColumn('cluster_id', t.big, (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('control_id', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('namespace', 'text', (c) => c.notNull())
    .addColumn('api_version', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('field_path', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('location', 'text')
    .addColumn('first_seen', t.big, (c) => c.notNull())
    .addColumn('last_seen', t.big, (c) => c.notNull())
    .addColumn('resolved_at', t.big)
    .addColumn('first_scan_id', t.big, (c) => c.notNull())
    .addColumn('last_scan_id', t.big, (c) => c.notNull())
    .addColumn('suppressed', 'integer', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addUniqueConstraint('findings_identity', ['cluster_id', 'fingerprint'])
    .execute();
  // "Open findings by severity for namespace X now" reads only this partial index.
  await db.schema
    .createIndex('findings_open')
    .on('findings')
    .columns(['cluster_id', 'namespace', 'suppressed', 'severity'])
    .where(sql.ref('resolved_at'), 'is', null)
    .execute();

  // A new scan reads the open findings' identities and states from this index alone.
  await db.schema
    .createIndex('findings_open_state')
    .on('findings')
    .columns(['cluster_id', 'fingerprint', 'state'])
    .where(sql.ref('resolved_at'), 'is', null)
    .execute();

  await db.schema
    .createTable('scan_findings')
    .addColumn('scan_id', t.big, (c) => c.notNull())
    .addColumn('finding_id', t.big, (c) => c.notNull())
    .addColumn('suppressed', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('scan_findings_pk', ['scan_id', 'finding_id'])
    .modifyEnd(withoutRowid)
    .execute();

  await db.schema
    .createTable('scan_exceptions')
    .addColumn('scan_id', t.big, (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('control_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('expires', 'text', (c) => c.notNull())
    .addColumn('finding_id', t.big)
    .execute();
  await db.schema.createIndex('scan_exceptions_scan').on('scan_exceptions').column('scan_id').execute();

  await db.schema
    .createTable('rbac_grants')
    .addColumn('scan_id', t.big, (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('namespace', 'text', (c) => c.notNull())
    .addColumn('rule', 'text', (c) => c.notNull())
    .addColumn('via', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('rbac_grants_scan').on('rbac_grants').column('scan_id').execute();

  await db.schema
    .createTable('reachability')
    .addColumn('scan_id', t.big, (c) => c.notNull())
    .addColumn('src', 'text', (c) => c.notNull())
    .addColumn('dst', 'text', (c) => c.notNull())
    .addColumn('conn', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('reachability_scan').on('reachability').column('scan_id').execute();

  await db.schema
    .createTable('admission_decisions')
    .addColumn('id', t.id, id)
    .addColumn('time', t.big, (c) => c.notNull())
    .addColumn('cluster_id', t.big)
    .addColumn('uid', 'text', (c) => c.notNull())
    .addColumn('endpoint', 'text', (c) => c.notNull())
    .addColumn('operation', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('resource', 'text', (c) => c.notNull())
    .addColumn('namespace', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('username', 'text', (c) => c.notNull())
    .addColumn('result', 'text', (c) => c.notNull())
    .addColumn('exempt', 'text')
    .addColumn('patched', 'integer', (c) => c.notNull())
    .addColumn('controls', 'text', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('admission_decisions_time').on('admission_decisions').column('time').execute();

  await db.schema
    .createTable('image_results')
    .addColumn('id', t.id, id)
    .addColumn('cluster_id', t.big)
    .addColumn('scan_id', t.big)
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('ref', 'text', (c) => c.notNull())
    .addColumn('scanned_at', t.big, (c) => c.notNull())
    .addColumn('os', 'text')
    .addColumn('packages', 'integer', (c) => c.notNull())
    .addColumn('critical', 'integer', (c) => c.notNull())
    .addColumn('high', 'integer', (c) => c.notNull())
    .addColumn('medium', 'integer', (c) => c.notNull())
    .addColumn('low', 'integer', (c) => c.notNull())
    .addColumn('info', 'integer', (c) => c.notNull())
    .addColumn('vulndb_time', t.big)
    .addColumn('detail', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('image_results_digest')
    .on('image_results')
    .columns(['digest', 'scanned_at'])
    .execute();

  await db.schema
    .createTable('image_vulnerabilities')
    .addColumn('image_result_id', t.big, (c) => c.notNull())
    .addColumn('vuln_id', 'text', (c) => c.notNull())
    .addColumn('aliases', 'text', (c) => c.notNull())
    .addColumn('package', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('fixed_version', 'text')
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('cvss', t.real)
    .addColumn('location', 'text', (c) => c.notNull())
    .addColumn('suppressed', 'integer', (c) => c.notNull())
    .addColumn('justification', 'text')
    .execute();
  await db.schema
    .createIndex('image_vulnerabilities_result')
    .on('image_vulnerabilities')
    .column('image_result_id')
    .execute();

  await db.schema
    .createTable('alerts')
    .addColumn('id', t.id, id)
    .addColumn('time', t.big, (c) => c.notNull())
    .addColumn('cluster_id', t.big)
    .addColumn('rule', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('mitre', 'text')
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('incident', 'text')
    .addColumn('evidence', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('alerts_time').on('alerts').column('time').execute();
}

/** Learned detection baselines: one row per identity, the model as JSON, rewritten on change. */
async function detectBaselines(db: AnyDb, dialect: StoreDialect): Promise<void> {
  const t = types(dialect);
  await db.schema
    .createTable('detect_baselines')
    .addColumn('identity', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('events', t.big, (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('updated_at', t.big, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('detect_baselines_updated')
    .on('detect_baselines')
    .column('updated_at')
    .execute();
}

/**
 * The images each workload's containers run, per scan (drift's "images changed"), and on each
 * scan the count of those rows (null for scans recorded before, or without the list).
 */
async function scanImages(db: AnyDb, dialect: StoreDialect): Promise<void> {
  const t = types(dialect);
  await db.schema.alterTable('scans').addColumn('images', 'integer').execute();
  await db.schema
    .createTable('scan_images')
    .addColumn('scan_id', t.big, (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('namespace', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('container', 'text', (c) => c.notNull())
    .addColumn('image', 'text', (c) => c.notNull())
    .addColumn('digest', 'text')
    .execute();
  await db.schema.createIndex('scan_images_scan').on('scan_images').column('scan_id').execute();
}

/** The migrations of the store for one dialect, keyed by name in the order they apply. */
export function storeMigrations(dialect: StoreDialect): Record<string, Migration> {
  return {
    '0001_initial': { up: (db: AnyDb) => initial(db, dialect) },
    '0002_detect_baselines': { up: (db: AnyDb) => detectBaselines(db, dialect) },
    '0003_scan_images': { up: (db: AnyDb) => scanImages(db, dialect) },
  };
}

/** A kysely migration provider over {@link storeMigrations}. */
export function migrationProvider(dialect: StoreDialect): MigrationProvider {
  return { getMigrations: () => Promise.resolve(storeMigrations(dialect)) };
}
