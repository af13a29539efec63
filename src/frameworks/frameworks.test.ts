import { describe, expect, it } from 'vitest';
import type { CatalogEntry, Finding, Resource, Severity } from '../core/index.js';
import { CATALOG } from '../controls/index.js';
import { pssControls } from '../controls/pss/index.js';
import {
  FRAMEWORKS,
  MITRE_TECHNIQUES,
  SEVERITY_WEIGHTS,
  applicableControls,
  scoreFrameworks,
  selectFrameworks,
} from './index.js';

function control(
  id: string,
  severity: Severity,
  frameworks: string[],
  appliesTo: CatalogEntry['appliesTo'] = { podTemplate: true },
): CatalogEntry {
  return {
    id,
    title: id,
    severity,
    category: 'test',
    appliesTo,
    rationale: 'r',
    remediation: 'f',
    frameworks: frameworks.map((f) => ({ id: f, control: 'x' })),
    check: () => [],
  };
}

const a = control('t/a', 'critical', ['cis-1.10', 'mitre-attack']);
const b = control('t/b', 'high', ['cis-1.10']);
const c = control('t/c', 'low', ['nsa-cisa-1.2']);
const unmapped = control('t/d', 'medium', []);
const hygiene = control('t/e', 'low', ['best-practices']);
const catalog = [a, b, c, unmapped, hygiene];

// The real Pod Security Standards module: restricted at v1.29 has 14 checks, its
// capabilities and seccomp checks replacing the baseline ones.
const PSS_BASELINE = pssControls('baseline', 'latest').map((x) => x.id);
const PSS_RESTRICTED_129 = pssControls('restricted', 'v1.29').map((x) => x.id);

