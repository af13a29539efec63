/**
 * The PolicyEvaluator port over the CEL policy engine (src/policy): ValidatingAdmissionPolicy
 * and MutatingAdmissionPolicy semantics, compiled once, evaluated per request. The validate
 * endpoint runs the validating policies only and the mutate endpoint the mutating ones, the
 * way the API server calls them in two phases.
 */
import { evaluateRequest, type JsonPatchOp as PolicyPatchOp, type PolicySet } from '../policy/index.js';
import type { RequestAttributes } from '../policy/index.js';
import type { PolicyDecision, PolicyError, PolicyEvaluation, PolicyEvaluator } from './ports.js';
import type { AdmissionAttributes, JsonPatchOp } from './types.js';

/**
 * A PolicyEvaluator over a compiled policy set, with the API server's cost limits; or, with
 * `totalCostLimit`, with that much cost for all the policies of one request together: each
 * binding (and each of its expressions) gets an even share. A mutating binding may be invoked
 * twice (reinvocation), so its share is halved.
 */
export function celPolicyEvaluator(set: PolicySet, totalCostLimit?: number): PolicyEvaluator {
  const policies = [...set.validating.map((p) => p.name), ...set.mutating.map((p) => p.name)];
  const count = (bindings: ReadonlyMap<string, readonly unknown[]>): number =>
    [...bindings.values()].reduce((n, b) => n + b.length, 0);
  const share = (invocations: number): { perCallCostLimit?: number; perExpressionCostLimit?: number } => {
    if (totalCostLimit === undefined) return {};
    const limit = Math.max(1, Math.floor(totalCostLimit / Math.max(1, invocations)));
    return { perCallCostLimit: limit, perExpressionCostLimit: limit };
  };
  const limits = {
    validate: share(count(set.validatingBindings)),
    mutate: share(2 * count(set.mutatingBindings)),
  };
  return {
    policies,
    limited: (limit) => celPolicyEvaluator(set, limit),
    evaluate(attributes, phase): PolicyEvaluation {
      const result = evaluateRequest(set, requestAttributes(attributes), {
        validate: phase === 'validate',
        mutate: phase === 'mutate',
        ...limits[phase],
      });
      const decisions: PolicyDecision[] = result.decisions.map((d) => {
        const out: PolicyDecision = {
          policy: d.policy,
          binding: d.binding,
          action: d.action,
          message: d.message,
          reason: d.reason,
        };
        if (d.validationIndex !== undefined) out.validationIndex = d.validationIndex;
        return out;
      });
      // Errors under failurePolicy Fail are already decisions (with their binding's action);
      // only the ignored ones are left to report.
      const errors: PolicyError[] = result.errors
        .filter((e) => e.outcome === 'ignored')
        .map((e) => ({
          policy: e.policy,
          binding: e.binding,
          message: `${e.path}: ${e.message}`,
          failurePolicy: 'Ignore',
        }));
      const evaluation: PolicyEvaluation = {
        decisions,
        auditAnnotations: result.auditAnnotations,
        errors,
      };
      if (result.patch) evaluation.patch = result.patch.map(toPatchOp);
      if (result.errors.some((e) => e.code === 'cost_exceeded')) evaluation.costExceeded = true;
      return evaluation;
    },
  };
}

function requestAttributes(a: AdmissionAttributes): RequestAttributes {
  const out: RequestAttributes = {
    operation: a.operation,
    object: a.object ?? null,
    oldObject: a.oldObject ?? null,
    kind: a.kind,
    resource: a.resource,
    subResource: a.subResource,
    name: a.name,
    namespace: a.namespace,
    userInfo: a.userInfo,
    dryRun: a.dryRun,
    namespaceObject: a.namespaceObject ?? null,
  };
  return out;
}

function toPatchOp(p: PolicyPatchOp): JsonPatchOp {
  switch (p.op) {
    case 'remove':
      return { op: 'remove', path: p.path };
    case 'move':
    case 'copy':
      return { op: p.op, from: p.from ?? '', path: p.path };
    default:
      return { op: p.op, path: p.path, value: p.value };
  }
}
