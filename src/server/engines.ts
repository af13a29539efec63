/**
 * The RBAC and network engines over the inputs the dashboard serves (the demo cluster, or the
 * manifests of the latest recorded scan). Everything costly (the RBAC model, the escalation
 * graph and its paths, the network analysis and its connection list) is computed once per
 * inputs key and cached; inputs above a size bound are refused instead of analysed on the
 * event loop. All functions here are pure over their arguments.
 */
import { Inventory } from '../core/index.js';
import { parseManifests } from '../load/index.js';
import {
  analyzeInventory,
  connList,
  diffInventories,
  ingressControllerLines,
  mergeLines,
  sortLines,
  type Analysis,
} from '../network/index.js';
import {
  allBindings,
  buildEscalationGraph,
  buildRbacModel,
  effectiveRules,
  findPaths,
  formatRule,
  formatSubject,
  identityOf,
  suggestRoles,
  whoCan,
  type AuditCall,
  type EscalationGraph,
  type EscalationPath,
  type RbacModel,
  type RbacSubject,
} from '../rbac/index.js';
import type {
  ConnectionDto,
  NetpolDiffResponse,
  NetworkGraphResponse,
  RbacGraphResponse,
  UnusedRight,
  UnusedRightsResponse,
  WhoCanQuery,
  WhoCanResponse,
} from './api-types.js';

/** What the RBAC and network pages are computed from. */
export interface ServerInputs {
  /** Changes when the inputs change (a scan id, or `demo`); caches are keyed by it. */
  key: string;
  /** Shown to the user: where the objects came from. */
  source: string;
  inventory: Inventory;
  /** API calls of an audit log (`serve --audit-log`), for the rights nobody used. */
  audit?: { file: string; calls: readonly AuditCall[] };
}

/** Most rows of an unused-rights answer. */
export const MAX_UNUSED_RIGHTS = 2000;

/** Workload objects above which network analysis is refused (it grows with the square). */
export const MAX_NETWORK_WORKLOADS = 2000;
/** Most subjects a who-can answer lists. */
export const MAX_WHO_CAN_SUBJECTS = 1000;
/** Most escalation paths one answer holds. */
export const MAX_PATHS = 500;
/** Most connection rows one answer holds. */
export const MAX_MATRIX_ROWS = 20_000;

const WORKLOAD_KINDS = new Set([
  'Pod',
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'Job',
  'CronJob',
]);

/** An answer the engines cannot give, with why (mapped to HTTP 413 or 503 by the server). */
export class EngineLimitError extends Error {}

/** The cached analyses of one set of inputs. */
export class Engines {
  private rbac: { model: RbacModel; graph: EscalationGraph; paths: EscalationPath[] } | undefined;
  private network: { analysis: Analysis; rows: ConnectionDto[] } | undefined;

  constructor(readonly inputs: ServerInputs) {}

  private rbacParts(): { model: RbacModel; graph: EscalationGraph; paths: EscalationPath[] } {
    if (!this.rbac) {
      const model = buildRbacModel(this.inputs.inventory);
      const graph = buildEscalationGraph(model);
      this.rbac = { model, graph, paths: findPaths(graph) };
    }
    return this.rbac;
  }

  /** Subjects allowed a request, with the bindings that allow it. */
  whoCan(q: WhoCanQuery): WhoCanResponse {
    const query = {
      verb: q.verb,
      resource: q.resource,
      apiGroup: q.apiGroup ?? '',
      subresource: q.subresource ?? '',
      namespace: q.namespace ?? '',
      name: q.name ?? '',
    };
    const subjects = whoCan(this.rbacParts().model, { resourceRequest: true, ...query });
    return {
      source: this.inputs.source,
      query,
      subjects: subjects.slice(0, MAX_WHO_CAN_SUBJECTS).map((s) => ({
        kind: s.kind,
        name: s.name,
        ...(s.namespace !== undefined ? { namespace: s.namespace } : {}),
        via: s.via.map((v) => ({
          binding: v.binding,
          role: v.role,
          ...(v.group !== undefined ? { group: v.group } : {}),
        })),
      })),
      privilegedGroups: ['system:masters'],
      truncated: subjects.length > MAX_WHO_CAN_SUBJECTS,
    };
  }

