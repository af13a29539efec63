/**
 * workload/no-default-namespace — workloads must not run in the `default` namespace.
 *
 * Fails for each object with a pod template whose `metadata.namespace` is `default`.
 * Objects without a namespace are not judged: the namespace is then chosen at apply time.
 */
import type { Control } from '../../core/index.js';
import { cis, nsa } from '../support.js';

export const noDefaultNamespace: Control = {
  id: 'workload/no-default-namespace',
  title: 'Workloads must not run in the default namespace',
  severity: 'low',
  category: 'workload',
  appliesTo: { podTemplate: true },
  rationale:
    'The default namespace has no owner, no policies and no quotas of its own; it mixes whatever lands there.',
  remediation:
    'Move the workload to a namespace of its own team, with its network policies and Pod Security labels.',
  // No ATT&CK technique: the default namespace is an organisation risk, not an attack step.
  frameworks: [cis('5.7.4'), nsa('Network separation and hardening: namespaces')],
  check({ resource }) {
    if (resource.ref.namespace !== 'default') return [];
    return [
      {
        message: `${resource.ref.kind} ${resource.ref.name} runs in the default namespace`,
        path: 'metadata.namespace',
      },
    ];
  },
};
