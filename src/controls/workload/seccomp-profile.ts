/**
 * workload/seccomp-profile — containers must run under a seccomp profile.
 *
 * The effective `seccompProfile.type` (container over pod) must be `RuntimeDefault` or
 * `Localhost`. Fails when it is `Unconfined` (path at that field) or unset (path at the
 * container's securityContext). Windows pods are exempt.
 */
import { containersOf, type Control, type Violation } from '../../core/index.js';
import {
  cis,
  containerName,
  effectiveSecurity,
  isRecord,
  isWindowsPod,
  mitre,
  nsa,
  securityPath,
} from '../support.js';

export const seccompProfile: Control = {
  id: 'workload/seccomp-profile',
  title: 'Containers must use the RuntimeDefault or a Localhost seccomp profile',
  severity: 'medium',
  category: 'workload',
  appliesTo: { podTemplate: true },
  rationale: 'Without seccomp every system call is reachable, including the ones most kernel escapes need.',
  remediation: 'Set securityContext.seccompProfile.type: RuntimeDefault on the pod.',
  frameworks: [cis('5.7.2'), nsa('Pod security: hardening container environments'), mitre('T1611')],
  check({ pod }) {
    if (!pod || isWindowsPod(pod)) return [];
    const out: Violation[] = [];
    for (const c of containersOf(pod)) {
      const profile = effectiveSecurity(pod, c, 'seccompProfile');
      const type = isRecord(profile) ? profile.type : undefined;
      if (type === 'RuntimeDefault' || type === 'Localhost') continue;
      const own = isRecord(c.container.securityContext?.seccompProfile);
      out.push({
        message:
          type === 'Unconfined'
            ? `container "${containerName(c)}" runs with seccomp Unconfined`
            : `container "${containerName(c)}" sets no seccomp profile`,
        path:
          type === 'Unconfined'
            ? own
              ? `${c.path}.securityContext.seccompProfile.type`
              : `${pod.specPath}.securityContext.seccompProfile.type`
            : securityPath(c, 'seccompProfile'),
      });
    }
    return out;
  },
};
