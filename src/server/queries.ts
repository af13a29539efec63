/**
 * The dashboard's reads over the history store. Findings are filtered, sorted, counted and
 * paged in SQL (the same statements on SQLite and PostgreSQL, through kysely); only the rows of
 * one page travel to the process. Everything else is a handful of grouped queries.
 */
import { sql, type RawBuilder } from 'kysely';
import { SEVERITIES, type Severity } from '../core/index.js';
import type { ScanSummary, Store } from '../store/index.js';
import {
  MAX_COUNT,
  type Finding,
  type FindingsQuery,
  type FindingsResponse,
  type RiskyWorkload,
  type SeverityCounts,
  type SummaryResponse,
} from './api-types.js';

interface FindingRow {
  id: number;
  fingerprint: string;
  control_id: string;
  severity: string;
  namespace: string;
  api_version: string;
  kind: string;
  name: string;
  field_path: string;
  title: string;
  message: string;
  location: string | null;
  first_seen: number | string;
  last_seen: number | string;
  resolved_at: number | string | null;
  sup: number | string;
}

/** What the findings query needs to know about controls (from the catalogue). */
export interface ControlFacts {
  remediation: string;
  frameworks: readonly string[];
}

type Db = Store['db'];

function severityOf(text: string): Severity {
  return (SEVERITIES as readonly string[]).includes(text) ? (text as Severity) : 'info';
}

