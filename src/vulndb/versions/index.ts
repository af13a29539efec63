/**
 * Version ordering per ecosystem: one pure comparator for each version scheme, and the map
 * from OSV ecosystem names (`Debian:12`, `Alpine:v3.19`, `PyPI`, …) to their scheme.
 */
import { compareApk } from './apk.js';
import { compareDpkg } from './dpkg.js';
import { compareMaven } from './maven.js';
import { comparePep440 } from './pep440.js';
import { compareRpm } from './rpm.js';
import { compareRubyGems } from './rubygems.js';
import { compareGo, compareNpm, compareSemverLike } from './semver-like.js';

export { compareApk, apkVersionMatches, isValidApkVersion } from './apk.js';
export { compareDpkg, isValidDpkgVersion } from './dpkg.js';
export { compareMaven } from './maven.js';
export { comparePep440, parsePep440 } from './pep440.js';
export { compareRpm, rpmvercmp } from './rpm.js';
export { compareRubyGems } from './rubygems.js';
export { compareGo, compareNpm, compareSemverLike } from './semver-like.js';

/** A version scheme: its name and its ordering (negative, zero or positive). */
export interface VersionScheme {
  name: 'dpkg' | 'apk' | 'rpm' | 'npm' | 'pep440' | 'go' | 'maven' | 'rubygems' | 'semver';
  compare: (a: string, b: string) => number;
}

const SCHEMES: Readonly<Record<VersionScheme['name'], VersionScheme>> = {
  dpkg: { name: 'dpkg', compare: compareDpkg },
  apk: { name: 'apk', compare: compareApk },
  rpm: { name: 'rpm', compare: compareRpm },
  npm: { name: 'npm', compare: compareNpm },
  pep440: { name: 'pep440', compare: comparePep440 },
  go: { name: 'go', compare: compareGo },
  maven: { name: 'maven', compare: compareMaven },
  rubygems: { name: 'rubygems', compare: compareRubyGems },
  semver: { name: 'semver', compare: compareSemverLike },
};

const BY_ECOSYSTEM: ReadonlyMap<string, VersionScheme['name']> = new Map([
  ['debian', 'dpkg'],
  ['ubuntu', 'dpkg'],
  ['alpine', 'apk'],
  ['wolfi', 'apk'],
  ['chainguard', 'apk'],
  ['alpaquita', 'apk'],
  ['red hat', 'rpm'],
  ['almalinux', 'rpm'],
  ['rocky linux', 'rpm'],
  ['suse', 'rpm'],
  ['opensuse', 'rpm'],
  ['mageia', 'rpm'],
  ['openeuler', 'rpm'],
  ['azure linux', 'rpm'],
  ['npm', 'npm'],
  ['pypi', 'pep440'],
  ['go', 'go'],
  ['maven', 'maven'],
  ['rubygems', 'rubygems'],
  ['crates.io', 'semver'],
]);

/** The base name of an OSV ecosystem, lower-cased, without its release (`Debian:12` → `debian`). */
export function ecosystemBase(ecosystem: string): string {
  const colon = ecosystem.indexOf(':');
  return (colon >= 0 ? ecosystem.slice(0, colon) : ecosystem).trim().toLowerCase();
}

/** The version scheme of an OSV ecosystem, or undefined when Palisade does not order its versions. */
export function versionSchemeFor(ecosystem: string): VersionScheme | undefined {
  const name = BY_ECOSYSTEM.get(ecosystemBase(ecosystem));
  return name === undefined ? undefined : SCHEMES[name];
}

/** The scheme OSV's `SEMVER` range type uses, whatever the ecosystem. */
export const SEMVER_SCHEME: VersionScheme = SCHEMES.semver;
