/**
 * workload/no-privileged — containers must not run privileged.
 *
 * A privileged container has every capability and access to all host devices: it is root
 * on the node. Fails for each container (init, regular, ephemeral) whose
 * `securityContext.privileged` is true. Windows pods are not exempt from the finding: the
 * field is meaningless there but setting it is still a mistake worth fixing.
 */
import { containersOf, type Control } from '../../core/index.js';

export const noPrivileged: Control = {
  id: 'workload/no-privileged',
  title: 'Containers must not run privileged',
  severity: 'critical',
  category: 'workload',
  appliesTo: { podTemplate: true },
  rationale:
    "A privileged container runs with all Linux capabilities and the host's devices; escaping to the node is trivial.",
  remediation:
    'Remove securityContext.privileged or set it to false; grant only the specific capabilities needed.',
  frameworks: [
    { id: 'cis-1.10', control: '5.2.2' },
    { id: 'nsa-cisa-1.2', control: 'Pod security: non-root and unprivileged containers' },
    { id: 'mitre-attack', control: 'T1611' },
  ],
  check({ pod }) {
    if (!pod) return [];
    return containersOf(pod)
      .filter((c) => c.container.securityContext?.privileged === true)
      .map((c) => ({
        message: `container "${c.container.name ?? `#${c.index}`}" runs privileged`,
        path: `${c.path}.securityContext.privileged`,
      }));
  },
};