  /**
   * The rules each bound subject holds that no call of the audit log used: for a subject seen
   * in the log, the rules its calls never needed; for a subject never seen, every rule.
   */
  unusedRights(): UnusedRightsResponse {
    const audit = this.inputs.audit;
    if (!audit)
      return {
        source: this.inputs.source,
        enabledBy:
          "start palisade serve with --audit-log FILE (the API server's audit log, JSON lines): the rights no call used are listed per subject",
        rights: [],
        truncated: false,
      };
    const model = this.rbacParts().model;
    const rows: UnusedRight[] = [];
    const seen = new Set<string>();
    for (const s of suggestRoles(audit.calls, { model })) {
      const subject = formatSubject(s.subject);
      seen.add(subject);
      for (const r of s.current)
        if (!r.used)
          rows.push({
            subject,
            namespace: r.namespace,
            rule: formatRule(r.rule),
            via: r.via.map((v) => `${v.binding} → ${v.role}`),
            calls: s.calls,
          });
    }
    // Subjects bound to something and absent from the log: every right they hold went unused.
    const bound = new Map<string, RbacSubject>();
    for (const b of allBindings(model))
      for (const sub of b.subjects) {
        const subject: RbacSubject =
          sub.kind === 'ServiceAccount' ? { ...sub, namespace: sub.namespace ?? b.namespace ?? '' } : sub;
        bound.set(formatSubject(subject), subject);
      }
    for (const [name, subject] of [...bound].sort((a, b) => a[0].localeCompare(b[0]))) {
      if (seen.has(name) || subject.kind === 'Group') continue;
      for (const r of effectiveRules(model, identityOf(subject, [])))
        rows.push({
          subject: name,
          namespace: r.namespace,
          rule: formatRule(r.rule),
          via: r.via.map((v) => `${v.binding} → ${v.role}`),
          calls: 0,
        });
      if (rows.length > MAX_UNUSED_RIGHTS) break;
    }
    return {
      source: this.inputs.source,
      auditLog: audit.file,
      rights: rows.slice(0, MAX_UNUSED_RIGHTS),
      truncated: rows.length > MAX_UNUSED_RIGHTS,
    };
  }

  /** Escalation paths (all, or from/to the given nodes) with the nodes and edges they use. */
  escalation(from?: readonly string[], to?: readonly string[]): RbacGraphResponse {
    const { graph, paths: all } = this.rbacParts();
    const paths =
      from === undefined && to === undefined
        ? all
        : findPaths(graph, { ...(from ? { from } : {}), ...(to ? { to } : {}) });
    const kept = paths.slice(0, MAX_PATHS);
    const nodes = new Map<string, RbacGraphResponse['nodes'][number]>();
    const edges = new Map<string, RbacGraphResponse['edges'][number]>();
    const targets = new Set(kept.map((p) => p.to));
    const node = (id: string): void => {
      if (nodes.has(id)) return;
      const identity = id.startsWith('user:') || id.startsWith('group:') || id.startsWith('sa:');
      nodes.set(id, {
        id,
        label: graph.nodes.get(id) ?? id,
        type: targets.has(id) ? 'target' : identity ? 'identity' : 'capability',
      });
    };
    const hopsOf = (p: EscalationPath): RbacGraphResponse['edges'] =>
      p.hops.map((h) => ({
        from: h.from,
        to: h.to,
        kind: h.kind,
        explain: h.explain,
        ...(h.via ? { via: { binding: h.via.binding, role: h.via.role } } : {}),
      }));
    const out: RbacGraphResponse['paths'] = [];
    for (const p of kept) {
      const hops = hopsOf(p);
      node(p.from);
      for (const h of hops) {
        node(h.from);
        node(h.to);
        edges.set(`${h.from}\u0000${h.to}\u0000${h.kind}`, h);
      }
      out.push({
        from: p.from,
        fromLabel: p.fromLabel,
        to: p.to,
        toLabel: p.toLabel,
        hops,
        ...(p.members ? { members: [...p.members] } : {}),
      });
    }
    return {
      source: this.inputs.source,
      nodes: [...nodes.values()],
      edges: [...edges.values()],
      paths: out,
      truncated: paths.length > MAX_PATHS,
    };
  }

