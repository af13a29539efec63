/**
 * Runs compiled policies over an inventory, each object as a CREATE request, and turns
 * their decisions into findings located like the built-in controls' findings.
 */
import { apiGroupOf, type Finding, type Inventory, type KubeObject, type Resource } from '../core/index.js';
import { toFinding } from '../controls/index.js';
import type { AuthorizerFn } from './cel/k8s-lib.js';
import type { PolicySet } from './compile.js';
import { evaluateRequest, type PolicyDecision, type PolicyEvaluationError } from './evaluate.js';
import type { RequestAttributes } from './types.js';

const IRREGULAR_PLURALS: Readonly<Record<string, string>> = {
  Endpoints: 'endpoints',
  Ingress: 'ingresses',
  NetworkPolicy: 'networkpolicies',
  PodSecurityPolicy: 'podsecuritypolicies',
  StorageClass: 'storageclasses',
  IngressClass: 'ingressclasses',
  PriorityClass: 'priorityclasses',
  RuntimeClass: 'runtimeclasses',
};

/** The resource (plural) name of a kind, as discovery would report it for built-in kinds. */
export function resourceOfKind(kind: string): string {
  const known = IRREGULAR_PLURALS[kind];
  if (known) return known;
  const lower = kind.toLowerCase();
  if (/[^aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/.test(lower)) return `${lower}es`;
  return `${lower}s`;
}

/** Admission attributes of a CREATE request for an object (as a scan treats every object). */
export function createAttributes(obj: KubeObject, namespaceObject: KubeObject | null): RequestAttributes {
  const slash = obj.apiVersion.indexOf('/');
  const group = apiGroupOf(obj.apiVersion);
  const version = slash < 0 ? obj.apiVersion : obj.apiVersion.slice(slash + 1);
  const attrs: RequestAttributes = {
    operation: 'CREATE',
    object: obj,
    oldObject: null,
    kind: { group, version, kind: obj.kind },
    resource: { group, version, resource: resourceOfKind(obj.kind) },
    subResource: '',
    name: obj.metadata?.name ?? '',
    userInfo: { username: 'palisade-scan', groups: ['system:authenticated'] },
    dryRun: true,
    namespaceObject,
  };
  const ns = obj.metadata?.namespace;
  if (typeof ns === 'string' && ns !== '') attrs.namespace = ns;
  return attrs;
}

/** Options of `evaluatePoliciesOnInventory`. */
export interface PolicyScanOptions {
  /** Apply Pod policies to workload pod templates (default true for scans). */
  autogen?: boolean;
  /** Backs the policies' `authorizer` checks (e.g. from the inventory's RBAC objects). */
  authorizer?: AuthorizerFn;
}

/** Findings and the errors that failurePolicy Ignore let through. */
export interface PolicyScanResult {
  findings: Finding[];
  ignoredErrors: (PolicyEvaluationError & { resource: Resource })[];
}

/** The controlId of a policy decision: `policy/<name>` or `policy/<name>/<validationIndex>`. */
export function policyControlId(d: Pick<PolicyDecision, 'policy' | 'validationIndex'>): string {
  return d.validationIndex === undefined ? `policy/${d.policy}` : `policy/${d.policy}/${d.validationIndex}`;
}

/** Evaluates every validating policy on every object of the inventory. */
export function evaluatePoliciesOnInventory(
  set: PolicySet,
  inventory: Inventory,
  options: PolicyScanOptions = {},
): PolicyScanResult {
  const result: PolicyScanResult = { findings: [], ignoredErrors: [] };
  for (const resource of inventory.resources) {
    const ns = resource.ref.namespace;
    const nsObj = ns ? (inventory.get('Namespace', undefined, ns)?.object ?? null) : null;
    const evaluation = evaluateRequest(set, createAttributes(resource.object, nsObj), {
      autogen: options.autogen ?? true,
      mutate: false,
      ...(options.authorizer ? { authorizer: options.authorizer } : {}),
    });
    const seen = new Set<string>();
    for (const d of evaluation.decisions) {
      const id = policyControlId(d);
      const key = `${id}\u0000${d.binding}\u0000${d.message}`;
      if (seen.has(key)) continue; // one finding per failure, whatever the number of actions
      seen.add(key);
      const policy = set.validating.find((p) => p.name === d.policy);
      const annotations = policy?.resource?.object.metadata?.annotations ?? {};
      const finding = toFinding(
        {
          id,
          title: annotations['palisade.dev/title'] ?? `CEL policy ${d.policy}`,
          severity: d.severity,
          category: 'policy',
          appliesTo: {},
          rationale: annotations['palisade.dev/rationale'] ?? '',
          remediation:
            annotations['palisade.dev/remediation'] ??
            (d.evaluation === 'error'
              ? 'Fix the policy expression or the object so that it can be evaluated.'
              : `Change the object so that policy ${d.policy} holds.`),
          frameworks: [],
        },
        resource,
        { message: d.message, path: d.fieldPath ?? '' },
      );
      result.findings.push(finding);
    }
    for (const e of evaluation.errors)
      if (e.outcome === 'ignored') result.ignoredErrors.push({ ...e, resource });
  }
  return result;
}
