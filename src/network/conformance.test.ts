/**
 * Conformance against np-guard's connlist outputs (shared/oracles/networkpolicy/np-guard).
 * A case is core when every object in its folder is a core Kubernetes kind this analysis
 * models (Ingress included, as np-guard's `{ingress-controller}` lines); other cases
 * (AdminNetworkPolicy, UDN, multi-network, OpenShift Route, …) are
 * skipped and counted. For each core case the workload-level set of `src => dst : conns`
 * lines must equal the expected set exactly.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeInventory, connList, ingressControllerLines, parseConnListText } from './index.js';
import { loadFixtureDir } from './testing-load.js';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const ORACLE = path.resolve(repoRoot, '../shared/oracles/networkpolicy/np-guard');

/** Kinds that core cases may contain: modelled ones plus kinds with no effect on reachability. */
const CORE_KINDS = new Set([
  'Pod',
  'Deployment',
  'ReplicaSet',
  'StatefulSet',
  'DaemonSet',
  'Job',
  'CronJob',
  'ReplicationController',
  'Namespace',
  'NetworkPolicy',
  'Service',
  'ConfigMap',
  'ServiceAccount',
  'Secret',
  'Ingress',
]);

interface Case {
  name: string;
  dir: string;
  expected: string;
}

function listCases(): Case[] {
  if (!existsSync(ORACLE)) return [];
  const outputs = path.join(ORACLE, 'test_outputs/connlist');
  return readdirSync(path.join(ORACLE, 'tests'))
    .sort()
    .map((name) => ({
      name,
      dir: path.join(ORACLE, 'tests', name),
      expected: path.join(outputs, `${name}_connlist_output.txt`),
    }))
    .filter((c) => existsSync(c.expected));
}

const cases = listCases();
const counts = { passed: 0, failed: 0, skipped: 0 };
const skippedWhy: string[] = [];

function run(c: Case): { skip?: string; expected?: Set<string>; actual?: Set<string> } {
  const loaded = loadFixtureDir(c.dir);
  const kinds = new Set(loaded.inventory.resources.map((r) => r.object.kind));
  const foreign = [...kinds].filter((k) => !CORE_KINDS.has(k));
  if (foreign.length > 0) return { skip: `uses ${foreign.sort().join(', ')}` };
  if (loaded.issues.length > 0) return { skip: `input errors: ${loaded.issues[0]?.message ?? ''}` };
  const { analysis, issues } = analyzeInventory(loaded.inventory);
  if (issues.length > 0) return { skip: `policy issues: ${issues[0]?.message ?? ''}` };
  const expected = parseConnListText(readFileSync(c.expected, 'utf8'));
  const actual = [...connList(analysis), ...ingressControllerLines(analysis, loaded.inventory.resources)];
  return {
    expected: new Set(expected.lines.map((l) => `${l.src} => ${l.dst} : ${l.conn.key}`)),
    actual: new Set(actual.map((l) => `${l.src} => ${l.dst} : ${l.conn.key}`)),
  };
}

describe.skipIf(cases.length === 0)('np-guard connlist conformance', () => {
  afterAll(() => {
    console.log(
      `np-guard conformance: passed=${counts.passed} failed=${counts.failed} skipped=${counts.skipped}` +
        (skippedWhy.length > 0 ? `\n  skipped: ${skippedWhy.join('\n  skipped: ')}` : ''),
    );
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const r = run(c);
    if (r.skip !== undefined) {
      counts.skipped++;
      skippedWhy.push(`${c.name} (${r.skip})`);
      return;
    }
    const missing = [...(r.expected ?? [])].filter((l) => !r.actual?.has(l));
    const extra = [...(r.actual ?? [])].filter((l) => !r.expected?.has(l));
    if (missing.length === 0 && extra.length === 0) counts.passed++;
    else counts.failed++;
    expect({ missing: missing.slice(0, 20), extra: extra.slice(0, 20) }).toEqual({ missing: [], extra: [] });
  });
});

describe.skipIf(cases.length > 0)('np-guard connlist conformance (oracle absent)', () => {
  it('is skipped', () => {
    console.log(`np-guard conformance skipped: ${ORACLE} not found`);
  });
});
