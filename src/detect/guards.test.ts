import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate } from '../../bench/detect.js';
import { AnomalyModel } from './anomaly.js';
import {
  celVariables,
  createDetector,
  EMPTY_SETTINGS,
  evaluateCondition,
  prefilter,
  type Alert,
  type DetectSettings,
} from './detector.js';
import type { DetectEvent } from './event.js';
import { conjuncts, guardOf, guardsOf } from './guards.js';
import { builtinRules } from './load.js';
import { normalizeRecord } from './normalize-runtime.js';
import { compileRule, RULE_VARIABLES } from './rule.js';
import { toCelValue } from '../policy/index.js';
import { IntelIndex, parseFeed } from './intel.js';

/** A few indicators the generated stream hits (its exec sources, its flows' destinations). */
function feed(): IntelIndex {
  const index = new IntelIndex();
  for (const i of parseFeed('test', '198.51.100.0/26\n198.51.100.200\n203.0.113.0/24\n').indicators)
    index.add(i);
  return index;
}

function event(raw: Record<string, unknown>): DetectEvent {
  const n = normalizeRecord(raw, 'x');
  if (!n.ok || !n.value) throw new Error('not an event');
  return n.value;
}

const auditEvent = (over: Record<string, unknown> = {}): DetectEvent =>
  event({
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    verb: 'get',
    user: { username: 'alice@example.com', groups: ['system:authenticated'] },
    sourceIPs: ['10.0.0.1'],
    objectRef: { resource: 'secrets', namespace: 'shop', name: 's' },
    responseStatus: { code: 200 },
    ...over,
  });

describe('conjuncts', () => {
  it.each([
    ['a && b', ['a', 'b']],
    ['a && (b && c)', ['a', 'b', 'c']],
    ["x == 'a && b' && y", ["x == 'a && b'", 'y']],
    ['(a || b) && c', ['(a || b)', 'c']],
    ['!(a && b) && c', ['!(a && b)', 'c']],
    ["object.?type.orValue('') == 'x' && y", ["object.?type.orValue('') == 'x'", 'y']],
    ['f(a && b)', ['f(a && b)']],
  ])('%s', (expr, want) => {
    expect(conjuncts(expr)).toEqual(want);
  });

  it.each([
    ['a && b || c'],
    ['a || b'],
    ['a ? b : c && d'],
    ["x == 'it\\'s' && y"],
    ["x == '''a''' && y"],
    ['a && // comment\n b'],
    ['(a && b'],
    ['a) && (b'],
    ['a && && b'],
  ])('gives up on %s', (expr) => {
    expect(conjuncts(expr)).toBeUndefined();
  });
});

describe('guards', () => {
  const ev = auditEvent();
  it.each([
    // conjunct, holds on the event (get secrets shop/s by alice, 200, private IP)
    ['action.code < 400', true],
    ['action.code >= 400', false],
    ['action.code == 200', true],
    ['action.code != 200', false],
    ['action.code in [401, 403]', false],
    ['!(action.code in [401, 403])', true],
    ["actor.kind == 'human'", true],
    ["actor.kind != 'human'", false],
    ["actor.kind in ['system', 'node']", false],
    ["!(actor.kind in ['system', 'node'])", true],
    ["target.namespace == 'kube-system'", false],
    ["target.namespace != ''", true],
    ["actor.impersonator != ''", false],
    ['actor.publicSource', false],
    ['!actor.publicSource', true],
    ['settings.approvedRegistries.size() > 0', false],
    ['[]', undefined],
  ] as const)('%s', (conjunct, holds) => {
    const g = guardOf(conjunct);
    if (holds === undefined) expect(g).toBeUndefined();
    else expect(g?.test(ev, EMPTY_SETTINGS)).toBe(holds);
  });

  it.each([
    // shapes that give no guard: unknown fields, type mismatches, string ordering, lists of
    // mixed or odd literals, escapes, whole-event paths, uints and doubles, trailing operators
    ["action.code == '200'"],
    ['target.namespace == 1'],
    ["target.namespace < 'b'"],
    ['actor.groups == 1'],
    ['actor.bogus == 1'],
    ["action.code in [401, '403']"],
    ["target.name in ['a,b']"],
    ['event.action.code < 400'],
    ['action.code < 400u'],
    ['action.code < 400.0'],
    ['action.code < 400 == true'],
    ["actor.kind in ['a'] == false"],
    ['actor.publicSource == true'],
    ['actor.user'],
  ])('no guard from %s', (conjunct) => {
    expect(guardOf(conjunct)).toBeUndefined();
  });

  it('lets an event through when a field does not have the type it expects (CEL decides)', () => {
    const odd = auditEvent();
    (odd.action as { code: unknown }).code = 200.5;
    expect(guardOf('action.code > 400')?.test(odd, EMPTY_SETTINGS)).toBe(true);
    expect(guardOf('settings.approvedRegistries.size() > 0')?.test(odd, {})).toBe(true);
  });

  it('derives guards from the built-in rules (most have some)', () => {
    const rules = builtinRules();
    const guarded = rules.filter((r) => r.guards.length > 0).length;
    expect(guarded).toBeGreaterThan(rules.length / 2);
    expect(
      guardsOf("action.code < 400 && actor.impersonator != '' && x.exists(a, a)").map((g) => g.source),
    ).toEqual(['action.code < 400', "actor.impersonator != ''"]);
  });

  it('skips a rule whose guard fails, and only then', () => {
    const c = compileRule(
      {
        id: 'r',
        title: 'r',
        severity: 'low',
        condition: "actor.impersonator != '' && action.code < 400",
        message: 'm',
      },
      't',
      0,
    );
    if (!c.ok) throw new Error(c.error.message);
    expect(prefilter(c.value, auditEvent())).toBe(false);
    expect(prefilter(c.value, auditEvent(), EMPTY_SETTINGS, false)).toBe(true);
    expect(prefilter(c.value, auditEvent({ impersonatedUser: { username: 'bob' } }))).toBe(true);
  });
});

