/**
 * workload/no-root-group — pods and containers must not run with group 0.
 *
 * GID 0 gives access to every root-group-owned file in the image and on mounted volumes.
 * Fails for an effective `runAsGroup: 0` on any container, and for a pod-level `fsGroup: 0`
 * or `supplementalGroups` containing 0. Unset values pass (the runtime's image default is
 * covered by workload/run-as-non-root). Windows pods are exempt.
 */
import { containersOf, type Control, type Violation } from '../../core/index.js';
import { containerName, isWindowsPod, mitre, nsa } from '../support.js';

export const noRootGroup: Control = {
  id: 'workload/no-root-group',
  title: 'Pods must not run with the root group',
  severity: 'medium',
  category: 'workload',
  appliesTo: { podTemplate: true },
  rationale: 'Group 0 can read and write files owned by the root group in the image and on shared volumes.',
  remediation: 'Set runAsGroup, fsGroup and supplementalGroups to non-zero GIDs.',
  frameworks: [nsa('Pod security: non-root and unprivileged containers'), mitre('T1611')],
  check({ pod }) {
    if (!pod || isWindowsPod(pod)) return [];
    const out: Violation[] = [];
    const psc = pod.spec.securityContext ?? {};
    if (psc.fsGroup === 0)
      out.push({ message: 'pod sets fsGroup: 0', path: `${pod.specPath}.securityContext.fsGroup` });
    const groups = psc.supplementalGroups;
    if (Array.isArray(groups)) {
      groups.forEach((g, i) => {
        if (g === 0)
          out.push({
            message: 'pod adds group 0 to supplementalGroups',
            path: `${pod.specPath}.securityContext.supplementalGroups[${i}]`,
          });
      });
    }
    for (const c of containersOf(pod)) {
      const own = c.container.securityContext?.runAsGroup;
      if (own === 0)
        out.push({
          message: `container "${containerName(c)}" runs with GID 0`,
          path: `${c.path}.securityContext.runAsGroup`,
        });
      else if (own === undefined && psc.runAsGroup === 0)
        out.push({
          message: `container "${containerName(c)}" runs with GID 0 (from the pod)`,
          path: `${pod.specPath}.securityContext.runAsGroup`,
        });
    }
    return out;
  },
};
