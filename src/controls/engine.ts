import {
  hasPodTemplate,
  podTemplateOf,
  type CatalogEntry,
  type Control,
  type Finding,
  type Inventory,
  type InventoryControl,
  type Resource,
  type Violation,
} from '../core/index.js';

/** Settings for an evaluation run. */
export interface EvaluateOptions {
  /** Per-control settings, keyed by control id (e.g. allowed registries). */
  settings?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/** A control whose check threw: reported, never a silent pass. */
export interface EvaluationError {
  controlId: string;
  resource?: Resource;
  message: string;
}

/** Findings plus the controls that failed to evaluate. */
export interface EvaluationResult {
  findings: Finding[];
  errors: EvaluationError[];
}

function isInventoryControl(c: CatalogEntry): c is InventoryControl {
  return 'checkInventory' in c;
}

/**
 * Evaluates controls over an inventory. Each control runs only on the objects it declares
 * (pod templates, given kinds, or the inventory once), using the inventory's kind index.
 */
export function evaluateControls(
  inventory: Inventory,
  controls: readonly CatalogEntry[],
  options: EvaluateOptions = {},
): EvaluationResult {
  const result: EvaluationResult = { findings: [], errors: [] };
  const workloads = inventory.resources.filter((r) => hasPodTemplate(r.ref.kind));

  for (const control of controls) {
    const settings = options.settings?.[control.id] ?? {};
    if (isInventoryControl(control)) {
      try {
        for (const v of control.checkInventory(inventory, settings)) {
          if (v.resource) result.findings.push(toFinding(control, v.resource, v));
        }
      } catch (e) {
        result.errors.push({ controlId: control.id, message: messageOf(e) });
      }
      continue;
    }
    const subjects = new Set<Resource>();
    if (control.appliesTo.podTemplate) for (const r of workloads) subjects.add(r);
    for (const kind of control.appliesTo.kinds ?? []) for (const r of inventory.byKind(kind)) subjects.add(r);
    for (const resource of subjects) {
      const pod = control.appliesTo.podTemplate ? podTemplateOf(resource.object) : undefined;
      if (control.appliesTo.podTemplate && !pod && !control.appliesTo.kinds?.includes(resource.ref.kind))
        continue;
      try {
        const ctx = pod ? { resource, pod, inventory, settings } : { resource, inventory, settings };
        for (const v of control.check(ctx))
          result.findings.push(toFinding(control, v.resource ?? resource, v));
      } catch (e) {
        result.errors.push({ controlId: control.id, resource, message: messageOf(e) });
      }
    }
  }
  return result;
}

/** Builds a finding from a violation, locating its field path in the source file when known. */
export function toFinding(control: Omit<Control, 'check'>, resource: Resource, v: Violation): Finding {
  const finding: Finding = {
    controlId: control.id,
    title: control.title,
    severity: v.severity ?? control.severity,
    message: v.message,
    resource: resource.ref,
    fieldPath: v.path,
    remediation: control.remediation,
    frameworks: [...control.frameworks],
  };
  if (resource.source) finding.location = { file: resource.source.file, ...resource.source.locate(v.path) };
  return finding;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
