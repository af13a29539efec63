/** The CIS Kubernetes Benchmark 1.10, sections 1 to 4, as Palisade declarations. */
import type { Benchmark } from '../types.js';
import { CONTROLPLANE_CHECKS } from './controlplane.js';
import { ETCD_CHECKS } from './etcd.js';
import { MASTER_CHECKS } from './master.js';
import { NODE_CHECKS } from './node.js';

/** CIS Kubernetes Benchmark v1.10 (Kubernetes 1.28), sections 1–4. */
export const CIS_1_10: Benchmark = {
  id: 'cis-1.10',
  title: 'CIS Kubernetes Benchmark v1.10.0',
  checks: [...MASTER_CHECKS, ...ETCD_CHECKS, ...CONTROLPLANE_CHECKS, ...NODE_CHECKS],
};
