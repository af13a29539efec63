/**
 * Threat intelligence: indicators (IP, CIDR, domain, URL, image digest, file hash, user agent)
 * from plain lists, CSV, MISP feeds and STIX 2.1 bundles, indexed so each event is matched in
 * O(1) or O(address bits): exact maps, a binary trie for CIDRs, a label-suffix walk for domains.
 * Parsing is pure (text in, indicators out); reading files and URLs is the CLI's.
 */
import ipaddr from 'ipaddr.js';
import type { DetectEvent, IndicatorType, IntelHit } from './event.js';
import { parseIPv4 } from './ip.js';

/** One indicator from one feed. */
export interface Indicator {
  type: IndicatorType;
  /** Normalised value (lower-case domains, canonical IPs, `addr/len` CIDRs). */
  value: string;
  feed: string;
  /** 0–100; feeds that do not say get 50. */
  confidence: number;
  description: string;
}

/** A problem in a feed, located by line or object index. */
export interface FeedIssue {
  feed: string;
  where: string;
  message: string;
}

interface TrieNode {
  zero?: TrieNode;
  one?: TrieNode;
  hit?: Indicator;
}

function bitsOf(addr: ipaddr.IPv4 | ipaddr.IPv6): number[] {
  const bytes = addr.toByteArray();
  const bits: number[] = [];
  for (const b of bytes) for (let i = 7; i >= 0; i--) bits.push((b >> i) & 1);
  return bits;
}

function canonicalIP(s: string): string | undefined {
  if (!ipaddr.isValid(s)) return undefined;
  let a = ipaddr.parse(s);
  if (a.kind() === 'ipv6' && (a as ipaddr.IPv6).isIPv4MappedAddress()) a = (a as ipaddr.IPv6).toIPv4Address();
  return a.toString();
}

/** Infers an indicator's type from its value (for plain lists). */
export function inferIndicatorType(value: string): IndicatorType | undefined {
  const v = value.trim();
  if (v === '') return undefined;
  if (ipaddr.isValid(v)) return 'ip';
  if (v.includes('/') && !v.includes('://')) {
    try {
      ipaddr.parseCIDR(v);
      return 'cidr';
    } catch {
      return undefined;
    }
  }
  if (v.includes('://')) return 'url';
  if (v.startsWith('sha256:') && v.length === 71) return 'image-digest';
  if (/^[0-9a-fA-F]{32}$|^[0-9a-fA-F]{40}$|^[0-9a-fA-F]{64}$/.test(v)) return 'file-hash';
  if (/^[a-zA-Z0-9-]{1,63}(\.[a-zA-Z0-9-]{1,63})+\.?$/.test(v)) return 'domain';
  return undefined;
}

/** Normalises a value of a known type; undefined when it is not one. */
export function normalizeIndicator(type: IndicatorType, value: string): string | undefined {
  const v = value.trim();
  switch (type) {
    case 'ip':
      return canonicalIP(v);
    case 'cidr':
      try {
        const [a, len] = ipaddr.parseCIDR(v);
        return `${a.toString()}/${len}`;
      } catch {
        return undefined;
      }
    case 'domain':
      return v === '' ? undefined : v.toLowerCase().replace(/\.$/, '').replace(/^\*\./, '');
    case 'url':
    case 'user-agent':
      return v === '' ? undefined : v.toLowerCase();
    case 'image-digest':
    case 'file-hash':
      return v === '' ? undefined : v.toLowerCase();
  }
}

const NO_HITS: Indicator[] = [];

/** An index of indicators from every loaded feed. */
export class IntelIndex {
  private readonly exact = new Map<string, Indicator[]>();
  private readonly v4: TrieNode = {};
  private readonly v6: TrieNode = {};
  private readonly domains = new Map<string, Indicator>();
  // The IPv4 fast path: exact addresses by their dotted text (the canonical form, as the
  // fast parser accepts nothing else), and per prefix length present (longest first) the first
  // CIDR of each network by number, so a lookup is a few Map reads, not a 32-step walk.
  private readonly v4exact = new Map<string, Indicator[]>();
  private readonly v4nets = new Map<number, Map<number, Indicator>>();
  private v4lengths: number[] = [];
  /** Indicators per type, so an event's fields of a type no feed has are not looked up. */
  private readonly perType = new Map<IndicatorType, number>();
  private count = 0;