describe('selectFrameworks', () => {
  it('sees the real Pod Security Standards checks', () => {
    expect(PSS_BASELINE).toContain('pss/privileged');
    expect(PSS_RESTRICTED_129).toContain('pss/runAsNonRoot');
    expect(PSS_RESTRICTED_129).not.toContain('pss/capabilities_baseline');
  });

  it.each<[string[], string[], string[]]>([
    [[], ['t/a', 't/b', 't/c', 't/d'], ['cis-1.10', 'nsa-cisa-1.2', 'mitre-attack']],
    [['default'], ['t/a', 't/b', 't/c', 't/d'], ['cis-1.10', 'nsa-cisa-1.2', 'mitre-attack']],
    [
      ['all'],
      ['t/a', 't/b', 't/c', 't/d', 't/e'],
      ['cis-1.10', 'nsa-cisa-1.2', 'mitre-attack', 'best-practices'],
    ],
    [['best-practices'], ['t/e'], ['best-practices']],
    [
      ['default', 'best-practices'],
      ['t/a', 't/b', 't/c', 't/d', 't/e'],
      ['cis-1.10', 'nsa-cisa-1.2', 'mitre-attack', 'best-practices'],
    ],
    [['cis'], ['t/a', 't/b'], ['cis-1.10']],
    [['nsa,mitre'], ['t/c', 't/a'], ['nsa-cisa-1.2', 'mitre-attack']],
    [
      ['cis', 'mitre'],
      ['t/a', 't/b'],
      ['cis-1.10', 'mitre-attack'],
    ],
    [['CIS-1.10'], ['t/a', 't/b'], ['cis-1.10']],
    [['none'], [], []],
    [['pss:baseline'], PSS_BASELINE, ['pss:baseline@latest']],
    [
      ['pss:restricted@v1.29', 'cis'],
      [...PSS_RESTRICTED_129, 't/a', 't/b'],
      ['pss:restricted@v1.29', 'cis-1.10'],
    ],
  ])('%j selects %j scored as %j', (values, ids, frameworks) => {
    const sel = selectFrameworks(values, catalog);
    if (!sel.ok) throw new Error(sel.error);
    expect(sel.value.controls.map((x) => x.id)).toEqual(ids);
    expect(sel.value.sets.map((s) => s.framework)).toEqual(frameworks);
  });

  it.each([
    [['bogus'], 'unknown framework "bogus"'],
    [['none', 'cis'], 'cannot be combined'],
    [['pss:privileged'], 'invalid Pod Security framework'],
    [[','], 'needs a value'],
  ])('%j is a usage error', (values, message) => {
    const sel = selectFrameworks(values, catalog);
    expect(sel.ok).toBe(false);
    if (!sel.ok) expect(sel.error).toContain(message);
  });

  it('maps every built-in control to at least one framework, and every CIS control to a recommendation id', () => {
    const ids = new Set(FRAMEWORKS.map((f) => f.id));
    for (const entry of CATALOG) {
      expect(
        entry.frameworks.some((f) => ids.has(f.id)),
        entry.id,
      ).toBe(true);
      for (const f of entry.frameworks) {
        expect(ids.has(f.id), `${entry.id} maps to unknown ${f.id}`).toBe(true);
        if (f.id === 'cis-1.10') expect(f.control).toMatch(/^[1-5]\.\d+\.\d+$/);
        if (f.id === 'mitre-attack') {
          expect(f.control).toMatch(/^T\d{4}(\.\d{3})?$/);
          expect(MITRE_TECHNIQUES[f.control], `${entry.id}: unknown technique ${f.control}`).toBeDefined();
        }
      }
    }
  });

  it('maps every security control to an NSA/CISA section, and hygiene to best-practices only', () => {
    const security = CATALOG.filter((x) => !x.frameworks.some((f) => f.id === 'best-practices'));
    expect(
      security.filter((x) => !x.frameworks.some((f) => f.id === 'nsa-cisa-1.2')).map((x) => x.id),
    ).toEqual([]);
    const hygiene = CATALOG.filter((x) => x.frameworks.some((f) => f.id === 'best-practices'));
    expect(hygiene.map((x) => x.id).sort()).toEqual([
      'workload/liveness-probe',
      'workload/readiness-probe',
      'workload/resource-requests',
    ]);
    expect(hygiene.flatMap((x) => x.frameworks.filter((f) => f.id !== 'best-practices'))).toEqual([]);
  });

  // Issue #20: the MITRE score equalled NSA/CISA's because both mapped the same control set.
  it('maps MITRE to a different control set than NSA/CISA, scored per tactic', () => {
    const sel = selectFrameworks([]);
    if (!sel.ok) throw new Error(sel.error);
    const ids = (fw: string): string[] =>
      (sel.value.sets.find((x) => x.framework === fw)?.controls ?? []).map((x) => x.id);
    expect(ids('mitre-attack')).not.toEqual(ids('nsa-cisa-1.2'));
    const mitre = sel.value.sets.find((x) => x.framework === 'mitre-attack');
    expect(mitre?.groupsOf?.(CATALOG.find((x) => x.id === 'workload/no-privileged') ?? a)).toEqual([
      'Privilege Escalation',
    ]);
  });

  it('has unique control ids', () => {
    expect(new Set(CATALOG.map((x) => x.id)).size).toBe(CATALOG.length);
  });
});

function finding(controlId: string, suppressed = false): Finding {
  return {
    controlId,
    title: 't',
    severity: 'high',
    message: 'm',
    resource: { apiVersion: 'v1', kind: 'Pod', name: 'p' },
    remediation: 'r',
    frameworks: [],
    ...(suppressed ? { suppressed: { kind: 'exception' as const, reason: 'accepted' } } : {}),
  };
}

