export { CATALOG } from './catalog.js';
export {
  evaluateControls,
  evaluateSubjects,
  subjectOf,
  toFinding,
  type EvaluateOptions,
  type EvaluationError,
  type EvaluationResult,
} from './engine.js';
export {
  applyExceptions,
  exceptionAnnotationKey,
  exceptionListSchema,
  glob,
  parseExceptionList,
  type ApplyExceptionsOptions,
  type ExceptionFileIssue,
  type ExceptionRule,
  type ExceptionsOutcome,
} from './exceptions.js';
export { imageRepository, imageTagOf } from './workload/index.js';
export { detectSecret } from './secrets/index.js';
export { KUBERNETES_EOL, REMOVED_APIS } from './cluster/index.js';
export * from './control-plane/index.js';
