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
 * control. With nothing applicable the score is 100.
 */
import {
  hasPodTemplate,
  podTemplateOf,
  type CatalogEntry,
  type Finding,
  type Resource,
  type Severity,
} from '../core/index.js';
import type { FrameworkScore } from '../report/index.js';
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
  const failing = new Set(findings.filter((f) => !f.suppressed).map((f) => f.controlId));
  return sets.map((set) => {
    let passed = 0;
    let failed = 0;
    let passedWeight = 0;
    let totalWeight = 0;
    const failedControls: string[] = [];
    for (const c of set.controls) {
      if (!applicable.has(c.id)) continue;
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
    return { framework: set.framework, score, passed, failed, applicable: passed + failed, failedControls };
  });
}
