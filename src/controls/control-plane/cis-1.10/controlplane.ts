/** CIS Kubernetes Benchmark 1.10, section 3: control plane configuration (authentication, logging). */
import type { CisCheck } from '../types.js';
import { all, flagCheck, manualCheck, present, type Group } from './builders.js';

const AUTH: Group = { section: 'controlplane', id: '3.1', title: 'Authentication and Authorization' };
const LOGGING: Group = { section: 'controlplane', id: '3.2', title: 'Logging' };

/** Section 3 checks, in benchmark order. */
export const CONTROLPLANE_CHECKS: readonly CisCheck[] = [
  manualCheck(AUTH, {
    id: '3.1.1',
    text: 'Client certificate authentication should not be used for users (Manual)',
    scored: false,
    remediation:
      'Authenticate people through OIDC or another external identity provider instead of client certificates, which cannot be revoked.',
  }),
  manualCheck(AUTH, {
    id: '3.1.2',
    text: 'Service account token authentication should not be used for users (Manual)',
    scored: false,
    remediation:
      'Keep service account tokens for workloads; authenticate people through OIDC or another external identity provider.',
  }),
  manualCheck(AUTH, {
    id: '3.1.3',
    text: 'Bootstrap token authentication should not be used for users (Manual)',
    scored: false,
    remediation:
      'Use bootstrap tokens only to join nodes; authenticate people through OIDC or another external identity provider.',
  }),
  flagCheck(
    LOGGING,
    {
      id: '3.2.1',
      text: 'Ensure that a minimal audit policy is created (Manual)',
      scored: false,
      remediation: 'Write an audit policy and pass it to kube-apiserver with `--audit-policy-file`.',
    },
    'apiserver',
    all(present('--audit-policy-file', { set: true })),
  ),
  manualCheck(LOGGING, {
    id: '3.2.2',
    text: 'Ensure that the audit policy covers key security concerns (Manual)',
    scored: false,
    remediation:
      'Review the audit policy: log Secrets, ConfigMaps and TokenReviews at Metadata level only, and cover pod and deployment changes and pods/exec, pods/portforward, pods/proxy and services/proxy.',
  }),
];
