import type { CatalogEntry } from '../../core/index.js';
import { noSecretInAnnotations } from './no-secret-in-annotations.js';
import { noSecretInConfigMap } from './no-secret-in-configmap.js';
import { noSecretInEnv } from './no-secret-in-env.js';
import { noLegacyTokenSecret, opaqueCredentials } from './secret-types.js';
import { secretsAsFiles } from './secrets-as-files.js';

export { detectSecret, isSecretKeyName, keyWords, shannonEntropy } from './patterns.js';

/** Secrets handling controls (CIS 5.4.x, NSA/CISA secrets). */
export const SECRETS_CONTROLS: readonly CatalogEntry[] = [
  noSecretInEnv,
  noSecretInConfigMap,
  noSecretInAnnotations,
  secretsAsFiles,
  opaqueCredentials,
  noLegacyTokenSecret,
];
