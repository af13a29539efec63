/**
 * Semantic versions as OSV's SEMVER ranges and the npm, crates.io and Go ecosystems use them,
 * read leniently: an optional `v`, any number of numeric components (missing ones are 0,
 * numbers of any size), a pre-release after the first other character, build metadata
 * (`+…`) ignored. Pre-release identifiers follow semver.org precedence.
 */
import { compareDigits, compareStrings, isDigitCode } from './digits.js';

interface SemverLike {
  components: string[];
  prerelease: string;
}

/** Reads a semantic version leniently; components beyond `maxComponents` join the pre-release. */
export function parseSemverLike(text: string, maxComponents = 3): SemverLike {
  let s = text.trim();
  const plus = s.indexOf('+');
  if (plus >= 0) s = s.slice(0, plus);
  if (s.startsWith('v') || s.startsWith('V')) s = s.slice(1);
  const components: string[] = [];
  let i = 0;
  let current = '';
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (isDigitCode(c)) {
      current += s.charAt(i);
      continue;
    }
    if (current !== '') {
      components.push(current);
      current = '';
    }
    if (c === 46) continue; // '.'
    break;
  }
  if (current !== '') components.push(current);
  let prerelease = s.slice(i);
  if (components.length > maxComponents) {
    const extra = components.splice(maxComponents);
    prerelease = `${extra.join('.')}${prerelease}`;
  }
  if (prerelease.startsWith('-')) prerelease = prerelease.slice(1);
  return { components, prerelease };
}

function isNumeric(id: string): boolean {
  if (id === '') return false;
  for (let i = 0; i < id.length; i++) if (!isDigitCode(id.charCodeAt(i))) return false;
  return true;
}

/** Orders two pre-release strings by semver.org rules (empty = a release, which sorts last). */
export function comparePrerelease(a: string, b: string): number {
  if (a === b) return 0;
  if (a === '') return 1;
  if (b === '') return -1;
  const pa = a.split('.');
  const pb = b.split('.');
  const n = Math.min(pa.length, pb.length);
  for (let k = 0; k < n; k++) {
    const x = pa[k] ?? '';
    const y = pb[k] ?? '';
    const nx = isNumeric(x);
    const ny = isNumeric(y);
    let r: number;
    if (nx && ny) r = compareDigits(x, y);
    else if (nx) r = -1;
    else if (ny) r = 1;
    else r = compareStrings(x, y);
    if (r !== 0) return r;
  }
  return pa.length === pb.length ? 0 : pa.length < pb.length ? -1 : 1;
}

/** Orders two semantic versions read leniently. */
export function compareSemverLike(a: string, b: string): number {
  const va = parseSemverLike(a);
  const vb = parseSemverLike(b);
  const n = Math.max(va.components.length, vb.components.length);
  for (let k = 0; k < n; k++) {
    const r = compareDigits(va.components[k] ?? '0', vb.components[k] ?? '0');
    if (r !== 0) return r;
  }
  return comparePrerelease(va.prerelease, vb.prerelease);
}

/** Orders two npm versions, accepting npm's loose prefixes (`=`, `v`, blanks). */
export function compareNpm(a: string, b: string): number {
  return compareSemverLike(stripLoose(a), stripLoose(b));
}

function stripLoose(v: string): string {
  let s = v.trim();
  if (s.startsWith('=')) s = s.slice(1).trimStart();
  if (s.startsWith('v') || s.startsWith('V')) s = s.slice(1).trimStart();
  return s;
}

/**
 * Orders two Go module versions (`v1.2.3`, pseudo-versions, `+incompatible`) and Go toolchain
 * versions (`go1.21.0`, `1.21rc2`), the latter mapped onto semantic versions first.
 */
export function compareGo(a: string, b: string): number {
  return compareSemverLike(goToSemver(a), goToSemver(b));
}

function goToSemver(v: string): string {
  let s = v.trim();
  if (s.startsWith('go')) s = s.slice(2);
  const m = /^(\d+(?:\.\d+){0,2})(rc|beta|alpha)(\d+)$/.exec(s);
  if (m !== null) return `${m[1] ?? ''}-${m[2] ?? ''}.${m[3] ?? ''}`;
  return s;
}
