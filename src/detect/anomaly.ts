/**
 * Learned behaviour: per identity (user, ServiceAccount, workload) a baseline of what it does
 * (verb, resource, namespace), from where (source addresses), with what (user agents), when
 * (hours of the day, UTC) and to whom (network peers), counted over a training window and kept
 * up to date online. An event is scored by what about it its identity has never done, and the
 * explanation says so in words with the counts behind it. Pure data and functions; the CLI
 * reads and writes the baseline file. See docs/decisions/anomaly-model.md for why counts and
 * not an isolation forest.
 */
import type { DetectEvent } from './event.js';

/** What one identity has been seen doing. */
export interface IdentityBaseline {
  kind: string;
  events: number;
  firstSeen: string;
  lastSeen: string;
  ops: Record<string, number>;
  ips: Record<string, number>;
  agents: Record<string, number>;
  /** Events per UTC hour of the day. */
  hours: number[];
  peers: Record<string, number>;
}

/** The persisted baseline of every identity. */
export interface BaselineFile {
  apiVersion: 'palisade.dev/v1';
  kind: 'DetectBaseline';
  identities: Record<string, IdentityBaseline>;
}

/** One reason an event is unusual for its identity. */
export interface AnomalyReason {
  feature: 'operation' | 'source-ip' | 'user-agent' | 'hour' | 'peer';
  value: string;
  weight: number;
  text: string;
}

/** An anomaly score with its explanation. */
export interface AnomalyScore {
  identity: string;
  score: number;
  reasons: AnomalyReason[];
  /** One sentence a person can act on. */
  explanation: string;
}

/** Tuning of the model. */
export interface AnomalyOptions {
  /** An identity is judged only after this many events (default 50). */
  minEvents?: number;
  /** Score at which an event is reported (default 3). */
  threshold?: number;
  /** Identities kept at most (default 100,000; the least recently seen are dropped). */
  maxIdentities?: number;
  /** Distinct values kept per feature and identity (default 2,000; past that, new values are not judged). */
  maxValues?: number;
}

const SENSITIVE_RESOURCES = new Set([
  'secrets',
  'pods/exec',
  'pods/attach',
  'pods/portforward',
  'pods/ephemeralcontainers',
  'serviceaccounts/token',
  'clusterrolebindings',
  'rolebindings',
  'clusterroles',
  'roles',
  'nodes/proxy',
  'certificatesigningrequests/approval',
  'validatingwebhookconfigurations',
  'mutatingwebhookconfigurations',
]);

const VERB_WORDS: Record<string, string> = {
  get: 'read',
  list: 'listed',
  watch: 'watched',
  create: 'created',
  update: 'updated',
  patch: 'patched',
  delete: 'deleted',
  deletecollection: 'deleted all',
  connect: 'connected to',
};

/** The identity an event belongs to ('' when it has none worth learning). */
export function identityOf(ev: DetectEvent): string {
  if (ev.source === 'audit') return ev.actor.kind === 'anonymous' ? '' : ev.actor.user;
  if (ev.source === 'flow') return ev.network.srcWorkload;
  return ev.process.namespace === '' ? ev.process.pod : `${ev.process.namespace}/${ev.process.pod}`;
}

function describeIdentity(id: string, kind: string): string {
  if (id.startsWith('system:serviceaccount:')) {
    const [, , ns, name] = id.split(':');
    return `ServiceAccount ${ns ?? ''}/${name ?? ''}`;
  }
  return kind === 'workload' ? `workload ${id}` : `user ${id}`;
}

interface Features {
  op: string;
  sensitive: boolean;
  ip: string;
  publicIP: boolean;
  agent: string;
  hour: number;
  peer: string;
}

function featuresOf(ev: DetectEvent): Features {
  const t = ev.target;
  const res = t.subresource === '' ? t.resource : `${t.resource}/${t.subresource}`;
  const op =
    ev.source === 'audit'
      ? `${ev.action.verb} ${res} ${t.namespace === '' ? '*' : t.namespace}`
      : ev.source === 'runtime'
        ? `${ev.action.verb} ${ev.process.binary}`
        : '';
  const slash = ev.actor.userAgent.indexOf('/');
  return {
    op,
    sensitive: SENSITIVE_RESOURCES.has(res) || SENSITIVE_RESOURCES.has(t.resource),
    ip: ev.source === 'audit' ? (ev.actor.sourceIPs[0] ?? '') : '',
    publicIP: ev.actor.publicSource,
    agent: slash < 0 ? ev.actor.userAgent : ev.actor.userAgent.slice(0, slash),
    hour: utcHour(ev.time),
    peer:
      ev.source === 'flow'
        ? `${ev.network.dstWorkload || ev.network.domain || ev.network.dstIP}:${ev.network.dstPort}`
        : '',
  };
}

