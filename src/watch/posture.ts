/**
 * A cluster's posture kept current object by object (watch mode), with no I/O: the objects,
 * the open findings, and the counts scores need. A change re-evaluates the changed objects,
 * the per-object controls whose declared reads changed in the same namespace, and the
 * inventory controls the change touches (`appliesTo.reads`, `appliesTo.perObject`); every
 * other finding is kept as it was. Memory is one entry per object and per open finding.
 */
import {
  Inventory,
  apiGroupOf,
  hasPodTemplate,
  podTemplateOf,
  refOf,
  type CatalogEntry,
  type ClusterFacts,
  type Control,
  type Finding,
  type InventoryControl,
  type KubeObject,
  type Resource,
  type ResourceRef,
  type Severity,
} from '../core/index.js';
import { evaluateControls, evaluateSubjects, subjectOf } from '../controls/index.js';
import { applicableControls, scoreFrameworks, type ControlSet } from '../frameworks/index.js';
import { findingFingerprint, findingNamespace, type ScoreRow } from '../store/index.js';

/** One change seen by a watch: an object created or changed, or deleted. */
export type ObjectChange = { type: 'upsert'; object: KubeObject } | { type: 'delete'; object: KubeObject };

/** What a change did to the open findings. */
export interface PostureDelta {
  opened: Finding[];
  closed: Finding[];
  /** Still open, but the message, severity or API version changed. */
  changed: Finding[];
  /** Object evaluations run (one object through the per-object controls that apply to it). */
  evaluated: number;
  /** Inventory-level controls run again. */
  reran: string[];
}

/** Options of a {@link Posture}. */
export interface PostureOptions {
  controls: readonly CatalogEntry[];
  settings?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/** The identity of an object for watch mode: API group, kind, namespace and name. */
export function objectKey(ref: ResourceRef): string {
  return `${apiGroupOf(ref.apiVersion)}\u0000${ref.kind}\u0000${ref.namespace ?? ''}\u0000${ref.name}`;
}

function isInventoryControl(c: CatalogEntry): c is InventoryControl {
  return 'checkInventory' in c;
}

function sameFinding(a: Finding, b: Finding): boolean {
  return (
    a.severity === b.severity &&
    a.message === b.message &&
    a.title === b.title &&
    a.resource.apiVersion === b.resource.apiVersion
  );
}

/** The posture of one cluster, updated by changes; see the module comment. */
export class Posture {
  /** The objects as the controls see them. */
  readonly inventory = new Inventory();
  private readonly objects = new Map<string, Resource>();
  private readonly perObject: Control[];
  private readonly inventoryWide: InventoryControl[];
  private readonly inventoryPerObject: InventoryControl[];
  /** Findings of the per-object controls (and per-object inventory controls), by subject. */
  private readonly bySubject = new Map<string, Finding[]>();
  /** Findings of the other inventory controls, by control. */
  private readonly byControl = new Map<string, Finding[]>();
  /** Open findings by fingerprint, with how many evaluations reported each. */
  private readonly open = new Map<string, { finding: Finding; count: number }>();
  /** Open findings per control (for scores). */
  private readonly failing = new Map<string, number>();
  private readonly kinds = new Map<string, number>();
  private podObjects = 0;
  private evaluationErrors = 0;

  constructor(private readonly options: PostureOptions) {
    this.perObject = options.controls.filter((c): c is Control => !isInventoryControl(c));
    const inv = options.controls.filter(isInventoryControl);
    this.inventoryPerObject = inv.filter((c) => c.appliesTo.perObject === true);
    this.inventoryWide = inv.filter((c) => c.appliesTo.perObject !== true);
  }

  /** Number of objects. */
  get size(): number {
    return this.objects.size;
  }

  /** Controls that threw during the last evaluations (counted per evaluation). */
  get errors(): number {
    return this.evaluationErrors;
  }

  /** Replaces every object and evaluates everything again (start and interval rescans). */
  reset(objects: readonly KubeObject[], facts: ClusterFacts): PostureDelta {
    for (const r of [...this.objects.values()]) this.removeObject(r);
    this.inventory.facts = facts;
    for (const o of objects) this.addObject(o);
    const before = new Map(this.open);
    this.open.clear();
    this.failing.clear();
    this.bySubject.clear();
    this.byControl.clear();
    this.evaluationErrors = 0;
    const evaluation = evaluateControls(this.inventory, this.options.controls, {
      ...(this.options.settings ? { settings: this.options.settings } : {}),
    });
    this.evaluationErrors = evaluation.errors.length;
    const wide = new Set(this.inventoryWide.map((c) => c.id));
    for (const f of evaluation.findings) {
      const list = wide.has(f.controlId) ? this.byControl : this.bySubject;
      const k = wide.has(f.controlId) ? f.controlId : objectKey(f.resource);
      const entry = list.get(k);
      if (entry) entry.push(f);
      else list.set(k, [f]);
      this.count(f, 1);
    }
    const delta: PostureDelta = {
      opened: [],
      closed: [],
      changed: [],
      evaluated: this.objects.size,
      reran: [...wide],
    };
    for (const [fp, now] of this.open) {
      const old = before.get(fp);
      if (!old) delta.opened.push(now.finding);
      else if (!sameFinding(old.finding, now.finding)) delta.changed.push(now.finding);
    }
    for (const [fp, old] of before) if (!this.open.has(fp)) delta.closed.push(old.finding);
    return delta;
  }

