/**
 * The history store: one query layer (kysely) over SQLite and PostgreSQL. Every write of a
 * scan is one transaction that also applies retention, so a reader sees a scan whole or not
 * at all and the database never grows without bound. Bulk rows travel as one JSON parameter
 * expanded by the database (`json_each` / `json_array_elements`): one prepared statement per
 * table and chunk instead of thousands of placeholders.
 */
import { hash } from 'node:crypto';
import { sql, type Kysely, type RawBuilder, type Selectable, type Transaction } from 'kysely';
import { SEVERITIES, type Finding, type Severity } from '../core/index.js';
import { findingFingerprint, findingNamespace } from './fingerprint.js';
import type { StoreDialect } from './migrations.js';
import type { ImageResultsTable, StoreSchema } from './schema.js';
import type { ScanRef } from './target.js';
import {
  DEFAULT_RETENTION,
  type AdmissionDecisionInput,
  type AdmissionDecisionRow,
  type AlertInput,
  type AlertRow,
  type BaselineRecord,
  type ImageResultDetail,
  type ImageResultInput,
  type ImageResultRow,
  type ImageResultSummary,
  type ImageVulnerabilityFilter,
  type ImageVulnerabilityRow,
  type RbacGrantRow,
  type ReachabilityRow,
  type RetentionPolicy,
  type ScanInput,
  type ScoreRow,
  type ScanSummary,
  type ScorePoint,
  type StoredFinding,
  type WorkloadImageRow,
} from './types.js';

type Db = Kysely<StoreSchema>;
type Tx = Transaction<StoreSchema>;
type ColType = 'int' | 'text' | 'real';
type Columns = readonly (readonly [name: string, type: ColType])[];

const DAY_MS = 86_400_000;
/** Rows per bulk statement: bounds the JSON parameter to a few MiB. */
const CHUNK = 5000;
/** Baseline rows per upsert statement: 5 parameters each, far below SQLite's and PostgreSQL's limits. */
const BASELINE_CHUNK = 500;

/** Options of {@link Store.recordScan}. */
export interface RecordScanOptions {
  /** Called inside the transaction after a stage is written; awaited. */
  onProgress?: (stage: 'findings') => void | Promise<void>;
}

/** A change to the open findings of a scan (watch mode); see {@link Store.updateScan}. */
export interface ScanUpdate {
  /** Milliseconds since the epoch. */
  time: number;
  /** Findings opened or changed. */
  upserts: readonly Finding[];
  /** Findings that closed. */
  closed: readonly Finding[];
  /** Objects the cluster holds now. */
  resources: number;
  /** The scores now; absent to keep the recorded ones. */
  scores?: readonly ScoreRow[] | undefined;
}

/** What one recorded scan amounted to. */
export interface RecordedScan {
  id: number;
  clusterId: number;
  opened: number;
  resolved: number;
  /** Scans deleted by retention in the same transaction. */
  pruned: number;
}

function rowsSelect(dialect: StoreDialect, columns: Columns, json: string): RawBuilder<unknown> {
  if (dialect === 'sqlite') {
    const cols = columns.map(([name], i) => `value->>${i} AS ${name}`).join(', ');
    return sql`SELECT ${sql.raw(cols)} FROM json_each(${json})`;
  }
  const cast = { int: '::bigint', text: '', real: '::double precision' } as const;
  const cols = columns.map(([name, type], i) => `(e->>${i})${cast[type]} AS ${name}`).join(', ');
  return sql`SELECT ${sql.raw(cols)} FROM json_array_elements(${json}::json) AS x(e)`;
}

function chunks<T>(rows: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += CHUNK) out.push(rows.slice(i, i + CHUNK));
  return out;
}

function severityOf(text: string): Severity {
  return (SEVERITIES as readonly string[]).includes(text) ? (text as Severity) : 'info';
}