  /** The identities with escalation paths, most dangerous first. */
  riskyIdentities(
    limit: number,
  ): { id: string; label: string; reaches: string[]; shortest: number; score: number }[] {
    const { paths } = this.rbacParts();
    const byId = new Map<string, { id: string; label: string; reaches: Set<string>; shortest: number }>();
    for (const p of paths) {
      for (const id of [p.from, ...(p.members ?? [])]) {
        const hops = id === p.from ? p.hops.length : p.hops.length + 1;
        let e = byId.get(id);
        if (!e) {
          e = { id, label: id === p.from ? p.fromLabel : id, reaches: new Set(), shortest: hops };
          byId.set(id, e);
        }
        e.reaches.add(p.to);
        e.shortest = Math.min(e.shortest, hops);
      }
    }
    return [...byId.values()]
      .map((e) => ({
        id: e.id,
        label: e.label,
        reaches: [...e.reaches].sort(),
        shortest: e.shortest,
        score: e.reaches.size * 10 + Math.max(0, 10 - e.shortest),
      }))
      .sort((a, b) => b.score - a.score || a.id.localeCompare(b.id))
      .slice(0, limit);
  }

  private networkParts(): { analysis: Analysis; rows: ConnectionDto[] } {
    if (!this.network) {
      checkNetworkSize(this.inputs.inventory);
      const { analysis } = analyzeInventory(this.inputs.inventory, { granularity: 'workload' });
      const extra = sortLines(ingressControllerLines(analysis, this.inputs.inventory.resources));
      const rows: ConnectionDto[] = [];
      for (const l of mergeLines(connList(analysis), extra))
        rows.push({ src: l.src, dst: l.dst, conn: l.conn.toString() });
      this.network = { analysis, rows };
    }
    return this.network;
  }

  /** Allowed connections, optionally only those touching some namespaces. */
  matrix(namespaces?: readonly string[]): { rows: ConnectionDto[]; total: number; truncated: boolean } {
    const all = this.networkParts().rows;
    const rows = namespaces?.length ? all.filter((r) => touches(r, namespaces)) : all;
    return {
      rows: rows.slice(0, MAX_MATRIX_ROWS),
      total: rows.length,
      truncated: rows.length > MAX_MATRIX_ROWS,
    };
  }

  /** The reachability graph with isolation, exposure and default-deny gaps. */
  networkGraph(namespaces?: readonly string[]): NetworkGraphResponse {
    const { analysis, rows } = this.networkParts();
    const keepNs = (ns: string): boolean => !namespaces?.length || namespaces.includes(ns);
    const m = this.matrix(namespaces);
    const exposed = new Set<string>();
    const exposure: NetworkGraphResponse['exposure'] = [];
    for (const r of rows)
      if (r.src.endsWith('[External]') && !r.dst.endsWith('[External]') && keepNs(namespaceOfPeer(r.dst))) {
        exposed.add(r.dst);
        exposure.push({ workload: r.dst, from: r.src, conn: r.conn });
      }
    const nodes: NetworkGraphResponse['nodes'] = [];
    const perNs = new Map<string, { workloads: number; ingress: string[]; egress: string[] }>();
    for (let i = 0; i < analysis.size; i++) {
      const id = analysis.nameOf(i);
      if (analysis.isExternal(i)) continue;
      const p = analysis.peers[i];
      if (!p || !keepNs(p.namespace)) continue;
      const ingressIsolated = analysis.isIsolated(i, 'ingress');
      const egressIsolated = analysis.isIsolated(i, 'egress');
      nodes.push({
        id,
        type: 'workload',
        namespace: p.namespace,
        kind: p.kind,
        name: p.name,
        ingressIsolated,
        egressIsolated,
        exposed: exposed.has(id),
      });
      let e = perNs.get(p.namespace);
      if (!e) {
        e = { workloads: 0, ingress: [], egress: [] };
        perNs.set(p.namespace, e);
      }
      e.workloads++;
      if (!ingressIsolated) e.ingress.push(id);
      if (!egressIsolated) e.egress.push(id);
    }
    const externals = new Set<string>();
    for (const r of m.rows)
      for (const end of [r.src, r.dst]) if (end.endsWith('[External]')) externals.add(end);
    for (const id of [...externals].sort())
      nodes.push({
        id,
        type: 'external',
        namespace: '',
        kind: 'External',
        name: id.slice(0, -'[External]'.length),
        ingressIsolated: false,
        egressIsolated: false,
        exposed: false,
      });
    const names = [...perNs.keys()].sort();
    return {
      source: this.inputs.source,
      namespaces: names.map((name) => {
        const e = perNs.get(name) ?? { workloads: 0, ingress: [], egress: [] };
        return {
          name,
          workloads: e.workloads,
          defaultDenyIngress: e.ingress.length === 0,
          defaultDenyEgress: e.egress.length === 0,
        };
      }),
      nodes,
      edges: m.rows,
      exposure,
      gaps: names.flatMap((name) => {
        const e = perNs.get(name);
        if (!e) return [];
        return [
          ...(e.ingress.length > 0
            ? [{ namespace: name, direction: 'ingress' as const, workloads: e.ingress }]
            : []),
          ...(e.egress.length > 0
            ? [{ namespace: name, direction: 'egress' as const, workloads: e.egress }]
            : []),
        ];
      }),
      truncated: m.truncated,
    };
  }

