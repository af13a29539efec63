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

/** One identity's baseline as the model keeps it: counts in Maps, whose sizes are free to read. */
export interface LearnedIdentity {
  kind: string;
  events: number;
  firstSeen: string;
  lastSeen: string;
  ops: Map<string, number>;
  ips: Map<string, number>;
  agents: Map<string, number>;
  hours: number[];
  peers: Map<string, number>;
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

function bump(map: Map<string, number>, key: string, max: number): void {
  if (key === '') return;
  const n = map.get(key);
  if (n !== undefined) map.set(key, n + 1);
  else if (map.size < max) map.set(key, 1);
}

const toMap = (r: Record<string, number>): Map<string, number> => new Map(Object.entries(r));

function fromFile(b: IdentityBaseline): LearnedIdentity {
  return {
    kind: b.kind,
    events: b.events,
    firstSeen: b.firstSeen,
    lastSeen: b.lastSeen,
    ops: toMap(b.ops),
    ips: toMap(b.ips),
    agents: toMap(b.agents),
    hours: [...b.hours],
    peers: toMap(b.peers),
  };
}

function toFileForm(b: LearnedIdentity): IdentityBaseline {
  return {
    kind: b.kind,
    events: b.events,
    firstSeen: b.firstSeen,
    lastSeen: b.lastSeen,
    ops: Object.fromEntries(b.ops),
    ips: Object.fromEntries(b.ips),
    agents: Object.fromEntries(b.agents),
    hours: [...b.hours],
    peers: Object.fromEntries(b.peers),
  };
}

/** Whether a feature's value (whose count is `count`) is new to a baseline that still judges new values (not full). */
function unseen(map: Map<string, number>, value: string, count: number | undefined, max: number): boolean {
  return value !== '' && count === undefined && map.size < max;
}

/** Counts of an event's feature values in its identity's baseline before the event (undefined: never seen). */
interface Seen {
  op: number | undefined;
  ip: number | undefined;
  agent: number | undefined;
  peer: number | undefined;
}

/** `bump` with the key's count already read. */
function bumpSeen(map: Map<string, number>, key: string, count: number | undefined, max: number): void {
  if (key === '') return;
  if (count !== undefined) map.set(key, count + 1);
  else if (map.size < max) map.set(key, 1);
}

/** 14210 as "14,210" (what toLocaleString('en-US') says, without its cost). */
export function thousands(n: number): string {
  const digits = String(Math.trunc(Math.abs(n)));
  let out = '';
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += ',';
    out += digits[i] as string;
  }
  return n < 0 ? `-${out}` : out;
}

/** "14,210 of its events in 14 days" (built only for an explanation). */
function span(b: LearnedIdentity): string {
  return `${thousands(b.events)} of its events in ${daysBetween(b.firstSeen, b.lastSeen)} days`;
}

function daysBetween(a: string, b: string): number {
  const d = (Date.parse(b) - Date.parse(a)) / 86_400_000;
  return Number.isFinite(d) ? Math.max(1, Math.round(d)) : 1;
}

/** An anomaly model: a baseline per identity, learned and scored online. */
export class AnomalyModel {
  readonly identities: Map<string, LearnedIdentity>;
  private readonly minEvents: number;
  private readonly threshold: number;
  private readonly maxIdentities: number;
  private readonly maxValues: number;
  /** Identities learned from since the last `takeChanged` (a subset of `identities`). */
  private readonly changed = new Set<string>();
  /** Scratch counts of the event being observed (one object, not one per event). */
  private readonly seen: Seen = { op: undefined, ip: undefined, agent: undefined, peer: undefined };

  constructor(file?: BaselineFile, options: AnomalyOptions = {}) {
    this.identities = new Map();
    for (const [id, b] of Object.entries(file?.identities ?? {})) this.identities.set(id, fromFile(b));
    this.minEvents = options.minEvents ?? 50;
    this.threshold = options.threshold ?? 3;
    this.maxIdentities = options.maxIdentities ?? 100_000;
    this.maxValues = options.maxValues ?? 2000;
  }

  /** Adds an event to its identity's baseline. */
  learn(ev: DetectEvent): void {
    const id = identityOf(ev);
    if (id === '') return;
    this.learnAs(id, this.identities.get(id), ev, featuresOf(ev), undefined);
  }

  /**
   * Scores an event against its identity's baseline, then learns it (when `learn`): the
   * detector's path, which reads the event's features once for both.
   */
  observe(ev: DetectEvent, learn: boolean): AnomalyScore | undefined {
    const id = identityOf(ev);
    if (id === '') return undefined;
    const f = featuresOf(ev);
    const b = this.identities.get(id);
    const seen = this.seen;
    if (b) {
      // Each feature's count read once, for the score and for learning.
      seen.op = f.op === '' ? undefined : b.ops.get(f.op);
      seen.ip = f.ip === '' ? undefined : b.ips.get(f.ip);
      seen.agent = f.agent === '' ? undefined : b.agents.get(f.agent);
      seen.peer = f.peer === '' ? undefined : b.peers.get(f.peer);
    }
    const s = b ? this.scoreAs(id, ev, f, b, seen) : undefined;
    if (learn) this.learnAs(id, b, ev, f, b ? seen : undefined);
    return s;
  }

