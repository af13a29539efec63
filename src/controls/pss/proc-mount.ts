/**
 * pss/procMount (baseline, v1.0+, changed v1.35) — the default /proc masks reduce the attack
 * surface and are required.
 *
 * Restricted fields: `securityContext.procMount` of every container. Allowed values: undefined
 * or `Default`. From v1.35 any value is allowed for a pod in a user namespace
 * (`spec.hostUsers: false`). In restricted it is replaced from v1.35 by procMount_restricted,
 * which keeps the unconditional rule.
 * Denial: `procMount (container "a" must not set securityContext.procMount to "Unmasked")`.
 */
import { procMountUnconditional } from './proc-mount-common.js';
import { isUserNamespacePod, type PssCheck, type PssCheckFn } from './shared.js';

const procMount1Dot35: PssCheckFn = (pod) =>
  isUserNamespacePod(pod) ? undefined : procMountUnconditional(pod);

export const procMount: PssCheck = {
  id: 'procMount',
  level: 'baseline',
  title: 'Containers must keep the default /proc masks',
  severity: 'medium',
  rationale:
    "An unmasked /proc exposes kernel and host information that the runtime's default masks hide from containers.",
  remediation:
    'Remove securityContext.procMount or set it to Default (or run the pod with hostUsers: false).',
  refs: [
    { id: 'cis-1.10', control: '5.7.3' },
    { id: 'nsa-cisa-1.2', control: 'Pod security: hardening container environments' },
    { id: 'mitre-attack', control: 'T1611' },
  ],
  versions: [
    { minVersion: 0, check: procMountUnconditional, change: 'procMount Default or unset' },
    { minVersion: 35, check: procMount1Dot35, change: 'any procMount for pods with hostUsers: false' },
  ],
};
