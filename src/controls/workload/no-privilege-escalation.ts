/**
 * workload/no-privilege-escalation — containers must set `allowPrivilegeEscalation: false`.
 *
 * Unless the flag is false, a process can gain more privileges than its parent (setuid
 * binaries, file capabilities). The default is true, so the field must be set explicitly.
 * Fails for each init, regular and ephemeral container whose
 * `securityContext.allowPrivilegeEscalation` is not `false`. Windows pods are exempt (the
 * field does not exist there).
 */
import { containersOf, type Control } from '../../core/index.js';
import { cis, containerName, isWindowsPod, mitre, nsa, securityPath } from '../support.js';

export const noPrivilegeEscalation: Control = {
  id: 'workload/no-privilege-escalation',
  title: 'Containers must not allow privilege escalation',
  severity: 'high',
  category: 'workload',
  appliesTo: { podTemplate: true },
  rationale:
    'With privilege escalation allowed, a compromised process can become root through setuid binaries or file capabilities.',
  remediation: 'Set securityContext.allowPrivilegeEscalation: false on every container.',
  frameworks: [cis('5.2.6'), nsa('Pod security: non-root and unprivileged containers'), mitre('T1068')],
  check({ pod }) {
    if (!pod || isWindowsPod(pod)) return [];
    return containersOf(pod)
      .filter((c) => c.container.securityContext?.allowPrivilegeEscalation !== false)
      .map((c) => ({
        message: `container "${containerName(c)}" does not set allowPrivilegeEscalation: false`,
        path: securityPath(c, 'allowPrivilegeEscalation'),
      }));
  },
};