  private learnAs(
    id: string,
    known: LearnedIdentity | undefined,
    ev: DetectEvent,
    f: Features,
    seen: Seen | undefined,
  ): void {
    let b = known;
    if (!b) {
      b = {
        kind: ev.actor.kind,
        events: 0,
        firstSeen: ev.time,
        lastSeen: ev.time,
        ops: new Map(),
        ips: new Map(),
        agents: new Map(),
        hours: new Array<number>(24).fill(0),
        peers: new Map(),
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
    const max = this.maxValues;
    if (seen) {
      bumpSeen(b.ops, f.op, seen.op, max);
      bumpSeen(b.ips, f.ip, seen.ip, max);
      bumpSeen(b.agents, f.agent, seen.agent, max);
      bumpSeen(b.peers, f.peer, seen.peer, max);
    } else {
      bump(b.ops, f.op, max);
      bump(b.ips, f.ip, max);
      bump(b.agents, f.agent, max);
      bump(b.peers, f.peer, max);
    }
    if (f.hour >= 0) b.hours[f.hour] = (b.hours[f.hour] ?? 0) + 1;
  }

  /** Scores an event against its identity's baseline (before learning it); undefined when below the threshold or the identity is too new. */
  score(ev: DetectEvent): AnomalyScore | undefined {
    const id = identityOf(ev);
    const b = id === '' ? undefined : this.identities.get(id);
    if (!b) return undefined;
    const f = featuresOf(ev);
    const seen: Seen = {
      op: f.op === '' ? undefined : b.ops.get(f.op),
      ip: f.ip === '' ? undefined : b.ips.get(f.ip),
      agent: f.agent === '' ? undefined : b.agents.get(f.agent),
      peer: f.peer === '' ? undefined : b.peers.get(f.peer),
    };
    return this.scoreAs(id, ev, f, b, seen);
  }

  private scoreAs(
    id: string,
    ev: DetectEvent,
    f: Features,
    b: LearnedIdentity,
    seen: Seen,
  ): AnomalyScore | undefined {
    if (b.events < this.minEvents) return undefined;
    // Weights first; the reasons' words only when the score reaches the threshold.
    const max = this.maxValues;
    const newOp = unseen(b.ops, f.op, seen.op, max);
    const newIP = unseen(b.ips, f.ip, seen.ip, max);
    const newAgent = unseen(b.agents, f.agent, seen.agent, max);
    const newPeer = unseen(b.peers, f.peer, seen.peer, max);
    let offHours = false;
    if (f.hour >= 0 && b.events >= 200)
      offHours =
        (b.hours[f.hour] ?? 0) + (b.hours[(f.hour + 23) % 24] ?? 0) + (b.hours[(f.hour + 1) % 24] ?? 0) === 0;
    const score =
      (newOp ? (f.sensitive ? 3 : 1) : 0) +
      (newIP ? (f.publicIP ? 2 : 1) : 0) +
      (newAgent ? 1 : 0) +
      (offHours ? 1 : 0) +
      (newPeer ? 2 : 0);
    if (score === 0 || score < this.threshold) return undefined;
    const reasons: AnomalyReason[] = [];
    if (newOp)
      reasons.push({
        feature: 'operation',
        value: f.op,
        weight: f.sensitive ? 3 : 1,
        text: `first time it ${opText(ev)} (0 of ${span(b)} did)`,
      });
    if (newIP)
      reasons.push({
        feature: 'source-ip',
        value: f.ip,
        weight: f.publicIP ? 2 : 1,
        text: `first request from ${f.ip}${f.publicIP ? ' (a public address)' : ''}`,
      });
    if (newAgent)
      reasons.push({
        feature: 'user-agent',
        value: f.agent,
        weight: 1,
        text: `first time with client ${f.agent}`,
      });
    if (offHours)
      reasons.push({
        feature: 'hour',
        value: String(f.hour),
        weight: 1,
        text: `active at ${String(f.hour).padStart(2, '0')}:00 UTC, an hour it never worked`,
      });
    if (newPeer)
      reasons.push({ feature: 'peer', value: f.peer, weight: 2, text: `first connection to ${f.peer}` });
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
      if (b) out.push([id, toFileForm(b)]);
    }
    this.changed.clear();
    return out;
  }

  /** The baseline as a file. */
  toFile(): BaselineFile {
    return {
      apiVersion: 'palisade.dev/v1',
      kind: 'DetectBaseline',
      identities: Object.fromEntries([...this.identities].map(([id, b]) => [id, toFileForm(b)])),
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