  /** Applies a batch of changes and re-evaluates what they touch. */
  apply(changes: readonly ObjectChange[]): PostureDelta {
    const delta: PostureDelta = { opened: [], closed: [], changed: [], evaluated: 0, reran: [] };
    const touched = new Map<string, { fp: string; before?: Finding }>();
    const track = (f: Finding, fp = findingFingerprint(f)): void => {
      if (!touched.has(fp)) {
        const cur = this.open.get(fp)?.finding;
        touched.set(fp, cur ? { fp, before: cur } : { fp });
      }
    };
    const namespacesBefore = this.inventory.namespaces().join('\u0000');
    // The last change of each object in the batch wins.
    const last = new Map<string, ObjectChange>();
    for (const c of changes) last.set(objectKey(refOf(c.object)), c);
    const changedKinds = new Map<string, Set<string> | 'all'>();
    const subjects: Resource[] = [];
    for (const [key, change] of last) {
      const old = this.objects.get(key);
      if (old) {
        this.dropSubject(key, track);
        this.removeObject(old);
      }
      const ref = old?.ref ?? refOf(change.object);
      const nsOf = changedKinds.get(ref.kind);
      if (ref.namespace === undefined) changedKinds.set(ref.kind, 'all');
      else if (nsOf !== 'all') changedKinds.set(ref.kind, (nsOf ?? new Set()).add(ref.namespace));
      if (change.type === 'upsert') subjects.push(this.addObject(change.object));
    }

    // Per-object controls: the changed objects through all of them; the subjects of a control
    // whose declared reads changed, in the namespaces where they changed, through that one.
    const evaluate = (controls: readonly Control[], list: readonly Resource[]): void => {
      if (list.length === 0) return;
      const result = evaluateSubjects(this.inventory, controls, list, {
        ...(this.options.settings ? { settings: this.options.settings } : {}),
      });
      this.evaluationErrors += result.errors.length;
      delta.evaluated += list.length;
      for (const f of result.findings) this.addFinding(this.bySubject, objectKey(f.resource), f, track);
    };
    evaluate(this.perObject, subjects);
    const fresh = new Set(subjects);
    for (const control of this.perObject) {
      const reads = control.appliesTo.reads ?? [];
      const scopes = reads.map((k) => changedKinds.get(k)).filter((s) => s !== undefined);
      if (scopes.length === 0) continue;
      const again: Resource[] = [];
      const consider = (r: Resource): void => {
        if (!fresh.has(r) && subjectOf(control, r)) again.push(r);
      };
      if (scopes.includes('all')) for (const r of this.inventory.resources) consider(r);
      else {
        const namespaces = new Set<string>();
        for (const s of scopes) if (s !== 'all') for (const ns of s) namespaces.add(ns);
        for (const ns of namespaces) for (const r of this.inventory.inNamespace(ns)) consider(r);
      }
      for (const r of again) {
        const key = objectKey(r.ref);
        const list = this.bySubject.get(key) ?? [];
        const keep = list.filter((f) => f.controlId !== control.id);
        for (const f of list) if (f.controlId === control.id) this.count(f, -1, track);
        if (keep.length > 0) this.bySubject.set(key, keep);
        else this.bySubject.delete(key);
      }
      evaluate([control], again);
    }

    // Inventory controls whose findings depend on each object alone run on the changed ones.
    if (subjects.length > 0 && this.inventoryPerObject.length > 0) {
      const mini = new Inventory();
      mini.facts = this.inventory.facts;
      for (const r of subjects) mini.add(r);
      for (const control of this.inventoryPerObject) {
        for (const f of this.runInventoryControl(control, mini))
          this.addFinding(this.bySubject, objectKey(f.resource), f, track);
      }
    }
    // The others run again when they may read what changed, or when the namespaces changed.
    const namespacesChanged = this.inventory.namespaces().join('\u0000') !== namespacesBefore;
    for (const control of this.inventoryWide) {
      const reads = control.appliesTo.reads;
      const touches =
        reads === undefined ||
        reads.some((k) => changedKinds.has(k)) ||
        (namespacesChanged && reads.length > 0);
      if (!touches) continue;
      delta.reran.push(control.id);
      for (const f of this.byControl.get(control.id) ?? []) this.count(f, -1, track);
      this.byControl.delete(control.id);
      for (const f of this.runInventoryControl(control, this.inventory))
        this.addFinding(this.byControl, control.id, f, track);
    }

    for (const { fp, before } of touched.values()) {
      const now = this.open.get(fp)?.finding;
      if (now && !before) delta.opened.push(now);
      else if (!now && before) delta.closed.push(before);
      else if (now && before && !sameFinding(before, now)) delta.changed.push(now);
    }
    return delta;
  }

