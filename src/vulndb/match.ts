/**
 * Matching catalogued packages against OSV records: pure, over a lookup that returns the
 * records naming a package. One finding per vulnerability and package: records that share an
 * id, alias or upstream id (a GHSA and its CVE, a Debian record and its CVE) are merged.
 */
import { evaluateAffected } from './affected.js';
import { cvssBaseScore, severityOfScore, severityOfWord, type CvssScore, type VulnSeverity } from './cvss.js';
import { ecosystemKey, isDistroEcosystem, packageKey, type OsvRecord } from './osv.js';
import type { CatalogPackage } from './package.js';
import { purlCovers } from './purl.js';
import { vexStatementFor, type VexStatement, type VexStatus } from './vex.js';
import { versionSchemeFor } from './versions/index.js';

/** Where the records come from: the SQLite database, or an in-memory list in tests. */
export interface VulnSource {
  /** Records with an `affected[]` entry for this package (ecosystem as OSV or a cataloger spells it). */
  recordsFor(ecosystem: string, name: string): readonly OsvRecord[];
}

/** Options of {@link matchPackages}. */
export interface MatchOptions {
  /** Leave out findings that no released version fixes. */
  ignoreUnfixed?: boolean;
  /** VEX statements to apply: `not_affected` suppresses a finding (kept, marked, justified). */
  vex?: readonly VexStatement[];
}

/** A VEX statement applied to a finding. */
export interface AppliedVex {
  status: VexStatus;
  justification?: string;
  detail?: string;
  source: string;
}

/**
 * A known vulnerability in one package. Public contract (JSON output): add fields, never
 * rename them.
 */
export interface VulnerabilityMatch {
  /** The preferred id: a CVE where one is known, else a GHSA, else the first record's id. */
  id: string;
  /** Every id and alias of the merged records, sorted. */
  ids: string[];
  /** The OSV records that matched. */
  records: string[];
  summary: string;
  severity: VulnSeverity;
  /** What the severity was taken from. */
  severitySource: 'distro' | 'cvss_v3' | 'cvss_v4' | 'advisory' | 'none';
  /** The highest CVSS base score, when a vector was given. */
  cvssScore?: number;
  cvss: CvssScore[];
  /** The distribution's own rating, as written (Debian urgency, Ubuntu priority, …). */
  distroSeverity?: string;
  /** Versions that fix it, ascending; empty when none is released. */
  fixedVersions: string[];
  package: CatalogPackage;
  /** The name and version that matched: the binary package, or its source package for distro records. */
  matchedOn: { ecosystem: string; name: string; version: string; via: 'package' | 'source' };
  /** True when a VEX statement says the package is not affected; the finding is kept. */
  suppressed: boolean;
  vex?: AppliedVex;
  published?: string;
  modified?: string;
  notes?: string[];
}

interface Hit {
  record: OsvRecord;
  fixed: string[];
  distroSeverity: string | undefined;
  affectedSeverities: CvssScore[];
  gitIgnored: boolean;
  via: 'package' | 'source';
  name: string;
  version: string;
}

const SEVERITY_RANK: Readonly<Record<VulnSeverity, number>> = {
  critical: 0,
  high: 1,
  medium: 2,
  low: 3,
  negligible: 4,
  unknown: 5,
};

function scoresOf(
  severities: readonly { type: string; score: string }[] | undefined,
  source: string,
): CvssScore[] {
  const out: CvssScore[] = [];
  for (const s of severities ?? []) {
    if (!s.type.startsWith('CVSS_V3') && s.type !== 'CVSS_V4') continue;
    const score = cvssBaseScore(s.score, source);
    if (score !== undefined) out.push(score);
  }
  return out;
}

function distroRating(record: OsvRecord): string | undefined {
  return record.severity?.find((s) => !s.type.startsWith('CVSS_'))?.score;
}

