/**
 * The detector: one normalised event in, alerts out. Threat-feed hits are attached first, then
 * only the rules whose prefilter (source, verb, resource) the event passes run their CEL
 * condition; thresholds count per key within a time window; alerts are deduplicated per rule,
 * subject and target. Every map it keeps is bounded. Pure: time comes from the events.
 */
import { toCelValue } from '../policy/index.js';
import type { DetectEvent, IntelHit } from './event.js';
import type { IntelIndex } from './intel.js';
import type { AnomalyModel } from './anomaly.js';
import type { CompiledRule, Severity } from './rule.js';
import type { Guard } from './guards.js';
import { parseTime } from './time.js';

/** An alert: one rule's verdict on one or more events. */
export interface Alert {
  rule: string;
  title: string;
  severity: Severity;
  mitre: string[];
  message: string;
  /** Who acted: the user or ServiceAccount, or the workload for runtime and flow events. */
  subject: string;
  /** What it was done to, in one line. */
  target: string;
  /** Time of the first event. */
  time: string;
  /** Ids of the events behind the alert (the first 20). */
  evidence: string[];
  /** How many events the alert stands for (grows while deduplicated). */
  count: number;
  intel: IntelHit[];
  source: DetectEvent['source'];
  provider: DetectEvent['provider'];
}

/** Options of the detector. */
export interface DetectorOptions {
  rules: readonly CompiledRule[];
  intel?: IntelIndex;
  /** Alerts of the same rule, subject and target within this many seconds are one alert (default 600). */
  dedupSeconds?: number;
  /** Bound on the threshold and dedup tables (oldest entries are evicted; default 100,000). */
  maxKeys?: number;
  settings?: DetectSettings;
  /** Learned baselines: events unusual for their identity raise `anomalous-behaviour` alerts. */
  anomaly?: AnomalyModel;
  /** Add each judged event to the baselines (default true). */
  learnOnline?: boolean;
  /**
   * Skip a rule's CEL condition when a guard derived from it fails (default true; false
   * evaluates every condition whose `match` passes: the reference for differential tests).
   */
  guards?: boolean;
}

/** Counters of one detector. */
export interface DetectorStats {
  events: number;
  alerts: number;
  deduplicated: number;
  /** Rule conditions that failed to evaluate, per rule id. */
  ruleErrors: Record<string, number>;
  evicted: number;
}

/** A running detector. */
export interface Detector {
  /** Judges one event; returns the new alerts it raised (deduplicated repeats return none). */
  process(ev: DetectEvent): Alert[];
  readonly stats: DetectorStats;
}

const MAX_EVIDENCE = 20;
/** Bound on the (source, verb, resource) table of candidate rules. */
const MAX_CANDIDATE_KEYS = 4096;

function lookup(root: Record<string, unknown>, path: readonly string[]): unknown {
  let v: unknown = path[0] === 'event' ? root : root[path[0] ?? ''];
  for (let i = 1; i < path.length; i++) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[path[i] ?? ''];
  }
  return v;
}

function text(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (Array.isArray(v)) return v.map(text).join(',');
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v) ?? '';
}

/** Renders a rule's message for an event. */
export function renderMessage(rule: CompiledRule, ev: DetectEvent): string {
  let out = '';
  const root = ev as unknown as Record<string, unknown>;
  for (const part of rule.message) out += typeof part === 'string' ? part : text(lookup(root, part.path));
  return out;
}

/** The one-line target of an event. */
export function targetOf(ev: DetectEvent): string {
  if (ev.source === 'audit') {
    const t = ev.target;
    const res = t.subresource === '' ? t.resource : `${t.resource}/${t.subresource}`;
    const obj = t.namespace === '' ? t.name : `${t.namespace}/${t.name}`;
    return obj === '' ? res : `${res} ${obj}`;
  }
  if (ev.source === 'flow') {
    const n = ev.network;
    return `${n.dstWorkload || n.domain || n.dstIP}:${n.dstPort}/${n.protocol}`;
  }
  const p = ev.process;
  return `${p.namespace}/${p.pod}/${p.container}`;
}

