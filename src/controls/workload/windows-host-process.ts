/**
 * workload/no-windows-host-process — Windows pods must not run as HostProcess containers.
 *
 * Fails for `securityContext.windowsOptions.hostProcess: true` on the pod or any container:
 * a HostProcess container runs directly on the Windows node with its privileges.
 */
import { containersOf, type Control, type Violation } from '../../core/index.js';
import { cis, containerName, isRecord, mitre, nsa } from '../support.js';

function hostProcess(sc: Record<string, unknown> | undefined): boolean {
  return isRecord(sc?.windowsOptions) && sc.windowsOptions.hostProcess === true;
}

export const noWindowsHostProcess: Control = {
  id: 'workload/no-windows-host-process',
  title: 'Windows pods must not run HostProcess containers',
  severity: 'critical',
  category: 'workload',
  appliesTo: { podTemplate: true },
  rationale:
    'A HostProcess container is a process on the Windows node with host-level access, the Windows twin of privileged.',
  remediation: 'Remove securityContext.windowsOptions.hostProcess or set it to false.',
  frameworks: [cis('5.2.11'), nsa('Pod security: non-root and unprivileged containers'), mitre('T1611')],
  check({ pod }) {
    if (!pod) return [];
    const out: Violation[] = [];
    if (hostProcess(pod.spec.securityContext))
      out.push({
        message: 'pod runs as a Windows HostProcess',
        path: `${pod.specPath}.securityContext.windowsOptions.hostProcess`,
      });
    for (const c of containersOf(pod))
      if (hostProcess(c.container.securityContext))
        out.push({
          message: `container "${containerName(c)}" runs as a Windows HostProcess`,
          path: `${c.path}.securityContext.windowsOptions.hostProcess`,
        });
    return out;
  },
};