/** What an audit call did, in words (only built for an explanation). */
function opText(ev: DetectEvent): string {
  const t = ev.target;
  const res = t.subresource === '' ? t.resource : `${t.resource}/${t.subresource}`;
  return ev.source === 'audit'
    ? `${VERB_WORDS[ev.action.verb] ?? ev.action.verb} ${res}${t.namespace === '' ? ' in every namespace' : ` in ${t.namespace}`}`
    : `ran ${ev.process.binary}`;
}

const DIGIT = (c: number): boolean => c >= 48 && c <= 57;

/** The UTC hour of an RFC 3339 time, read from the text when it is in UTC (the common case), else parsed; -1 when unknown. */
export function utcHour(time: string): number {
  if (time.length >= 20 && time.charCodeAt(10) === 84 /* T */ && time.endsWith('Z')) {
    const a = time.charCodeAt(11);
    const b = time.charCodeAt(12);
    if (DIGIT(a) && DIGIT(b)) {
      const h = (a - 48) * 10 + (b - 48);
      if (h < 24) return h;
    }
  }
  if (time === '') return -1;
  const ms = Date.parse(time);
  return Number.isFinite(ms) ? new Date(ms).getUTCHours() : -1;
}

// Key counts of the baseline's value maps, so a full map (new values every event) is not
// counted again per event: Object.keys of 2,000 keys costs more than the rest of the scoring.
const sizes = new WeakMap<Record<string, number>, number>();

function sizeOf(map: Record<string, number>): number {
  let n = sizes.get(map);
  if (n === undefined) {
    n = Object.keys(map).length;
    sizes.set(map, n);
  }
  return n;
}

function bump(map: Record<string, number>, key: string, max: number): void {
  if (key === '') return;
  const n = map[key];
  if (n !== undefined) map[key] = n + 1;
  else {
    const size = sizeOf(map);
    if (size < max) {
      map[key] = 1;
      sizes.set(map, size + 1);
    }
  }
}

function daysBetween(a: string, b: string): number {
  const d = (Date.parse(b) - Date.parse(a)) / 86_400_000;
  return Number.isFinite(d) ? Math.max(1, Math.round(d)) : 1;
}

/** An anomaly model: a baseline per identity, learned and scored online. */
export class AnomalyModel {
  readonly identities: Map<string, IdentityBaseline>;
  private readonly minEvents: number;
  private readonly threshold: number;
  private readonly maxIdentities: number;
  private readonly maxValues: number;
  /** Identities learned from since the last `takeChanged` (a subset of `identities`). */
  private readonly changed = new Set<string>();

  constructor(file?: BaselineFile, options: AnomalyOptions = {}) {
    this.identities = new Map(Object.entries(file?.identities ?? {}));
    this.minEvents = options.minEvents ?? 50;
    this.threshold = options.threshold ?? 3;
    this.maxIdentities = options.maxIdentities ?? 100_000;
    this.maxValues = options.maxValues ?? 2000;
  }

  /** Adds an event to its identity's baseline. */
  learn(ev: DetectEvent): void {
    const id = identityOf(ev);
    if (id === '') return;
    this.learnAs(id, ev, featuresOf(ev));
  }

  /**
   * Scores an event against its identity's baseline, then learns it (when `learn`): the
   * detector's path, which reads the event's features once for both.
   */
  observe(ev: DetectEvent, learn: boolean): AnomalyScore | undefined {
    const id = identityOf(ev);
    if (id === '') return undefined;
    const f = featuresOf(ev);
    const s = this.scoreAs(id, ev, f);
    if (learn) this.learnAs(id, ev, f);
    return s;
  }

  private learnAs(id: string, ev: DetectEvent, f: Features): void {
    let b = this.identities.get(id);
    if (!b) {
      b = {
        kind: ev.actor.kind,
        events: 0,
        firstSeen: ev.time,
        lastSeen: ev.time,
        ops: {},
        ips: {},
        agents: {},
        hours: new Array<number>(24).fill(0),
        peers: {},
      };
      this.identities.set(id, b);
      while (this.identities.size > this.maxIdentities) {
        const oldest = this.identities.keys().next().value as string;
        this.identities.delete(oldest);
        this.changed.delete(oldest);
      }
    } else {
      // Most recently seen last, so eviction drops the identities idle the longest.
      this.identities.delete(id);
      this.identities.set(id, b);
    }
    this.changed.add(id);
    b.events++;
    if (ev.time !== '') {
      if (b.firstSeen === '' || ev.time < b.firstSeen) b.firstSeen = ev.time;
      if (ev.time > b.lastSeen) b.lastSeen = ev.time;
    }
    bump(b.ops, f.op, this.maxValues);
    bump(b.ips, f.ip, this.maxValues);
    bump(b.agents, f.agent, this.maxValues);
    bump(b.peers, f.peer, this.maxValues);
    if (f.hour >= 0) b.hours[f.hour] = (b.hours[f.hour] ?? 0) + 1;
  }

