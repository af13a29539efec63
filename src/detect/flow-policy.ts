/**
 * Network flows against the NetworkPolicy model: each connection attempt is resolved to the
 * workloads at its ends (as `netpol flows` does) and judged by the same analysis
 * (src/network), once per (source, destination, protocol/port): later flows of that key read
 * the cached verdict. A flow the policies deny raises an alert, whether the network dropped
 * it (`network/denied-flow-attempted`) or let it through (`network/denied-flow-observed`: the
 * policies in force differ from the ones judged, or the CNI does not enforce them). The pairs
 * the policies allow and no flow used make the least-privilege report.
 *
 * Memory is bounded: verdicts and observed pairs are kept per workload pair (at most
 * `maxPairs`), open alerts per key (at most `maxPairs`), and peers only the flows show (a
 * cluster DNS, an agent) are added to the model with at most `maxObservedPeers` model builds.
 * Endpoints are placed once per model (cached), so a flow costs a few map lookups. Pure: time
 * comes from the flows.
 */
import type { Inventory } from '../core/index.js';
import {
  Analysis,
  buildModel,
  compilePolicies,
  explainConnection,
  ipBlocksMatchPods,
  Resolver,
  withObservedPeers,
  type Explanation,
  type Flow,
  type FlowEndpoint,
  type NetworkModel,
  type PolicyIssue,
} from '../network/index.js';
import type { Alert } from './detector.js';
import type { DetectEvent } from './event.js';

/** Rule ids of the alerts flow judgement raises. */
export const DENIED_FLOW_ATTEMPTED = 'network/denied-flow-attempted';
export const DENIED_FLOW_OBSERVED = 'network/denied-flow-observed';
/**
 * The built-in rule that alerts on every dropped flow without knowing why; for a flow the
 * policies deny, the alert with the policy decision replaces it.
 */
export const SUPERSEDED_FLOW_RULE = 'denied-flow-attempted';

/** What the policies say about one flow. */
export type FlowDecision =
  /** The policies allow it. */
  | 'allowed'
  /** The policies deny it. */
  | 'denied'
  /** An end is not in the inventory (nor could be added from what the flow tells). */
  | 'unknown'
  /** Not judged: both ends outside the cluster, or both in one workload. */
  | 'skipped';

/** What the flow source said happened. */
export type ObservedOutcome = 'forwarded' | 'dropped' | 'unknown';

/** The judgement of one flow. */
export interface FlowJudgement {
  decision: FlowDecision;
  observed: ObservedOutcome;
  /** Peer names (`ns/name[Kind]`, `a.b.c.d-w.x.y.z[External]`) when resolved. */
  src?: string;
  dst?: string;
  /** Why, in one line (for unknown and skipped flows: what was missing). */
  reason: string;
  /** The alert raised, when the flow is denied and no alert of its key is open. */
  alert?: Alert;
}

/** One pair of the least-privilege report: allowed by the policies, never observed. */
export interface UnusedPair {
  src: string;
  dst: string;
  /** What the policies allow between them. */
  allowed: string;
}

/** Allowed-but-never-observed workload pairs over the flows judged so far. */
export interface LeastPrivilegeReport {
  kind: 'LeastPrivilegeReport';
  /** Time of the latest flow judged ('' when none had a time). */
  time: string;
  /** Flows judged, and how many of them the policies allowed, denied, or could not place. */
  flows: number;
  allowed: number;
  denied: number;
  unknown: number;
  /** Distinct workload pairs observed. */
  observedPairs: number;
  /** Allowed pairs never observed, in name order (at most `maxReportPairs`). */
  unused: UnusedPair[];
  /** Allowed-and-unused pairs left out past the bound. */
  more: number;
  /** True when the observed-pair table was full: some pairs seen later are not known to be observed. */
  incomplete: boolean;
}

/** Options of flow judgement. */
export interface FlowPolicyOptions {
  /** ipBlocks also select the pods whose IPs they cover (`--ipblock-matches-pods`). */
  ipBlockMatchesPods?: boolean;
  /** Alerts of one rule and (source, destination, port) within this many seconds are one alert (default 600). */
  dedupSeconds?: number;
  /** Bound on the verdict cache, observed pairs and open alerts (default 100,000 each). */
  maxPairs?: number;
  /** Peers only the flows show that are added to the model (default 256; each rebuilds it once). */
  maxObservedPeers?: number;
  /** Unused pairs listed in a report (default 10,000; the rest are counted). */
  maxReportPairs?: number;
}

/** Counters of flow judgement. */
export interface FlowPolicyStats {
  flows: number;
  allowed: number;
  denied: number;
  unknown: number;
  skipped: number;
  alerts: number;
  deduplicated: number;
  /** Times the model was rebuilt to take in peers only the flows show. */
  rebuilds: number;
}

