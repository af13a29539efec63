/**
 * workload/resource-requests — containers must request CPU and memory.
 *
 * Without requests the scheduler cannot place the pod sensibly and it is the first evicted
 * under pressure. Fails for each init and regular container missing `resources.requests.cpu`
 * or `resources.requests.memory` (a limit alone counts: Kubernetes defaults the request to
 * it). Ephemeral containers cannot set resources and are not checked. Reliability hygiene:
 * part of the opt-in `best-practices` framework, not of the default selection.
 */
import { containersOf, type Control, type Violation } from '../../core/index.js';
import { bestPractice, containerName } from '../support.js';

function present(v: unknown): boolean {
  return v !== undefined && v !== null && v !== '';
}

export const resourceRequests: Control = {
  id: 'workload/resource-requests',
  title: 'Containers must request CPU and memory',
  severity: 'low',
  category: 'workload',
  appliesTo: { podTemplate: true },
  rationale:
    'Requests drive scheduling and eviction; without them a node can be overcommitted until workloads fail.',
  remediation: 'Set resources.requests.cpu and resources.requests.memory on every container.',
  frameworks: [bestPractice('resources')],
  check({ pod }) {
    if (!pod) return [];
    const out: Violation[] = [];
    for (const c of containersOf(pod)) {
      if (c.field === 'ephemeralContainers') continue;
      const req = c.container.resources?.requests ?? {};
      const lim = c.container.resources?.limits ?? {};
      const missing = ['cpu', 'memory'].filter((k) => !present(req[k]) && !present(lim[k]));
      if (missing.length === 0) continue;
      const path =
        c.container.resources?.requests !== undefined
          ? `${c.path}.resources.requests`
          : c.container.resources !== undefined
            ? `${c.path}.resources`
            : c.path;
      out.push({ message: `container "${containerName(c)}" requests no ${missing.join(' or ')}`, path });
    }
    return out;
  },
};
