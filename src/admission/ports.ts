/**
 * The seams between admission and the capabilities it calls: which built-in controls a
 * mode name selects, how CEL policies are evaluated, and where namespace labels come from.
 * Admission owns these small interfaces; the implementations live elsewhere (or are the
 * defaults below) and are passed in when the configuration is compiled.
 */
import type { CatalogEntry, KubeObject } from '../core/index.js';
import { CATALOG } from '../controls/index.js';
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
}

/** Which webhook endpoint is asking: validating policies or mutating policies. */
export type PolicyPhase = 'validate' | 'mutate';

/** Evaluates the compiled CEL policies on one request; must not throw for a policy's own error. */
export interface PolicyEvaluator {
  /** Names of the loaded policies, for metrics and `readyz`. */
  readonly policies: readonly string[];
  evaluate(attributes: AdmissionAttributes, phase: PolicyPhase): PolicyEvaluation;
}

/** Returns the Namespace object of a namespace name when known (labels drive the modes). */
export type NamespaceLookup = (name: string) => KubeObject | undefined;

/** A PolicyEvaluator with no policies. */
export const NO_POLICIES: PolicyEvaluator = {
  policies: [],
  evaluate: () => ({ decisions: [], auditAnnotations: {}, errors: [] }),
};

/**
 * The control-set resolver over the current catalogue: `all` selects every control; any
 * other name selects the controls whose framework refs carry that id, either exactly
 * (`cis-1.10`) or as a family (`cis` matches `cis-1.10`; `pss:restricted` matches refs with
 * id `pss` and control `restricted`, or id `pss-restricted`). The version is accepted and
 * ignored: the versioned PSS catalogue brings its own resolver.
 */
export function catalogControlSets(catalog: readonly CatalogEntry[] = CATALOG): ControlSetResolver {
  const cache = new Map<string, readonly CatalogEntry[] | undefined>();
  return (name) => {
    if (cache.has(name)) return cache.get(name);
    const selected = selectByName(catalog, name);
    cache.set(name, selected);
    return selected;
  };
}

function selectByName(catalog: readonly CatalogEntry[], name: string): readonly CatalogEntry[] | undefined {
  if (name === 'all') return catalog;
  if (name === 'none') return [];
  const [fw, level] = name.split(':', 2);
  if (fw === undefined || fw === '') return undefined;
  const out = catalog.filter((c) =>
    c.frameworks.some((ref) =>
      level === undefined
        ? ref.id === fw || ref.id.startsWith(`${fw}-`)
        : (ref.id === fw && ref.control === level) || ref.id === `${fw}-${level}`,
    ),
  );
  return out.length > 0 ? out : undefined;
}
