import {
  contractRef,
  hasPodTemplate,
  podTemplateOf,
  type CatalogEntry,
  type CheckContext,
  type Control,
  type Finding,
  type FrameworkRef,
  type Inventory,
  type InventoryControl,
  type PodTemplate,
  type Resource,
  type ResourceRef,
  type Violation,
} from '../core/index.js';

/** Settings for an evaluation run. */
export interface EvaluateOptions {
  /** Per-control settings, keyed by control id (e.g. allowed registries). */
  settings?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /**
   * Called after every few thousand findings, outside any check's error handling: the CLI
   * checks the heap there, so that an input with too many findings stops cleanly (it throws).
   */
  checkpoint?: () => void;
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

/** Findings between two calls of `EvaluateOptions.checkpoint`. */
const CHECKPOINT_FINDINGS = 4096;

function isInventoryControl(c: CatalogEntry): c is InventoryControl {
  return 'checkInventory' in c;
}

/**
 * Evaluates controls over an inventory. Each control runs only on the objects it declares
 * (pod templates, given kinds, or the inventory once), using the inventory's kind index.
 * Each workload's pod template is extracted once and the same object is handed to every
 * control, so per-template work (such as `containersOf`) is shared between controls.
 */
export function evaluateControls(
  inventory: Inventory,
  controls: readonly CatalogEntry[],
  options: EvaluateOptions = {},
): EvaluationResult {
  const result: EvaluationResult = { findings: [], errors: [] };
  // Both read every object: computed only when a per-object control needs them (watch mode
  // re-runs single inventory controls, whose cost must not grow with the cluster).
  let workloadList: Resource[] | undefined;
  const workloadsOf = (): Resource[] =>
    (workloadList ??= inventory.resources.filter((r) => hasPodTemplate(r.ref.kind)));
  let directLoops: boolean | undefined;
  // The direct loops below visit each object once only when no object was added twice.
  const isDirect = (): boolean =>
    (directLoops ??= new Set(inventory.resources).size === inventory.resources.length);
  let pods: (PodTemplate | undefined)[] | undefined;
  const podsOfWorkloads = (): (PodTemplate | undefined)[] =>
    (pods ??= workloadsOf().map((r) => podTemplateOf(r.object)));
  let podIndex: Map<Resource, PodTemplate | undefined> | undefined;
  const podOf = (r: Resource): PodTemplate | undefined => {
    if (!podIndex) {
      const all = podsOfWorkloads();
      podIndex = new Map(workloadsOf().map((w, i) => [w, all[i]]));
    }
    return podIndex.has(r) ? podIndex.get(r) : podTemplateOf(r.object);
  };

  // Findings of one resource share one reference, in the report's key order (see `contractRef`).
  const refs = new Map<ResourceRef, ResourceRef>();
  const finding = (control: Omit<Control, 'check'>, r: Resource, v: Violation): Finding => {
    let ref = refs.get(r.ref);
    if (ref === undefined) {
      ref = contractRef(r.ref);
      refs.set(r.ref, ref);
    }
    return toFinding(control, r, v, ref);
  };

  let nextCheckpoint = CHECKPOINT_FINDINGS;
  const run = (control: Control, resource: Resource, ctx: CheckContext): void => {
    if (result.findings.length >= nextCheckpoint) {
      nextCheckpoint = result.findings.length + CHECKPOINT_FINDINGS;
      options.checkpoint?.();
    }
    try {
      const violations = control.check(ctx);
      for (let i = 0; i < violations.length; i++) {
        const v = violations[i];
        if (v !== undefined) result.findings.push(finding(control, v.resource ?? resource, v));
      }
    } catch (e) {
      result.errors.push({ controlId: control.id, resource, message: messageOf(e) });
    }
  };

  // Controls that look at every workload's pod template (the common case) run workload by
  // workload, each workload through all of them while its objects are in the CPU's caches,
  // after the loop below. Findings come out in another order; reports sort them.
  type PodCtx = {
    resource: Resource;
    pod: PodTemplate;
    inventory: Inventory;
    settings: Readonly<Record<string, unknown>>;
  };
  const perWorkload: {
    control: Control;
    ctx: PodCtx | undefined;
    settings: Readonly<Record<string, unknown>>;
  }[] = [];

  for (const control of controls) {
    const settings = options.settings?.[control.id] ?? {};
    if (isInventoryControl(control)) {
      try {
        for (const v of control.checkInventory(inventory, settings)) {
          if (v.resource) result.findings.push(finding(control, v.resource, v));
        }
      } catch (e) {
        result.errors.push({ controlId: control.id, message: messageOf(e) });
      }
      continue;
    }
    const { podTemplate, kinds } = control.appliesTo;
    const direct = isDirect();
    if (direct && podTemplate && (kinds === undefined || kinds.length === 0)) {
      perWorkload.push({ control, ctx: undefined, settings });
      continue;
    }
    if (direct && !podTemplate) {
      // Kinds only: each object is in exactly one kind's list, so no de-duplication is needed
      // beyond skipping a kind named twice.
      for (let k = 0; k < (kinds?.length ?? 0); k++) {
        const kind = kinds?.[k] ?? '';
        if (kinds?.indexOf(kind) !== k) continue;
        for (const resource of inventory.byKind(kind))
          run(control, resource, { resource, inventory, settings });
      }
      continue;
    }
    const subjects = new Set<Resource>(podTemplate ? workloadsOf() : []);
    for (const kind of kinds ?? []) for (const r of inventory.byKind(kind)) subjects.add(r);
    for (const resource of subjects) {
      const pod = podTemplate ? podOf(resource) : undefined;
      if (podTemplate && !pod && !kinds?.includes(resource.ref.kind)) continue;
      run(
        control,
        resource,
        pod ? { resource, pod, inventory, settings } : { resource, inventory, settings },
      );
    }
  }

  if (perWorkload.length > 0) {
    const all = podsOfWorkloads();
    const workloads = workloadsOf();
    for (let i = 0; i < workloads.length; i++) {
      const resource = workloads[i];
      const pod = all[i];
      if (resource === undefined || pod === undefined) continue;
      for (const entry of perWorkload) {
        // One context per control, pointed at each workload in turn: checks are synchronous
        // and keep nothing of it, so thousands of workloads do not allocate one each.
        let ctx = entry.ctx;
        if (ctx === undefined) ctx = entry.ctx = { resource, pod, inventory, settings: entry.settings };
        else {
          ctx.resource = resource;
          ctx.pod = pod;
        }
        run(entry.control, resource, ctx);
      }
    }
  }
  return result;
}

/** Whether a per-object control looks at a resource, and the pod template it gets when it does. */
export function subjectOf(
  control: Control,
  resource: Resource,
): { pod: PodTemplate | undefined } | undefined {
  const { podTemplate, kinds } = control.appliesTo;
  const byKind = kinds?.includes(resource.ref.kind) === true;
  if (!podTemplate) return byKind ? { pod: undefined } : undefined;
  const pod = hasPodTemplate(resource.ref.kind) ? podTemplateOf(resource.object) : undefined;
  if (!pod && !byKind) return undefined;
  return { pod };
}

/**
 * Evaluates per-object controls on some objects of an inventory only (watch mode's
 * re-evaluation of what changed): each control runs on each given object it applies to, as
 * {@link evaluateControls} would run it. Inventory controls are not run here.
 */
export function evaluateSubjects(
  inventory: Inventory,
  controls: readonly Control[],
  subjects: readonly Resource[],
  options: EvaluateOptions = {},
): EvaluationResult {
  const result: EvaluationResult = { findings: [], errors: [] };
  for (const resource of subjects) {
    let ref: ResourceRef | undefined;
    // The pod template is extracted once per object and shared by the controls.
    const pod = hasPodTemplate(resource.ref.kind) ? podTemplateOf(resource.object) : undefined;
    for (const control of controls) {
      const { podTemplate, kinds } = control.appliesTo;
      const byKind = kinds?.includes(resource.ref.kind) === true;
      if (podTemplate ? !pod && !byKind : !byKind) continue;
      const settings = options.settings?.[control.id] ?? {};
      const ctx: CheckContext =
        podTemplate && pod ? { resource, pod, inventory, settings } : { resource, inventory, settings };
      try {
        for (const v of control.check(ctx)) {
          const at = v.resource ?? resource;
          if (at === resource) ref ??= contractRef(resource.ref);
          result.findings.push(toFinding(control, at, v, at === resource ? ref : contractRef(at.ref)));
        }
      } catch (e) {
        result.errors.push({ controlId: control.id, resource, message: messageOf(e) });
      }
    }
  }
  return result;
}

/**
 * Builds a finding from a violation, locating its field path in the source file when known.
 * `ref` replaces the resource's own reference (an equal object) when given.
 */
export function toFinding(
  control: Omit<Control, 'check'>,
  resource: Resource,
  v: Violation,
  ref: ResourceRef = resource.ref,
): Finding {
  // Shared by the control's findings (nothing mutates a finding's list; reports copy it).
  const frameworks = control.frameworks as FrameworkRef[];
  const source = resource.source;
  // Built in the report's key order, so report building and JSON see one object shape.
  if (source) {
    const at = source.locate(v.path);
    return {
      controlId: control.id,
      title: control.title,
      severity: v.severity ?? control.severity,
      message: v.message,
      resource: ref,
      location: { file: source.file, line: at.line, column: at.column },
      fieldPath: v.path,
      remediation: control.remediation,
      frameworks,
    };
  }
  return {
    controlId: control.id,
    title: control.title,
    severity: v.severity ?? control.severity,
    message: v.message,
    resource: ref,
    fieldPath: v.path,
    remediation: control.remediation,
    frameworks,
  };
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
