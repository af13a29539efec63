import { UsageError } from '../../core/index.js';
import type { ScanSummary } from '../../store/index.js';
import type { CliIO } from '../io.js';
import { openCliStore } from './record.js';
import { columns, parseStoreOutputs, shortTime, writeStoreOutputs } from './store-output.js';

/** Options of `palisade history`. */
export interface HistoryOptions {
  db?: string;
  cluster?: string;
  limit?: number;
  output: string[];
  outputFile?: string;
}

/** Renders scans as a table, newest first. */
export function renderHistoryTable(scans: readonly ScanSummary[]): string {
  if (scans.length === 0) return 'No scans recorded.\n';
  const frameworks = [...new Set(scans.flatMap((s) => s.scores.map((x) => x.framework)))].sort();
  const rows = scans.map((s) => {
    const score = new Map(s.scores.map((x) => [x.framework, x.score]));
    return [
      String(s.id),
      shortTime(s.time),
      s.cluster,
      s.source,
      String(s.resources),
      String(s.findings),
      `${s.bySeverity.critical}/${s.bySeverity.high}/${s.bySeverity.medium}/${s.bySeverity.low}/${s.bySeverity.info}`,
      ...frameworks.map((f) => (score.has(f) ? (score.get(f) ?? 0).toFixed(1) : '-')),
    ];
  });
  return columns(
    [
      'ID',
      'TIME (UTC)',
      'CLUSTER',
      'SOURCE',
      'OBJECTS',
      'OPEN',
      'C/H/M/L/I',
      ...frameworks.map((f) => f.toUpperCase()),
    ],
    rows,
  );
}

/** Runs `palisade history`: 0 listed (even when empty), 2 on a usage or store error. */
export async function runHistory(options: HistoryOptions, io: CliIO): Promise<number> {
  const outputs = parseStoreOutputs(options.output, options.outputFile);
  const limit = options.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1)
    throw new UsageError(`--limit must be a whole number of at least 1 (got ${limit})`);
  const store = await openCliStore(options.db, io);
  try {
    const scans = await store.listScans({ cluster: options.cluster, limit });
    if (scans.length === 0 && options.cluster !== undefined) {
      const names = await store.clusters();
      if (!names.includes(options.cluster))
        throw new UsageError(
          `no cluster named ${options.cluster} in the store${names.length > 0 ? ` (known: ${names.join(', ')})` : ''}`,
        );
    }
    await writeStoreOutputs(
      outputs,
      io,
      {
        apiVersion: 'palisade.dev/v1',
        kind: 'ScanHistory',
        scans: scans.map((s) => ({ ...s, time: new Date(s.time).toISOString() })),
      },
      () => renderHistoryTable(scans),
    );
    return 0;
  } finally {
    await store.close();
  }
}
