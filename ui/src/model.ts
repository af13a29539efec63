// Pure functions behind the pages (no DOM, no fetching), tested in model.test.ts.
import type { Series } from './components/charts.js';
import type { GraphEdge, GraphNode } from './components/graph.js';
import { objectName } from './format.js';
import type { Finding, NetworkGraphResponse, RbacGraphResponse, ScoresResponse } from './types.js';

/** Aligns every framework's points on one time axis (uPlot wants one x array). */
export function alignScores(res: ScoresResponse): { times: number[]; series: Series[] } {
  const times = [...new Set(res.frameworks.flatMap((f) => f.points.map((p) => p.time)))].sort(
    (a, b) => a - b,
  );
  const index = new Map(times.map((t, i) => [t, i]));
  const series = res.frameworks.map((f) => {
    const values: (number | null)[] = times.map(() => null);
    for (const p of f.points) {
      const i = index.get(p.time);
      if (i !== undefined) values[i] = Math.round(p.score * 10) / 10;
    }
    return { label: f.framework, values };
  });
  return { times: times.map((t) => t / 1000), series };
}

/** What the findings explorer can group by. */
export const GROUPS = ['control', 'severity', 'namespace', 'workload', 'framework'] as const;
export type Group = (typeof GROUPS)[number];

/** The group(s) a finding falls in; a finding mapped to several frameworks is in each. */
export function groupKeys(f: Finding, by: Group): string[] {
  switch (by) {
    case 'control':
      return [`${f.controlId} ${f.title}`];
    case 'severity':
      return [f.severity];
    case 'namespace':
      return [f.namespace === '' ? '(cluster)' : f.namespace];
    case 'workload':
      return [objectName(f)];
    case 'framework':
      return f.frameworks.length > 0 ? f.frameworks : ['(none)'];
  }
}

/** Columns of the escalation graph: identities, then capabilities by distance, then targets. */
export function escalationLayout(data: RbacGraphResponse): {
  nodes: GraphNode[];
  edges: GraphEdge[];
  groups: string[];
} {
  const depth = new Map<string, number>();
  const queue: string[] = [];
  for (const n of data.nodes)
    if (n.type === 'identity') {
      depth.set(n.id, 0);
      queue.push(n.id);
    }
  const out = new Map<string, string[]>();
  for (const e of data.edges) {
    const list = out.get(e.from);
    if (list) list.push(e.to);
    else out.set(e.from, [e.to]);
  }
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i] ?? '';
    const d = depth.get(id) ?? 0;
    for (const next of out.get(id) ?? [])
      if (!depth.has(next)) {
        depth.set(next, d + 1);
        queue.push(next);
      }
  }
  const maxCap = Math.max(
    0,
    ...data.nodes.filter((n) => n.type === 'capability').map((n) => depth.get(n.id) ?? 1),
  );
  const groups = ['identities'];
  for (let d = 1; d <= maxCap; d++) groups.push(maxCap === 1 ? 'capabilities' : `capabilities (hop ${d})`);
  groups.push('targets');
  const nodes: GraphNode[] = data.nodes.map((n) => {
    if (n.type === 'identity') return { id: n.id, label: n.label, group: 'identities', kind: 'subject' };
    if (n.type === 'target') return { id: n.id, label: n.label, group: 'targets', kind: 'escalation' };
    const d = Math.min(Math.max(1, depth.get(n.id) ?? 1), maxCap);
    return { id: n.id, label: n.label, group: groups[d] ?? 'capabilities' };
  });
  const edges: GraphEdge[] = data.edges.map((e) => ({
    from: e.from,
    to: e.to,
    label: `${e.kind}: ${e.explain}${e.via ? ` (${e.via.binding} → ${e.via.role})` : ''}`,
  }));
  return { nodes, edges, groups };
}

const EXTERNAL = 'external';

/** One column per namespace (external ranges last); nodes exposed to the outside are marked. */
export function reachabilityLayout(data: NetworkGraphResponse): {
  nodes: GraphNode[];
  edges: GraphEdge[];
  groups: string[];
} {
  const namespaces = [
    ...new Set(data.nodes.filter((n) => n.type === 'workload').map((n) => n.namespace)),
  ].sort();
  const hasExternal = data.nodes.some((n) => n.type === 'external');
  const groups = hasExternal ? [EXTERNAL, ...namespaces] : namespaces;
  const nodes: GraphNode[] = data.nodes.map((n) => ({
    id: n.id,
    label: n.type === 'external' ? n.name || n.id : `${n.kind}/${n.name}`,
    group: n.type === 'external' ? EXTERNAL : n.namespace,
    ...(n.type === 'external' ? { kind: 'external' } : n.exposed ? { kind: 'exposed' } : {}),
  }));
  const edges: GraphEdge[] = data.edges.map((e) => ({
    from: e.src,
    to: e.dst,
    label: `${e.src} → ${e.dst}: ${e.conn}`,
  }));
  return { nodes, edges, groups };
}