/** The one-line subject of an event. */
export function subjectOf(ev: DetectEvent): string {
  if (ev.source === 'audit') return ev.actor.user || '(unknown)';
  if (ev.source === 'flow') return ev.network.srcWorkload || ev.network.srcIP;
  return ev.process.namespace === '' ? ev.process.pod : `${ev.process.namespace}/${ev.process.pod}`;
}

function eventSeconds(ev: DetectEvent, fallback: number): number {
  const t = ev.time === '' ? NaN : parseTime(ev.time);
  return Number.isFinite(t) ? t / 1000 : fallback;
}

/** Sets `key` in a bounded map, evicting the oldest entries; returns how many it evicted. */
function boundedSet<V>(map: Map<string, V>, key: string, value: V, max: number): number {
  map.delete(key);
  map.set(key, value);
  let evicted = 0;
  while (map.size > max) {
    const first = map.keys().next().value as string;
    map.delete(first);
    evicted++;
  }
  return evicted;
}

/** Whether a rule's declared resources admit an event's resource (`resource`, `resource/sub`). */
function resourceMatches(rule: CompiledRule, resource: string, subresource: string): boolean {
  if (!rule.resources) return true;
  if (subresource === '') return rule.resources.has(resource) || rule.resources.has(`${resource}/*`);
  return rule.resources.has(`${resource}/${subresource}`) || rule.resources.has(`${resource}/*`);
}

/** The declared `match` fields the candidate table does not index (actor kinds, codes, intel, process). */
function matchesRest(rule: CompiledRule, ev: DetectEvent): boolean {
  if (rule.actorKinds && !rule.actorKinds.has(ev.actor.kind)) return false;
  if (rule.codes && !rule.codes.has(ev.action.code)) return false;
  if (rule.needsIntel && ev.intel.length === 0) return false;
  if (rule.needsProcess && ev.process.args === '') return false;
  return true;
}

/**
 * The rules whose source, verbs and resources admit an event, listed once per (source, verb,
 * resource, subresource) seen. Verbs and resources come from the input, so the table holds at
 * most MAX_CANDIDATE_KEYS lists; past that, lists are filtered per event.
 */
function candidateTable(rules: readonly CompiledRule[]): (ev: DetectEvent) => readonly CompiledRule[] {
  type BySub = Map<string, CompiledRule[]>;
  type ByResource = Map<string, BySub>;
  type ByVerb = Map<string, ByResource>;
  const table = new Map<string, ByVerb>();
  let size = 0;
  return (ev) => {
    const t = ev.target;
    const verb = ev.action.verb;
    let bySource = table.get(ev.source);
    const byVerb = bySource?.get(verb);
    const byResource = byVerb?.get(t.resource);
    const hit = byResource?.get(t.subresource);
    if (hit) return hit;
    const list = rules.filter(
      (r) =>
        r.sources.has(ev.source) &&
        (!r.verbs || r.verbs.has(verb)) &&
        resourceMatches(r, t.resource, t.subresource),
    );
    if (size >= MAX_CANDIDATE_KEYS) return list;
    size++;
    if (!bySource) table.set(ev.source, (bySource = new Map<string, ByResource>()));
    let v = byVerb;
    if (!v) bySource.set(verb, (v = new Map<string, BySub>()));
    let r = byResource;
    if (!r) v.set(t.resource, (r = new Map<string, CompiledRule[]>()));
    r.set(t.subresource, list);
    return list;
  };
}

/** Whether every guard of a rule's condition holds (false: the condition cannot be true). */
function guardsHold(rule: CompiledRule, ev: DetectEvent, settings: unknown): boolean {
  const g = rule.guards;
  for (let i = 0; i < g.length; i++) if (!(g[i] as Guard).test(ev, settings)) return false;
  return true;
}

/**
 * Whether a rule's prefilter lets an event through: its declared `match` fields, then the
 * guards derived from its condition (`guards: false` leaves those to CEL).
 */
export function prefilter(
  rule: CompiledRule,
  ev: DetectEvent,
  settings: unknown = EMPTY_SETTINGS,
  guards = true,
): boolean {
  if (!rule.sources.has(ev.source)) return false;
  if (rule.verbs && !rule.verbs.has(ev.action.verb)) return false;
  if (!resourceMatches(rule, ev.target.resource, ev.target.subresource)) return false;
  if (!matchesRest(rule, ev)) return false;
  return !guards || guardsHold(rule, ev, settings);
}