function hitsFor(source: VulnSource, pkg: CatalogPackage): Hit[] {
  const scheme = versionSchemeFor(pkg.ecosystem);
  if (scheme === undefined) return [];
  const key = ecosystemKey(pkg.ecosystem);
  const queries: { name: string; version: string; via: Hit['via'] }[] = [];
  if (isDistroEcosystem(pkg.ecosystem) && pkg.source !== undefined && pkg.source.name !== '') {
    queries.push({ name: pkg.source.name, version: pkg.source.version || pkg.version, via: 'source' });
  }
  if (!queries.some((q) => q.name === pkg.name))
    queries.push({ name: pkg.name, version: pkg.version, via: 'package' });
  const hits: Hit[] = [];
  const seen = new Set<string>();
  for (const q of queries) {
    const wanted = packageKey(pkg.ecosystem, q.name);
    for (const record of source.recordsFor(pkg.ecosystem, q.name)) {
      if (record.withdrawn !== undefined || seen.has(record.id)) continue;
      for (const entry of record.affected) {
        const p = entry.package;
        if (
          p === undefined ||
          ecosystemKey(p.ecosystem) !== key ||
          packageKey(p.ecosystem, p.name) !== wanted
        )
          continue;
        const r = evaluateAffected(q.version, entry, scheme);
        if (!r.affected) continue;
        seen.add(record.id);
        hits.push({
          record,
          fixed: r.fixed,
          distroSeverity: entry.distroSeverity ?? distroRating(record),
          affectedSeverities: scoresOf(entry.severity, record.id),
          gitIgnored: r.gitIgnored,
          via: q.via,
          name: q.name,
          version: q.version,
        });
        break;
      }
    }
  }
  return hits;
}

/** Groups hits whose records share an id, alias or upstream id. */
function mergeHits(hits: Hit[]): Hit[][] {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    while (parent.get(r) !== undefined && parent.get(r) !== r) r = parent.get(r) ?? r;
    parent.set(x, r);
    return r;
  };
  const union = (a: string, b: string): void => {
    if (!parent.has(a)) parent.set(a, a);
    if (!parent.has(b)) parent.set(b, b);
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(ra, rb);
  };
  for (const h of hits) {
    const r = h.record;
    union(r.id, r.id);
    for (const a of [...(r.aliases ?? []), ...(r.upstream ?? [])]) union(r.id, a);
  }
  const groups = new Map<string, Hit[]>();
  for (const h of hits) {
    const root = find(h.record.id);
    const g = groups.get(root);
    if (g === undefined) groups.set(root, [h]);
    else g.push(h);
  }
  return [...groups.values()];
}

function preferredId(ids: readonly string[], first: string): string {
  return ids.find((i) => i.startsWith('CVE-')) ?? ids.find((i) => i.startsWith('GHSA-')) ?? first;
}

