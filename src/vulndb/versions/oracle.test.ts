/**
 * Agreement with the upstream version-comparison vectors in ../shared/oracles/version-compare
 * (osv-scalibr semantic fixtures, dpkg's Dpkg_Version.t, rpm's rpmvercmp.at, apk-tools'
 * version.data, node-semver's fixtures). Prints agreement per ecosystem; skips with a message
 * when the folder is absent.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  apkVersionMatches,
  compareApk,
  compareDpkg,
  compareGo,
  compareMaven,
  compareNpm,
  comparePep440,
  compareRpm,
  compareRubyGems,
  compareSemverLike,
  isValidApkVersion,
  isValidDpkgVersion,
  rpmvercmp,
} from './index.js';

const ORACLE = path.resolve(import.meta.dirname, '../../../../shared/oracles/version-compare');
const present = existsSync(ORACLE);

interface Assertion {
  source: string;
  text: string;
  holds: () => boolean;
}

const sign = (n: number): number => (n < 0 ? -1 : n > 0 ? 1 : 0);
const OPS: Record<string, number> = { '<': -1, '=': 0, '>': 1 };

function read(rel: string): string[] {
  return readFileSync(path.join(ORACLE, rel), 'utf8').split('\n');
}

/** osv-scalibr's "A OP B" files: both directions must hold. */
function scalibr(file: string, compare: (a: string, b: string) => number): Assertion[] {
  const out: Assertion[] = [];
  read(`osv-scalibr-semantic/${file}`).forEach((line, i) => {
    const t = line.trim();
    if (t === '' || t.startsWith('# ') || t.startsWith('//')) return;
    const parts = t.split(' ');
    if (parts.length !== 3) return;
    const [a = '', op = '', b = ''] = parts;
    const want = OPS[op];
    if (want === undefined) return;
    out.push({
      source: `${file}:${i + 1}`,
      text: t,
      holds: () => sign(compare(a, b)) === want && sign(compare(b, a)) === -want,
    });
  });
  return out;
}

function dpkgCases(): Assertion[] {
  const out: Assertion[] = [];
  read('dpkg/Dpkg_Version.t.DATA.txt').forEach((line, i) => {
    const parts = line.trim().split(/\s+/);
    if (parts.length !== 3) return;
    const [a = '', b = '', r = ''] = parts;
    out.push({
      source: `Dpkg_Version.t.DATA.txt:${i + 1}`,
      text: line,
      holds: () => sign(compareDpkg(a, b)) === Number(r) && sign(compareDpkg(b, a)) === -Number(r),
    });
  });
  read('dpkg/dpkg-version-validity.tsv').forEach((line, i) => {
    if (line.startsWith('#') || line === '') return;
    const [v = '', valid = ''] = line.split('\t');
    if (valid !== 'yes' && valid !== 'no') return;
    out.push({
      source: `dpkg-version-validity.tsv:${i + 1}`,
      text: line,
      holds: () => isValidDpkgVersion(v) === (valid === 'yes'),
    });
  });
  return out;
}

function rpmCases(): Assertion[] {
  const out: Assertion[] = [];
  read('rpm/rpmvercmp.tsv').forEach((line, i) => {
    if (line.startsWith('#') || line === '') return;
    const [a = '', b = '', r = ''] = line.split('\t');
    out.push({
      source: `rpmvercmp.tsv:${i + 1}`,
      text: line,
      holds: () => sign(rpmvercmp(a, b)) === Number(r),
    });
  });
  return out;
}

function apkCases(): Assertion[] {
  const out: Assertion[] = [];
  read('apk-tools/version.data').forEach((raw, i) => {
    const line = (raw.split('#')[0] ?? '').trim();
    if (line === '') return;
    const source = `version.data:${i + 1}`;
    const parts = line.split(/\s+/);
    if (parts.length === 1) {
      const v = parts[0] ?? '';
      const invalid = v.startsWith('!');
      const s = invalid ? v.slice(1) : v;
      out.push({ source, text: raw, holds: () => isValidApkVersion(s) === !invalid });
      return;
    }
    const [a = '', opRaw = '', b = ''] = parts;
    const negated = opRaw.startsWith('!');
    const op = negated ? opRaw.slice(1) : opRaw;
    out.push({ source, text: raw, holds: () => apkVersionMatches(a, op, b) === !negated });
  });
  return out;
}

interface SemverFixture {
  file: string;
  rows: unknown[][];
}

function nodeSemver(compare: (a: string, b: string) => number): Assertion[] {
  const out: Assertion[] = [];
  const files: SemverFixture[] = ['comparisons', 'equality'].map((f) => ({
    file: f,
    rows: JSON.parse(readFileSync(path.join(ORACLE, `node-semver/${f}.json`), 'utf8')) as unknown[][],
  }));
  for (const { file, rows } of files) {
    rows.forEach((row, i) => {
      const a = String(row[0]);
      const b = String(row[1]);
      const want = file === 'comparisons' ? 1 : 0;
      out.push({
        source: `node-semver/${file}.json[${i}]`,
        text: `${a} ${file === 'comparisons' ? '>' : '='} ${b}`,
        holds: () => sign(compare(a, b)) === want && sign(compare(b, a)) === -want,
      });
    });
  }
  return out;
}

const ECOSYSTEMS: Record<string, () => Assertion[]> = {
  'dpkg (Debian, Ubuntu)': () => [
    ...scalibr('debian-versions.txt', compareDpkg),
    ...scalibr('debian-versions-generated.txt', compareDpkg),
    ...dpkgCases(),
  ],
  'apk (Alpine)': () => [
    ...scalibr('alpine-versions.txt', compareApk),
    ...scalibr('alpine-versions-generated.txt', compareApk),
    ...apkCases(),
  ],
  'rpm (Red Hat, SUSE, …)': () => [...scalibr('redhat-versions.txt', compareRpm), ...rpmCases()],
  npm: () => [...scalibr('semver-versions.txt', compareNpm), ...nodeSemver(compareNpm)],
  'semver (crates.io, SEMVER ranges)': () => scalibr('semver-versions.txt', compareSemverLike),
  Go: () => scalibr('semver-versions.txt', compareGo),
  'PyPI (PEP 440)': () => [
    ...scalibr('pypi-versions.txt', comparePep440),
    ...scalibr('pypi-versions-generated.txt', comparePep440),
  ],
  Maven: () => [
    ...scalibr('maven-versions.txt', compareMaven),
    ...scalibr('maven-versions-generated.txt', compareMaven),
  ],
  RubyGems: () => [
    ...scalibr('rubygems-versions.txt', compareRubyGems),
    ...scalibr('rubygems-versions-generated.txt', compareRubyGems),
  ],
};

const summary: string[] = [];

describe.skipIf(!present)('version-compare oracle', () => {
  it.each(Object.keys(ECOSYSTEMS))('%s agrees with every upstream vector', (name) => {
    const cases = ECOSYSTEMS[name]?.() ?? [];
    const failed = cases.filter((c) => !c.holds());
    summary.push(`  ${name}: ${cases.length - failed.length}/${cases.length}`);
    expect(cases.length).toBeGreaterThan(0);
    expect(failed.slice(0, 15).map((c) => `${c.source}: ${c.text}`)).toEqual([]);
  });
  afterAll(() => {
    console.log(`version-compare oracle agreement per ecosystem:\n${summary.sort().join('\n')}`);
  });
});

describe.skipIf(present)('version-compare oracle (absent)', () => {
  it('is skipped: ../shared/oracles/version-compare not found', () => {
    console.log('version-compare oracle: ../shared/oracles/version-compare not found, skipped');
  });
});