/** Zero counts for every severity. */
export function emptyCounts(): SeverityCounts {
  return { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
}

/** `%text%` with LIKE's wildcards escaped, lower-cased. */
function likePattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Severity as a number for ordering (critical first), in SQL. */
const SEVERITY_RANK = sql<number>`(case f.severity when 'critical' then 0 when 'high' then 1 when 'medium' then 2 when 'low' then 3 else 4 end)`;

const SORT_COLUMNS = {
  severity: SEVERITY_RANK,
  controlId: sql.ref('f.control_id'),
  namespace: sql.ref('f.namespace'),
  kind: sql.ref('f.kind'),
  name: sql.ref('f.name'),
  firstSeen: sql.ref('f.first_seen'),
  lastSeen: sql.ref('f.last_seen'),
} as const;

/** The id of a cluster by name, or undefined. */
export async function clusterIdOf(db: Db, name: string): Promise<number | undefined> {
  const row = await db.selectFrom('clusters').select('id').where('name', '=', name).executeTakeFirst();
  return row?.id;
}

/** The cluster a request means: the one named, else the one most recently scanned. */
export async function defaultCluster(db: Db): Promise<string | undefined> {
  const row = await db
    .selectFrom('scans')
    .innerJoin('clusters', 'clusters.id', 'scans.cluster_id')
    .select('clusters.name')
    .orderBy('scans.started_at', 'desc')
    .orderBy('scans.id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.name;
}

/** Number of scans of a cluster (or of all). */
export async function countScans(db: Db, cluster?: string): Promise<number> {
  let q = db
    .selectFrom('scans')
    .innerJoin('clusters', 'clusters.id', 'scans.cluster_id')
    .select((eb) => eb.fn.countAll<number>().as('n'));
  if (cluster !== undefined) q = q.where('clusters.name', '=', cluster);
  const row = await q.executeTakeFirst();
  return row?.n ?? 0;
}

/** The newest scans of a cluster (newest first), at most `limit`. */
export async function latestScanIds(db: Db, clusterId: number, limit: number): Promise<number[]> {
  const rows = await db
    .selectFrom('scans')
    .select('id')
    .where('cluster_id', '=', clusterId)
    .orderBy('started_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

/**
 * One page of findings, filtered, sorted and counted in the database. Without `scan`, the
 * cluster's findings now (open ones: those of its latest scan); with `scan`, the ones that scan
 * saw. `frameworkControls` is the control ids a `framework` filter stands for.
 */
export async function findingsPage(
  db: Db,
  clusterId: number,
  query: FindingsQuery,
  controls: ReadonlyMap<string, ControlFacts>,
  frameworkControls: readonly string[] | undefined,
  scanId: number | null,
): Promise<FindingsResponse> {
  const empty: FindingsResponse = {
    items: [],
    total: 0,
    totalExact: true,
    limit: query.limit,
    offset: query.offset,
    scanId,
  };
  if (frameworkControls?.length === 0) return empty;
  const byScan = query.scan !== undefined;
  const suppressedCol = byScan ? sql`sf.suppressed` : sql`f.suppressed`;
  // Two shapes of FROM: findings alone (now), or one scan's links joined to findings.
  const from = byScan
    ? sql`scan_findings sf join findings f on f.id = sf.finding_id where sf.scan_id = ${query.scan ?? 0}`
    : sql`findings f where f.cluster_id = ${clusterId}`;
  const conds: RawBuilder<unknown>[] = [];
  const inList = (col: string, values: readonly string[]): RawBuilder<unknown> =>
    sql`${sql.ref(col)} in (${sql.join(values.map((v) => sql`${v}`))})`;
  if (!byScan) {
    if (query.status === 'open') conds.push(sql`f.resolved_at is null`);
    else if (query.status === 'resolved') conds.push(sql`f.resolved_at is not null`);
  }
  if (!query.suppressed) conds.push(sql`${suppressedCol} = 0`);
  if (query.severity?.length) conds.push(inList('f.severity', query.severity));
  if (query.namespace?.length) conds.push(inList('f.namespace', query.namespace));
  if (query.controlId?.length) conds.push(inList('f.control_id', query.controlId));
  if (query.kind?.length) conds.push(inList('f.kind', query.kind));
  if (query.name !== undefined) conds.push(sql`f.name = ${query.name}`);
  if (frameworkControls !== undefined) conds.push(inList('f.control_id', frameworkControls));
  if (query.q !== undefined && query.q !== '') {
    const p = likePattern(query.q);
    conds.push(
      sql`(${sql.join(
        ['f.title', 'f.message', 'f.name', 'f.control_id'].map(
          (c) => sql`lower(${sql.ref(c)}) like ${p} escape '\\'`,
        ),
        sql` or `,
      )})`,
    );
  }
  const where = sql.join(
    conds.map((c) => sql` and ${c}`),
    sql``,
  );

  const counted = await sql<{
    n: number | string;
  }>`select count(*) as n from (select 1 as one from ${from}${where} limit ${MAX_COUNT + 1}) m`.execute(db);
  const n = Number(counted.rows[0]?.n ?? 0);
  if (n === 0) return empty;

  const direction = query.order === 'desc' ? sql`desc` : sql`asc`;
  const rows = (
    await sql<FindingRow>`select f.id, f.fingerprint, f.control_id, f.severity, f.namespace, f.api_version, f.kind, f.name,
      f.field_path, f.title, f.message, f.location, f.first_seen, f.last_seen, f.resolved_at, ${suppressedCol} as sup
      from ${from}${where}
      order by ${SORT_COLUMNS[query.sort]} ${direction}, f.id ${direction}
      limit ${query.limit} offset ${query.offset}`.execute(db)
  ).rows;

  const exceptions = new Map<number, { reason: string; owner: string; expires?: string }>();
  const suppressedIds = rows.filter((r) => Number(r.sup) === 1).map((r) => r.id);
  if (suppressedIds.length > 0 && scanId !== null) {
    for (const e of await db
      .selectFrom('scan_exceptions')
      .select(['finding_id', 'reason', 'owner', 'expires'])
      .where('scan_id', '=', scanId)
      .where('status', '=', 'applied')
      .where('finding_id', 'in', suppressedIds.map(Number))
      .execute())
      if (e.finding_id !== null)
        exceptions.set(e.finding_id, {
          reason: e.reason,
          owner: e.owner,
          ...(e.expires !== '' ? { expires: e.expires } : {}),
        });
  }

  const items: Finding[] = rows.map((r) => {
    const facts = controls.get(r.control_id);
    const exception = exceptions.get(r.id);
    return {
      fingerprint: r.fingerprint,
      controlId: r.control_id,
      title: r.title,
      severity: severityOf(r.severity),
      namespace: r.namespace,
      apiVersion: r.api_version,
      kind: r.kind,
      name: r.name,
      fieldPath: r.field_path,
      message: r.message,
      ...(r.location !== null ? { location: r.location } : {}),
      ...(facts ? { remediation: facts.remediation } : {}),
      frameworks: [...(facts?.frameworks ?? [])],
      firstSeen: Number(r.first_seen),
      lastSeen: Number(r.last_seen),
      ...(r.resolved_at !== null ? { resolvedAt: Number(r.resolved_at) } : {}),
      suppressed: Number(r.sup) === 1,
      ...(exception ? { exception } : {}),
    };
  });
  return {
    items,
    total: Math.min(n, MAX_COUNT),
    totalExact: n <= MAX_COUNT,
    limit: query.limit,
    offset: query.offset,
    scanId,
  };
}

/** Open, unsuppressed findings now by severity and by namespace (top 50 namespaces). */
export async function summaryOf(
  db: Db,
  clusterId: number,
): Promise<Pick<SummaryResponse, 'bySeverity' | 'byNamespace' | 'other'>> {
  const rows = await db
    .selectFrom('findings')
    .select(['namespace', 'severity', (eb) => eb.fn.countAll<number>().as('n')])
    .where('cluster_id', '=', clusterId)
    .where('resolved_at', 'is', null)
    .where('suppressed', '=', 0)
    .groupBy(['namespace', 'severity'])
    .execute();
  const bySeverity = emptyCounts();
  const perNs = new Map<string, { namespace: string; total: number; bySeverity: SeverityCounts }>();
  for (const r of rows) {
    const sev = severityOf(r.severity);
    const n = r.n;
    bySeverity[sev] += n;
    let e = perNs.get(r.namespace);
    if (!e) {
      e = { namespace: r.namespace, total: 0, bySeverity: emptyCounts() };
      perNs.set(r.namespace, e);
    }
    e.total += n;
    e.bySeverity[sev] += n;
  }
  const sorted = [...perNs.values()].sort(
    (a, b) => b.total - a.total || a.namespace.localeCompare(b.namespace),
  );
  const rest = sorted.slice(50);
  return {
    bySeverity,
    byNamespace: sorted.slice(0, 50),
    other: { namespaces: rest.length, total: rest.reduce((s, e) => s + e.total, 0) },
  };
}

const WEIGHTS: Record<Severity, number> = { critical: 10, high: 5, medium: 2, low: 1, info: 0 };

/** Workloads with the heaviest open findings now, counted by severity in one grouped query. */
export async function riskyWorkloads(db: Db, clusterId: number, limit: number): Promise<RiskyWorkload[]> {
  const count = (sev: Severity) => sql<number | string>`sum(case when severity = ${sev} then 1 else 0 end)`;
  const weight = sql<number>`sum(case severity when 'critical' then 10 when 'high' then 5 when 'medium' then 2 when 'low' then 1 else 0 end)`;
  const rows = await db
    .selectFrom('findings')
    .select([
      'namespace',
      'kind',
      'name',
      weight.as('w'),
      count('critical').as('critical'),
      count('high').as('high'),
      count('medium').as('medium'),
      count('low').as('low'),
      count('info').as('info'),
    ])
    .where('cluster_id', '=', clusterId)
    .where('resolved_at', 'is', null)
    .where('suppressed', '=', 0)
    .where('namespace', '!=', '')
    .where('kind', 'not in', ['Namespace', 'Role', 'RoleBinding', 'NetworkPolicy', 'ServiceAccount'])
    .groupBy(['namespace', 'kind', 'name'])
    .orderBy('w', 'desc')
    .orderBy('namespace')
    .orderBy('name')
    .limit(limit)
    .execute();
  return rows.map((r) => {
    const bySeverity = {
      critical: Number(r.critical),
      high: Number(r.high),
      medium: Number(r.medium),
      low: Number(r.low),
      info: Number(r.info),
    };
    return {
      namespace: r.namespace,
      kind: r.kind,
      name: r.name,
      score: SEVERITIES.reduce((n, k) => n + bySeverity[k] * WEIGHTS[k], 0),
      findings: SEVERITIES.reduce((n, k) => n + bySeverity[k], 0),
      bySeverity,
    };
  });
}

/** Whether a table holds any row. */
export async function hasRows(db: Db, table: 'image_results' | 'alerts'): Promise<boolean> {
  const row = await db.selectFrom(table).select('id').limit(1).executeTakeFirst();
  return row !== undefined;
}

/** A scan summary by id, within the store (undefined when absent). */
export type ScanLookup = (id: number) => Promise<ScanSummary | undefined>;
