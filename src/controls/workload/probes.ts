/**
 * Probe controls for long-running pods.
 *
 * - workload/liveness-probe: each regular container must declare `livenessProbe`.
 * - workload/readiness-probe: each regular container must declare `readinessProbe`.
 * Pods that run to completion (`restartPolicy` Never or OnFailure, as every Job template
 * has) are not checked, nor are init and ephemeral containers.
 */
import { containersOf, type Control, type PodTemplate } from '../../core/index.js';
import { containerName, mitre, nsa } from '../support.js';

function longRunning(pod: PodTemplate): boolean {
  const policy = pod.spec['restartPolicy'];
  return policy === undefined || policy === 'Always';
}

function probeControl(
  field: 'livenessProbe' | 'readinessProbe',
  id: string,
  title: string,
  rationale: string,
): Control {
  return {
    id,
    title,
    severity: 'low',
    category: 'workload',
    appliesTo: { podTemplate: true },
    rationale,
    remediation: `Declare ${field} on every container (httpGet, tcpSocket, grpc or exec).`,
    frameworks: [nsa('Upgrading and application security practices'), mitre('T1499')],
    check({ pod }) {
      if (!pod || !longRunning(pod)) return [];
      return containersOf(pod)
        .filter(
          (c) =>
            c.field === 'containers' && (c.container[field] === undefined || c.container[field] === null),
        )
        .map((c) => ({ message: `container "${containerName(c)}" declares no ${field}`, path: c.path }));
    },
  };
}

export const livenessProbe = probeControl(
  'livenessProbe',
  'workload/liveness-probe',
  'Containers must declare a liveness probe',
  'Without a liveness probe a hung process keeps its pod and its traffic until someone notices.',
);

export const readinessProbe = probeControl(
  'readinessProbe',
  'workload/readiness-probe',
  'Containers must declare a readiness probe',
  'Without a readiness probe traffic reaches a container before it can serve, and during its failures.',
);
