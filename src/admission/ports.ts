/**
 * The seams between admission and the capabilities it calls: which built-in controls a
 * mode name selects, how CEL policies are evaluated, and where namespace labels come from.
 * Admission owns these small interfaces; the implementations live elsewhere (or are the
 * defaults below) and are passed in when the configuration is compiled.
 */
import type { CatalogEntry, KubeObject } from '../core/index.js';
import { CATALOG } from '../controls/index.js';
import { selectFrameworks } from '../frameworks/index.js';
import type { AdmissionAttributes, JsonPatchOp } from './types.js';

/**
 * Selects the built-in controls named by a mode value such as `pss:restricted`, `cis` or
 * `all`, at an optional version (`latest` or `v1.N`). Returns undefined for an unknown name.
 */
export type ControlSetResolver = (name: string, version?: string) => readonly CatalogEntry[] | undefined;

/** What a policy asks the API server to do with a failed validation (ValidatingAdmissionPolicy). */
export type PolicyAction = 'Deny' | 'Warn' | 'Audit';

/** One failed validation of one CEL policy, with the action its binding chose. */
export interface PolicyDecision {
  policy: string;
  binding?: string;
  action: PolicyAction;
  message: string;
  /** metav1.StatusReason, e.g. `Invalid`, `Forbidden`. */
  reason?: string;
  validationIndex?: number;
}

/** A policy that could not be evaluated; `failurePolicy` says whether the request fails. */
export interface PolicyError {
  policy: string;
  binding?: string;
  message: string;
  failurePolicy: 'Fail' | 'Ignore';
}

/** The outcome of evaluating every matching policy on one request. */
export interface PolicyEvaluation {
  decisions: PolicyDecision[];
  /** Keys are `<policy>/<key>` as ValidatingAdmissionPolicy builds them. */
  auditAnnotations: Record<string, string>;
  /** Mutations, against `request.object`, in the mutate phase only. */
  patch?: JsonPatchOp[];
  errors: PolicyError[];
  /** Set when an expression was stopped by its cost limit (whatever its failure policy made of it). */
  costExceeded?: boolean;
}

/** Which webhook endpoint is asking: validating policies or mutating policies. */
export type PolicyPhase = 'validate' | 'mutate';

/** Evaluates the compiled CEL policies on one request; must not throw for a policy's own error. */
export interface PolicyEvaluator {
  /** Names of the loaded policies, for metrics and `readyz`. */
  readonly policies: readonly string[];
  evaluate(attributes: AdmissionAttributes, phase: PolicyPhase): PolicyEvaluation;
  /**
   * The same policies with at most `costLimit` of CEL cost for all of them on one request
   * (`costExceeded` is set beyond it), for reviews decided on the server's main thread; absent
   * when the evaluator has no cost model.
   */
  limited?(costLimit: number): PolicyEvaluator;
}

/** Returns the Namespace object of a namespace name when known (labels drive the modes). */
export type NamespaceLookup = (name: string) => KubeObject | undefined;

/** A PolicyEvaluator with no policies. */
export const NO_POLICIES: PolicyEvaluator = {
  policies: [],
  evaluate: () => ({ decisions: [], auditAnnotations: {}, errors: [] }),
};

/**
 * The control-set resolver over the real framework selection, so a mode value means exactly
 * what `palisade scan --framework` means: `all`, `none`, `cis`, `nsa`, `mitre` (or their ids,
 * e.g. `cis-1.10`) and `pss:<level>[@<version>]`. A separate version (the
 * `palisade.dev/<mode>-version` label or `<mode>Version` default) applies to `pss:` levels that
 * name none; other frameworks have one version and ignore it. Unknown names give undefined.
 */
export function frameworkControlSets(catalog: readonly CatalogEntry[] = CATALOG): ControlSetResolver {
  const cache = new Map<string, readonly CatalogEntry[] | undefined>();
  return (rawName, version) => {
    // Label values cannot hold ':' (Kubernetes rejects `pss:restricted` as a label value), so
    // namespaces spell a Pod Security level `pss-restricted` or `pss.baseline`.
    const name = rawName.replace(/^pss[-.](baseline|restricted)$/i, 'pss:$1');
    const spec =
      name.toLowerCase().startsWith('pss:') && !name.includes('@') && version !== undefined && version !== ''
        ? `${name}@${version}`
        : name;
    if (cache.has(spec)) return cache.get(spec);
    // One spec per mode value: a comma would make it a list, which labels do not carry.
    const selected = spec.includes(',') || spec.trim() === '' ? undefined : selectFrameworks([spec], catalog);
    const controls = selected?.ok ? selected.value.controls : undefined;
    // Label values come from users; keep the cache bounded.
    if (cache.size >= 256) cache.clear();
    cache.set(spec, controls);
    return controls;
  };
}
