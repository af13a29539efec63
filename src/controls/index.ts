export { CATALOG } from './catalog.js';
export {
  evaluateControls,
  toFinding,
  type EvaluateOptions,
  type EvaluationError,
  type EvaluationResult,
} from './engine.js';
export { imageTagOf } from './workload/index.js';
export * from './control-plane/index.js';