/** An endpoint placed in the model: its peer, and its workload or outside address. */
interface Placed {
  peer: number;
  workload?: number;
  ip?: string;
}

/** The cached verdict of one peer pair of the current model. */
interface Verdict {
  allows: ReturnType<Analysis['allowed']>;
  srcName: string;
  dstName: string;
  /** True once an allowed flow of the pair has been recorded in the observed pairs. */
  seen: boolean;
}

/** The analysis of one inventory, rebuilt when flows show peers the inventory lacks. */
interface Built {
  inventory: Inventory;
  model: NetworkModel;
  analysis: Analysis;
  resolver: Resolver;
}

const MAX_EVIDENCE = 20;

function outcomeOf(verdict: string): ObservedOutcome {
  if (verdict === 'dropped' || verdict === 'denied') return 'dropped';
  if (verdict === 'allowed' || verdict === 'forwarded') return 'forwarded';
  return 'unknown';
}

function setBounded<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > max) map.delete(map.keys().next().value as string);
}

/**
 * One line saying which side's policies deny a connection and by which policies: `denying`
 * names the directions that do not admit the port; `names` are how the ends are called (an
 * address rather than the range of addresses the policies treat alike).
 */
export function denialReason(
  e: Explanation,
  denying: readonly ('egress' | 'ingress')[],
  names: { src: string; dst: string } = e,
): string {
  const parts: string[] = [];
  for (const side of [e.egress, e.ingress]) {
    if (!side || !denying.includes(side.direction)) continue;
    const other = side.direction === 'egress' ? names.dst : names.src;
    const rules =
      side.matches.length === 0
        ? `no rule admits ${other}`
        : `its rules admit ${other} on ${side.allows} only (${side.matches.map((m) => `${m.policy} ${m.rule}`).join(', ')})`;
    parts.push(`${side.direction} of ${side.peer} is isolated by ${side.policies.join(', ')} and ${rules}`);
  }
  return parts.join('; ');
}

/** Judges flows against the NetworkPolicies of an inventory; see the module comment. */
export class FlowPolicyMonitor {
  readonly stats: FlowPolicyStats = {
    flows: 0,
    allowed: 0,
    denied: 0,
    unknown: 0,
    skipped: 0,
    alerts: 0,
    deduplicated: 0,
    rebuilds: 0,
  };
  /** Problems compiling the policies (those policies are ignored). */
  readonly policyIssues: PolicyIssue[];
  private built: Built;
  private readonly base: Inventory;
  private readonly options: Required<FlowPolicyOptions>;
  /** Allowed connections per `src peer:dst peer` of the current model. */
  private readonly verdicts = new Map<string, Verdict>();
  /** Observed workload pairs by name: `src\0dst`. */
  private readonly seen = new Map<string, true>();
  private seenFull = false;
  private readonly open = new Map<string, { alert: Alert; until: number }>();
  /** Endpoints placed in the current model, per direction and endpoint (cleared on rebuild). */
  private readonly placed = new Map<string, Placed | string>();
  /** Flows whose endpoints were added as observed-only peers (replayed into each rebuild). */
  private readonly observedFlows: Flow[] = [];
  private observedPeers = 0;
  /** Model builds spent trying to add observed-only peers (bounded by `maxObservedPeers`). */
  private attempts = 0;
  private baseModel?: NetworkModel;
  /** In-cluster endpoints already tried as observed-only peers (`ns/name`). */
  private readonly tried = new Set<string>();
  private latest = '';
  private clock = 0;

  constructor(inventory: Inventory, options: FlowPolicyOptions = {}) {
    this.options = {
      ipBlockMatchesPods: options.ipBlockMatchesPods ?? false,
      dedupSeconds: options.dedupSeconds ?? 600,
      maxPairs: options.maxPairs ?? 100_000,
      maxObservedPeers: options.maxObservedPeers ?? 256,
      maxReportPairs: options.maxReportPairs ?? 10_000,
    };
    this.base = inventory;
    const built = this.build(inventory);
    this.built = built.built;
    this.policyIssues = built.issues;
  }

  private build(inventory: Inventory): { built: Built; issues: PolicyIssue[] } {
    const compiled = compilePolicies(inventory.resources);
    const { inventory: inv, policies } = this.options.ipBlockMatchesPods
      ? ipBlocksMatchPods(inventory, compiled.policies)
      : { inventory, policies: compiled.policies };
    const model = buildModel(inv);
    return {
      built: {
        inventory,
        model,
        analysis: new Analysis(model, policies, { granularity: 'workload' }),
        resolver: new Resolver(model),
      },
      issues: compiled.issues,
    };
  }

