/**
 * OSV records (https://ossf.github.io/osv-schema/): the subset Palisade stores and matches,
 * and a validator that turns untrusted JSON into that subset or a located error.
 */
import { err, ok, type Result } from '../core/index.js';
import { ecosystemBase } from './versions/index.js';

/** One event of an OSV range; exactly one field is set. */
export interface OsvEvent {
  introduced?: string;
  fixed?: string;
  last_affected?: string;
  limit?: string;
}

/** An OSV range: ECOSYSTEM and SEMVER are evaluated; GIT is kept but not evaluated. */
export interface OsvRange {
  type: 'ECOSYSTEM' | 'SEMVER' | 'GIT';
  events: OsvEvent[];
}

/** A severity entry: a CVSS vector (`CVSS_V3`, `CVSS_V4`, …) or a distro rating (`Ubuntu`). */
export interface OsvSeverity {
  type: string;
  score: string;
}

/** One `affected[]` entry. */
export interface OsvAffected {
  package?: { ecosystem: string; name: string; purl?: string };
  ranges?: OsvRange[];
  versions?: string[];
  severity?: OsvSeverity[];
  /** A distro's own rating found in `ecosystem_specific` or `database_specific` (urgency, severity). */
  distroSeverity?: string;
}

/** A vulnerability record as stored: what matching and reporting need, nothing more. */
export interface OsvRecord {
  id: string;
  modified: string;
  published?: string;
  withdrawn?: string;
  aliases?: string[];
  upstream?: string[];
  summary?: string;
  details?: string;
  severity?: OsvSeverity[];
  /** `database_specific.severity` (GitHub's rating, for example). */
  databaseSeverity?: string;
  affected: OsvAffected[];
}

const MAX_DETAILS = 1000;
const EVENT_KEYS = ['introduced', 'fixed', 'last_affected', 'limit'] as const;
const RANGE_TYPES = new Set(['ECOSYSTEM', 'SEMVER', 'GIT']);

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

class Invalid extends Error {}

function str(x: unknown, where: string): string {
  if (typeof x !== 'string') throw new Invalid(`${where}: expected a string`);
  return x;
}

function optStr(x: unknown, where: string): string | undefined {
  return x === undefined || x === null ? undefined : str(x, where);
}

function strList(x: unknown, where: string): string[] | undefined {
  if (x === undefined || x === null) return undefined;
  if (!Array.isArray(x)) throw new Invalid(`${where}: expected an array of strings`);
  return x.map((v, i) => str(v, `${where}[${i}]`));
}

function severities(x: unknown, where: string): OsvSeverity[] | undefined {
  if (x === undefined || x === null) return undefined;
  if (!Array.isArray(x)) throw new Invalid(`${where}: expected an array`);
  return x.map((s, i) => {
    if (!isObject(s)) throw new Invalid(`${where}[${i}]: expected an object`);
    return { type: str(s.type, `${where}[${i}].type`), score: str(s.score, `${where}[${i}].score`) };
  });
}

function ratingIn(x: unknown): string | undefined {
  if (!isObject(x)) return undefined;
  for (const key of ['severity', 'urgency']) {
    const v = x[key];
    if (typeof v === 'string' && v !== '') return v;
  }
  return undefined;
}

function parseRange(x: unknown, where: string): OsvRange {
  if (!isObject(x)) throw new Invalid(`${where}: expected an object`);
  const type = str(x.type, `${where}.type`);
  if (!RANGE_TYPES.has(type)) throw new Invalid(`${where}.type: unknown range type ${JSON.stringify(type)}`);
  if (!Array.isArray(x.events) || x.events.length === 0)
    throw new Invalid(`${where}.events: expected a non-empty array`);
  const events = x.events.map((e, i): OsvEvent => {
    const at = `${where}.events[${i}]`;
    if (!isObject(e)) throw new Invalid(`${at}: expected an object`);
    const keys = EVENT_KEYS.filter((k) => e[k] !== undefined);
    const key = keys[0];
    if (keys.length !== 1 || key === undefined) {
      throw new Invalid(`${at}: expected exactly one of introduced, fixed, last_affected, limit`);
    }
    return { [key]: str(e[key], `${at}.${key}`) };
  });
  if (!events.some((e) => e.introduced !== undefined))
    throw new Invalid(`${where}.events: no introduced event`);
  return { type: type as OsvRange['type'], events };
}