describe('scoreFrameworks', () => {
  const sets = [
    { framework: 'cis-1.10', controls: [a, b] },
    { framework: 'nsa-cisa-1.2', controls: [c] },
  ];
  const all = new Set(['t/a', 't/b', 't/c']);

  it.each<
    [
      string,
      Finding[],
      ReadonlySet<string>,
      { score: number; passed: number; failed: number; applicable: number }[],
    ]
  >([
    [
      'no findings',
      [],
      all,
      [
        { score: 100, passed: 2, failed: 0, applicable: 2 },
        { score: 100, passed: 1, failed: 0, applicable: 1 },
      ],
    ],
    // critical (10) failed, high (6) passed: 6 / 16 = 37.5 %
    [
      'critical fails',
      [finding('t/a'), finding('t/a')],
      all,
      [
        { score: 37.5, passed: 1, failed: 1, applicable: 2 },
        { score: 100, passed: 1, failed: 0, applicable: 1 },
      ],
    ],
    // high (6) failed, critical (10) passed: 10 / 16 = 62.5 %
    [
      'high fails',
      [finding('t/b')],
      all,
      [
        { score: 62.5, passed: 1, failed: 1, applicable: 2 },
        { score: 100, passed: 1, failed: 0, applicable: 1 },
      ],
    ],
    [
      'a suppressed finding does not fail its control',
      [finding('t/a', true)],
      all,
      [
        { score: 100, passed: 2, failed: 0, applicable: 2 },
        { score: 100, passed: 1, failed: 0, applicable: 1 },
      ],
    ],
    [
      'not applicable controls are left out',
      [finding('t/c')],
      new Set(['t/c']),
      [
        { score: 100, passed: 0, failed: 0, applicable: 0 },
        { score: 0, passed: 0, failed: 1, applicable: 1 },
      ],
    ],
  ])('%s', (_name, findings, applicable, expected) => {
    const scores = scoreFrameworks(sets, findings, applicable);
    expect(
      scores.map(({ score, passed, failed, applicable: n }) => ({ score, passed, failed, applicable: n })),
    ).toEqual(expected);
  });

  it('scores a grouped set per group, and the set as the mean of its groups', () => {
    const x = control('t/x', 'critical', ['mitre-attack']);
    const y = control('t/y', 'high', ['mitre-attack']);
    const z = control('t/z', 'low', ['mitre-attack']);
    const groups: Record<string, string[]> = {
      't/x': ['Execution'],
      't/y': ['Execution', 'Impact'],
      't/z': ['Impact'],
    };
    const set = {
      framework: 'mitre-attack',
      controls: [x, y, z],
      groupsOf: (e: CatalogEntry) => groups[e.id] ?? [],
      groupOrder: ['Initial Access', 'Execution', 'Impact'],
    };
    // Execution: x (10) passed, y (6) failed → 62.5; Impact: y (6) failed, z (1) passed → 14.3.
    const [score] = scoreFrameworks([set], [finding('t/y')], new Set(['t/x', 't/y', 't/z']));
    expect(score?.groups).toEqual([
      { name: 'Initial Access', score: 100, passed: 0, failed: 0, applicable: 0 },
      { name: 'Execution', score: 62.5, passed: 1, failed: 1, applicable: 2 },
      { name: 'Impact', score: 14.3, passed: 1, failed: 1, applicable: 2 },
    ]);
    expect(score?.score).toBe(38.4);
    // The same findings scored without groups: 11 / 17.
    expect(
      scoreFrameworks(
        [{ framework: 'flat', controls: set.controls }],
        [finding('t/y')],
        new Set(['t/x', 't/y', 't/z']),
      )[0]?.score,
    ).toBe(64.7);
  });

  it('leaves a control that could not judge (info findings only) out of the score', () => {
    const info = { ...finding('t/a'), severity: 'info' as const };
    expect(scoreFrameworks(sets, [info], all)[0]).toMatchObject({
      score: 100,
      passed: 1,
      failed: 0,
      applicable: 1,
    });
  });

  it('lists failed controls and weighs by severity', () => {
    expect(SEVERITY_WEIGHTS).toEqual({ critical: 10, high: 6, medium: 3, low: 1, info: 0 });
    expect(scoreFrameworks(sets, [finding('t/b')], all)[0]?.failedControls).toEqual(['t/b']);
  });
});

describe('applicableControls', () => {
  const res = (kind: string, object: Record<string, unknown> = {}): Resource => ({
    object: { apiVersion: 'v1', kind, metadata: { name: 'x' }, ...object },
    ref: { apiVersion: 'v1', kind, name: 'x' },
  });
  const svc = control('t/svc', 'medium', [], { kinds: ['Service'] });
  const inv = control('t/inv', 'medium', [], { inventory: true });

  it.each<[string, Resource[], string[]]>([
    ['nothing', [], ['t/inv']],
    ['a pod', [res('Pod', { spec: { containers: [] } })], ['t/a', 't/inv']],
    ['a Deployment without a template', [res('Deployment')], ['t/inv']],
    ['a Service', [res('Service')], ['t/svc', 't/inv']],
  ])('%s', (_name, resources, ids) => {
    expect([...applicableControls(resources, [a, svc, inv])]).toEqual(ids);
  });
});
