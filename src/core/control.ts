import type { Inventory } from './inventory.js';
import type { FrameworkRef, Resource, Severity } from './types.js';
import type { PodTemplate } from './workloads.js';

/** What a control is evaluated on; shared code reads this, never the control's id. */
export interface AppliesTo {
  /** Object kinds the control looks at (e.g. `['ClusterRole', 'Role']`). */
  kinds?: readonly string[];
  /** The control looks at pod templates: it runs once for every object that has one. */
  podTemplate?: boolean;
  /** The control looks at the whole inventory once (e.g. per-namespace checks). */
  inventory?: boolean;
  /**
   * The control judges an object against other objects of the cluster (e.g. whether any
   * NetworkPolicy selects its pods), so one object alone, as at admission, cannot show it.
   */
  needsCluster?: boolean;
  /**
   * Kinds of other objects the check reads besides its subject (watch mode re-evaluates on
   * their change). For a per-object control, the objects read are in the subject's namespace
   * (a cluster-scoped one may affect any subject). For an inventory control, absent means it
   * may read anything (re-run on every change); `[]` means it reads only the cluster facts.
   */
  reads?: readonly string[];
  /**
   * An inventory control whose finding on an object depends only on that object and the
   * cluster facts (watch mode evaluates it on the changed objects alone).
   */
  perObject?: boolean;
}

/** One violation reported by a control's check. */
export interface Violation {
  message: string;
  /** Field path in the object, from its root (e.g. `spec.template.spec.containers[0].image`). */
  path: string;
  /** The object at fault when the control looks at the inventory; defaults to the subject. */
  resource?: Resource;
  /** Overrides the control's severity for this violation. */
  severity?: Severity;
}

/** Everything a check may read; it performs no I/O. */
export interface CheckContext {
  /** The object under evaluation (absent for inventory-level controls). */
  resource: Resource;
  /** Its pod template when the control applies to pod templates. */
  pod?: PodTemplate;
  inventory: Inventory;
  /** Per-control settings from the configuration (e.g. allowed registries). */
  settings: Readonly<Record<string, unknown>>;
}

/** A built-in control: data plus one pure function (CONVENTIONS §4). */
export interface Control {
  id: string;
  title: string;
  severity: Severity;
  /** Family, e.g. `workload`, `rbac`, `network`, `secrets`, `pss`. */
  category: string;
  appliesTo: AppliesTo;
  rationale: string;
  remediation: string;
  frameworks: readonly FrameworkRef[];
  check(ctx: CheckContext): Violation[];
}

/** A control that looks at the whole inventory once. */
export interface InventoryControl extends Omit<Control, 'check'> {
  checkInventory(inventory: Inventory, settings: Readonly<Record<string, unknown>>): Violation[];
}

/** Any entry of the control catalogue. */
export type CatalogEntry = Control | InventoryControl;