/** Evaluates a rule's condition: true, false, or an error message. */
export function evaluateCondition(rule: CompiledRule, vars: Record<string, unknown>): boolean | string {
  if (!rule.condition) return true;
  const r = rule.condition.evaluate(vars, { remaining: 1_000_000 });
  if (!r.ok) return r.error.message;
  if (typeof r.value !== 'boolean') return `condition returned ${typeof r.value}, not a bool`;
  return r.value;
}

/** Site settings rule conditions read as `settings.…` (lists of approved things). */
export interface DetectSettings {
  /** Registries (host or host/path prefixes) images may come from; empty: the rule that checks it stays silent. */
  approvedRegistries: string[];
  /** Users and groups whose actions the "unusual subject" rules accept (break-glass admins, CI). */
  trustedSubjects: string[];
  /** CIDRs of networks system identities may act from (the cloud provider's control plane, NAT gateways). */
  trustedNetworks: string[];
}

/** Settings with every list empty. */
export const EMPTY_SETTINGS: DetectSettings = {
  approvedRegistries: [],
  trustedSubjects: [],
  trustedNetworks: [],
};

/** A JSON number as CEL reads it: whole numbers are int (bigint). */
function celNumber(n: number): number | bigint {
  return Number.isInteger(n) ? BigInt(n) : n;
}

/**
 * The CEL variables of one event, each converted when an expression first reads it: the
 * scalar parts directly (their shape is fixed), the request object, pod, containers and feed
 * hits through `toCelValue` only for the rules that use them. Equal to converting the whole
 * event with `toCelValue` (a test checks that).
 */
class EventVariables {
  readonly #ev: DetectEvent;
  readonly settings: unknown;
  #action: unknown;
  #network: unknown;
  #object: unknown;
  #pod: unknown;
  #containers: unknown;
  #intel: unknown;
  #event: unknown;