  /** Number of indicators indexed. */
  get size(): number {
    return this.count;
  }

  /** Adds one indicator (value already normalised). */
  add(ind: Indicator): void {
    this.count++;
    this.perType.set(ind.type, (this.perType.get(ind.type) ?? 0) + 1);
    if (ind.type === 'cidr') {
      const [addr, len] = ipaddr.parseCIDR(ind.value);
      if (addr.kind() === 'ipv4') {
        const n = parseIPv4(addr.toString());
        if (n !== undefined) {
          let nets = this.v4nets.get(len);
          if (!nets) {
            nets = new Map();
            this.v4nets.set(len, nets);
            this.v4lengths = [...this.v4nets.keys()].sort((a, b) => b - a);
          }
          const key = networkOf(n, len);
          if (!nets.has(key)) nets.set(key, ind);
        }
      }
      let node = addr.kind() === 'ipv4' ? this.v4 : this.v6;
      const bits = bitsOf(addr);
      for (let i = 0; i < len; i++) {
        const key = bits[i] === 1 ? 'one' : 'zero';
        node = node[key] ??= {};
      }
      node.hit ??= ind;
      return;
    }
    if (ind.type === 'domain') {
      if (!this.domains.has(ind.value)) this.domains.set(ind.value, ind);
      return;
    }
    const key = `${ind.type}\u0000${ind.value}`;
    const list = this.exact.get(key);
    if (list) list.push(ind);
    else this.exact.set(key, [ind]);
    if (ind.type === 'ip' && parseIPv4(ind.value) !== undefined) {
      const same = this.v4exact.get(ind.value);
      if (same) same.push(ind);
      else this.v4exact.set(ind.value, [ind]);
    }
  }

  /** Indicators an IP hits: exact IPs and the most specific covering CIDR. */
  matchIP(ip: string): Indicator[] {
    const fast = parseIPv4(ip);
    if (fast !== undefined) {
      const exact = this.v4exact.size === 0 ? undefined : this.v4exact.get(ip);
      let best: Indicator | undefined;
      const lengths = this.v4lengths;
      for (let i = 0; i < lengths.length && best === undefined; i++) {
        const len = lengths[i] as number;
        best = this.v4nets.get(len)?.get(networkOf(fast, len));
      }
      if (!exact && !best) return NO_HITS;
      return best ? [...(exact ?? []), best] : [...(exact ?? [])];
    }
    const canon = canonicalIP(ip);
    if (canon === undefined) return [];
    const out = [...(this.exact.get(`ip\u0000${canon}`) ?? [])];
    const addr = ipaddr.parse(canon);
    let node: TrieNode | undefined = addr.kind() === 'ipv4' ? this.v4 : this.v6;
    let best: Indicator | undefined;
    for (const bit of bitsOf(addr)) {
      if (node.hit) best = node.hit;
      node = bit === 1 ? node.one : node.zero;
      if (!node) break;
    }
    if (node?.hit) best = node.hit;
    if (best) out.push(best);
    return out;
  }

  /** The indicator a domain or one of its parent domains hits. */
  matchDomain(domain: string): Indicator | undefined {
    let d = domain.toLowerCase().replace(/\.$/, '');
    for (;;) {
      const hit = this.domains.get(d);
      if (hit) return hit;
      const dot = d.indexOf('.');
      if (dot < 0) return undefined;
      d = d.slice(dot + 1);
    }
  }

  /** Indicators of an exact-match type. */
  matchExact(type: IndicatorType, value: string): Indicator[] {
    return this.exact.get(`${type}\u0000${value.toLowerCase()}`) ?? [];
  }

  /** Every hit of an event, naming the field that matched. */
  matchEvent(ev: DetectEvent): IntelHit[] {
    if (this.count === 0) return [];
    let hits: IntelHit[] | undefined;
    const ips = ev.actor.sourceIPs;
    for (let i = 0; i < ips.length; i++)
      hits = pushHits(hits, 'actor.sourceIPs', this.matchIP(ips[i] as string));
    const n = ev.network;
    if (n.dstIP !== '') hits = pushHits(hits, 'network.dstIP', this.matchIP(n.dstIP));
    if (n.srcIP !== '') hits = pushHits(hits, 'network.srcIP', this.matchIP(n.srcIP));
    if (n.domain !== '' && this.domains.size > 0) {
      const d = this.matchDomain(n.domain);
      if (d) hits = pushHits(hits, 'network.domain', [d]);
    }
    if (ev.actor.userAgent !== '' && this.perType.has('user-agent'))
      hits = pushHits(hits, 'actor.userAgent', this.matchExact('user-agent', ev.actor.userAgent));
    if (ev.process.imageDigest !== '' && this.perType.has('image-digest'))
      hits = pushHits(hits, 'process.imageDigest', this.matchExact('image-digest', ev.process.imageDigest));
    return hits ?? [];
  }
}

