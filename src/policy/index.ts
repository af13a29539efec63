/**
 * Policy as code in CEL: Kubernetes ValidatingAdmissionPolicy / MutatingAdmissionPolicy
 * semantics, offline. Compile once with `compilePolicies`, then evaluate requests with
 * `evaluateRequest` (admission webhook) or inventories with `evaluatePoliciesOnInventory`
 * (scan). See docs/policy.md.
 */
export {
  compilePolicies,
  isPolicyObject,
  type CompileOptions,
  type CompiledBinding,
  type CompiledMutatingPolicy,
  type CompiledValidatingPolicy,
  type ParamStore,
  type PolicyError,
  type PolicySet,
} from './compile.js';
export {
  evaluateRequest,
  podTemplateAttributes,
  type EvaluateRequestOptions,
  type PolicyDecision,
  type PolicyEvaluationError,
  type RequestEvaluation,
} from './evaluate.js';
export { type JsonPatchOp } from './mutate.js';
export { type AuthorizerAttributes, type AuthorizerFn } from './cel/k8s-lib.js';
export {
  createCelEngine,
  PER_CALL_COST_LIMIT,
  PER_EXPRESSION_COST_LIMIT,
  toCelValue,
  type CelEngine,
  type CelProgram,
} from './cel/engine.js';
export * from './types.js';
export {
  createAttributes,
  evaluatePoliciesOnInventory,
  policyControlId,
  resourceOfKind,
  type PolicyScanOptions,
  type PolicyScanResult,
} from './scan.js';
export {
  judgeCase,
  parsePolicyTest,
  policyTestSchema,
  runPolicyTest,
  type CaseResult,
  type PolicyTestCase,
  type PolicyTestSuite,
} from './suite.js';
export { exportNative } from './export.js';
