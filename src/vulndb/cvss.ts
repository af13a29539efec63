/**
 * CVSS base scores computed from vectors (ae-cvss-calculator), and the qualitative rating
 * scale FIRST defines for v3.x and v4.0 (0 none, 0.1-3.9 low, 4-6.9 medium, 7-8.9 high,
 * 9-10 critical). A vector that lacks a base metric or has an unknown value has no score.
 */
import cvssLib from 'ae-cvss-calculator';

/** A computed CVSS score. */
export interface CvssScore {
  version: '3.0' | '3.1' | '4.0';
  vector: string;
  baseScore: number;
  /** The OSV record whose severity carried the vector. */
  source: string;
}

interface ParsedVector {
  calculateScores(): { base?: unknown };
}

const V3_METRICS = ['AV', 'AC', 'PR', 'UI', 'S', 'C', 'I', 'A'];
const V4_METRICS = ['AV', 'AC', 'AT', 'PR', 'UI', 'VC', 'VI', 'VA', 'SC', 'SI', 'SA'];
const MAX_VECTOR = 300;

function hasMetrics(vector: string, names: readonly string[]): boolean {
  const present = new Set(
    vector
      .split('/')
      .slice(1)
      .map((part) => part.split(':')[0]),
  );
  return names.every((n) => present.has(n));
}

// Scoring a vector costs up to a millisecond (v4.0) and the same vectors recur across
// thousands of records: results are memoised, in a bounded map.
const MEMO_LIMIT = 50_000;
const memo = new Map<string, { version: CvssScore['version']; baseScore: number } | null>();

/** Computes the base score of a CVSS v3.0, v3.1 or v4.0 vector; undefined when it is not one. */
export function cvssBaseScore(vector: string, source: string): CvssScore | undefined {
  let known = memo.get(vector);
  if (known === undefined) {
    const computed = computeBaseScore(vector);
    known = computed === undefined ? null : { version: computed.version, baseScore: computed.baseScore };
    if (memo.size >= MEMO_LIMIT) memo.clear();
    memo.set(vector, known);
  }
  return known === null ? undefined : { ...known, vector: vector.trim(), source };
}

function computeBaseScore(vector: string): Omit<CvssScore, 'source'> | undefined {
  const v = vector.trim();
  if (v.length > MAX_VECTOR) return undefined;
  let version: CvssScore['version'];
  if (v.startsWith('CVSS:3.1/')) version = '3.1';
  else if (v.startsWith('CVSS:3.0/')) version = '3.0';
  else if (v.startsWith('CVSS:4.0/')) version = '4.0';
  else return undefined;
  if (!hasMetrics(v, version === '4.0' ? V4_METRICS : V3_METRICS)) return undefined;
  try {
    const parsed = (cvssLib.fromVector as (vector: string) => ParsedVector | null | undefined)(v);
    if (parsed === null || parsed === undefined) return undefined;
    const scores = parsed.calculateScores();
    const base = scores.base;
    if (typeof base !== 'number' || !Number.isFinite(base) || base < 0 || base > 10) return undefined;
    return { version, vector: v, baseScore: base };
  } catch {
    return undefined;
  }
}

/** Qualitative rating of a vulnerability, from most to least serious. */
export type VulnSeverity = 'critical' | 'high' | 'medium' | 'low' | 'negligible' | 'unknown';

/** Ratings from most to least serious. */
export const VULN_SEVERITIES: readonly VulnSeverity[] = [
  'critical',
  'high',
  'medium',
  'low',
  'negligible',
  'unknown',
];

/** FIRST's qualitative rating of a CVSS score. */
export function severityOfScore(score: number): VulnSeverity {
  if (score >= 9) return 'critical';
  if (score >= 7) return 'high';
  if (score >= 4) return 'medium';
  if (score > 0) return 'low';
  return 'negligible';
}

/**
 * Maps a rating word used by advisories and distros (GitHub's MODERATE, Debian's urgency
 * "not yet assigned", Ubuntu's priorities, Red Hat's Important) onto the scale.
 */
export function severityOfWord(word: string): VulnSeverity | undefined {
  let w = word.trim().toLowerCase();
  while (w.endsWith('*')) w = w.slice(0, -1);
  switch (w) {
    case 'critical':
      return 'critical';
    case 'high':
    case 'important':
      return 'high';
    case 'medium':
    case 'moderate':
      return 'medium';
    case 'low':
      return 'low';
    case 'negligible':
    case 'unimportant':
    case 'none':
      return 'negligible';
    default:
      return undefined;
  }
}
