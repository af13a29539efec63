import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CATALOG } from '../controls/index.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CFG = path.resolve(ROOT, '../shared/oracles/cis-kube-bench/cfg/cis-1.10');
const POLICIES = path.join(CFG, 'policies.yaml');
/** Every section: policies (5.x) and, for the authentication controls, master, control plane and node. */
const SECTIONS = ['master.yaml', 'controlplane.yaml', 'node.yaml', 'policies.yaml'];

interface KubeBenchPolicies {
  groups: { id: string; checks?: { id: string; text: string }[] }[];
}

describe.skipIf(!existsSync(POLICIES))('CIS Kubernetes Benchmark v1.10 ids (kube-bench cfg/cis-1.10)', () => {
  it('every CIS id a control maps to is a v1.10 recommendation', () => {
    const known = new Map<string, string>();
    for (const section of SECTIONS) {
      const doc = parse(readFileSync(path.join(CFG, section), 'utf8')) as KubeBenchPolicies;
      for (const g of doc.groups) for (const c of g.checks ?? []) known.set(c.id, c.text);
    }
    const used = CATALOG.flatMap((c) =>
      c.frameworks.filter((f) => f.id === 'cis-1.10').map((f) => ({ control: c.id, cis: f.control })),
    );
    const unknown = used.filter((u) => !known.has(u.cis));
    console.log(
      `CIS v1.10: ${used.length} mappings over ${new Set(used.map((u) => u.cis)).size} of ${known.size} recommendations, ${unknown.length} unknown`,
    );
    expect(unknown).toEqual([]);
  });
});

if (!existsSync(POLICIES)) console.log(`skipping CIS id check: ${POLICIES} is absent`);
