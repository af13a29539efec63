/**
 * workload/read-only-root-fs — containers must mount their root filesystem read-only.
 *
 * Fails for each init, regular and ephemeral container whose
 * `securityContext.readOnlyRootFilesystem` is not true: a debug container added with
 * `kubectl debug` runs in the pod's namespaces and is as good a foothold as any other.
 * Windows pods are exempt.
 */
import { containersOf, type Control } from '../../core/index.js';
import { containerName, isWindowsPod, mitre, nsa, securityPath } from '../support.js';

export const readOnlyRootFs: Control = {
  id: 'workload/read-only-root-fs',
  title: 'Containers must use a read-only root filesystem',
  severity: 'medium',
  category: 'workload',
  appliesTo: { podTemplate: true },
  rationale:
    'A writable root filesystem lets an attacker drop tools and modify binaries inside the running container.',
  remediation:
    'Set securityContext.readOnlyRootFilesystem: true and mount emptyDir volumes where writes are needed.',
  frameworks: [nsa('Pod security: immutable container file systems'), mitre('T1525')],
  check({ pod }) {
    if (!pod || isWindowsPod(pod)) return [];
    return containersOf(pod)
      .filter((c) => c.container.securityContext?.readOnlyRootFilesystem !== true)
      .map((c) => ({
        message: `container "${containerName(c)}" has a writable root filesystem`,
        path: securityPath(c, 'readOnlyRootFilesystem'),
      }));
  },
};