  /** Scores an event against its identity's baseline (before learning it); undefined when below the threshold or the identity is too new. */
  score(ev: DetectEvent): AnomalyScore | undefined {
    const id = identityOf(ev);
    return id === '' ? undefined : this.scoreAs(id, ev, featuresOf(ev));
  }

  private scoreAs(id: string, ev: DetectEvent, f: Features): AnomalyScore | undefined {
    const b = this.identities.get(id);
    if (!b || b.events < this.minEvents) return undefined;
    const reasons: AnomalyReason[] = [];
    const full = (m: Record<string, number>): boolean => sizeOf(m) >= this.maxValues;
    // Built only for an explanation: number formatting and dates cost more than the lookups.
    const span = (): string =>
      `${b.events.toLocaleString('en-US')} of its events in ${daysBetween(b.firstSeen, b.lastSeen)} days`;
    if (f.op !== '' && b.ops[f.op] === undefined && !full(b.ops))
      reasons.push({
        feature: 'operation',
        value: f.op,
        weight: f.sensitive ? 3 : 1,
        text: `first time it ${opText(ev)} (0 of ${span()} did)`,
      });
    if (f.ip !== '' && b.ips[f.ip] === undefined && !full(b.ips))
      reasons.push({
        feature: 'source-ip',
        value: f.ip,
        weight: f.publicIP ? 2 : 1,
        text: `first request from ${f.ip}${f.publicIP ? ' (a public address)' : ''}`,
      });
    if (f.agent !== '' && b.agents[f.agent] === undefined && !full(b.agents))
      reasons.push({
        feature: 'user-agent',
        value: f.agent,
        weight: 1,
        text: `first time with client ${f.agent}`,
      });
    if (f.hour >= 0 && b.events >= 200) {
      const near =
        (b.hours[f.hour] ?? 0) + (b.hours[(f.hour + 23) % 24] ?? 0) + (b.hours[(f.hour + 1) % 24] ?? 0);
      if (near === 0)
        reasons.push({
          feature: 'hour',
          value: String(f.hour),
          weight: 1,
          text: `active at ${String(f.hour).padStart(2, '0')}:00 UTC, an hour it never worked`,
        });
    }
    if (f.peer !== '' && b.peers[f.peer] === undefined && !full(b.peers))
      reasons.push({ feature: 'peer', value: f.peer, weight: 2, text: `first connection to ${f.peer}` });
    const score = reasons.reduce((a, r) => a + r.weight, 0);
    if (score < this.threshold) return undefined;
    return {
      identity: id,
      score,
      reasons,
      explanation: `${describeIdentity(id, b.kind)}: ${reasons.map((r) => r.text).join('; ')}`,
    };
  }

  /**
   * The identities learned from since the last call, with their baselines, in the order they
   * first changed; the history store rewrites only these.
   */
  takeChanged(): [string, IdentityBaseline][] {
    const out: [string, IdentityBaseline][] = [];
    for (const id of this.changed) {
      const b = this.identities.get(id);
      if (b) out.push([id, b]);
    }
    this.changed.clear();
    return out;
  }

  /** The baseline as a file. */
  toFile(): BaselineFile {
    return {
      apiVersion: 'palisade.dev/v1',
      kind: 'DetectBaseline',
      identities: Object.fromEntries(this.identities),
    };
  }
}

/** Reads a baseline file's JSON, checking its shape; an error names what is wrong. */
export function parseBaseline(
  json: unknown,
): { ok: true; value: BaselineFile } | { ok: false; error: string } {
  const f = json as Partial<BaselineFile> | null;
  if (
    typeof f !== 'object' ||
    f === null ||
    f.kind !== 'DetectBaseline' ||
    typeof f.identities !== 'object' ||
    f.identities === null
  )
    return { ok: false, error: 'not a palisade.dev/v1 DetectBaseline (kind and identities expected)' };
  for (const [id, b] of Object.entries(f.identities)) {
    const x = b as Partial<IdentityBaseline> | null;
    if (
      typeof x !== 'object' ||
      x === null ||
      typeof x.events !== 'number' ||
      !Array.isArray(x.hours) ||
      x.hours.length !== 24 ||
      [x.ops, x.ips, x.agents, x.peers].some((m) => typeof m !== 'object' || m === null)
    )
      return { ok: false, error: `identity ${JSON.stringify(id).slice(0, 80)}: malformed baseline` };
  }
  return { ok: true, value: f as BaselineFile };
}