  /** Adds the in-cluster peers of a flow the model lacks; true when the model was rebuilt. */
  private addObservedPeers(flow: Flow): boolean {
    if (this.attempts >= this.options.maxObservedPeers) return false;
    const name = (ep: FlowEndpoint): string =>
      `${ep.namespace ?? ''}/${ep.workload?.name ?? ep.name ?? ep.namePrefix ?? ''}`;
    const fresh = [flow.src, flow.dst].filter(
      (ep) =>
        ep.namespace !== undefined &&
        !this.tried.has(name(ep)) &&
        typeof this.built.resolver.resolve(ep) === 'string',
    );
    if (fresh.length === 0) return false;
    this.attempts++;
    for (const ep of fresh) this.tried.add(name(ep));
    this.baseModel ??= buildModel(this.base);
    const flows = [...this.observedFlows, flow];
    const { inventory, added } = withObservedPeers(this.base, this.baseModel, flows);
    if (added.length <= this.observedPeers) return false;
    this.observedFlows.push(flow);
    this.observedPeers = added.length;
    this.built = this.build(inventory).built;
    this.verdicts.clear();
    this.placed.clear();
    this.stats.rebuilds++;
    return true;
  }

  /** The peer of an endpoint in the current model (cached), or why there is none. */
  private place(ep: FlowEndpoint, direction: 'ingress' | 'egress'): Placed | string {
    const key = `${direction}\u0000${ep.ip ?? ''}\u0000${ep.namespace ?? ''}\u0000${ep.name ?? ''}\u0000${ep.namePrefix ?? ''}\u0000${ep.workload?.name ?? ''}`;
    const hit = this.placed.get(key);
    if (hit !== undefined) return hit;
    const { resolver, analysis, model } = this.built;
    const r = resolver.resolve(ep);
    let out: Placed | string;
    if (typeof r === 'string') out = r;
    else if (r.kind === 'external') {
      const peer = analysis.externalFor(r.ip, direction);
      out = peer === undefined ? `${r.ip}: an address of a family no policy models` : { peer, ip: r.ip };
    } else {
      const first = model.workloads[r.workload]?.pods[0];
      const peer = first === undefined ? -1 : analysis.peerOfModelPod(first);
      out = peer < 0 ? 'a workload without pods' : { peer, workload: r.workload };
    }
    setBounded(this.placed, key, out, this.options.maxPairs);
    return out;
  }

