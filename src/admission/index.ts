export * from './types.js';
export * from './ports.js';
export * from './parse.js';
export * from './config.js';
export * from './decide.js';
export * from './decision-log.js';
export * from './text.js';
