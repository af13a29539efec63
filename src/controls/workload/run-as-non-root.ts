/**
 * workload/run-as-non-root — containers must not run as root (UID 0).
 *
 * A container passes when its effective `runAsNonRoot` is true (container value over pod
 * value) and its effective `runAsUser` is not 0, or when its effective `runAsUser` is a
 * non-zero UID. Fails when the effective `runAsUser` is 0 (path at that field) or when
 * nothing forbids root (path at the container's securityContext). Windows pods are exempt.
 */
import { containersOf, type Control, type Violation } from '../../core/index.js';
import { cis, containerName, effectiveSecurity, isWindowsPod, mitre, nsa, securityPath } from '../support.js';

export const runAsNonRoot: Control = {
  id: 'workload/run-as-non-root',
  title: 'Containers must run as a non-root user',
  severity: 'high',
  category: 'workload',
  appliesTo: { podTemplate: true },
  rationale:
    'Root in a container is root on the node for every kernel and runtime escape, and owns every file the container can reach.',
  remediation:
    'Set securityContext.runAsNonRoot: true and a non-zero runAsUser on the pod or every container.',
  frameworks: [cis('5.2.7'), nsa('Pod security: non-root and unprivileged containers'), mitre('T1611')],
  check({ pod }) {
    if (!pod || isWindowsPod(pod)) return [];
    const out: Violation[] = [];
    for (const c of containersOf(pod)) {
      const user = effectiveSecurity(pod, c, 'runAsUser');
      const nonRoot = effectiveSecurity(pod, c, 'runAsNonRoot');
      if (user === 0) {
        const own = c.container.securityContext?.runAsUser !== undefined;
        out.push({
          message: `container "${containerName(c)}" runs as UID 0`,
          path: own ? `${c.path}.securityContext.runAsUser` : `${pod.specPath}.securityContext.runAsUser`,
        });
      } else if (nonRoot !== true && !(typeof user === 'number' && user > 0)) {
        out.push({
          message: `container "${containerName(c)}" may run as root: neither runAsNonRoot: true nor a non-zero runAsUser is set`,
          path: securityPath(c, 'runAsNonRoot'),
        });
      }
    }
    return out;
  },
};
