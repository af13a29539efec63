/**
 * Cross-checks Palisade's CIS 1.10 declarations against kube-bench's cfg/cis-1.10 (read at
 * run time from ../shared/oracles): same ids, titles, scored flags, types, multiple-values
 * setting, config fallback and test items. Prints the coverage of the benchmark's ids.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CIS_1_10 } from './cis-1.10/index.js';
import {
  ORACLE_DIR,
  oraclePresent,
  readControls,
  toTests,
  type RawCheck,
} from './testdata/kube-bench-oracle.js';
import type { CisCheck, TestItem, Tests } from './types.js';

const present = oraclePresent();
if (!present) console.log(`CIS 1.10 cross-check skipped: ${ORACLE_DIR} is absent`);

const FILES = ['master.yaml', 'etcd.yaml', 'controlplane.yaml', 'node.yaml', 'policies.yaml'];
const oracle = new Map<string, { check: RawCheck; section: string; group: string }>();
if (present) {
  for (const f of FILES) {
    const controls = readControls(`cfg/cis-1.10/${f}`);
    for (const g of controls.groups)
      for (const c of g.checks)
        oracle.set(String(c.id), { check: c, section: controls.type, group: String(g.id) });
  }
}

function normalizeItem(t: TestItem): TestItem {
  return {
    flag: t.flag ?? '',
    path: t.path ?? '',
    env: t.env ?? '',
    set: t.set ?? true,
    compare: { op: t.compare?.op ?? '', value: t.compare?.value ?? '' },
  };
}

function normalizeTests(t: Tests | undefined): unknown {
  if (!t) return undefined;
  return { binOp: t.binOp ?? '', items: t.items.map(normalizeItem) };
}

function shape(c: CisCheck): unknown {
  return {
    text: c.text,
    type: c.type ?? '',
    scored: c.scored,
    multipleValues: c.multipleValues ?? false,
    config: c.audit?.kind === 'flags' && c.audit.config === true,
    tests: normalizeTests(c.tests),
  };
}

function oracleShape(c: RawCheck): unknown {
  return {
    text: (c.text ?? '').replace(/\s+/g, ' ').trim(),
    type: c.type ?? '',
    scored: c.scored ?? false,
    multipleValues: c.use_multiple_values ?? false,
    config: (c.audit_config ?? '') !== '',
    tests: c.type === 'manual' ? undefined : normalizeTests(toTests(c.tests)),
  };
}

describe.skipIf(!present)('CIS 1.10 declarations agree with kube-bench cfg/cis-1.10', () => {
  const declared = new Set(CIS_1_10.checks.map((c) => c.id));

  afterAll(() => {
    const missing = [...oracle.keys()].filter((id) => !declared.has(id));
    const inScope = [...oracle.values()].filter((o) => o.section !== 'policies').length;
    console.log(
      `CIS 1.10 coverage: ${declared.size}/${oracle.size} benchmark ids declared (${inScope} in sections 1-4); not covered: ${missing.join(', ') || 'none'}`,
    );
  });

  it.each(CIS_1_10.checks.map((c) => [c.id, c] as const))('%s', (id, c) => {
    const o = oracle.get(id);
    expect(o, `kube-bench has no check ${id}`).toBeDefined();
    if (!o) return;
    expect(shape(c)).toEqual(oracleShape(o.check));
    expect(c.section).toBe(o.section);
    expect(c.group.id).toBe(o.group);
  });

  it('declares every check of sections 1 to 4', () => {
    const missing = [...oracle.entries()].filter(([id, o]) => o.section !== 'policies' && !declared.has(id));
    expect(missing.map(([id]) => id)).toEqual([]);
  });

  it('declares each id once', () => {
    expect(declared.size).toBe(CIS_1_10.checks.length);
  });
});
