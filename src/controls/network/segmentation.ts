/**
 * The segmentation findings of the reachability analysis (`src/network`, docs/network.md) as
 * catalogue controls, so `scan` and `scan --cluster` report them. Their ids are the finding
 * codes the network analysis has always used. The analysis runs once per inventory and
 * settings; every control reads its own code out of it.
 *
 * Left out because the catalogue already has them: workloads without ingress or egress
 * isolation (`network/pod-selected-by-policy`) and namespaces without a default deny
 * (`network/default-deny-ingress`, `network/default-deny-egress`).
 */
import {
  type Inventory,
  hasPodTemplate,
  podTemplateKinds,
  podTemplateOf,
  type FrameworkRef,
  type InventoryControl,
  type Resource,
  type Violation,
} from '../../core/index.js';
import {
  Analysis,
  buildModelOf,
  compilePolicies,
  modelKey,
  modelReadsKind,
  NETWORK_CHECKS,
  networkViolations,
  type NetworkCheck,
} from '../../network/index.js';
import { cis, isRecord, mitre, nsa } from '../support.js';

const POLICIES = nsa('Network separation and hardening: network policies');

/** Sensitive-workload label sets from the settings: `[{palisade.dev/sensitive: "true"}]` when unset. */
function sensitiveLabels(settings: Readonly<Record<string, unknown>>): Record<string, string>[] | undefined {
  const v = settings.sensitiveLabels;
  if (!Array.isArray(v)) return undefined;
  const sets = v.filter(isRecord).map((set) => {
    const out: Record<string, string> = {};
    for (const [k, x] of Object.entries(set)) if (typeof x === 'string') out[k] = x;
    return out;
  });
  return sets.filter((s) => Object.keys(s).length > 0);
}

const DEFAULT_SENSITIVE: readonly Record<string, string>[] = [{ 'palisade.dev/sensitive': 'true' }];

/** True when some pod (or pod template) carries every label of one sensitive set. */
function hasSensitiveWorkload(
  inventory: Inventory,
  labels: readonly Record<string, string>[] | undefined,
): boolean {
  const sets = labels ?? DEFAULT_SENSITIVE;
  return inventory.resources.some((r) => {
    if (!hasPodTemplate(r.object.kind)) return false;
    const podLabels = podTemplateOf(r.object)?.metadata.labels ?? {};
    return sets.some((set) => Object.entries(set).every(([k, v]) => podLabels[k] === v));
  });
}

/** The segmentation violations of one inventory state, by finding code. */
interface Analysed {
  revision: number;
  key: string;
  byCode: Map<string, Violation[]>;
}

// One analysis per inventory state and settings: the revision changes with every add, replace
// or removal (watch mode edits one inventory in place, often without changing its size).
const cache = new WeakMap<Inventory, Analysed>();

/** Kind, namespace, name. */
function canonicalOrder(a: Resource, b: Resource): number {
  const x = a.ref;
  const y = b.ref;
  if (x.kind !== y.kind) return x.kind < y.kind ? -1 : 1;
  const xn = x.namespace ?? '';
  const yn = y.namespace ?? '';
  if (xn !== yn) return xn < yn ? -1 : 1;
  return x.name < y.name ? -1 : x.name > y.name ? 1 : 0;
}

/**
 * The objects the network model reads, sorted by kind, namespace and name: the findings are
 * then a function of the objects, not of the order they arrived in (watch mode moves a
 * changed object to the end of its inventory; a rescan lists it in place).
 */
function networkObjects(inventory: Inventory): Resource[] {
  return inventory.resources.filter((r) => modelReadsKind(r.ref.kind)).sort(canonicalOrder);
}

function identity(r: Resource): string {
  return `${r.ref.kind}\u0000${r.ref.namespace ?? ''}\u0000${r.ref.name}`;
}

/**
 * When the changes since an analysis cannot change its answer (every object the model reads
 * was replaced by one it reads alike, see `modelKey`), the objects to name in its findings
 * instead of the replaced ones; undefined when the analysis must run again.
 */
export function modelReplacements(changes: {
  added: Resource[];
  removed: Resource[];
}): Map<Resource, Resource> | undefined {
  const added = new Set(changes.added);
  const removed = new Set(changes.removed);
  const before = new Map<string, Resource>();
  const after = new Map<string, Resource>();
  for (const r of removed) {
    // Added and removed again since: never part of either state.
    if (added.has(r) || modelKey(r) === undefined) continue;
    const id = identity(r);
    if (before.has(id)) return undefined;
    before.set(id, r);
  }
  for (const r of added) {
    if (removed.has(r) || modelKey(r) === undefined) continue;
    const id = identity(r);
    if (after.has(id)) return undefined;
    after.set(id, r);
  }
  if (before.size !== after.size) return undefined;
  const out = new Map<Resource, Resource>();
  for (const [id, old] of before) {
    const now = after.get(id);
    if (!now || modelKey(now) !== modelKey(old)) return undefined;
    out.set(old, now);
  }
  return out;
}

