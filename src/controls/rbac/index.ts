import type { Control } from '../../core/index.js';
import { BINDING_CONTROLS } from './bindings.js';
import { RULE_CONTROLS } from './role-rules.js';

export { resourceMatches, ruleGrants } from './rules.js';

/** RBAC controls (CIS 5.1.x). */
export const RBAC_CONTROLS: readonly Control[] = [...BINDING_CONTROLS, ...RULE_CONTROLS];
