import type { CatalogEntry } from '../core/index.js';
import { AUTH_CONTROLS } from './auth/index.js';
import { CLUSTER_CONTROLS } from './cluster/index.js';
import { NETWORK_CONTROLS } from './network/index.js';
import { SEGMENTATION_CONTROLS } from './network/segmentation.js';
import { RBAC_CONTROLS } from './rbac/index.js';
import { SECRETS_CONTROLS } from './secrets/index.js';
import { WORKLOAD_CONTROLS } from './workload/index.js';

/**
 * Every built-in control except the Pod Security Standards checks (selected through
 * `pss:` frameworks), in the order reports and docs list them.
 */
export const CATALOG: readonly CatalogEntry[] = [
  ...WORKLOAD_CONTROLS,
  ...SECRETS_CONTROLS,
  ...RBAC_CONTROLS,
  ...NETWORK_CONTROLS,
  ...SEGMENTATION_CONTROLS,
  ...CLUSTER_CONTROLS,
  ...AUTH_CONTROLS,
];