/** The network part of an IPv4 address (as a number) under a prefix length. */
function networkOf(n: number, len: number): number {
  return len === 0 ? 0 : n >>> (32 - len);
}

function pushHits(
  hits: IntelHit[] | undefined,
  field: string,
  list: readonly Indicator[],
): IntelHit[] | undefined {
  if (list.length === 0) return hits;
  const out = hits ?? [];
  for (const i of list)
    out.push({
      feed: i.feed,
      type: i.type,
      indicator: i.value,
      field,
      confidence: i.confidence,
      description: i.description,
    });
  return out;
}

function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line.charAt(i);
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out.map((s) => s.trim());
}

const MISP_TYPES: Record<string, IndicatorType> = {
  'ip-src': 'ip',
  'ip-dst': 'ip',
  'ip-src|port': 'ip',
  'ip-dst|port': 'ip',
  domain: 'domain',
  hostname: 'domain',
  url: 'url',
  sha256: 'file-hash',
  sha1: 'file-hash',
  md5: 'file-hash',
  'user-agent': 'user-agent',
};

const STIX_TYPES: Record<string, IndicatorType> = {
  'ipv4-addr:value': 'ip',
  'ipv6-addr:value': 'ip',
  'domain-name:value': 'domain',
  'url:value': 'url',
  "file:hashes.'sha-256'": 'file-hash',
  'file:hashes.sha256': 'file-hash',
  "file:hashes.'sha-1'": 'file-hash',
  'file:hashes.md5': 'file-hash',
  'file:hashes.md5 ': 'file-hash',
  'network-traffic:extensions.http-request-ext.request_header.user-agent': 'user-agent',
};

/** `[type:path = 'value']` comparisons of a STIX pattern (OR/AND of simple comparisons). */
function stixComparisons(pattern: string): { path: string; value: string }[] {
  const out: { path: string; value: string }[] = [];
  let i = 0;
  while (i < pattern.length) {
    const eq = pattern.indexOf('=', i);
    if (eq < 0) break;
    const open = pattern.lastIndexOf('[', eq);
    const q1 = pattern.indexOf("'", eq);
    if (open < 0 || q1 < 0) break;
    let q2 = q1 + 1;
    let value = '';
    while (q2 < pattern.length && pattern[q2] !== "'") {
      if (pattern[q2] === '\\' && q2 + 1 < pattern.length) q2++;
      value += pattern.charAt(q2);
      q2++;
    }
    const lhs = pattern.slice(open + 1, eq).trim();
    if (!lhs.includes('[') && !pattern.slice(open + 1, eq).includes('!'))
      out.push({ path: lhs.toLowerCase(), value });
    i = q2 + 1;
  }
  return out;
}

/**
 * Parses a feed's text. The format is given or inferred: JSON with `type: bundle` (STIX 2.1),
 * JSON with `Event`/`Attribute` (MISP), CSV with a header naming `value` (or `indicator`) and
 * optionally `type`, `confidence`, `description`; anything else is a plain list of one
 * indicator per line (`#` comments).
 */