const ORACLE = path.resolve(
  import.meta.dirname,
  '../../../shared/oracles/audit-logs/panther-k8s-rules/tests-flattened.jsonl',
);

/** Raw records: the bench's generated stream, every built-in rule's own test events, the oracle's events when present. */
function records(): unknown[] {
  const out: unknown[] = generate(8_000).map((l) => JSON.parse(l) as unknown);
  for (const r of builtinRules()) for (const t of r.spec.tests) out.push(t.event);
  if (existsSync(ORACLE))
    for (const l of readFileSync(ORACLE, 'utf8').split('\n'))
      if (l.trim() !== '') out.push((JSON.parse(l) as { log: unknown }).log);
  return out;
}

describe('the prefilter never skips a rule that would have fired', () => {
  const raws = records();
  const settingsCases: [string, DetectSettings][] = [
    ['empty settings', EMPTY_SETTINGS],
    [
      'approved registries and trusted subjects',
      {
        approvedRegistries: ['registry.example.com'],
        trustedSubjects: ['ci-deployer'],
        trustedNetworks: ['198.51.100.0/24'],
      },
    ],
  ];

  it.each(settingsCases)('rule by rule (%s)', (_name, settings) => {
    const rules = builtinRules();
    const intel = feed();
    let skipped = 0;
    let fired = 0;
    const wrong: string[] = [];
    raws.forEach((raw, i) => {
      const n = normalizeRecord(raw, `r${i}`);
      if (!n.ok || !n.value) return;
      const ev = n.value;
      ev.intel = intel.matchEvent(ev);
      const vars = celVariables(ev, settings);
      for (const rule of rules) {
        if (!prefilter(rule, ev, settings, false)) continue;
        const full = evaluateCondition(rule, vars);
        if (full === true) fired++;
        if (prefilter(rule, ev, settings, true)) continue;
        skipped++;
        if (full !== false) wrong.push(`${rule.spec.id} on record ${i}: CEL says ${String(full)}`);
      }
    });
    expect(wrong.slice(0, 10)).toEqual([]);
    // The guards do skip work, and the stream does make rules fire.
    expect(skipped).toBeGreaterThan(raws.length);
    expect(fired).toBeGreaterThan(100);
  });

  it('the lazily converted CEL variables equal the whole event converted', () => {
    const intel = feed();
    let n = 0;
    raws.forEach((raw, i) => {
      const r = normalizeRecord(raw, `r${i}`);
      if (!r.ok || !r.value) return;
      const ev = r.value;
      ev.intel = intel.matchEvent(ev);
      const whole = toCelValue(ev) as Record<string, unknown>;
      const vars = celVariables(ev, EMPTY_SETTINGS);
      for (const name of RULE_VARIABLES)
        if (name !== 'event' && name !== 'settings')
          expect(vars[name], `${name} of record ${i}`).toEqual(whole[name]);
      expect(vars.event).toEqual(whole);
      n++;
    });
    expect(n).toBeGreaterThan(1000);
  });

  it('the detector raises the same alerts with and without guards', () => {
    const run = (guards: boolean): Alert[] => {
      const detector = createDetector({
        rules: builtinRules(),
        intel: feed(),
        anomaly: new AnomalyModel(undefined, { minEvents: 20 }),
        guards,
      });
      const alerts: Alert[] = [];
      raws.forEach((raw, i) => {
        const n = normalizeRecord(raw, `r${i}`);
        if (n.ok && n.value) alerts.push(...detector.process(n.value));
      });
      return alerts;
    };
    const filtered = run(true);
    const unfiltered = run(false);
    expect(filtered.length).toBeGreaterThan(100);
    expect(new Set(filtered.map((a) => a.rule)).size).toBeGreaterThan(10);
    expect(filtered).toEqual(unfiltered);
  });
});
