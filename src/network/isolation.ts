/**
 * The namespace isolation summary: for every ordered pair of namespaces that run pods,
 * whether any workload of the first may open a connection to any workload of the second
 * (`open`, with one example) or none may (`isolated`). Pure, from the workload matrix.
 */
import { hasPodTemplate, type Inventory } from '../core/index.js';
import { analyzeInventory } from './analyze.js';
import type { Analysis } from './engine.js';
import { DEFAULT_NAMESPACE } from './policy.js';

/** One ordered namespace pair. */
export interface NamespaceIsolation {
  from: string;
  to: string;
  status: 'isolated' | 'open';
  /** For an open pair: one allowed connection, `src => dst : conns`. */
  example?: string;
}

/** The summary, or why it was not computed. */
export interface IsolationSummary {
  namespaces: string[];
  pairs: NamespaceIsolation[];
  /** Set when the cluster is too large for the summary (workloads above the limit). */
  omitted?: string;
}

/** Workloads above which the summary is left out (the matrix grows with their square). */
export const ISOLATION_LIMIT = 3000;

/** The isolation summary of an analysis at workload granularity (pure). */
export function namespaceIsolation(analysis: Analysis, limit = ISOLATION_LIMIT): IsolationSummary {
  const nsOf = (i: number): string | undefined => analysis.peers[i]?.namespace;
  const namespaces = [...new Set(analysis.peers.map((p) => p.namespace))].sort();
  if (analysis.peers.length > limit)
    return {
      namespaces,
      pairs: [],
      omitted: `${analysis.peers.length} workloads, above the summary's limit of ${limit}`,
    };
  const open = new Map<string, string>();
  analysis.forEachConnection((c) => {
    const a = nsOf(c.src);
    const b = nsOf(c.dst);
    if (a === undefined || b === undefined || a === b) return;
    const key = `${a}\u0000${b}`;
    if (!open.has(key))
      open.set(key, `${analysis.nameOf(c.src)} => ${analysis.nameOf(c.dst)} : ${c.conn.toString()}`);
  });
  const pairs: NamespaceIsolation[] = [];
  for (const from of namespaces)
    for (const to of namespaces) {
      if (from === to) continue;
      const example = open.get(`${from}\u0000${to}`);
      pairs.push(
        example === undefined ? { from, to, status: 'isolated' } : { from, to, status: 'open', example },
      );
    }
  return { namespaces, pairs };
}

/**
 * The isolation summary of an inventory (pure). Without any NetworkPolicy every pair is open,
 * and above the limit nothing is computed: neither builds the analysis (a large manifest scan
 * must not pay for a matrix it would not print).
 */
export function namespaceIsolationOf(inventory: Inventory, limit = ISOLATION_LIMIT): IsolationSummary {
  const running = inventory.resources.filter(
    (r) => hasPodTemplate(r.object.kind) && !isFinished(r.object.status),
  );
  if (running.length > limit) {
    const namespaces = [...new Set(running.map((r) => r.ref.namespace ?? DEFAULT_NAMESPACE))].sort();
    return {
      namespaces,
      pairs: [],
      omitted: `${running.length} workloads, above the summary's limit of ${limit}`,
    };
  }
  if (inventory.byKind('NetworkPolicy').length === 0) {
    const namespaces = [...new Set(running.map((r) => r.ref.namespace ?? DEFAULT_NAMESPACE))].sort();
    const pairs: NamespaceIsolation[] = [];
    for (const from of namespaces)
      for (const to of namespaces)
        if (from !== to)
          pairs.push({ from, to, status: 'open', example: 'no NetworkPolicy: All Connections' });
    return { namespaces, pairs };
  }
  return namespaceIsolation(analyzeInventory(inventory).analysis, limit);
}

function isFinished(status: unknown): boolean {
  return (
    status !== null &&
    typeof status === 'object' &&
    ((status as { phase?: unknown }).phase === 'Succeeded' ||
      (status as { phase?: unknown }).phase === 'Failed')
  );
}
