import type { CatalogEntry } from '../../core/index.js';
import {
  clientCertificateExpiry,
  externalUserAuthentication,
  noAnonymousAuth,
  serviceAccountTokenLifetime,
} from './controls.js';

export { apiServerCommandLines, durationSeconds, flagValue } from './api-server.js';

/** Authentication controls (CIS 1.2.1, 3.1.1, 4.2.1; NSA/CISA authentication and authorization). */
export const AUTH_CONTROLS: readonly CatalogEntry[] = [
  noAnonymousAuth,
  externalUserAuthentication,
  serviceAccountTokenLifetime,
  clientCertificateExpiry,
];