function buildMatch(
  pkg: CatalogPackage,
  group: Hit[],
  scheme: (a: string, b: string) => number,
): VulnerabilityMatch {
  const first = group[0];
  if (first === undefined) throw new Error('empty group');
  const ids = new Set<string>();
  const cvss = new Map<string, CvssScore>();
  const fixed = new Set<string>();
  let distroSeverity: string | undefined;
  let advisory: string | undefined;
  let summary = '';
  let published: string | undefined;
  let modified: string | undefined;
  for (const h of group) {
    const r = h.record;
    ids.add(r.id);
    for (const a of r.aliases ?? []) ids.add(a);
    for (const a of r.upstream ?? []) ids.add(a);
    for (const s of [...scoresOf(r.severity, r.id), ...h.affectedSeverities]) {
      if (!cvss.has(s.vector)) cvss.set(s.vector, s);
    }
    for (const f of h.fixed) fixed.add(f);
    distroSeverity ??= h.distroSeverity;
    advisory ??= r.databaseSeverity;
    if (summary === '') summary = r.summary ?? (r.details ?? '').split('\n')[0]?.slice(0, 200) ?? '';
    if (r.published !== undefined && (published === undefined || r.published < published))
      published = r.published;
    if (r.modified > (modified ?? '')) modified = r.modified;
  }
  const sortedIds = [...ids].sort();
  const scores = [...cvss.values()].sort((a, b) => b.baseScore - a.baseScore);
  const v3 = scores.filter((s) => s.version !== '4.0');
  const v4 = scores.filter((s) => s.version === '4.0');
  let severity: VulnSeverity = 'unknown';
  let severitySource: VulnerabilityMatch['severitySource'] = 'none';
  const distro = distroSeverity === undefined ? undefined : severityOfWord(distroSeverity);
  const advisoryRating = advisory === undefined ? undefined : severityOfWord(advisory);
  if (distro !== undefined && isDistroEcosystem(pkg.ecosystem)) {
    severity = distro;
    severitySource = 'distro';
  } else if (v3[0] !== undefined) {
    severity = severityOfScore(v3[0].baseScore);
    severitySource = 'cvss_v3';
  } else if (v4[0] !== undefined) {
    severity = severityOfScore(v4[0].baseScore);
    severitySource = 'cvss_v4';
  } else if (advisoryRating !== undefined) {
    severity = advisoryRating;
    severitySource = 'advisory';
  } else if (distro !== undefined) {
    severity = distro;
    severitySource = 'distro';
  }
  const match: VulnerabilityMatch = {
    id: preferredId(sortedIds, first.record.id),
    ids: sortedIds,
    records: group.map((h) => h.record.id).sort(),
    summary,
    severity,
    severitySource,
    cvss: scores,
    fixedVersions: [...fixed].sort(scheme),
    package: pkg,
    matchedOn: { ecosystem: pkg.ecosystem, name: first.name, version: first.version, via: first.via },
    suppressed: false,
  };
  if (scores[0] !== undefined) match.cvssScore = scores[0].baseScore;
  if (distroSeverity !== undefined) match.distroSeverity = distroSeverity;
  if (published !== undefined) match.published = published;
  if (modified !== undefined) match.modified = modified;
  if (group.some((h) => h.gitIgnored))
    match.notes = ['GIT ranges were not evaluated (they name commits, not versions)'];
  return match;
}

/** Finds the known vulnerabilities of packages; results sorted by severity, id and package. */
export function matchPackages(
  source: VulnSource,
  packages: readonly CatalogPackage[],
  options: MatchOptions = {},
): VulnerabilityMatch[] {
  const out: VulnerabilityMatch[] = [];
  for (const pkg of packages) {
    const scheme = versionSchemeFor(pkg.ecosystem);
    if (scheme === undefined) continue;
    for (const group of mergeHits(hitsFor(source, pkg))) {
      const m = buildMatch(pkg, group, scheme.compare);
      if (options.ignoreUnfixed === true && m.fixedVersions.length === 0) continue;
      const st =
        options.vex === undefined
          ? undefined
          : vexStatementFor(options.vex, m.ids, (p) => purlCovers(p, pkg.purl));
      if (st !== undefined) {
        m.vex = {
          status: st.status,
          source: st.source,
          ...(st.justification !== undefined ? { justification: st.justification } : {}),
          ...(st.detail !== undefined ? { detail: st.detail } : {}),
        };
        m.suppressed = st.status === 'not_affected';
      }
      out.push(m);
    }
  }
  return out.sort(
    (a, b) =>
      SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) ||
      (a.package.purl < b.package.purl ? -1 : a.package.purl > b.package.purl ? 1 : 0),
  );
}

/** In-memory {@link VulnSource} over a list of records, for tests and small embedded uses. */
export function memoryVulnSource(records: readonly OsvRecord[]): VulnSource {
  const index = new Map<string, OsvRecord[]>();
  for (const r of records) {
    for (const a of r.affected) {
      if (a.package === undefined) continue;
      const k = `${ecosystemKey(a.package.ecosystem)}\u0000${packageKey(a.package.ecosystem, a.package.name)}`;
      const list = index.get(k);
      if (list === undefined) index.set(k, [r]);
      else if (!list.includes(r)) list.push(r);
    }
  }
  return {
    recordsFor: (ecosystem, name) =>
      index.get(`${ecosystemKey(ecosystem)}\u0000${packageKey(ecosystem, name)}`) ?? [],
  };
}
