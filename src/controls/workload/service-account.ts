/**
 * Service-account controls.
 *
 * - workload/no-automount-token: fails when the pod template does not set
 *   `automountServiceAccountToken: false` and its ServiceAccount (when present in the
 *   inventory) does not either. The pod's own value wins over the ServiceAccount's, as the
 *   kubelet applies it. Path: the pod field when set, else the pod spec.
 * - workload/no-default-service-account: fails when the pod runs as the namespace's
 *   `default` ServiceAccount (no `serviceAccountName`, or the name `default`).
 */
import type { Control, Inventory, PodTemplate, Resource } from '../../core/index.js';
import { cis, mitre, nsa } from '../support.js';

function serviceAccountName(pod: PodTemplate): string {
  const name = pod.spec.serviceAccountName ?? pod.spec['serviceAccount'];
  return typeof name === 'string' && name !== '' ? name : 'default';
}

function serviceAccountAutomount(inventory: Inventory, resource: Resource, pod: PodTemplate): unknown {
  const sa = inventory.get('ServiceAccount', resource.ref.namespace, serviceAccountName(pod));
  return sa?.object['automountServiceAccountToken'];
}

export const noAutomountToken: Control = {
  id: 'workload/no-automount-token',
  title: 'Pods must not automount a service-account token they do not need',
  severity: 'medium',
  category: 'workload',
  appliesTo: { podTemplate: true, reads: ['ServiceAccount'] },
  rationale:
    'A mounted token is a credential for the API server that any code in the pod, or an attacker in it, can use.',
  remediation:
    'Set automountServiceAccountToken: false on the pod (or its ServiceAccount) and mount a projected token only where needed.',
  frameworks: [cis('5.1.6'), nsa('Pod security: protecting Pod service account tokens'), mitre('T1528')],
  check({ pod, resource, inventory }) {
    if (!pod) return [];
    const own = pod.spec.automountServiceAccountToken;
    if (own === false) return [];
    if (own === undefined && serviceAccountAutomount(inventory, resource, pod) === false) return [];
    return [
      {
        message: `pod automounts the token of service account "${serviceAccountName(pod)}"`,
        path: own === true ? `${pod.specPath}.automountServiceAccountToken` : pod.specPath,
      },
    ];
  },
};

export const noDefaultServiceAccount: Control = {
  id: 'workload/no-default-service-account',
  title: 'Pods must run under their own service account, not default',
  severity: 'low',
  category: 'workload',
  appliesTo: { podTemplate: true },
  rationale:
    "Rights granted to a namespace's default service account silently apply to every pod that names none.",
  remediation: 'Create a ServiceAccount per workload and set serviceAccountName.',
  frameworks: [
    cis('5.1.5'),
    nsa('Authentication and authorization: role-based access control'),
    mitre('T1078.001'),
  ],
  check({ pod }) {
    if (!pod || serviceAccountName(pod) !== 'default') return [];
    const set = pod.spec.serviceAccountName !== undefined;
    return [
      {
        message: 'pod runs as the default service account',
        path: set ? `${pod.specPath}.serviceAccountName` : pod.specPath,
      },
    ];
  },
};
