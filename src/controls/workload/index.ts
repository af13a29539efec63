import type { Control } from '../../core/index.js';
import { imageTag } from './image-tag.js';
import { noPrivileged } from './no-privileged.js';
import { resourceLimits } from './resource-limits.js';

export { imageTagOf } from './image-tag.js';

/** Workload controls that prove the scan pipeline end to end. */
export const WORKLOAD_CONTROLS: readonly Control[] = [noPrivileged, imageTag, resourceLimits];
