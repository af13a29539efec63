import type { CatalogEntry } from '../core/index.js';
import { WORKLOAD_CONTROLS } from './workload/index.js';

/** Every built-in control, in the order reports list them. */
export const CATALOG: readonly CatalogEntry[] = [...WORKLOAD_CONTROLS];