function emptyCounts(): Record<Severity, number> {
  return { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
}

/** A short hash of the fields a later scan may change. */
function stateOf(f: Finding, location: string | null): string {
  return hash(
    'sha1',

    `${f.severity}\u0000${f.title}\u0000${f.message}\u0000${location ?? ''}\u0000${f.suppressed ? 1 : 0}\u0000${f.resource.apiVersion}`,
    'base64',
  ).slice(0, 16);
}

function formatLocation(f: Finding): string | null {
  return f.location ? `${f.location.file}:${f.location.line}:${f.location.column}` : null;
}

/** The history store over an open kysely instance; build it with `openStore`. */
export class Store {
  readonly retention: RetentionPolicy;

  constructor(
    readonly db: Db,
    readonly dialect: StoreDialect,
    retention: Partial<RetentionPolicy> = {},
    private readonly onClose: () => Promise<void> = () => db.destroy(),
  ) {
    this.retention = { ...DEFAULT_RETENTION, ...retention };
  }

  private async bulkInsert(
    tx: Tx,
    table: string,
    columns: Columns,
    rows: readonly (readonly unknown[])[],
  ): Promise<void> {
    const names = sql.raw(columns.map(([n]) => n).join(', '));
    for (const part of chunks(rows)) {
      await sql`INSERT INTO ${sql.table(table)} (${names}) ${rowsSelect(this.dialect, columns, JSON.stringify(part))}`.execute(
        tx,
      );
    }
  }

  private async clusterId(tx: Tx, name: string, server: string | undefined, now: number): Promise<number> {
    const row = await tx
      .insertInto('clusters')
      .values({ name, server: server ?? null, created_at: now })
      .onConflict((oc) =>
        oc
          .column('name')
          .doUpdateSet({ server: sql<string | null>`coalesce(excluded.server, clusters.server)` }),
      )
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  /**
   * Records one scan, its findings' life, scores, exceptions, grants and reachability, in one
   * transaction. `onProgress` is told (and awaited) after each stage inside the transaction.
   */
  async recordScan(input: ScanInput, options: RecordScanOptions = {}): Promise<RecordedScan> {
    const progress = options.onProgress ?? (() => undefined);
    return this.db.transaction().execute(async (tx) => {
      // The first statement writes, so SQLite takes the write lock before any read (no
      // snapshot upgrade failures between concurrent writers).
      const clusterId = await this.clusterId(tx, input.cluster.name, input.cluster.server, input.time);
      if (this.dialect === 'postgres') await sql`SELECT pg_advisory_xact_lock(${clusterId})`.execute(tx);

      // One row per fingerprint: the same control on the same field twice is one finding.
      const byPrint = new Map<string, Finding>();
      for (const f of input.findings) {
        const fp = findingFingerprint(f);
        if (!byPrint.has(fp)) byPrint.set(fp, f);
      }
      const counts = emptyCounts();
      let suppressed = 0;
      for (const f of byPrint.values()) {
        if (f.suppressed) suppressed++;
        else counts[f.severity]++;
      }
      const open = [...byPrint.values()].filter((f) => !f.suppressed).length;

      const previous = await tx
        .selectFrom('scans')
        .select(['id', 'started_at'])
        .where('cluster_id', '=', clusterId)
        .orderBy('started_at', 'desc')
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      const scan = await tx
        .insertInto('scans')
        .values({
          cluster_id: clusterId,
          started_at: input.time,
          source: input.source,
          source_detail: input.sourceDetail,
          palisade_version: input.palisadeVersion,
          kubernetes_version: input.kubernetesVersion ?? null,
          scope: input.scope ? JSON.stringify([...input.scope].sort()) : null,
          resources: input.resources,
          findings: open,
          suppressed,
          ...counts,
          input_errors: input.inputErrors,
          rbac_grants: input.rbacGrants ? input.rbacGrants.length : null,
          reachability: input.reachability ? input.reachability.length : null,
          images: input.images ? input.images.length : null,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const scanId = scan.id;

      const known = new Map<string, { id: number; state: string; resolved: boolean }>();
      for (const r of await tx
        .selectFrom('findings')
        .select(['id', 'fingerprint', 'state'])
        .where('cluster_id', '=', clusterId)
        .where('resolved_at', 'is', null)
        .execute())
        known.set(r.fingerprint, { id: r.id, state: r.state, resolved: false });
      // Resolved findings are looked up only for the fingerprints that are not open: a few.
      const unseen = [...byPrint.keys()].filter((fp) => !known.has(fp));
      for (const part of chunks(unseen))
        for (const r of await tx
          .selectFrom('findings')
          .select(['id', 'fingerprint', 'state'])
          .where('cluster_id', '=', clusterId)
          .where('fingerprint', 'in', part)
          .execute())
          known.set(r.fingerprint, { id: r.id, state: r.state, resolved: true });
      const reopened: unknown[][] = [];

      const fresh: unknown[][] = [];
      const changed: unknown[][] = [];
      const ids = new Map<string, number>();
      for (const [fp, f] of byPrint) {
        const old = known.get(fp);
        const sup = f.suppressed ? 1 : 0;
        const location = formatLocation(f);
        const state = stateOf(f, location);
        if (old === undefined) {
          fresh.push([
            clusterId,
            fp,
            f.controlId,
            f.severity,
            findingNamespace(f.resource),
            f.resource.apiVersion,
            f.resource.kind,
            f.resource.name,
            f.fieldPath ?? '',
            f.title,
            f.message,
            location,
            input.time,
            input.time,
            scanId,
            scanId,
            sup,
            state,
          ]);
        } else {
          ids.set(fp, old.id);
          if (old.resolved) reopened.push([old.id]);
          if (old.state !== state)
            changed.push([
              old.id,
              f.severity,
              f.title,
              f.message,
              location,
              sup,
              f.resource.apiVersion,
              state,
            ]);
        }
      }
      const freshColumns: Columns = [
        ['cluster_id', 'int'],
        ['fingerprint', 'text'],
        ['control_id', 'text'],
        ['severity', 'text'],
        ['namespace', 'text'],
        ['api_version', 'text'],
        ['kind', 'text'],
        ['name', 'text'],
        ['field_path', 'text'],
        ['title', 'text'],
        ['message', 'text'],
        ['location', 'text'],
        ['first_seen', 'int'],
        ['last_seen', 'int'],
        ['first_scan_id', 'int'],
        ['last_scan_id', 'int'],
        ['suppressed', 'int'],
        ['state', 'text'],
      ];
      const names = sql.raw(freshColumns.map(([n]) => n).join(', '));
      for (const part of chunks(fresh)) {
        const inserted = await sql<{ id: number; fingerprint: string }>`INSERT INTO findings (${names})
          ${rowsSelect(this.dialect, freshColumns, JSON.stringify(part))} RETURNING id, fingerprint`.execute(
          tx,
        );
        for (const r of inserted.rows) ids.set(r.fingerprint, r.id);
      }
      // Only findings whose severity, texts, location or suppression changed are rewritten.
      const changedColumns: Columns = [
        ['id', 'int'],
        ['severity', 'text'],
        ['title', 'text'],
        ['message', 'text'],
        ['location', 'text'],
        ['suppressed', 'int'],
        ['api_version', 'text'],
        ['state', 'text'],
      ];
      for (const part of chunks(changed)) {
        await sql`UPDATE findings SET severity = u.severity, title = u.title, message = u.message,
            location = u.location, suppressed = u.suppressed, api_version = u.api_version, state = u.state
          FROM (${rowsSelect(this.dialect, changedColumns, JSON.stringify(part))}) AS u
          WHERE findings.id = u.id`.execute(tx);
      }

      const links: unknown[][] = [];
      for (const [fp, f] of byPrint) links.push([scanId, ids.get(fp), f.suppressed ? 1 : 0]);
      await this.bulkInsert(
        tx,
        'scan_findings',
        [
          ['scan_id', 'int'],
          ['finding_id', 'int'],
          ['suppressed', 'int'],
        ],
        links,
      );
      await progress('findings');
      // Open findings are not rewritten per scan (their last sighting is the cluster's latest
      // scan); only reopened and resolved ones change, which keeps a steady scan cheap.
      for (const part of chunks(reopened))
        await sql`UPDATE findings SET resolved_at = NULL, last_seen = ${input.time}, last_scan_id = ${scanId}
          WHERE id IN (SELECT id FROM (${rowsSelect(this.dialect, [['id', 'int']], JSON.stringify(part))}) AS r)`.execute(
          tx,
        );

      // Findings this scan could have seen but did not are resolved, last seen by the scan
      // before; a scan of some namespaces says nothing about the others.
      let resolve = tx
        .updateTable('findings')
        .set({
          resolved_at: input.time,
          last_seen: previous?.started_at ?? input.time,
          last_scan_id: previous?.id ?? scanId,
        })
        .where('cluster_id', '=', clusterId)
        .where('resolved_at', 'is', null)
        .where((eb) =>
          eb.not(
            eb.exists(
              eb
                .selectFrom('scan_findings')
                .select('scan_findings.finding_id')
                .where('scan_findings.scan_id', '=', scanId)
                .whereRef('scan_findings.finding_id', '=', 'findings.id'),
            ),
          ),
        );
      if (input.scope)
        resolve = resolve.where('namespace', 'in', input.scope.length > 0 ? [...input.scope] : ['']);
      const resolvedResult = await resolve.executeTakeFirst();

      if (input.scores.length > 0)
        await tx
          .insertInto('scan_scores')
          .values(input.scores.map((s) => ({ scan_id: scanId, ...s })))
          .execute();

      const exceptionRows: unknown[][] = [];
      for (const [fp, f] of byPrint) {
        if (!f.suppressed) continue;
        const s = f.suppressed;
        exceptionRows.push([
          scanId,
          'applied',
          f.controlId,
          s.kind,
          s.reason,
          s.owner ?? '',
          s.expires ?? '',
          ids.get(fp),
        ]);
      }
      for (const [status, list] of [
        ['expired', input.exceptions?.expired ?? []],
        ['unused', input.exceptions?.unused ?? []],
      ] as const)
        for (const e of list)
          exceptionRows.push([
            scanId,
            status,
            e.controlId,
            'exception',
            e.reason,
            e.owner,
            e.expires ?? '',
            null,
          ]);
      await this.bulkInsert(
        tx,
        'scan_exceptions',
        [
          ['scan_id', 'int'],
          ['status', 'text'],
          ['control_id', 'text'],
          ['kind', 'text'],
          ['reason', 'text'],
          ['owner', 'text'],
          ['expires', 'text'],
          ['finding_id', 'int'],
        ],
        exceptionRows,
      );
      if (input.rbacGrants)
        await this.bulkInsert(
          tx,
          'rbac_grants',
          [
            ['scan_id', 'int'],
            ['subject', 'text'],
            ['namespace', 'text'],
            ['rule', 'text'],
            ['via', 'text'],
          ],
          input.rbacGrants.map((g) => [scanId, g.subject, g.namespace, g.rule, g.via]),
        );
      if (input.reachability)
        await this.bulkInsert(
          tx,
          'reachability',
          [
            ['scan_id', 'int'],
            ['src', 'text'],
            ['dst', 'text'],
            ['conn', 'text'],
          ],
          input.reachability.map((r) => [scanId, r.src, r.dst, r.conn]),
        );
      if (input.images)
        await this.bulkInsert(
          tx,
          'scan_images',
          [
            ['scan_id', 'int'],
            ['kind', 'text'],
            ['namespace', 'text'],
            ['name', 'text'],
            ['container', 'text'],
            ['image', 'text'],
            ['digest', 'text'],
          ],
          input.images.map((i) => [
            scanId,
            i.kind,
            i.namespace,
            i.name,
            i.container,
            i.image,
            i.digest ?? null,
          ]),
        );

      const pruned = await this.pruneScans(tx, clusterId, input.time);
      return {
        id: scanId,
        clusterId,
        opened: fresh.length,
        resolved: Number(resolvedResult.numUpdatedRows),
        pruned,
      };
    });
  }

  /**
   * Updates the open findings of a cluster's latest scan in place (watch mode between full
   * rescans): findings opened or changed since are written and linked to the scan, closed ones
   * resolved at `update.time` and unlinked, and the scan's counts and scores replaced. The
   * scan then holds the posture as of its last update. One transaction; cost grows with the
   * change, not with the cluster.
   */
  async updateScan(scanId: number, update: ScanUpdate): Promise<{ opened: number; resolved: number }> {
    return this.db.transaction().execute(async (tx) => {
      // Writes first, so SQLite takes the write lock before any read.
      const head = await tx
        .updateTable('scans')
        .set({ resources: update.resources })
        .where('id', '=', scanId)
        .returning('cluster_id')
        .executeTakeFirst();
      if (!head) throw new Error(`scan ${scanId} is not in the store`);
      const clusterId = head.cluster_id;
      if (this.dialect === 'postgres') await sql`SELECT pg_advisory_xact_lock(${clusterId})`.execute(tx);

      const byPrint = new Map<string, Finding>();
      for (const f of update.upserts) byPrint.set(findingFingerprint(f), f);
      const closedPrints = update.closed.map((f) => findingFingerprint(f)).filter((fp) => !byPrint.has(fp));
      const known = new Map<string, { id: number; state: string; resolved: boolean }>();
      for (const part of chunks([...byPrint.keys(), ...closedPrints]))
        for (const r of await tx
          .selectFrom('findings')
          .select(['id', 'fingerprint', 'state', 'resolved_at'])
          .where('cluster_id', '=', clusterId)
          .where('fingerprint', 'in', part)
          .execute())
          known.set(r.fingerprint, { id: r.id, state: r.state, resolved: r.resolved_at !== null });

      let opened = 0;
      const links: unknown[][] = [];
      for (const [fp, f] of byPrint) {
        const location = formatLocation(f);
        const state = stateOf(f, location);
        const sup = f.suppressed ? 1 : 0;
        const old = known.get(fp);
        if (old === undefined) {
          const row = await tx
            .insertInto('findings')
            .values({
              cluster_id: clusterId,
              fingerprint: fp,
              control_id: f.controlId,
              severity: f.severity,
              namespace: findingNamespace(f.resource),
              api_version: f.resource.apiVersion,
              kind: f.resource.kind,
              name: f.resource.name,
              field_path: f.fieldPath ?? '',
              title: f.title,
              message: f.message,
              location,
              first_seen: update.time,
              last_seen: update.time,
              first_scan_id: scanId,
              last_scan_id: scanId,
              suppressed: sup,
              state,
            })
            .returning('id')
            .executeTakeFirstOrThrow();
          links.push([scanId, row.id, sup]);
          opened++;
          continue;
        }
        if (old.resolved) {
          links.push([scanId, old.id, sup]);
          opened++;
        }
        if (old.resolved || old.state !== state)
          await tx
            .updateTable('findings')
            .set({
              severity: f.severity,
              title: f.title,
              message: f.message,
              location,
              suppressed: sup,
              api_version: f.resource.apiVersion,
              state,
              resolved_at: null,
              last_seen: update.time,
              last_scan_id: scanId,
            })
            .where('id', '=', old.id)
            .execute();
      }
      await this.bulkInsert(
        tx,
        'scan_findings',
        [
          ['scan_id', 'int'],
          ['finding_id', 'int'],
          ['suppressed', 'int'],
        ],
        links,
      );

      const closing = closedPrints
        .map((fp) => known.get(fp))
        .filter((k): k is { id: number; state: string; resolved: boolean } => k !== undefined && !k.resolved)
        .map((k) => k.id);
      for (const part of chunks(closing)) {
        await tx
          .updateTable('findings')
          .set({ resolved_at: update.time, last_seen: update.time, last_scan_id: scanId })
          .where('id', 'in', part)
          .execute();
        await tx
          .deleteFrom('scan_findings')
          .where('scan_id', '=', scanId)
          .where('finding_id', 'in', part)
          .execute();
      }

      const counts = emptyCounts();
      let open = 0;
      let suppressed = 0;
      for (const r of await tx
        .selectFrom('scan_findings')
        .innerJoin('findings', 'findings.id', 'scan_findings.finding_id')
        .select([
          'findings.severity',
          'scan_findings.suppressed',
          (eb) => eb.fn.countAll<number | string>().as('n'),
        ])
        .where('scan_findings.scan_id', '=', scanId)
        .groupBy(['findings.severity', 'scan_findings.suppressed'])
        .execute()) {
        const n = Number(r.n);
        if (r.suppressed) suppressed += n;
        else {
          counts[severityOf(r.severity)] += n;
          open += n;
        }
      }
      await tx
        .updateTable('scans')
        .set({ findings: open, suppressed, ...counts })
        .where('id', '=', scanId)
        .execute();
      if (update.scores) {
        await tx.deleteFrom('scan_scores').where('scan_id', '=', scanId).execute();
        if (update.scores.length > 0)
          await tx
            .insertInto('scan_scores')
            .values(update.scores.map((s) => ({ scan_id: scanId, ...s })))
            .execute();
      }
      return { opened, resolved: closing.length };
    });
  }

  /** Deletes the cluster's scans beyond the retention count or age, and the findings only they held. */
  private async pruneScans(tx: Tx, clusterId: number, now: number): Promise<number> {
    const cutoff = now - this.retention.maxScanAgeDays * DAY_MS;
    const old = await tx
      .selectFrom('scans')
      .select('id')
      .where('cluster_id', '=', clusterId)
      .where((eb) =>
        eb.or([
          eb('started_at', '<', cutoff),
          eb(
            'id',
            'not in',
            eb
              .selectFrom('scans')
              .select('id')
              .where('cluster_id', '=', clusterId)
              .orderBy('started_at', 'desc')
              .orderBy('id', 'desc')
              .limit(this.retention.maxScans),
          ),
        ]),
      )
      .execute();
    if (old.length === 0) return 0;
    const ids = old.map((r) => r.id);
    for (const part of chunks(ids)) {
      for (const table of [
        'scan_findings',
        'scan_scores',
        'scan_exceptions',
        'rbac_grants',
        'reachability',
        'scan_images',
      ] as const)
        await tx.deleteFrom(table).where('scan_id', 'in', part).execute();
      await tx.deleteFrom('scans').where('id', 'in', part).execute();
    }
    // A resolved finding last seen before every kept scan is in no kept scan.
    const kept = await tx
      .selectFrom('scans')
      .select((eb) => eb.fn.min('id').as('min'))
      .where('cluster_id', '=', clusterId)
      .executeTakeFirst();
    const minKept = kept?.min === null || kept?.min === undefined ? Number.MAX_SAFE_INTEGER : kept.min;
    await tx
      .deleteFrom('findings')
      .where('cluster_id', '=', clusterId)
      .where('resolved_at', 'is not', null)
      .where('last_scan_id', '<', minKept)
      .execute();
    return ids.length;
  }

  /** Recorded scans, newest first; `cluster` restricts to one cluster by name. */
  async listScans(
    options: { cluster?: string | undefined; limit?: number | undefined } = {},
  ): Promise<ScanSummary[]> {
    let q = this.db
      .selectFrom('scans')
      .innerJoin('clusters', 'clusters.id', 'scans.cluster_id')
      .selectAll('scans')
      .select('clusters.name as cluster_name')
      .orderBy('scans.started_at', 'desc')
      .orderBy('scans.id', 'desc');
    if (options.cluster !== undefined) q = q.where('clusters.name', '=', options.cluster);
    if (options.limit !== undefined) q = q.limit(options.limit);
    const rows = await q.execute();
    if (rows.length === 0) return [];
    const scores = new Map<number, ScanSummary['scores']>();
    for (const part of chunks(rows.map((r) => r.id)))
      for (const s of await this.db
        .selectFrom('scan_scores')
        .selectAll()
        .where('scan_id', 'in', part)
        .orderBy('framework')
        .execute()) {
        const list = scores.get(s.scan_id) ?? [];
        list.push({
          framework: s.framework,
          score: s.score,
          passed: s.passed,
          failed: s.failed,
          applicable: s.applicable,
        });
        scores.set(s.scan_id, list);
      }
    return rows.map((r) => ({
      id: r.id,
      cluster: r.cluster_name,
      time: r.started_at,
      source: r.source,
      sourceDetail: r.source_detail,
      palisadeVersion: r.palisade_version,
      ...(r.kubernetes_version !== null ? { kubernetesVersion: r.kubernetes_version } : {}),
      ...(r.scope !== null ? { scope: JSON.parse(r.scope) as string[] } : {}),
      resources: r.resources,
      findings: r.findings,
      suppressed: r.suppressed,
      bySeverity: { critical: r.critical, high: r.high, medium: r.medium, low: r.low, info: r.info },
      inputErrors: r.input_errors,
      scores: scores.get(r.id) ?? [],
      rbacGrants: r.rbac_grants,
      reachability: r.reachability,
    }));
  }

  /** Names of the clusters with recorded scans. */
  async clusters(): Promise<string[]> {
    const rows = await this.db.selectFrom('clusters').select('name').orderBy('name').execute();
    return rows.map((r) => r.name);
  }

  /**
   * Finds the scan a reference names: an id, or `latest~N` within one cluster (the only
   * cluster when none is given). Returns an error message instead when there is none.
   */
  async resolveScan(
    ref: ScanRef,
    cluster?: string,
  ): Promise<{ ok: true; scan: ScanSummary } | { ok: false; error: string }> {
    if (ref.kind === 'id') {
      const scan = await this.scanById(ref.id);
      return scan ? { ok: true, scan } : { ok: false, error: `no scan with id ${ref.id} in the store` };
    }
    let name = cluster;
    if (name === undefined) {
      const names = await this.clusters();
      if (names.length === 0) return { ok: false, error: 'the store holds no scans yet' };
      if (names.length > 1)
        return {
          ok: false,
          error: `the store holds scans of ${names.length} clusters (${names.join(', ')}); pass --cluster NAME`,
        };
      name = names[0];
    }
    const scans = await this.listScans({ cluster: name, limit: ref.back + 1 });
    const scan = scans[ref.back];
    if (!scan)
      return {
        ok: false,
        error: `cluster ${name ?? ''} has ${scans.length} scan(s); latest~${ref.back} does not exist`,
      };
    return { ok: true, scan };
  }

  private async scanById(id: number): Promise<ScanSummary | undefined> {
    const row = await this.db
      .selectFrom('scans')
      .innerJoin('clusters', 'clusters.id', 'scans.cluster_id')
      .select('clusters.name')
      .where('scans.id', '=', id)
      .executeTakeFirst();
    if (!row) return undefined;
    return (await this.listScans({ cluster: row.name })).find((s) => s.id === id);
  }

  /** The findings one scan saw (suppressed ones included, flagged). */
  async scanFindings(scanId: number): Promise<StoredFinding[]> {
    const rows = await this.db
      .selectFrom('scan_findings')
      .innerJoin('findings', 'findings.id', 'scan_findings.finding_id')
      .selectAll('findings')
      .select('scan_findings.suppressed as in_scan_suppressed')
      .where('scan_findings.scan_id', '=', scanId)
      .orderBy('findings.id')
      .execute();
    const latest = rows[0]
      ? await this.db
          .selectFrom('scans')
          .select((eb) => eb.fn.max('started_at').as('t'))
          .where('cluster_id', '=', rows[0].cluster_id)
          .executeTakeFirst()
      : undefined;
    return rows.map((r) => ({
      fingerprint: r.fingerprint,
      controlId: r.control_id,
      severity: severityOf(r.severity),
      namespace: r.namespace,
      apiVersion: r.api_version,
      kind: r.kind,
      name: r.name,
      fieldPath: r.field_path,
      title: r.title,
      message: r.message,
      ...(r.location !== null ? { location: r.location } : {}),
      firstSeen: r.first_seen,
      lastSeen: r.resolved_at === null ? (latest?.t ?? r.last_seen) : r.last_seen,
      ...(r.resolved_at !== null ? { resolvedAt: r.resolved_at } : {}),
      suppressed: r.in_scan_suppressed === 1,
    }));
  }

  /** The RBAC grant rows of a scan, or undefined when the scan did not record them. */
  async scanRbacGrants(scanId: number): Promise<RbacGrantRow[] | undefined> {
    const scan = await this.db
      .selectFrom('scans')
      .select('rbac_grants')
      .where('id', '=', scanId)
      .executeTakeFirst();
    if (scan?.rbac_grants === null || scan === undefined) return undefined;
    return this.db
      .selectFrom('rbac_grants')
      .select(['subject', 'namespace', 'rule', 'via'])
      .where('scan_id', '=', scanId)
      .execute();
  }

  /** The reachability rows of a scan, or undefined when the scan did not record them. */
  async scanReachability(scanId: number): Promise<ReachabilityRow[] | undefined> {
    const scan = await this.db
      .selectFrom('scans')
      .select('reachability')
      .where('id', '=', scanId)
      .executeTakeFirst();
    if (scan?.reachability === null || scan === undefined) return undefined;
    return this.db
      .selectFrom('reachability')
      .select(['src', 'dst', 'conn'])
      .where('scan_id', '=', scanId)
      .execute();
  }

  /** The workload images of a scan, or undefined when the scan did not record them. */
  async scanImages(scanId: number): Promise<WorkloadImageRow[] | undefined> {
    const scan = await this.db
      .selectFrom('scans')
      .select('images')
      .where('id', '=', scanId)
      .executeTakeFirst();
    if (scan?.images === null || scan === undefined) return undefined;
    const rows = await this.db
      .selectFrom('scan_images')
      .select(['kind', 'namespace', 'name', 'container', 'image', 'digest'])
      .where('scan_id', '=', scanId)
      .orderBy('namespace')
      .orderBy('kind')
      .orderBy('name')
      .orderBy('container')
      .execute();
    return rows.map((r) => ({
      kind: r.kind,
      namespace: r.namespace,
      name: r.name,
      container: r.container,
      image: r.image,
      ...(r.digest !== null ? { digest: r.digest } : {}),
    }));
  }

  /** Open, unsuppressed findings of a cluster now, counted by severity; `namespace` narrows to one. */
  async openFindingsBySeverity(cluster: string, namespace?: string): Promise<Record<Severity, number>> {
    let q = this.db
      .selectFrom('findings')
      .innerJoin('clusters', 'clusters.id', 'findings.cluster_id')
      .select(['findings.severity', (eb) => eb.fn.countAll<number>().as('n')])
      .where('clusters.name', '=', cluster)
      .where('findings.resolved_at', 'is', null)
      .where('findings.suppressed', '=', 0)
      .groupBy('findings.severity');
    if (namespace !== undefined) q = q.where('findings.namespace', '=', namespace);
    const out = emptyCounts();
    for (const r of await q.execute()) out[severityOf(r.severity)] += r.n;
    return out;
  }

  /** Scores per framework of a cluster's scans since a time, oldest first. */
  async scoreHistory(cluster: string, since: number, framework?: string): Promise<ScorePoint[]> {
    let q = this.db
      .selectFrom('scans')
      .innerJoin('clusters', 'clusters.id', 'scans.cluster_id')
      .innerJoin('scan_scores', 'scan_scores.scan_id', 'scans.id')
      .select(['scans.id', 'scans.started_at', 'scan_scores.framework', 'scan_scores.score'])
      .where('clusters.name', '=', cluster)
      .where('scans.started_at', '>=', since)
      .orderBy('scans.started_at')
      .orderBy('scans.id')
      .orderBy('scan_scores.framework');
    if (framework !== undefined) q = q.where('scan_scores.framework', '=', framework);
    return (await q.execute()).map((r) => ({
      scanId: r.id,
      time: r.started_at,
      framework: r.framework,
      score: r.score,
    }));
  }

  private async clusterIdOf(tx: Tx, name: string | undefined, now: number): Promise<number | null> {
    return name === undefined ? null : this.clusterId(tx, name, undefined, now);
  }

  /** Deletes event rows beyond the retention age or count. */
  private async pruneEvents(
    tx: Tx,
    table: 'admission_decisions' | 'alerts' | 'image_results',
    timeColumn: 'time' | 'scanned_at',
    now: number,
  ): Promise<void> {
    const cutoff = now - this.retention.maxEventAgeDays * DAY_MS;
    const max = await tx
      .selectFrom(table)
      .select((eb) => eb.fn.max('id').as('max'))
      .executeTakeFirst();
    const maxId = max?.max === null || max?.max === undefined ? 0 : max.max;
    const doomed = (eb: Tx) =>
      eb
        .selectFrom(table)
        .select('id')
        .where((w) =>
          w.or([w(timeColumn as 'id', '<', cutoff), w('id', '<=', maxId - this.retention.maxEventRows)]),
        );
    if (table === 'image_results')
      await tx.deleteFrom('image_vulnerabilities').where('image_result_id', 'in', doomed(tx)).execute();
    await tx.deleteFrom(table).where('id', 'in', doomed(tx)).execute();
  }

  /** Records admission decisions (the webhook's decision log) and applies event retention. */
  async recordDecisions(events: readonly AdmissionDecisionInput[], cluster?: string): Promise<void> {
    if (events.length === 0) return;
    const now = Date.now();
    await this.db.transaction().execute(async (tx) => {
      const clusterId = await this.clusterIdOf(tx, cluster, now);
      await this.bulkInsert(
        tx,
        'admission_decisions',
        [
          ['time', 'int'],
          ['cluster_id', 'int'],
          ['uid', 'text'],
          ['endpoint', 'text'],
          ['operation', 'text'],
          ['kind', 'text'],
          ['resource', 'text'],
          ['namespace', 'text'],
          ['name', 'text'],
          ['username', 'text'],
          ['result', 'text'],
          ['exempt', 'text'],
          ['patched', 'int'],
          ['controls', 'text'],
          ['detail', 'text'],
        ],
        events.map((e) => [
          Date.parse(e.time),
          clusterId,
          e.uid,
          e.endpoint,
          e.operation,
          e.kind,
          e.resource,
          e.namespace,
          e.name,
          e.username,
          e.result,
          e.exempt ?? null,
          e.patched ? 1 : 0,
          [...new Set(e.violations.map((v) => v.controlId))].join(' '),
          JSON.stringify({ violations: e.violations, policyDecisions: e.policyDecisions, errors: e.errors }),
        ]),
      );
      await this.pruneEvents(tx, 'admission_decisions', 'time', now);
    });
  }

  /** Stored admission decisions since a time, newest first (at most `limit`). */
  async listDecisions(since: number, limit = 1000): Promise<AdmissionDecisionRow[]> {
    const rows = await this.db
      .selectFrom('admission_decisions')
      .selectAll()
      .where('time', '>=', since)
      .orderBy('time', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      time: r.time,
      uid: r.uid,
      operation: r.operation,
      kind: r.kind,
      namespace: r.namespace,
      name: r.name,
      username: r.username,
      result: r.result,
      controls: r.controls === '' ? [] : r.controls.split(' '),
    }));
  }

  /** Records the result of one image scan with its vulnerabilities; returns its id. */
  async recordImageResult(input: ImageResultInput): Promise<number> {
    return this.db.transaction().execute(async (tx) => {
      const clusterId = await this.clusterIdOf(tx, input.cluster, input.scannedAt);
      const counts = emptyCounts();
      for (const v of input.vulnerabilities) if (!v.suppressed) counts[v.severity]++;
      const row = await tx
        .insertInto('image_results')
        .values({
          cluster_id: clusterId,
          scan_id: input.scanId ?? null,
          digest: input.digest,
          ref: input.ref,
          scanned_at: input.scannedAt,
          os: input.os ?? null,
          packages: input.packages,
          ...counts,
          vulndb_time: input.vulnDbTime ?? null,
          detail: JSON.stringify(input.detail ?? {}),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const id = row.id;
      await this.bulkInsert(
        tx,
        'image_vulnerabilities',
        [
          ['image_result_id', 'int'],
          ['vuln_id', 'text'],
          ['aliases', 'text'],
          ['package', 'text'],
          ['version', 'text'],
          ['fixed_version', 'text'],
          ['severity', 'text'],
          ['cvss', 'real'],
          ['location', 'text'],
          ['suppressed', 'int'],
          ['justification', 'text'],
        ],
        input.vulnerabilities.map((v) => [
          id,
          v.vulnId,
          v.aliases.join(' '),
          v.package,
          v.version,
          v.fixedVersion ?? null,
          v.severity,
          v.cvss ?? null,
          v.location,
          v.suppressed ? 1 : 0,
          v.suppressed?.justification ?? null,
        ]),
      );
      await this.pruneEvents(tx, 'image_results', 'scanned_at', input.scannedAt);
      return id;
    });
  }

  /** The newest result for an image digest, if any (what admission reads). */
  async latestImageResult(digest: string): Promise<ImageResultRow | undefined> {
    const r = await this.db
      .selectFrom('image_results')
      .selectAll()
      .where('digest', '=', digest)
      .orderBy('scanned_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return r ? imageResultRowOf(r) : undefined;
  }

  /**
   * Image results scanned since a time, newest first (at most `limit`): the newest result per
   * digest, or with `history` every recorded scan of every image.
   */
  async listImageResults(since: number, limit: number, history = false): Promise<ImageResultSummary[]> {
    let q = this.db
      .selectFrom('image_results as r')
      .select([...IMAGE_COLUMNS])
      .where('r.scanned_at', '>=', since);
    if (!history)
      q = q.where('r.id', 'in', (eb) =>
        eb
          .selectFrom('image_results')
          .select((e) => e.fn.max('id').as('id'))
          .groupBy('digest'),
      );
    const rows = await q.orderBy('r.scanned_at', 'desc').orderBy('r.id', 'desc').limit(limit).execute();
    const counts = await this.suppressedCounts(rows.map((r) => r.id));
    return rows.map((r) => imageSummaryOf(r, counts.get(r.id) ?? 0));
  }

  /** One image result with its detail (the newest when no id is given); undefined when absent. */
  async imageResult(id?: number): Promise<ImageResultDetail | undefined> {
    let q = this.db.selectFrom('image_results as r').select([...IMAGE_COLUMNS, 'r.detail', 'r.vulndb_time']);
    q =
      id !== undefined ? q.where('r.id', '=', id) : q.orderBy('r.scanned_at', 'desc').orderBy('r.id', 'desc');
    const r = await q.limit(1).executeTakeFirst();
    if (!r) return undefined;
    const counts = await this.suppressedCounts([r.id]);
    let detail: Record<string, unknown> = {};
    try {
      const parsed: unknown = JSON.parse(r.detail);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed))
        detail = parsed as Record<string, unknown>;
    } catch {
      detail = {};
    }
    return {
      ...imageSummaryOf(r, counts.get(r.id) ?? 0),
      ...(typeof detail.platform === 'string' ? { platform: detail.platform } : {}),
      ...(typeof detail.source === 'string' ? { source: detail.source } : {}),
      ...(Array.isArray(detail.layers) ? { layers: detail.layers.length } : {}),
      ...(r.vulndb_time !== null ? { vulnDbTime: r.vulndb_time } : {}),
    };
  }

  /** The vulnerabilities of one image result, filtered, counted and paged in SQL (worst first). */
  async imageVulnerabilities(
    imageId: number,
    filter: ImageVulnerabilityFilter,
  ): Promise<{ items: ImageVulnerabilityRow[]; total: number }> {
    let base = this.db.selectFrom('image_vulnerabilities as v').where('v.image_result_id', '=', imageId);
    if (filter.severity !== undefined && filter.severity.length > 0)
      base = base.where('v.severity', 'in', [...filter.severity]);
    if (filter.package !== undefined && filter.package !== '')
      base = base.where(sql<boolean>`lower(v.package) like ${likePattern(filter.package)} escape '\\'`);
    if (filter.fixable !== undefined)
      base = base.where('v.fixed_version', filter.fixable ? 'is not' : 'is', null);
    if (filter.suppressed !== undefined) base = base.where('v.suppressed', '=', filter.suppressed ? 1 : 0);
    const count = await base.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirst();
    const rows = await base
      .selectAll('v')
      .orderBy(
        sql`case v.severity when 'critical' then 0 when 'high' then 1 when 'medium' then 2 when 'low' then 3 else 4 end`,
      )
      .orderBy('v.package')
      .orderBy('v.vuln_id')
      .limit(filter.limit)
      .offset(filter.offset)
      .execute();
    return {
      total: Number(count?.n ?? 0),
      items: rows.map((v) => ({
        id: v.vuln_id,
        aliases: v.aliases === '' ? [] : v.aliases.split(' '),
        package: v.package,
        version: v.version,
        ...(v.fixed_version !== null ? { fixedVersion: v.fixed_version } : {}),
        severity: severityOf(v.severity),
        ...(v.cvss !== null ? { cvss: v.cvss } : {}),
        location: v.location,
        ...(v.suppressed === 1 ? { suppressed: { justification: v.justification ?? '' } } : {}),
      })),
    };
  }

  /** Suppressed vulnerability counts of some image results, in one grouped query. */
  private async suppressedCounts(ids: readonly number[]): Promise<Map<number, number>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('image_vulnerabilities')
      .select(['image_result_id', (eb) => eb.fn.countAll<number | string>().as('n')])
      .where('image_result_id', 'in', [...ids])
      .where('suppressed', '=', 1)
      .groupBy('image_result_id')
      .execute();
    return new Map(rows.map((r) => [r.image_result_id, Number(r.n)]));
  }

  /** Records detection alerts and applies event retention. */
  async recordAlerts(alerts: readonly AlertInput[]): Promise<void> {
    if (alerts.length === 0) return;
    const now = Math.max(...alerts.map((a) => a.time));
    await this.db.transaction().execute(async (tx) => {
      const ids = new Map<string, number | null>();
      for (const a of alerts)
        if (a.cluster !== undefined && !ids.has(a.cluster))
          ids.set(a.cluster, await this.clusterIdOf(tx, a.cluster, now));
      await this.bulkInsert(
        tx,
        'alerts',
        [
          ['time', 'int'],
          ['cluster_id', 'int'],
          ['rule', 'text'],
          ['severity', 'text'],
          ['mitre', 'text'],
          ['message', 'text'],
          ['subject', 'text'],
          ['target', 'text'],
          ['incident', 'text'],
          ['evidence', 'text'],
        ],
        alerts.map((a) => [
          a.time,
          a.cluster !== undefined ? (ids.get(a.cluster) ?? null) : null,
          a.rule,
          a.severity,
          a.mitre ?? null,
          a.message,
          a.subject,
          a.target,
          a.incident ?? null,
          JSON.stringify(a.evidence),
        ]),
      );
      await this.pruneEvents(tx, 'alerts', 'time', now);
    });
  }

  /** Stored alerts since a time, newest first (at most `limit`). */
  async listAlerts(since: number, limit = 1000): Promise<AlertRow[]> {
    const rows = await this.alertsSince(since, limit).selectAll().execute();
    return rows.map((r) => ({ ...alertSummaryOf(r), evidence: JSON.parse(r.evidence) as unknown[] }));
  }

  /** The same alerts without their evidence (what a list shows: the evidence is never read). */
  async listAlertSummaries(since: number, limit = 1000): Promise<Omit<AlertRow, 'evidence'>[]> {
    const rows = await this.alertsSince(since, limit)
      .select(['id', 'time', 'rule', 'severity', 'mitre', 'message', 'subject', 'target', 'incident'])
      .execute();
    return rows.map(alertSummaryOf);
  }

  private alertsSince(since: number, limit: number) {
    return this.db
      .selectFrom('alerts')
      .where('time', '>=', since)
      .orderBy('time', 'desc')
      .orderBy('id', 'desc')
      .limit(limit);
  }

  /**
   * Writes detection baselines: each row replaces the identity's previous one (one transaction,
   * in chunks so neither backend's parameter limit is reached).
   */
  async saveBaselines(rows: readonly BaselineRecord[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.transaction().execute(async (tx) => {
      for (let i = 0; i < rows.length; i += BASELINE_CHUNK) {
        await tx
          .insertInto('detect_baselines')
          .values(
            rows.slice(i, i + BASELINE_CHUNK).map((r) => ({
              identity: r.identity,
              kind: r.kind,
              events: r.events,
              model: JSON.stringify(r.model),
              updated_at: r.updatedAt,
            })),
          )
          .onConflict((oc) =>
            oc.column('identity').doUpdateSet({
              kind: sql<string>`excluded.kind`,
              events: sql<number>`excluded.events`,
              model: sql<string>`excluded.model`,
              updated_at: sql<number>`excluded.updated_at`,
            }),
          )
          .execute();
      }
    });
  }

  /**
   * The detection baselines, least recently updated first (the order the detector keeps them
   * in); at most `limit`, the most recently updated ones.
   */
  async loadBaselines(limit = 100_000): Promise<BaselineRecord[]> {
    const rows = await this.db
      .selectFrom('detect_baselines')
      .selectAll()
      .orderBy('updated_at', 'desc')
      .orderBy('identity', 'desc')
      .limit(limit)
      .execute();
    return rows.reverse().map((r) => ({
      identity: r.identity,
      kind: r.kind,
      events: r.events,
      model: JSON.parse(r.model) as unknown,
      updatedAt: r.updated_at,
    }));
  }

  /** Closes the connection(s). */
  close(): Promise<void> {
    return this.onClose();
  }
}

/** An alert row's fields other than its evidence, optional columns left out when null. */
function alertSummaryOf(r: {
  id: number;
  time: number;
  rule: string;
  severity: string;
  mitre: string | null;
  message: string;
  subject: string;
  target: string;
  incident: string | null;
}): Omit<AlertRow, 'evidence'> {
  return {
    id: r.id,
    time: r.time,
    rule: r.rule,
    severity: severityOf(r.severity),
    ...(r.mitre !== null ? { mitre: r.mitre } : {}),
    message: r.message,
    subject: r.subject,
    target: r.target,
    ...(r.incident !== null ? { incident: r.incident } : {}),
  };
}

/** The columns an image result's summary reads. */
const IMAGE_COLUMNS = [
  'r.id',
  'r.digest',
  'r.ref',
  'r.scanned_at',
  'r.packages',
  'r.critical',
  'r.high',
  'r.medium',
  'r.low',
  'r.info',
  'r.os',
  'r.scan_id',
] as const;

type ImageResultColumns = Pick<
  Selectable<ImageResultsTable>,
  'id' | 'digest' | 'ref' | 'scanned_at' | 'packages' | 'critical' | 'high' | 'medium' | 'low' | 'info'
>;

function imageResultRowOf(r: ImageResultColumns): ImageResultRow {
  return {
    id: r.id,
    digest: r.digest,
    ref: r.ref,
    scannedAt: r.scanned_at,
    packages: r.packages,
    bySeverity: { critical: r.critical, high: r.high, medium: r.medium, low: r.low, info: r.info },
  };
}

function imageSummaryOf(
  r: ImageResultColumns & { os: string | null; scan_id: number | null },
  suppressed: number,
): ImageResultSummary {
  return {
    ...imageResultRowOf(r),
    suppressed,
    ...(r.os !== null ? { os: r.os } : {}),
    ...(r.scan_id !== null ? { scanId: r.scan_id } : {}),
  };
}

/** `%text%` with LIKE's wildcards escaped, lower-cased. */
function likePattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