function violationsOf(
  inventory: Inventory,
  settings: Readonly<Record<string, unknown>>,
  code: string,
): Violation[] {
  const labels = sensitiveLabels(settings);
  const key = JSON.stringify(labels ?? null);
  let hit = cache.get(inventory);
  if (hit?.revision !== inventory.revision || hit.key !== key) {
    const changes = hit?.key === key ? inventory.changesSince(hit.revision) : undefined;
    const swap = changes && modelReplacements(changes);
    if (hit && swap) {
      // Nothing the analysis reads changed: the same findings, naming the current objects.
      hit.revision = inventory.revision;
      if (swap.size > 0)
        for (const list of hit.byCode.values())
          for (const [i, v] of list.entries()) {
            const now = v.resource && swap.get(v.resource);
            if (now) list[i] = { ...v, resource: now };
          }
    } else hit = analyse(inventory, labels, key);
  }
  return hit.byCode.get(code) ?? [];
}

function analyse(inventory: Inventory, labels: Record<string, string>[] | undefined, key: string): Analysed {
  const byCode = new Map<string, Violation[]>();
  const hit: Analysed = { revision: inventory.revision, key, byCode };
  cache.set(inventory, hit);
  // Without policies only a sensitive workload can be at fault: no analysis when there is none.
  if (inventory.byKind('NetworkPolicy').length === 0 && !hasSensitiveWorkload(inventory, labels)) return hit;
  const objects = networkObjects(inventory);
  // Workload granularity: one pod per template answers as all its replicas would.
  const analysis = new Analysis(
    buildModelOf(objects, { onePodPerTemplate: true }),
    compilePolicies(objects).policies,
    { granularity: 'workload' },
  );
  for (const v of networkViolations(analysis, {
    ...(labels ? { sensitiveLabels: labels } : {}),
    only: CODES,
  })) {
    // Only objects of the inventory can be reported (a workload's template pods are its own object).
    const list = byCode.get(v.check.id) ?? [];
    list.push({ message: v.message, path: v.fieldPath ?? 'metadata', resource: v.resource });
    byCode.set(v.check.id, list);
  }
  return hit;
}

function segmentation(
  check: NetworkCheck,
  rationale: string,
  frameworks: readonly FrameworkRef[],
): InventoryControl {
  return {
    id: check.id,
    title: check.title,
    severity: check.severity,
    category: 'network',
    // Reachability reads the policies, the workloads and their namespaces and Services.
    appliesTo: {
      inventory: true,
      needsCluster: true,
      reads: ['NetworkPolicy', 'Namespace', 'Service', 'Ingress', ...podTemplateKinds()],
    },
    rationale,
    remediation: check.remediation,
    frameworks,
    checkInventory: (inventory, settings) => violationsOf(inventory, settings, check.id),
  };
}

export const sensitiveWorkloadExposed = segmentation(
  NETWORK_CHECKS.sensitiveExposed,
  'A database or payment service reachable from other namespaces or from outside is one compromised pod away from its data. Sensitive workloads are those with the labels of the sensitiveLabels setting (default palisade.dev/sensitive: "true").',
  [cis('5.3.2'), POLICIES, mitre('T1046')],
);

export const egressInternetAllowed = segmentation(
  NETWORK_CHECKS.egressInternet,
  'Egress to public addresses (0.0.0.0/0, with or without the private ranges carved out) lets a compromised pod download tools and send data anywhere.',
  [cis('5.3.2'), POLICIES, mitre('T1041')],
);

export const ingressFromAllNamespaces = segmentation(
  NETWORK_CHECKS.ingressAllNamespaces,
  'A rule admitting every namespace (or every source) makes the policy no barrier to lateral movement from any compromised pod.',
  [cis('5.3.2'), POLICIES, mitre('T1046')],
);

export const policySelectsNoPod = segmentation(
  NETWORK_CHECKS.selectsNoPod,
  'A policy whose podSelector matches nothing protects nothing: usually a label typo that leaves the intended pods open.',
  [cis('5.3.2'), POLICIES, mitre('T1046')],
);

export const ruleNeverMatches = segmentation(
  NETWORK_CHECKS.ruleNeverMatches,
  'A rule peer that can never match (a namespace selector matching no namespace, an except covering the whole cidr) hides a mistake: the intended traffic is denied or allowed elsewhere.',
  [cis('5.3.2'), POLICIES, mitre('T1046')],
);

export const ruleShadowed = segmentation(
  NETWORK_CHECKS.ruleShadowed,
  'A rule that a broader rule already covers gives a false sense of precision: narrowing it changes nothing.',
  [cis('5.3.2'), POLICIES, mitre('T1046')],
);

/** The finding codes the controls report (the analysis computes only these). */
const CODES: ReadonlySet<string> = new Set([
  NETWORK_CHECKS.sensitiveExposed.id,
  NETWORK_CHECKS.egressInternet.id,
  NETWORK_CHECKS.ingressAllNamespaces.id,
  NETWORK_CHECKS.selectsNoPod.id,
  NETWORK_CHECKS.ruleNeverMatches.id,
  NETWORK_CHECKS.ruleShadowed.id,
]);

/** The reachability-based network controls. */
export const SEGMENTATION_CONTROLS: readonly InventoryControl[] = [
  sensitiveWorkloadExposed,
  egressInternetAllowed,
  ingressFromAllNamespaces,
  policySelectsNoPod,
  ruleNeverMatches,
  ruleShadowed,
];
