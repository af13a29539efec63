/**
 * workload/no-host-ports — containers must not bind ports on the node.
 *
 * Fails for each `ports[].hostPort` that is set and non-zero, in init, regular and ephemeral
 * containers. A hostPort bypasses NetworkPolicy-based isolation of the pod network and ties
 * the pod to a node.
 */
import { containersOf, type Control, type Violation } from '../../core/index.js';
import { cis, containerName, mitre, nsa, text } from '../support.js';

export const noHostPorts: Control = {
  id: 'workload/no-host-ports',
  title: 'Containers must not use host ports',
  severity: 'medium',
  category: 'workload',
  appliesTo: { podTemplate: true },
  rationale:
    "A hostPort publishes the container on the node's address, outside Services and network policies.",
  remediation: 'Remove hostPort and expose the container through a Service.',
  frameworks: [cis('5.2.13'), nsa('Network separation and hardening: network policies'), mitre('T1133')],
  check({ pod }) {
    if (!pod) return [];
    const out: Violation[] = [];
    for (const c of containersOf(pod)) {
      (c.container.ports ?? []).forEach((p, i) => {
        const hp = p?.hostPort;
        if (hp !== undefined && hp !== null && hp !== 0)
          out.push({
            message: `container "${containerName(c)}" binds host port ${text(hp)}`,
            path: `${c.path}.ports[${i}].hostPort`,
          });
      });
    }
    return out;
  },
};
