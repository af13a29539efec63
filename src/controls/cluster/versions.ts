/**
 * Kubernetes release data: end of upstream support per minor version, and API versions that
 * were deprecated and removed. Sources: kubernetes.io/releases (end-of-life dates of each
 * minor) and the Kubernetes deprecated API migration guide. Dates for releases still in
 * support are the ones announced at release time.
 */

/** End of upstream patch support, by minor version. */
export const KUBERNETES_EOL: Readonly<Record<string, string>> = {
  '1.19': '2021-10-28',
  '1.20': '2022-02-28',
  '1.21': '2022-06-28',
  '1.22': '2022-10-28',
  '1.23': '2023-02-28',
  '1.24': '2023-07-28',
  '1.25': '2023-10-28',
  '1.26': '2024-02-28',
  '1.27': '2024-06-28',
  '1.28': '2024-10-28',
  '1.29': '2025-02-28',
  '1.30': '2025-06-28',
  '1.31': '2025-10-28',
  '1.32': '2026-02-28',
  '1.33': '2026-06-28',
  '1.34': '2026-10-27',
  '1.35': '2027-02-28',
};

/** Oldest minor in the table; anything older is past end of life. */
export const OLDEST_TRACKED_MINOR = 19;

/** One API version of one kind that stopped being served. */
export interface RemovedApi {
  apiVersion: string;
  kind: string;
  /** Minor version in which it was deprecated (e.g. `1.16`). */
  deprecatedIn: string;
  /** Minor version from which the API server no longer serves it. */
  removedIn: string;
  replacement: string;
}

const r = (
  apiVersion: string,
  kinds: string[],
  deprecatedIn: string,
  removedIn: string,
  replacement: string,
): RemovedApi[] => kinds.map((kind) => ({ apiVersion, kind, deprecatedIn, removedIn, replacement }));

/** Deprecated and removed API versions, by apiVersion and kind. */
export const REMOVED_APIS: readonly RemovedApi[] = [
  ...r('extensions/v1beta1', ['Deployment', 'DaemonSet', 'ReplicaSet'], '1.9', '1.16', 'apps/v1'),
  ...r('apps/v1beta1', ['Deployment', 'StatefulSet', 'ReplicaSet'], '1.9', '1.16', 'apps/v1'),
  ...r('apps/v1beta2', ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'], '1.9', '1.16', 'apps/v1'),
  ...r('extensions/v1beta1', ['NetworkPolicy'], '1.9', '1.16', 'networking.k8s.io/v1'),
  ...r(
    'extensions/v1beta1',
    ['PodSecurityPolicy'],
    '1.10',
    '1.16',
    'policy/v1beta1 (itself removed in 1.25)',
  ),
  ...r('extensions/v1beta1', ['Ingress'], '1.14', '1.22', 'networking.k8s.io/v1'),
  ...r('networking.k8s.io/v1beta1', ['Ingress', 'IngressClass'], '1.19', '1.22', 'networking.k8s.io/v1'),
  ...r(
    'rbac.authorization.k8s.io/v1beta1',
    ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'],
    '1.17',
    '1.22',
    'rbac.authorization.k8s.io/v1',
  ),
  ...r(
    'admissionregistration.k8s.io/v1beta1',
    ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'],
    '1.16',
    '1.22',
    'admissionregistration.k8s.io/v1',
  ),
  ...r(
    'apiextensions.k8s.io/v1beta1',
    ['CustomResourceDefinition'],
    '1.16',
    '1.22',
    'apiextensions.k8s.io/v1',
  ),
  ...r('apiregistration.k8s.io/v1beta1', ['APIService'], '1.19', '1.22', 'apiregistration.k8s.io/v1'),
  ...r(
    'certificates.k8s.io/v1beta1',
    ['CertificateSigningRequest'],
    '1.19',
    '1.22',
    'certificates.k8s.io/v1',
  ),
  ...r('coordination.k8s.io/v1beta1', ['Lease'], '1.19', '1.22', 'coordination.k8s.io/v1'),
  ...r('scheduling.k8s.io/v1beta1', ['PriorityClass'], '1.14', '1.22', 'scheduling.k8s.io/v1'),
  ...r(
    'storage.k8s.io/v1beta1',
    ['CSIDriver', 'CSINode', 'StorageClass', 'VolumeAttachment'],
    '1.19',
    '1.22',
    'storage.k8s.io/v1',
  ),
  ...r('batch/v1beta1', ['CronJob'], '1.21', '1.25', 'batch/v1'),
  ...r('discovery.k8s.io/v1beta1', ['EndpointSlice'], '1.21', '1.25', 'discovery.k8s.io/v1'),
  ...r('events.k8s.io/v1beta1', ['Event'], '1.21', '1.25', 'events.k8s.io/v1'),
  ...r('autoscaling/v2beta1', ['HorizontalPodAutoscaler'], '1.22', '1.25', 'autoscaling/v2'),
  ...r('policy/v1beta1', ['PodDisruptionBudget'], '1.21', '1.25', 'policy/v1'),
  ...r('policy/v1beta1', ['PodSecurityPolicy'], '1.21', '1.25', 'Pod Security Admission (namespace labels)'),
  ...r('node.k8s.io/v1beta1', ['RuntimeClass'], '1.20', '1.25', 'node.k8s.io/v1'),
  ...r('autoscaling/v2beta2', ['HorizontalPodAutoscaler'], '1.23', '1.26', 'autoscaling/v2'),
  ...r(
    'flowcontrol.apiserver.k8s.io/v1beta1',
    ['FlowSchema', 'PriorityLevelConfiguration'],
    '1.23',
    '1.26',
    'flowcontrol.apiserver.k8s.io/v1',
  ),
  ...r('storage.k8s.io/v1beta1', ['CSIStorageCapacity'], '1.24', '1.27', 'storage.k8s.io/v1'),
  ...r(
    'flowcontrol.apiserver.k8s.io/v1beta2',
    ['FlowSchema', 'PriorityLevelConfiguration'],
    '1.26',
    '1.29',
    'flowcontrol.apiserver.k8s.io/v1',
  ),
  ...r(
    'flowcontrol.apiserver.k8s.io/v1beta3',
    ['FlowSchema', 'PriorityLevelConfiguration'],
    '1.29',
    '1.32',
    'flowcontrol.apiserver.k8s.io/v1',
  ),
];

/** Parses `v1.29.3`, `1.29`, `v1.29.3-eks-…` into a minor number, or undefined. */
export function minorOf(version: string): number | undefined {
  const m = /^v?1\.(\d+)(?:\.|$|[-+])/.exec(version.trim());
  return m ? Number(m[1]) : undefined;
}

/** Compares `1.N` minor strings numerically. */
export function minorNumber(v: string): number {
  return Number(v.split('.')[1] ?? '0');
}
