import type { CatalogEntry } from '../../core/index.js';
import { deprecatedApi } from './deprecated-api.js';
import { versionEol } from './version-eol.js';

export { KUBERNETES_EOL, REMOVED_APIS, minorOf } from './versions.js';

/** Cluster and version controls. */
export const CLUSTER_CONTROLS: readonly CatalogEntry[] = [versionEol, deprecatedApi];
