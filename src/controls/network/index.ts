import type { CatalogEntry } from '../../core/index.js';
import { noAllowAll } from './allow-all.js';
import { defaultDenyEgress, defaultDenyIngress } from './default-deny.js';
import { podSelectedByPolicy } from './pod-selected-by-policy.js';
import { noExternalIps, noHostNetwork, noNodePortLoadBalancer } from './services.js';

/** Network posture controls (CIS 5.3.x, NSA/CISA network separation). */
export const NETWORK_CONTROLS: readonly CatalogEntry[] = [
  defaultDenyIngress,
  defaultDenyEgress,
  podSelectedByPolicy,
  noAllowAll,
  noNodePortLoadBalancer,
  noExternalIps,
  noHostNetwork,
];