function parseAffected(x: unknown, where: string): OsvAffected {
  if (!isObject(x)) throw new Invalid(`${where}: expected an object`);
  const out: OsvAffected = {};
  if (x.package !== undefined && x.package !== null) {
    const p = x.package;
    if (!isObject(p)) throw new Invalid(`${where}.package: expected an object`);
    const ecosystem = str(p.ecosystem, `${where}.package.ecosystem`);
    const name = str(p.name, `${where}.package.name`);
    if (ecosystem === '' || name === '') throw new Invalid(`${where}.package: empty ecosystem or name`);
    const purl = optStr(p.purl, `${where}.package.purl`);
    out.package = { ecosystem, name, ...(purl !== undefined ? { purl } : {}) };
  }
  if (x.ranges !== undefined && x.ranges !== null) {
    if (!Array.isArray(x.ranges)) throw new Invalid(`${where}.ranges: expected an array`);
    out.ranges = x.ranges.map((r, i) => parseRange(r, `${where}.ranges[${i}]`));
  }
  const versions = strList(x.versions, `${where}.versions`);
  if (versions !== undefined) out.versions = versions;
  const sev = severities(x.severity, `${where}.severity`);
  if (sev !== undefined) out.severity = sev;
  const distro = ratingIn(x.ecosystem_specific) ?? ratingIn(x.database_specific);
  if (distro !== undefined) out.distroSeverity = distro;
  return out;
}

/** Reads one OSV record from untrusted JSON: the stored subset, or an error naming the field. */
export function parseOsvRecord(json: unknown): Result<OsvRecord, string> {
  try {
    if (!isObject(json)) throw new Invalid('expected a JSON object');
    const id = str(json.id, 'id');
    if (id === '' || id.length > 200) throw new Invalid('id: empty or longer than 200 characters');
    try {
      const record: OsvRecord = { id, modified: str(json.modified, 'modified'), affected: [] };
      const published = optStr(json.published, 'published');
      if (published !== undefined) record.published = published;
      const withdrawn = optStr(json.withdrawn, 'withdrawn');
      if (withdrawn !== undefined) record.withdrawn = withdrawn;
      const aliases = strList(json.aliases, 'aliases');
      if (aliases !== undefined && aliases.length > 0) record.aliases = aliases;
      const upstream = strList(json.upstream, 'upstream');
      if (upstream !== undefined && upstream.length > 0) record.upstream = upstream;
      const summary = optStr(json.summary, 'summary');
      if (summary !== undefined) record.summary = summary;
      const details = optStr(json.details, 'details');
      if (details !== undefined) record.details = details.slice(0, MAX_DETAILS);
      const sev = severities(json.severity, 'severity');
      if (sev !== undefined) record.severity = sev;
      const dbSeverity = ratingIn(json.database_specific);
      if (dbSeverity !== undefined) record.databaseSeverity = dbSeverity;
      if (json.affected !== undefined && json.affected !== null) {
        if (!Array.isArray(json.affected)) throw new Invalid('affected: expected an array');
        record.affected = json.affected.map((a, i) => parseAffected(a, `affected[${i}]`));
      }
      return ok(record);
    } catch (e) {
      if (e instanceof Invalid) throw new Invalid(`record ${id}: ${e.message}`);
      throw e;
    }
  } catch (e) {
    if (e instanceof Invalid) return err(e.message);
    throw e;
  }
}

/**
 * The key a package is indexed and looked up by within its ecosystem: OSV's normalisation for
 * PyPI (PEP 503), lower case for distro packages, the name as is elsewhere.
 */
export function packageKey(ecosystem: string, name: string): string {
  const base = ecosystemBase(ecosystem);
  if (base === 'pypi') return name.toLowerCase().replace(/[-_.]+/g, '-');
  if (DISTROS.has(base)) return name.toLowerCase();
  return name;
}

const DISTROS = new Set([
  'debian',
  'ubuntu',
  'alpine',
  'wolfi',
  'chainguard',
  'red hat',
  'almalinux',
  'rocky linux',
  'suse',
  'opensuse',
]);

/** Whether an ecosystem is a Linux distribution (its records name source packages). */
export function isDistroEcosystem(ecosystem: string): boolean {
  return DISTROS.has(ecosystemBase(ecosystem));
}

/**
 * The key an ecosystem is indexed by: base name in lower case plus its release where it has
 * one (`Debian:12` → `debian:12`, `Alpine:v3.19` → `alpine:3.19`, `Ubuntu:22.04:LTS` →
 * `ubuntu:22.04`), so catalogers and OSV exports that spell a release differently still meet.
 */
export function ecosystemKey(ecosystem: string): string {
  const parts = ecosystem.split(':').map((p) => p.trim());
  const base = (parts[0] ?? '').toLowerCase();
  let release = (parts[1] ?? '').toLowerCase();
  if (base === 'alpine')
    release = (release.startsWith('v') ? release.slice(1) : release).split('.').slice(0, 2).join('.');
  if (base === 'debian') release = release.split('.')[0] ?? '';
  return release === '' ? base : `${base}:${release}`;
}
