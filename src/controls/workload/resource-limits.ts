/**
 * workload/resource-limits — containers must set CPU and memory limits.
 *
 * Without limits one container can starve its node (denial of service, noisy neighbour).
 * Fails for each init and regular container missing `resources.limits.cpu` or
 * `resources.limits.memory`; the path points at `resources.limits` (or `resources`, or the
 * container) as deep as the manifest goes. Ephemeral containers cannot set resources and
 * are not checked.
 */
import { containersOf, type Control, type Violation } from '../../core/index.js';

export const resourceLimits: Control = {
  id: 'workload/resource-limits',
  title: 'Containers must set CPU and memory limits',
  severity: 'medium',
  category: 'workload',
  appliesTo: { podTemplate: true },
  rationale:
    'A container without limits can consume all CPU or memory of its node, starving other workloads and the kubelet.',
  remediation:
    'Set resources.limits.cpu and resources.limits.memory (and matching requests) on every container.',
  frameworks: [
    { id: 'nsa-cisa-1.2', control: 'Network separation and hardening: resource policies' },
    { id: 'mitre-attack', control: 'T1499' },
  ],
  check({ pod }) {
    if (!pod) return [];
    const out: Violation[] = [];
    for (const c of containersOf(pod)) {
      if (c.field === 'ephemeralContainers') continue;
      const limits = c.container.resources?.limits ?? {};
      const missing = ['cpu', 'memory'].filter(
        (k) => limits[k] === undefined || limits[k] === null || limits[k] === '',
      );
      if (missing.length === 0) continue;
      const path =
        c.container.resources?.limits !== undefined
          ? `${c.path}.resources.limits`
          : c.container.resources !== undefined
            ? `${c.path}.resources`
            : c.path;
      out.push({
        message: `container "${c.container.name ?? `#${c.index}`}" has no ${missing.join(' or ')} limit`,
        path,
      });
    }
    return out;
  },
};