  constructor(ev: DetectEvent, settings: unknown) {
    this.#ev = ev;
    this.settings = settings;
  }
  get actor(): unknown {
    return this.#ev.actor;
  }
  get target(): unknown {
    return this.#ev.target;
  }
  get process(): unknown {
    return this.#ev.process;
  }
  get action(): unknown {
    if (this.#action === undefined) {
      const a = this.#ev.action;
      this.#action = {
        verb: a.verb,
        code: celNumber(a.code),
        stage: a.stage,
        decision: a.decision,
        requestURI: a.requestURI,
      };
    }
    return this.#action;
  }
  get network(): unknown {
    if (this.#network === undefined) {
      const n = this.#ev.network;
      this.#network = {
        srcIP: n.srcIP,
        srcPort: celNumber(n.srcPort),
        dstIP: n.dstIP,
        dstPort: celNumber(n.dstPort),
        protocol: n.protocol,
        domain: n.domain,
        verdict: n.verdict,
        srcWorkload: n.srcWorkload,
        dstWorkload: n.dstWorkload,
      };
    }
    return this.#network;
  }
  get object(): unknown {
    return (this.#object ??= toCelValue(this.#ev.object));
  }
  get pod(): unknown {
    return (this.#pod ??= toCelValue(this.#ev.pod));
  }
  get containers(): unknown {
    return (this.#containers ??= toCelValue(this.#ev.containers));
  }
  get intel(): unknown {
    return (this.#intel ??= toCelValue(this.#ev.intel));
  }
  get event(): unknown {
    const ev = this.#ev;
    return (this.#event ??= {
      id: ev.id,
      source: ev.source,
      provider: ev.provider,
      time: ev.time,
      actor: this.actor,
      action: this.action,
      target: this.target,
      network: this.network,
      process: this.process,
      object: this.object,
      pod: this.pod,
      containers: this.containers,
      intel: this.intel,
    });
  }
}

/** The CEL variables of an event (read lazily: see EventVariables). */
export function celVariables(ev: DetectEvent, settings: unknown = EMPTY_SETTINGS): Record<string, unknown> {
  return new EventVariables(ev, settings) as unknown as Record<string, unknown>;
}

/** Creates a detector over compiled rules and an optional intel index. */
export function createDetector(options: DetectorOptions): Detector {
  const dedupSeconds = options.dedupSeconds ?? 600;
  const maxKeys = options.maxKeys ?? 100_000;
  const useGuards = options.guards !== false;
  const candidatesOf = candidateTable(options.rules);
  const windows = new Map<string, number[]>();
  const open = new Map<string, { alert: Alert; until: number }>();
  const stats: DetectorStats = { events: 0, alerts: 0, deduplicated: 0, ruleErrors: {}, evicted: 0 };
  let clock = 0;
  const rawSettings = options.settings ?? EMPTY_SETTINGS;
  const settings = toCelValue(rawSettings);

  /** A new alert, or undefined when it folds into an open one of the same rule, subject and target. */
  const raise = (
    rule: string,
    title: string,
    severity: Severity,
    mitre: string[],
    message: string,
    ev: DetectEvent,
    thresholdTarget: string | undefined,
    now: number,
  ): Alert | undefined => {
    const subject = subjectOf(ev);
    const target = thresholdTarget ?? targetOf(ev);
    const dkey = `${rule}\u0000${subject}\u0000${thresholdTarget === undefined ? target : ''}`;
    const existing = open.get(dkey);
    if (existing && existing.until >= now) {
      existing.alert.count++;
      if (existing.alert.evidence.length < MAX_EVIDENCE) existing.alert.evidence.push(ev.id);
      stats.deduplicated++;
      return undefined;
    }
    const alert: Alert = {
      rule,
      title,
      severity,
      mitre,
      message,
      subject,
      target,
      time: ev.time,
      evidence: [ev.id],
      count: 1,
      intel: ev.intel,
      source: ev.source,
      provider: ev.provider,
    };
    stats.evicted += boundedSet(open, dkey, { alert, until: now + dedupSeconds }, maxKeys);
    stats.alerts++;
    return alert;
  };

  return {
    stats,
    process(ev) {
      stats.events++;
      const now = eventSeconds(ev, (clock += 0.001));
      clock = Math.max(clock, now);
      if (options.intel) ev.intel = options.intel.matchEvent(ev);
      const candidates = candidatesOf(ev);
      let vars: Record<string, unknown> | undefined;
      const out: Alert[] = [];
      for (let i = 0; i < candidates.length; i++) {
        const rule = candidates[i] as CompiledRule;
        if (!matchesRest(rule, ev)) continue;
        if (useGuards && !guardsHold(rule, ev, rawSettings)) continue;
        if (rule.condition) {
          vars ??= celVariables(ev, settings);
          const verdict = evaluateCondition(rule, vars);
          if (typeof verdict === 'string') {
            stats.ruleErrors[rule.spec.id] = (stats.ruleErrors[rule.spec.id] ?? 0) + 1;
            continue;
          }
          if (!verdict) continue;
        }
        const th = rule.spec.threshold;
        if (th) {
          const key = `${rule.spec.id}\u0000${th.by.map((p) => text(lookup(ev as unknown as Record<string, unknown>, p.split('.')))).join('\u0000')}`;
          const times = (windows.get(key) ?? []).filter((t) => t > now - th.windowSeconds);
          times.push(now);
          if (times.length < th.count) {
            stats.evicted += boundedSet(windows, key, times, maxKeys);
            continue;
          }
          windows.delete(key);
        }
        const alert = raise(
          rule.spec.id,
          rule.spec.title,
          rule.spec.severity,
          rule.spec.mitre,
          renderMessage(rule, ev),
          ev,
          th ? `${th.count} events in ${th.windowSeconds}s` : undefined,
          now,
        );
        if (alert) out.push(alert);
      }
      if (options.anomaly) {
        const s = options.anomaly.observe(ev, options.learnOnline !== false);
        if (s) {
          const alert = raise(
            'anomalous-behaviour',
            'Unusual behaviour for this identity',
            s.score >= 5 ? 'high' : 'medium',
            ['T1078'],
            s.explanation,
            ev,
            undefined,
            now,
          );
          if (alert) out.push(alert);
        }
      }
      return out;
    },
  };
}