  /**
   * The impact of a proposed change: the manifests are parsed (as `proposed.yaml`), replace
   * objects of the same kind, namespace and name (or are added), `remove` deletes objects, and
   * the two versions are diffed.
   */
  netpolDiff(manifests: string, remove: readonly string[] = []): NetpolDiffResponse {
    const base = this.inputs.inventory;
    checkNetworkSize(base);
    const parsed = parseManifests(manifests, 'proposed.yaml');
    const issues: NetpolDiffResponse['issues'] = parsed.issues.map((i) => ({
      where: `${i.file}${i.line !== undefined ? `:${i.line}` : ''}`,
      message: i.message,
    }));
    const keyOf = (kind: string, ns: string | undefined, name: string): string =>
      `${kind}/${ns ?? ''}/${name}`;
    const replaced = new Set(parsed.resources.map((r) => keyOf(r.ref.kind, r.ref.namespace, r.ref.name)));
    const removed = new Set(remove);
    const head = new Inventory();
    head.facts = base.facts;
    for (const r of base.resources) {
      const k = keyOf(r.ref.kind, r.ref.namespace, r.ref.name);
      if (replaced.has(k) || removed.has(k)) continue;
      head.add(r);
    }
    for (const r of parsed.resources) head.add(r);
    checkNetworkSize(head);
    const d = diffInventories(base, head);
    for (const p of d.issues.head)
      issues.push({
        where: p.file
          ? `${p.file}${p.line !== undefined ? `:${p.line}` : ''}`
          : `NetworkPolicy ${p.resource.namespace ?? ''}/${p.resource.name}`,
        message: `${p.path}: ${p.message} (policy ignored)`,
      });
    return {
      source: this.inputs.source,
      diffs: d.diffs.map((x) => ({
        src: x.src,
        dst: x.dst,
        change: x.change,
        before: x.before,
        after: x.after,
        opened: x.opened,
        newExposure: x.newExposure,
        newPeer: x.newPeer,
        attribution: x.attribution.map((a) => ({
          description: a.description,
          ...(a.location ? { location: `${a.location.file}:${a.location.line}:${a.location.column}` } : {}),
        })),
      })),
      added: d.added,
      removed: d.removed,
      changed: d.changed,
      newExposure: d.newExposure,
      issues,
    };
  }
}

function checkNetworkSize(inventory: Inventory): void {
  let workloads = 0;
  for (const r of inventory.resources) if (WORKLOAD_KINDS.has(r.ref.kind)) workloads++;
  if (workloads > MAX_NETWORK_WORKLOADS)
    throw new EngineLimitError(
      `the inputs hold ${workloads} workload objects; the dashboard analyses networks of at most ${MAX_NETWORK_WORKLOADS} (use palisade netpol matrix on the command line)`,
    );
}

/** The namespace of a peer name `ns/name[Kind]`; `''` for external ranges. */
export function namespaceOfPeer(peer: string): string {
  if (peer.endsWith('[External]')) return '';
  const i = peer.indexOf('/');
  return i > 0 ? peer.slice(0, i) : '';
}

function touches(r: ConnectionDto, namespaces: readonly string[]): boolean {
  return namespaces.includes(namespaceOfPeer(r.src)) || namespaces.includes(namespaceOfPeer(r.dst));
}
