export * from './types.js';
export * from './errors.js';
export * from './field-path.js';
export * from './workloads.js';
export * from './inventory.js';
export * from './selector.js';
export * from './control.js';
export * from './memory.js';
