/**
 * Compliance scores: per framework, the severity-weighted share of applicable controls that
 * passed.
 *
 *   score = 100 × Σ weight(c) over passed applicable controls
 *               ÷ Σ weight(c) over applicable controls        (rounded to one decimal)
 *
 * weight: critical 10, high 6, medium 3, low 1, info 0. A control is applicable when the
 * scanned inventory holds at least one object it looks at (a pod template, an object of one
 * of its kinds; inventory-wide controls always apply). It passed when it has no unsuppressed
 * finding: a finding covered by an exception is an accepted risk and does not fail the
 * control. A control whose only findings are `info` (it could not judge, e.g. version
 * currency with no version known) is not judged: neither passed nor failed, and left out of
 * the score. With nothing applicable the score is 100.
 *
 * A set scored per group (MITRE ATT&CK, per tactic) carries each group's score computed the
 * same way, and its own score is the mean of the scores of the groups that had an applicable
 * control.
 */
import {
  hasPodTemplate,
  podTemplateOf,
  type CatalogEntry,
  type Finding,
  type Resource,
  type Severity,
} from '../core/index.js';
import type { FrameworkGroupScore, FrameworkScore } from '../report/index.js';
import type { ControlSet } from './frameworks.js';

/** Weight of a control in the score, by its declared severity. */
export const SEVERITY_WEIGHTS: Readonly<Record<Severity, number>> = {
  critical: 10,
  high: 6,
  medium: 3,
  low: 1,
  info: 0,
};

/** Ids of the controls that have something to look at among `resources`. */
export function applicableControls(
  resources: readonly Resource[],
  controls: readonly CatalogEntry[],
): Set<string> {
  const kinds = new Set(resources.map((r) => r.ref.kind));
  const hasPods = resources.some((r) => hasPodTemplate(r.ref.kind) && podTemplateOf(r.object) !== undefined);
  const out = new Set<string>();
  for (const c of controls) {
    const a = c.appliesTo;
    if (a.inventory || (a.podTemplate && hasPods) || (a.kinds ?? []).some((k) => kinds.has(k))) out.add(c.id);
  }
  return out;
}

/** Scores each control set from the findings of a run. */
export function scoreFrameworks(
  sets: readonly ControlSet[],
  findings: readonly Finding[],
  applicable: ReadonlySet<string>,
): FrameworkScore[] {
  const open = findings.filter((f) => !f.suppressed);
  const failing = new Set(open.filter((f) => f.severity !== 'info').map((f) => f.controlId));
  const unjudged = new Set(open.filter((f) => f.severity === 'info').map((f) => f.controlId));
  for (const id of failing) unjudged.delete(id);
  return sets.map((set) => {
    let passed = 0;
    let failed = 0;
    let passedWeight = 0;
    let totalWeight = 0;
    const failedControls: string[] = [];
    for (const c of set.controls) {
      if (!applicable.has(c.id) || unjudged.has(c.id)) continue;
      const w = SEVERITY_WEIGHTS[c.severity];
      totalWeight += w;
      if (failing.has(c.id)) {
        failed++;
        failedControls.push(c.id);
      } else {
        passed++;
        passedWeight += w;
      }
    }
    const score = totalWeight === 0 ? 100 : Math.round((1000 * passedWeight) / totalWeight) / 10;
    const result: FrameworkScore = {
      framework: set.framework,
      score,
      passed,
      failed,
      applicable: passed + failed,
      failedControls,
    };
    if (set.groupsOf) {
      const groups = scoreGroups(set, failing, applicable, unjudged);
      result.groups = groups;
      const judged = groups.filter((g) => g.applicable > 0);
      result.score =
        judged.length === 0
          ? 100
          : Math.round((10 * judged.reduce((n, g) => n + g.score, 0)) / judged.length) / 10;
    }
    return result;
  });
}

/** Per-group scores of a grouped set (e.g. per MITRE tactic), in the set's group order. */
function scoreGroups(
  set: ControlSet,
  failing: ReadonlySet<string>,
  applicable: ReadonlySet<string>,
  unjudged: ReadonlySet<string>,
): FrameworkGroupScore[] {
  const byGroup = new Map<string, { passed: number; failed: number; pw: number; tw: number }>();
  for (const name of set.groupOrder ?? []) byGroup.set(name, { passed: 0, failed: 0, pw: 0, tw: 0 });
  for (const c of set.controls) {
    if (!applicable.has(c.id) || unjudged.has(c.id)) continue;
    const w = SEVERITY_WEIGHTS[c.severity];
    for (const name of set.groupsOf?.(c) ?? []) {
      let g = byGroup.get(name);
      if (!g) {
        g = { passed: 0, failed: 0, pw: 0, tw: 0 };
        byGroup.set(name, g);
      }
      g.tw += w;
      if (failing.has(c.id)) g.failed++;
      else {
        g.passed++;
        g.pw += w;
      }
    }
  }
  return [...byGroup].map(([name, g]) => ({
    name,
    score: g.tw === 0 ? 100 : Math.round((1000 * g.pw) / g.tw) / 10,
    passed: g.passed,
    failed: g.failed,
    applicable: g.passed + g.failed,
  }));
}