  /**
   * Judges one connection attempt. `ev` is the normalised event of the same record: its id,
   * time, provider and the verdict the flow source reported.
   */
  judge(flow: Flow, ev: Pick<DetectEvent, 'id' | 'time' | 'provider' | 'network'>): FlowJudgement {
    this.stats.flows++;
    const time = ev.time || flow.time || '';
    if (time > this.latest) this.latest = time;
    const observed = outcomeOf(ev.network.verdict);
    let src = this.place(flow.src, 'ingress');
    let dst = this.place(flow.dst, 'egress');
    if ((typeof src === 'string' || typeof dst === 'string') && this.addObservedPeers(flow)) {
      src = this.place(flow.src, 'ingress');
      dst = this.place(flow.dst, 'egress');
    }
    if (typeof src === 'string' || typeof dst === 'string') {
      this.stats.unknown++;
      return {
        decision: 'unknown',
        observed,
        reason: typeof src === 'string' ? `source: ${src}` : `destination: ${dst as string}`,
      };
    }
    if (src.ip !== undefined && dst.ip !== undefined) {
      this.stats.skipped++;
      return { decision: 'skipped', observed, reason: 'both ends are outside the cluster' };
    }
    if (src.workload !== undefined && src.workload === dst.workload) {
      this.stats.skipped++;
      return { decision: 'skipped', observed, reason: 'within one workload (policies never restrict it)' };
    }
    const { analysis } = this.built;
    const s = src.peer;
    const d = dst.peer;
    const key = `${s}:${d}`;
    let v = this.verdicts.get(key);
    if (v === undefined) {
      v = {
        allows: analysis.allowed(s, d),
        srcName: analysis.nameOf(s),
        dstName: analysis.nameOf(d),
        seen: false,
      };
      setBounded(this.verdicts, key, v, this.options.maxPairs);
    }
    const { srcName, dstName } = v;
    // An outside end is called by its address; the range the policies treat alike stays for the report.
    const srcLabel = src.ip ?? srcName;
    const dstLabel = dst.ip ?? dstName;
    const port = `${flow.protocol} ${flow.port}`;
    if (v.allows.has(flow.protocol, flow.port)) {
      this.stats.allowed++;
      if (!v.seen) {
        const pair = `${srcName}\u0000${dstName}`;
        if (this.seen.has(pair)) v.seen = true;
        else if (this.seen.size < this.options.maxPairs) {
          this.seen.set(pair, true);
          v.seen = true;
        } else this.seenFull = true;
      }
      return {
        decision: 'allowed',
        observed,
        src: srcName,
        dst: dstName,
        reason: `the policies allow ${port}`,
      };
    }
    this.stats.denied++;
    const judgement: FlowJudgement = {
      decision: 'denied',
      observed,
      src: srcName,
      dst: dstName,
      reason: '',
    };
    const rule = observed === 'forwarded' ? DENIED_FLOW_OBSERVED : DENIED_FLOW_ATTEMPTED;
    const dkey = `${rule}\u0000${srcLabel}\u0000${dstLabel}\u0000${port}`;
    const t = time === '' ? NaN : Date.parse(time) / 1000;
    const now = Number.isFinite(t) ? t : (this.clock += 0.001);
    this.clock = Math.max(this.clock, now);
    const existing = this.open.get(dkey);
    if (existing && existing.until >= now) {
      existing.alert.count++;
      if (existing.alert.evidence.length < MAX_EVIDENCE) existing.alert.evidence.push(ev.id);
      this.stats.deduplicated++;
      judgement.reason = existing.alert.message;
      return judgement;
    }
    const denying: ('egress' | 'ingress')[] = [];
    if (!analysis.isExternal(s) && !analysis.egressAllows(s, d).has(flow.protocol, flow.port))
      denying.push('egress');
    if (!analysis.isExternal(d) && !analysis.ingressAllows(s, d).has(flow.protocol, flow.port))
      denying.push('ingress');
    const why = denialReason(
      explainConnection(analysis, s, d, { protocol: flow.protocol, port: flow.port }),
      denying,
      { src: srcLabel, dst: dstLabel },
    );
    const message =
      observed === 'forwarded'
        ? `${srcLabel} reached ${dstLabel} on ${port} although the policies deny it (${why}): the policies in force differ from these, or the network does not enforce them`
        : `${srcLabel} tried ${dstLabel} on ${port}${observed === 'dropped' ? ', dropped' : ''}; the policies deny it: ${why}`;
    const alert: Alert = {
      rule,
      title:
        observed === 'forwarded'
          ? 'Flow the NetworkPolicies deny went through'
          : 'Connection attempt the NetworkPolicies deny',
      severity: observed === 'forwarded' ? 'high' : 'medium',
      // Network Service Discovery; Exploitation of Remote Services (lateral movement).
      mitre: ['T1046', 'T1210'],
      message,
      subject: srcLabel,
      target: `${dstLabel}:${flow.port}/${flow.protocol}`,
      time,
      evidence: [ev.id],
      count: 1,
      intel: [],
      source: 'flow',
      provider: ev.provider,
    };
    setBounded(this.open, dkey, { alert, until: now + this.options.dedupSeconds }, this.options.maxPairs);
    this.stats.alerts++;
    judgement.reason = why;
    judgement.alert = alert;
    return judgement;
  }

  /** The least-privilege report over the flows judged so far. */
  report(): LeastPrivilegeReport {
    const { analysis } = this.built;
    const unused: UnusedPair[] = [];
    let more = 0;
    analysis.forEachConnection((c) => {
      const src = analysis.nameOf(c.src);
      const dst = analysis.nameOf(c.dst);
      if (this.seen.has(`${src}\u0000${dst}`)) return;
      if (unused.length < this.options.maxReportPairs) unused.push({ src, dst, allowed: c.conn.toString() });
      else more++;
    });
    unused.sort((a, b) =>
      a.src < b.src ? -1 : a.src > b.src ? 1 : a.dst < b.dst ? -1 : a.dst > b.dst ? 1 : 0,
    );
    return {
      kind: 'LeastPrivilegeReport',
      time: this.latest,
      flows: this.stats.flows,
      allowed: this.stats.allowed,
      denied: this.stats.denied,
      unknown: this.stats.unknown,
      observedPairs: this.seen.size,
      unused,
      more,
      incomplete: this.seenFull,
    };
  }
}

/** The report as table text: a heading, the counts and one line per unused pair. */
export function formatLeastPrivilegeTable(r: LeastPrivilegeReport): string {
  const lines = [
    '',
    `Least privilege: ${r.unused.length + r.more} allowed pair(s) never observed` +
      ` (${r.flows} flow(s): ${r.allowed} allowed, ${r.denied} denied, ${r.unknown} not in the inventory; ${r.observedPairs} pair(s) observed)`,
  ];
  for (const p of r.unused) lines.push(`  ${p.src} => ${p.dst} : ${p.allowed}`);
  if (r.more > 0) lines.push(`  … ${r.more} more`);
  if (r.incomplete)
    lines.push('  (the observed-pair table was full: some of these pairs may have been used)');
  return `${lines.join('\n')}\n`;
}
