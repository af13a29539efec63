/**
 * Whether a version is inside an OSV `affected[]` entry: its explicit `versions` list, or one
 * of its ECOSYSTEM/SEMVER ranges evaluated with OSV's event semantics (events sorted by
 * version; `introduced` opens, `fixed` closes at that version, `last_affected` closes after it;
 * `limit` caps the range). GIT ranges name commits, not versions: they are not evaluated.
 */
import type { OsvAffected, OsvRange } from './osv.js';
import { SEMVER_SCHEME, type VersionScheme } from './versions/index.js';

/** The answer for one affected entry. */
export interface AffectedResult {
  affected: boolean;
  /** `fixed` versions of the ranges that contain the version (ascending, no duplicates). */
  fixed: string[];
  /** True when the entry had GIT ranges, which were not evaluated. */
  gitIgnored: boolean;
}

interface KeyedEvent {
  kind: 'introduced' | 'fixed' | 'last_affected' | 'limit';
  version: string;
}

function keyed(range: OsvRange): KeyedEvent[] {
  const out: KeyedEvent[] = [];
  for (const e of range.events) {
    if (e.introduced !== undefined) out.push({ kind: 'introduced', version: e.introduced });
    else if (e.fixed !== undefined) out.push({ kind: 'fixed', version: e.fixed });
    else if (e.last_affected !== undefined) out.push({ kind: 'last_affected', version: e.last_affected });
    else if (e.limit !== undefined) out.push({ kind: 'limit', version: e.limit });
  }
  return out;
}

/** Whether `version` is inside one ECOSYSTEM or SEMVER range, ordered by `scheme`. */
export function inRange(version: string, range: OsvRange, scheme: VersionScheme): boolean {
  const cmp = range.type === 'SEMVER' ? SEMVER_SCHEME.compare : scheme.compare;
  // "0" in an introduced event means "since the first version", lower than every version.
  const order = (a: KeyedEvent, b: KeyedEvent): number => {
    const za = a.kind === 'introduced' && a.version === '0';
    const zb = b.kind === 'introduced' && b.version === '0';
    if (za || zb) return za === zb ? 0 : za ? -1 : 1;
    return cmp(a.version, b.version);
  };
  const events = keyed(range).sort(order);
  let affected = false;
  const limits: string[] = [];
  for (const e of events) {
    switch (e.kind) {
      case 'introduced':
        if (e.version === '0' || cmp(version, e.version) >= 0) affected = true;
        break;
      case 'fixed':
        if (cmp(version, e.version) >= 0) affected = false;
        break;
      case 'last_affected':
        if (cmp(version, e.version) > 0) affected = false;
        break;
      case 'limit':
        limits.push(e.version);
        break;
    }
  }
  if (affected && limits.length > 0) affected = limits.some((l) => l === '*' || cmp(version, l) < 0);
  return affected;
}

/** Evaluates one affected entry for a version. */
export function evaluateAffected(version: string, entry: OsvAffected, scheme: VersionScheme): AffectedResult {
  let affected = false;
  let gitIgnored = false;
  const fixed = new Set<string>();
  if (entry.versions?.some((v) => v === version || scheme.compare(v, version) === 0)) affected = true;
  for (const range of entry.ranges ?? []) {
    if (range.type === 'GIT') {
      gitIgnored = true;
      continue;
    }
    if (!inRange(version, range, scheme)) continue;
    affected = true;
    for (const e of range.events) if (e.fixed !== undefined) fixed.add(e.fixed);
  }
  const cmp = scheme.compare;
  const later = [...fixed].filter((f) => cmp(f, version) > 0).sort(cmp);
  return { affected, fixed: later, gitIgnored };
}