  /** Every open finding, one per fingerprint. */
  findings(): Finding[] {
    return [...this.open.values()].map((e) => e.finding);
  }

  /** The framework scores of the current posture (as `scan` computes them). */
  scores(sets: readonly ControlSet[]): ScoreRow[] {
    const applicable = new Set<string>();
    for (const c of this.options.controls) {
      const a = c.appliesTo;
      if (
        a.inventory ||
        (a.podTemplate && this.podObjects > 0) ||
        (a.kinds ?? []).some((k) => this.kinds.has(k))
      )
        applicable.add(c.id);
    }
    // One finding per failing control is all scoring reads.
    const failing: Finding[] = [];
    const seen = new Set<string>();
    for (const e of this.open.values()) {
      if (seen.has(e.finding.controlId)) continue;
      seen.add(e.finding.controlId);
      failing.push(e.finding);
    }
    return scoreFrameworks(sets, failing, applicable).map((s) => ({
      framework: s.framework,
      score: s.score,
      passed: s.passed,
      failed: s.failed,
      applicable: s.applicable,
    }));
  }

  /** Open findings by severity. */
  bySeverity(): Record<Severity, number> {
    const out: Record<Severity, number> = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
    for (const e of this.open.values()) if (!e.finding.suppressed) out[e.finding.severity]++;
    return out;
  }

  /**
   * Scores per namespace, for the first `limit` namespaces by name (metrics keep their label
   * count bounded). A namespace's findings include its Namespace object's own.
   */
  namespaceScores(sets: readonly ControlSet[], limit: number): { namespace: string; scores: ScoreRow[] }[] {
    const names = this.inventory.namespaces().slice(0, limit);
    const wanted = new Set(names);
    const findings = new Map<string, Finding[]>();
    for (const e of this.open.values()) {
      const ns = findingNamespace(e.finding.resource);
      if (!wanted.has(ns)) continue;
      const list = findings.get(ns);
      if (list) list.push(e.finding);
      else findings.set(ns, [e.finding]);
    }
    return names.map((namespace) => ({
      namespace,
      scores: scoreFrameworks(
        sets,
        findings.get(namespace) ?? [],
        applicableControls(this.inventory.inNamespace(namespace), this.options.controls),
      ).map((s) => ({
        framework: s.framework,
        score: s.score,
        passed: s.passed,
        failed: s.failed,
        applicable: s.applicable,
      })),
    }));
  }

  private runInventoryControl(control: InventoryControl, inventory: Inventory): Finding[] {
    const result = evaluateControls(inventory, [control], {
      ...(this.options.settings ? { settings: this.options.settings } : {}),
    });
    this.evaluationErrors += result.errors.length;
    return result.findings;
  }

  private addObject(object: KubeObject): Resource {
    const resource: Resource = { object, ref: refOf(object) };
    this.objects.set(objectKey(resource.ref), resource);
    this.inventory.add(resource);
    this.kinds.set(resource.ref.kind, (this.kinds.get(resource.ref.kind) ?? 0) + 1);
    if (hasPodTemplate(resource.ref.kind) && podTemplateOf(object)) this.podObjects++;
    return resource;
  }

  private removeObject(resource: Resource): void {
    this.objects.delete(objectKey(resource.ref));
    this.inventory.remove(resource);
    const n = (this.kinds.get(resource.ref.kind) ?? 1) - 1;
    if (n > 0) this.kinds.set(resource.ref.kind, n);
    else this.kinds.delete(resource.ref.kind);
    if (hasPodTemplate(resource.ref.kind) && podTemplateOf(resource.object)) this.podObjects--;
  }

  private dropSubject(key: string, track: (f: Finding) => void): void {
    for (const f of this.bySubject.get(key) ?? []) this.count(f, -1, track);
    this.bySubject.delete(key);
  }

  private addFinding(
    into: Map<string, Finding[]>,
    key: string,
    f: Finding,
    track: (f: Finding, fp?: string) => void,
  ): void {
    const list = into.get(key);
    if (list) list.push(f);
    else into.set(key, [f]);
    this.count(f, 1, track);
  }

  private count(f: Finding, by: 1 | -1, track?: (f: Finding, fp?: string) => void): void {
    const fp = findingFingerprint(f);
    track?.(f, fp);
    const e = this.open.get(fp);
    if (by === 1) {
      if (e) {
        e.count++;
        e.finding = f;
      } else {
        this.open.set(fp, { finding: f, count: 1 });
        this.failing.set(f.controlId, (this.failing.get(f.controlId) ?? 0) + 1);
      }
      return;
    }
    if (!e) return;
    if (--e.count > 0) return;
    this.open.delete(fp);
    const n = (this.failing.get(f.controlId) ?? 1) - 1;
    if (n > 0) this.failing.set(f.controlId, n);
    else this.failing.delete(f.controlId);
  }
}
