export * from './types.js';
export * from './rules.js';
export {
  buildRbacModel,
  allBindings,
  CLUSTER_ADMIN_RULES,
  type BuildRbacModelOptions,
  type RbacModel,
  type ServiceAccountInfo,
} from './model.js';
export * from './authorize.js';
export * from './subjects.js';
export * from './resources.js';
export * from './queries.js';
export * from './builders.js';
export * from './paths.js';
export * from './audit.js';
export * from './suggest.js';
export * from './sod.js';
export * from './diff.js';
export * from './random.js';
