/**
 * Conformance with upstream pod-security-admission over its own fixtures
 * (../shared/oracles/pss/testdata/<level>/v1.<minor>/<pass|fail>/<check><N>.yaml): a pass
 * fixture yields no pss/ finding at its level and version; a fail fixture yields the check its
 * file name names (or the restricted check that overrides it there), with a message holding
 * upstream's expected error text (pss-checks.tsv). Every fixture counts; none is excluded.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { trimEndChars } from '../../core/index.js';
import { Inventory } from '../../core/index.js';
import { parseManifests } from '../../load/index.js';
import { evaluateControls } from '../engine.js';
import { PSS_CHECK_IDS, pssControls, type PssLevel } from './index.js';
import { PSS_CHECKS, resolveChecks } from './registry.js';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
const oracle = path.resolve(repoRoot, '../shared/oracles/pss');
const testdata = path.join(oracle, 'testdata');
const present = existsSync(testdata);

interface Fixture {
  file: string;
  level: PssLevel;
  minor: number;
  pass: boolean;
  /** Lower-cased check id from the file name (fail fixtures only). */
  prefix?: string;
}

function listFixtures(): Fixture[] {
  const out: Fixture[] = [];
  for (const level of ['baseline', 'restricted'] as const) {
    for (const dir of readdirSync(path.join(testdata, level))) {
      const m = /^v1\.(\d+)$/.exec(dir);
      if (!m?.[1]) continue;
      for (const kind of ['pass', 'fail'] as const) {
        const base = path.join(testdata, level, dir, kind);
        if (!existsSync(base)) continue;
        for (const name of readdirSync(base).sort()) {
          if (!name.endsWith('.yaml')) continue;
          const fixture: Fixture = {
            file: path.join(base, name),
            level,
            minor: Number(m[1]),
            pass: kind === 'pass',
          };
          if (kind === 'fail')
            fixture.prefix = name.endsWith('.yaml')
              ? trimEndChars(name.slice(0, -'.yaml'.length), '0123456789')
              : name;
          out.push(fixture);
        }
      }
    }
  }
  return out;
}

/** Expected error substrings by fixture prefix, from pss-checks.tsv (columns 5 and 6). */
function readExpectedSubstrings(): Map<string, string> {
  const out = new Map<string, string>();
  const tsv = path.join(oracle, 'pss-checks.tsv');
  if (!existsSync(tsv)) return out;
  for (const line of readFileSync(tsv, 'utf8').split('\n')) {
    if (line.startsWith('#') || line.startsWith('check_id\t') || line.trim() === '') continue;
    const cols = line.split('\t');
    if (cols[4] && cols[5]) out.set(cols[4], cols[5]);
  }
  return out;
}

/** The check that must report a fail fixture: its own, or the restricted check overriding it. */
function expectedCheck(prefix: string, level: PssLevel, minor: number): string | undefined {
  const own = PSS_CHECK_IDS.find((id) => id.toLowerCase() === prefix);
  if (own === undefined) return undefined;
  const active = resolveChecks(level, minor);
  if (active.some((a) => a.check.id === own)) return own;
  return active.find((a) => a.revision.overrides?.includes(own))?.check.id;
}

describe.skipIf(!present)('pss conformance with upstream fixtures', () => {
  it('agrees on every fixture', () => {
    const fixtures = listFixtures();
    const substrings = readExpectedSubstrings();
    const disagreements: string[] = [];
    let onlyExpected = 0;
    for (const f of fixtures) {
      const rel = path.relative(testdata, f.file);
      const parsed = parseManifests(readFileSync(f.file, 'utf8'), rel);
      const inventory = new Inventory();
      for (const r of parsed.resources) inventory.add(r);
      const { findings, errors } = evaluateControls(inventory, pssControls(f.level, `v1.${f.minor}`));
      const ids = [...new Set(findings.map((x) => x.controlId))];
      if (parsed.issues.length > 0 || parsed.resources.length !== 1 || errors.length > 0) {
        disagreements.push(`${rel}: not evaluated (${JSON.stringify({ issues: parsed.issues, errors })})`);
        continue;
      }
      if (f.pass) {
        if (ids.length > 0) disagreements.push(`${rel}: expected allowed, got ${ids.join(', ')}`);
        continue;
      }
      const want = expectedCheck(f.prefix ?? '', f.level, f.minor);
      const hit = findings.find((x) => x.controlId === `pss/${want ?? '?'}`);
      if (want === undefined || !hit) {
        disagreements.push(
          `${rel}: expected pss/${want ?? f.prefix ?? '?'}, got ${ids.join(', ') || 'nothing'}`,
        );
        continue;
      }
      const substring = substrings.get(f.prefix ?? '');
      if (substring !== undefined && !hit.message.includes(substring)) {
        disagreements.push(`${rel}: message "${hit.message}" lacks "${substring}"`);
        continue;
      }
      if (ids.length === 1) onlyExpected++;
    }
    const agree = fixtures.length - disagreements.length;
    const fails = fixtures.filter((f) => !f.pass).length;
    console.log(
      `pss conformance: ${agree}/${fixtures.length} agree (${fixtures.length - fails} pass, ${fails} fail fixtures; ${onlyExpected} fail fixtures report only the expected check)`,
    );
    expect(fixtures.length).toBeGreaterThan(0);
    expect(disagreements).toEqual([]);
  });
});

const registryTsv = path.join(oracle, 'pss-checks.tsv');

describe.skipIf(!existsSync(registryTsv))('pss check registry against the oracle', () => {
  it('declares the levels, revision versions and overrides upstream registers', () => {
    const rows = readFileSync(registryTsv, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('#') && !l.startsWith('check_id\t'))
      .map((l) => l.split('\t'));
    const upstream = rows.map(([id, level, versions, overrides]) => ({
      id,
      level,
      versions: (versions ?? '').split(',').map((v) => Number(v.replace(/^1\./, ''))),
      overrides: overrides === '-' || overrides === undefined ? [] : overrides.split(','),
    }));
    const ours = PSS_CHECKS.map((c) => ({
      id: c.id,
      level: c.level,
      versions: c.versions.map((v) => v.minVersion),
      overrides: [...new Set(c.versions.flatMap((v) => v.overrides ?? []))],
    }));
    const byId = (a: { id: string | undefined }, b: { id: string | undefined }): number =>
      (a.id ?? '') < (b.id ?? '') ? -1 : 1;
    expect(ours.sort(byId)).toEqual(upstream.sort(byId));
  });
});

describe.skipIf(present)('pss conformance (oracle absent)', () => {
  it('is skipped', () => {
    console.log(`pss conformance: skipped, no fixtures at ${testdata}`);
  });
});
