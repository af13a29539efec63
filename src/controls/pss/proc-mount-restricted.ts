/**
 * pss/procMount_restricted (restricted, v1.35+) — restricted keeps the unconditional /proc
 * mask rule when baseline relaxes it for user-namespace pods.
 *
 * Restricted fields: `securityContext.procMount` of every container. Allowed values: undefined
 * or `Default`, whatever `spec.hostUsers` says. Overrides the baseline procMount check.
 * Denial: `procMount (container "a" must not set securityContext.procMount to "Unmasked")`.
 */
import { procMountUnconditional } from './proc-mount-common.js';
import type { PssCheck } from './shared.js';

export const procMountRestricted: PssCheck = {
  id: 'procMount_restricted',
  level: 'restricted',
  title: 'Containers must keep the default /proc masks, even in a user namespace',
  severity: 'medium',
  rationale:
    'The restricted profile does not rely on user namespaces to contain an unmasked /proc: the masks stay required.',
  remediation: 'Remove securityContext.procMount or set it to Default.',
  refs: [
    { id: 'cis-1.10', control: '5.7.3' },
    { id: 'nsa-cisa-1.2', control: 'Pod security: hardening container environments' },
    { id: 'mitre-attack', control: 'T1611' },
  ],
  versions: [
    {
      minVersion: 35,
      check: procMountUnconditional,
      change: 'procMount Default or unset, even with hostUsers: false',
      overrides: ['procMount'],
    },
  ],
};
