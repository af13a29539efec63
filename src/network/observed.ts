/**
 * Observed traffic against policy: flows aggregated to workload pairs, each marked allowed or
 * denied by the current NetworkPolicies, and the allowed pairs no flow was seen on (the
 * least-privilege gap). Pure: an inventory and flows in, a report out; the detection side
 * calls `compareObserved` with flows it has already read.
 */
import { csvCell, type Inventory } from '../core/index.js';
import { ConnSet } from './conn-set.js';
import type { ConnLine } from './connlist.js';
import { Analysis } from './engine.js';
import type { Flow, FlowIssue } from './flows.js';
import { buildModel } from './model.js';
import { ipBlocksMatchPods } from './pod-ips.js';
import { compilePolicies, type PolicyIssue } from './policy.js';
import {
  resolveFlows,
  withObservedPeers,
  type ObservedPeer,
  type ResolveOptions,
  type ResolvedEndpoint,
} from './resolve.js';

/** What the policies say about an observed pair. */
export type ObservedVerdict = 'allowed' | 'denied' | 'partly denied';

/** Observed connections between two peers, aggregated over flows. */
export interface ObservedPair {
  /** `ns/name[Kind]`, or `ip[External]` for an address outside the cluster. */
  src: string;
  dst: string;
  /** Every protocol and port seen. */
  observed: ConnSet;
  /** Number of flows. */
  flows: number;
  /** First and last flow time, when the export has times. */
  first?: string;
  last?: string;
  /** With policies: the part of `observed` they allow and deny. */
  allowed?: ConnSet;
  denied?: ConnSet;
  verdict?: ObservedVerdict;
}

/** A pair the policies allow that no flow used. */
export interface GapPair {
  src: string;
  dst: string;
  /** What the policies allow between them. */
  allowed: ConnSet;
}

/** Observed traffic, optionally against policy. */
export interface ObservedReport {
  /** Observed pairs in name order (source, then destination). */
  pairs: ObservedPair[];
  /** Flows aggregated into `pairs`. */
  flowsUsed: number;
  /** Flows left out, with the reason. */
  skipped: FlowIssue[];
  /** In-cluster peers the flows show that the manifests lack. */
  observedPeers: ObservedPeer[];
  /** With policies: allowed pairs never observed, in name order. */
  gap?: GapPair[];
  /** With policies: observed pairs the policies deny, fully or partly. */
  denied?: number;
  /** Problems compiling the policies (those policies are ignored). */
  policyIssues: PolicyIssue[];
}

/** Options of the comparison. */
export interface CompareOptions extends ResolveOptions {
  /** Mark each pair allowed/denied and list the allowed pairs never observed. */
  againstPolicy?: boolean;
  /** Only pairs with an end in one of these namespaces. */
  namespaces?: readonly string[];
  /** ipBlocks also select the pods whose IPs they cover (`--ipblock-matches-pods`). */
  ipBlockMatchesPods?: boolean;
}

function order(a: { src: string; dst: string }, b: { src: string; dst: string }): number {
  return a.src < b.src ? -1 : a.src > b.src ? 1 : a.dst < b.dst ? -1 : a.dst > b.dst ? 1 : 0;
}

function namespaceOf(peer: string): string | undefined {
  if (peer.endsWith('[External]')) return undefined;
  const i = peer.indexOf('/');
  return i > 0 ? peer.slice(0, i) : undefined;
}

/**
 * Aggregates flows to workload pairs of the inventory (peers only the flows show are added
 * as observed-only workloads) and, with `againstPolicy`, judges them by the inventory's
 * NetworkPolicies (pure).
 */
export function compareObserved(
  inventory: Inventory,
  flows: readonly Flow[],
  options: CompareOptions = {},
): ObservedReport {
  const observed = withObservedPeers(inventory, buildModel(inventory), flows);
  const added = observed.added;
  const compiled = compilePolicies(observed.inventory.resources);
  const issues = compiled.issues;
  const { inventory: augmented, policies } = options.ipBlockMatchesPods
    ? ipBlocksMatchPods(observed.inventory, compiled.policies)
    : { inventory: observed.inventory, policies: compiled.policies };
  const model = buildModel(augmented);
  const analysis = new Analysis(model, policies, { granularity: 'workload' });
  const { resolved, skipped } = resolveFlows(model, flows, options);

  const keep = options.namespaces && options.namespaces.length > 0 ? new Set(options.namespaces) : undefined;
  const nameOf = (e: ResolvedEndpoint): string => {
    if (e.kind === 'external') return `${e.ip}[External]`;
    const w = model.workloads[e.workload];
    return w ? `${w.namespace}/${w.name}[${w.kind}]` : '?';
  };
  const peerOf = (e: ResolvedEndpoint, direction: 'ingress' | 'egress'): number | undefined => {
    if (e.kind === 'external') return analysis.externalFor(e.ip, direction);
    const first = model.workloads[e.workload]?.pods[0];
    const p = first === undefined ? -1 : analysis.peerOfModelPod(first);
    return p < 0 ? undefined : p;
  };

  const byPair = new Map<string, ObservedPair & { s?: number; d?: number }>();
  const seenPeers = new Set<string>();
  let flowsUsed = 0;
  for (const r of resolved) {
    const src = nameOf(r.src);
    const dst = nameOf(r.dst);
    if (keep && !keep.has(namespaceOf(src) ?? '') && !keep.has(namespaceOf(dst) ?? '')) continue;
    flowsUsed++;
    const key = `${src}\u0000${dst}`;
    let pair = byPair.get(key);
    if (!pair) {
      pair = { src, dst, observed: ConnSet.NONE, flows: 0 };
      const s = peerOf(r.src, 'ingress');
      const d = peerOf(r.dst, 'egress');
      if (s !== undefined) pair.s = s;
      if (d !== undefined) pair.d = d;
      if (s !== undefined && d !== undefined) seenPeers.add(`${s}:${d}`);
      byPair.set(key, pair);
    }
    pair.observed = pair.observed.union(ConnSet.range(r.flow.protocol, r.flow.port));
    pair.flows++;
    const t = r.flow.time;
    if (t !== undefined) {
      if (pair.first === undefined || t < pair.first) pair.first = t;
      if (pair.last === undefined || t > pair.last) pair.last = t;
    }
  }

  const pairs: ObservedPair[] = [];
  let denied = 0;
  for (const p of [...byPair.values()].sort(order)) {
    const { s, d, ...pair } = p;
    if (options.againstPolicy) {
      const allows = s !== undefined && d !== undefined ? analysis.allowed(s, d) : ConnSet.NONE;
      pair.allowed = pair.observed.intersect(allows);
      pair.denied = pair.observed.subtract(allows);
      pair.verdict = pair.denied.isEmpty ? 'allowed' : pair.allowed.isEmpty ? 'denied' : 'partly denied';
      if (!pair.denied.isEmpty) denied++;
    }
    pairs.push(pair);
  }

  const report: ObservedReport = { pairs, flowsUsed, skipped, observedPeers: added, policyIssues: issues };
  if (options.againstPolicy) {
    const gap: GapPair[] = [];
    analysis.forEachConnection((c) => {
      if (seenPeers.has(`${c.src}:${c.dst}`)) return;
      const src = analysis.nameOf(c.src);
      const dst = analysis.nameOf(c.dst);
      if (keep && !keep.has(namespaceOf(src) ?? '') && !keep.has(namespaceOf(dst) ?? '')) return;
      gap.push({ src, dst, allowed: c.conn });
    });
    report.gap = gap.sort(order);
    report.denied = denied;
  }
  return report;
}