export function parseFeed(
  feed: string,
  text: string,
  format?: 'list' | 'csv' | 'misp' | 'stix',
): { indicators: Indicator[]; issues: FeedIssue[] } {
  const indicators: Indicator[] = [];
  const issues: FeedIssue[] = [];
  const add = (
    type: IndicatorType | undefined,
    raw: string,
    where: string,
    confidence = 50,
    description = '',
  ): void => {
    if (type === undefined) {
      issues.push({ feed, where, message: `not a recognised indicator: ${raw.slice(0, 80)}` });
      return;
    }
    const value = normalizeIndicator(type, raw);
    if (value === undefined) {
      issues.push({ feed, where, message: `not a valid ${type}: ${raw.slice(0, 80)}` });
      return;
    }
    indicators.push({ type, value, feed, confidence, description });
  };
  const trimmed = text.trimStart();
  const firstLine = trimmed.slice(0, Math.max(0, trimmed.indexOf('\n')) || trimmed.length);
  const fmt =
    format ??
    (trimmed.startsWith('{') || trimmed.startsWith('[')
      ? 'json'
      : firstLine.includes(',') && /\b(?:value|indicator)\b/i.test(firstLine)
        ? 'csv'
        : 'list');
  if (fmt === 'json' || fmt === 'misp' || fmt === 'stix') {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      issues.push({ feed, where: 'file', message: `invalid JSON: ${(e as Error).message}` });
      return { indicators, issues };
    }
    const d = doc as Record<string, unknown>;
    if (d.type === 'bundle' && Array.isArray(d.objects)) {
      d.objects.forEach((o: unknown, idx) => {
        const obj = o as Record<string, unknown>;
        if (obj.type !== 'indicator') return;
        if (obj.revoked === true) return;
        const pattern = typeof obj.pattern === 'string' ? obj.pattern : '';
        const conf = typeof obj.confidence === 'number' ? obj.confidence : 50;
        const desc =
          typeof obj.name === 'string'
            ? obj.name
            : typeof obj.description === 'string'
              ? obj.description
              : '';
        const comps = stixComparisons(pattern);
        if (comps.length === 0)
          issues.push({ feed, where: `objects[${idx}]`, message: 'pattern not understood' });
        for (const c of comps) {
          const t = STIX_TYPES[c.path];
          if (t === undefined)
            issues.push({ feed, where: `objects[${idx}]`, message: `unsupported pattern path ${c.path}` });
          else add(t, c.value, `objects[${idx}]`, conf, desc);
        }
      });
      return { indicators, issues };
    }
    const event = (d.Event ?? d) as Record<string, unknown>;
    const attrs = Array.isArray(event.Attribute) ? event.Attribute : Array.isArray(doc) ? doc : undefined;
    if (attrs === undefined) {
      issues.push({ feed, where: 'file', message: 'JSON is neither a STIX 2.1 bundle nor a MISP event' });
      return { indicators, issues };
    }
    const info = typeof event.info === 'string' ? event.info : '';
    attrs.forEach((a: unknown, idx) => {
      const attr = a as Record<string, unknown>;
      const type = typeof attr.type === 'string' ? attr.type : '';
      let value = typeof attr.value === 'string' ? attr.value : '';
      if (type.endsWith('|port')) value = value.split('|')[0] ?? '';
      const t = MISP_TYPES[type];
      if (t === undefined) return;
      add(
        t,
        value,
        `Attribute[${idx}]`,
        50,
        typeof attr.comment === 'string' && attr.comment ? attr.comment : info,
      );
    });
    return { indicators, issues };
  }
  const lines = text.split(/\r?\n/);
  if (fmt === 'csv') {
    const header = splitCsvLine(lines[0] ?? '').map((h) => h.toLowerCase());
    const vi = header.findIndex((h) => h === 'value' || h === 'indicator');
    const ti = header.indexOf('type');
    const ci = header.indexOf('confidence');
    const di = header.findIndex((h) => h === 'description' || h === 'comment');
    for (let n = 1; n < lines.length; n++) {
      const line = lines[n] ?? '';
      if (line.trim() === '' || line.startsWith('#')) continue;
      const cells = splitCsvLine(line);
      const value = cells[vi] ?? '';
      const typeCell = ti >= 0 ? (cells[ti] ?? '').toLowerCase() : '';
      const type = (
        ['ip', 'cidr', 'domain', 'url', 'image-digest', 'file-hash', 'user-agent'].includes(typeCell)
          ? typeCell
          : inferIndicatorType(value)
      ) as IndicatorType | undefined;
      const conf = ci >= 0 ? Number(cells[ci]) : 50;
      add(type, value, `line ${n + 1}`, Number.isFinite(conf) ? conf : 50, di >= 0 ? (cells[di] ?? '') : '');
    }
    return { indicators, issues };
  }
  lines.forEach((raw, n) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const value = line.split(/\s+/)[0] ?? '';
    add(inferIndicatorType(value), value, `line ${n + 1}`);
  });
  return { indicators, issues };
}
