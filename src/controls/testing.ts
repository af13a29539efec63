/**
 * Test support for control families: evaluates one control on a YAML string and checks that
 * every control of a family has a failing and a passing case. Used only by tests.
 */
import { Inventory, type CatalogEntry, type ClusterFacts } from '../core/index.js';
import { parseManifests } from '../load/index.js';
import { evaluateControls } from './engine.js';

/** Where a violation landed: field path, 1-based line of the file, and the resource name. */
export interface Hit {
  path: string | undefined;
  line: number | undefined;
}

/** A table row: control id, case name, manifests, expected hits (empty = passes). */
export type ControlCase = [controlId: string, name: string, yaml: string, expected: Hit[]];

/** Options of runControl. */
export interface RunControlOptions {
  settings?: Record<string, unknown>;
  facts?: ClusterFacts;
}

/** Evaluates one control over the manifests in `yaml` (file `t.yaml`); throws on input or evaluation errors. */
export function runControl(control: CatalogEntry, yaml: string, options: RunControlOptions = {}): Hit[] {
  const inventory = new Inventory();
  const parsed = parseManifests(yaml, 't.yaml');
  if (parsed.issues.length > 0) throw new Error(`bad test YAML: ${JSON.stringify(parsed.issues)}`);
  for (const r of parsed.resources) inventory.add(r);
  inventory.facts = { ...options.facts };
  const { findings, errors } = evaluateControls(inventory, [control], {
    settings: { [control.id]: options.settings ?? {} },
  });
  if (errors.length > 0) throw new Error(`evaluation error: ${JSON.stringify(errors)}`);
  return findings.map((f) => ({ path: f.fieldPath, line: f.location?.line }));
}

/** Ids of controls lacking a failing or a passing case. */
export function missingCases(controls: readonly CatalogEntry[], cases: readonly ControlCase[]): string[] {
  return controls
    .filter(
      (c) =>
        !cases.some(([id, , , exp]) => id === c.id && exp.length > 0) ||
        !cases.some(([id, , , exp]) => id === c.id && exp.length === 0),
    )
    .map((c) => c.id);
}