function verdictText(p: ObservedPair): string {
  if (p.verdict === undefined) return '';
  if (p.verdict === 'partly denied') return `partly denied (denied: ${p.denied?.toString() ?? ''})`;
  return p.verdict;
}

/** Text output: the observed pairs, then (against policy) the denied count and the gap. */
export function formatObservedText(report: ObservedReport): string {
  const out = [`Observed connections: ${report.flowsUsed} flow(s) between ${report.pairs.length} pair(s)`];
  for (const p of report.pairs) {
    const v = verdictText(p);
    out.push(
      `${p.src} => ${p.dst} : ${p.observed.toString()}  (${p.flows} flow${p.flows === 1 ? '' : 's'})${v ? `  ${v}` : ''}`,
    );
  }
  if (report.gap) {
    out.push(
      '',
      `Denied by the current policies: ${report.denied ?? 0} observed pair(s)`,
      `Allowed but never observed (least-privilege gap): ${report.gap.length} pair(s)`,
    );
    for (const g of report.gap) out.push(`  ${g.src} => ${g.dst} : ${g.allowed.toString()}`);
  }
  if (report.observedPeers.length > 0)
    out.push(
      '',
      `Not in the manifests, seen in the flows: ${report.observedPeers
        .map((p) => `${p.namespace}/${p.name}[${p.kind}]`)
        .join(', ')}`,
    );
  return `${out.join('\n')}\n`;
}

/** JSON output: pairs (connections as strings), gap and skipped flows. */
export function formatObservedJson(report: ObservedReport): string {
  const data = {
    flows: report.flowsUsed,
    pairs: report.pairs.map((p) => ({
      src: p.src,
      dst: p.dst,
      conn: p.observed.toString(),
      flows: p.flows,
      ...(p.first !== undefined ? { first: p.first, last: p.last } : {}),
      ...(p.verdict !== undefined
        ? { verdict: p.verdict, allowed: p.allowed?.toString(), denied: p.denied?.toString() }
        : {}),
    })),
    ...(report.gap
      ? {
          denied: report.denied,
          gap: report.gap.map((g) => ({ src: g.src, dst: g.dst, conn: g.allowed.toString() })),
        }
      : {}),
    observedOnly: report.observedPeers.map((p) => `${p.namespace}/${p.name}[${p.kind}]`),
    skipped: report.skipped,
  };
  return `${JSON.stringify(data, null, 2)}\n`;
}

/** CSV output: `status,src,dst,conn,flows` with status observed/allowed/denied/partly denied/gap. */
export function formatObservedCsv(report: ObservedReport): string {
  const rows = ['status,src,dst,conn,flows'];
  for (const p of report.pairs)
    rows.push(
      [p.verdict ?? 'observed', p.src, p.dst, p.observed.toString(), String(p.flows)].map(csvCell).join(','),
    );
  for (const g of report.gap ?? [])
    rows.push(['gap', g.src, g.dst, g.allowed.toString(), '0'].map(csvCell).join(','));
  return `${rows.join('\n')}\n`;
}

/** The edges of the graph renderers: observed pairs tagged by verdict, then the gap. */
export function observedGraph(report: ObservedReport): { lines: ConnLine[]; tags: string[] } {
  const lines: ConnLine[] = [];
  const tags: string[] = [];
  for (const p of report.pairs) {
    lines.push({ src: p.src, dst: p.dst, conn: p.observed });
    tags.push(p.verdict ?? 'observed');
  }
  for (const g of report.gap ?? []) {
    lines.push({ src: g.src, dst: g.dst, conn: g.allowed });
    tags.push('gap');
  }
  return { lines, tags };
}
