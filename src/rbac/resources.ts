import type { Result } from '../core/index.js';

/** One API resource as discovery reports it (the built-in ones a kubectl user names). */
export interface ApiResource {
  group: string;
  resource: string;
  singular: string;
  shortNames: readonly string[];
  namespaced: boolean;
  kind: string;
}

// group, plural, singular, short names (space separated), namespaced, kind
const TABLE: readonly [string, string, string, string, boolean, string][] = [
  ['', 'bindings', 'binding', '', true, 'Binding'],
  ['', 'componentstatuses', 'componentstatus', 'cs', false, 'ComponentStatus'],
  ['', 'configmaps', 'configmap', 'cm', true, 'ConfigMap'],
  ['', 'endpoints', 'endpoints', 'ep', true, 'Endpoints'],
  ['', 'events', 'event', 'ev', true, 'Event'],
  ['', 'limitranges', 'limitrange', 'limits', true, 'LimitRange'],
  ['', 'namespaces', 'namespace', 'ns', false, 'Namespace'],
  ['', 'nodes', 'node', 'no', false, 'Node'],
  ['', 'persistentvolumeclaims', 'persistentvolumeclaim', 'pvc', true, 'PersistentVolumeClaim'],
  ['', 'persistentvolumes', 'persistentvolume', 'pv', false, 'PersistentVolume'],
  ['', 'pods', 'pod', 'po', true, 'Pod'],
  ['', 'podtemplates', 'podtemplate', '', true, 'PodTemplate'],
  ['', 'replicationcontrollers', 'replicationcontroller', 'rc', true, 'ReplicationController'],
  ['', 'resourcequotas', 'resourcequota', 'quota', true, 'ResourceQuota'],
  ['', 'secrets', 'secret', '', true, 'Secret'],
  ['', 'serviceaccounts', 'serviceaccount', 'sa', true, 'ServiceAccount'],
  ['', 'services', 'service', 'svc', true, 'Service'],
  [
    'admissionregistration.k8s.io',
    'mutatingwebhookconfigurations',
    'mutatingwebhookconfiguration',
    '',
    false,
    'MutatingWebhookConfiguration',
  ],
  [
    'admissionregistration.k8s.io',
    'validatingwebhookconfigurations',
    'validatingwebhookconfiguration',
    '',
    false,
    'ValidatingWebhookConfiguration',
  ],
  [
    'admissionregistration.k8s.io',
    'validatingadmissionpolicies',
    'validatingadmissionpolicy',
    '',
    false,
    'ValidatingAdmissionPolicy',
  ],
  [
    'admissionregistration.k8s.io',
    'validatingadmissionpolicybindings',
    'validatingadmissionpolicybinding',
    '',
    false,
    'ValidatingAdmissionPolicyBinding',
  ],
  [
    'admissionregistration.k8s.io',
    'mutatingadmissionpolicies',
    'mutatingadmissionpolicy',
    '',
    false,
    'MutatingAdmissionPolicy',
  ],
  [
    'admissionregistration.k8s.io',
    'mutatingadmissionpolicybindings',
    'mutatingadmissionpolicybinding',
    '',
    false,
    'MutatingAdmissionPolicyBinding',
  ],
  [
    'apiextensions.k8s.io',
    'customresourcedefinitions',
    'customresourcedefinition',
    'crd crds',
    false,
    'CustomResourceDefinition',
  ],
  ['apiregistration.k8s.io', 'apiservices', 'apiservice', '', false, 'APIService'],
  ['apps', 'controllerrevisions', 'controllerrevision', '', true, 'ControllerRevision'],
  ['apps', 'daemonsets', 'daemonset', 'ds', true, 'DaemonSet'],
  ['apps', 'deployments', 'deployment', 'deploy', true, 'Deployment'],
  ['apps', 'replicasets', 'replicaset', 'rs', true, 'ReplicaSet'],
  ['apps', 'statefulsets', 'statefulset', 'sts', true, 'StatefulSet'],
  ['authentication.k8s.io', 'tokenreviews', 'tokenreview', '', false, 'TokenReview'],
  ['authentication.k8s.io', 'selfsubjectreviews', 'selfsubjectreview', '', false, 'SelfSubjectReview'],
  [
    'authorization.k8s.io',
    'localsubjectaccessreviews',
    'localsubjectaccessreview',
    '',
    true,
    'LocalSubjectAccessReview',
  ],
  [
    'authorization.k8s.io',
    'selfsubjectaccessreviews',
    'selfsubjectaccessreview',
    '',
    false,
    'SelfSubjectAccessReview',
  ],
  [
    'authorization.k8s.io',
    'selfsubjectrulesreviews',
    'selfsubjectrulesreview',
    '',
    false,
    'SelfSubjectRulesReview',
  ],
  ['authorization.k8s.io', 'subjectaccessreviews', 'subjectaccessreview', '', false, 'SubjectAccessReview'],
  [
    'autoscaling',
    'horizontalpodautoscalers',
    'horizontalpodautoscaler',
    'hpa',
    true,
    'HorizontalPodAutoscaler',
  ],
  ['batch', 'cronjobs', 'cronjob', 'cj', true, 'CronJob'],
  ['batch', 'jobs', 'job', '', true, 'Job'],
  [
    'certificates.k8s.io',
    'certificatesigningrequests',
    'certificatesigningrequest',
    'csr',
    false,
    'CertificateSigningRequest',
  ],
  ['certificates.k8s.io', 'signers', 'signer', '', false, 'Signer'],
  ['coordination.k8s.io', 'leases', 'lease', '', true, 'Lease'],
  ['discovery.k8s.io', 'endpointslices', 'endpointslice', '', true, 'EndpointSlice'],
  ['events.k8s.io', 'events', 'event', 'ev', true, 'Event'],
  ['flowcontrol.apiserver.k8s.io', 'flowschemas', 'flowschema', '', false, 'FlowSchema'],
  [
    'flowcontrol.apiserver.k8s.io',
    'prioritylevelconfigurations',
    'prioritylevelconfiguration',
    '',
    false,
    'PriorityLevelConfiguration',
  ],
  ['networking.k8s.io', 'ingressclasses', 'ingressclass', '', false, 'IngressClass'],
  ['networking.k8s.io', 'ingresses', 'ingress', 'ing', true, 'Ingress'],
  ['networking.k8s.io', 'networkpolicies', 'networkpolicy', 'netpol', true, 'NetworkPolicy'],
  ['node.k8s.io', 'runtimeclasses', 'runtimeclass', '', false, 'RuntimeClass'],
  ['policy', 'poddisruptionbudgets', 'poddisruptionbudget', 'pdb', true, 'PodDisruptionBudget'],
  ['rbac.authorization.k8s.io', 'clusterrolebindings', 'clusterrolebinding', '', false, 'ClusterRoleBinding'],
  ['rbac.authorization.k8s.io', 'clusterroles', 'clusterrole', '', false, 'ClusterRole'],
  ['rbac.authorization.k8s.io', 'rolebindings', 'rolebinding', '', true, 'RoleBinding'],
  ['rbac.authorization.k8s.io', 'roles', 'role', '', true, 'Role'],
  ['scheduling.k8s.io', 'priorityclasses', 'priorityclass', 'pc', false, 'PriorityClass'],
  ['storage.k8s.io', 'csidrivers', 'csidriver', '', false, 'CSIDriver'],
  ['storage.k8s.io', 'csinodes', 'csinode', '', false, 'CSINode'],
  ['storage.k8s.io', 'csistoragecapacities', 'csistoragecapacity', '', true, 'CSIStorageCapacity'],
  ['storage.k8s.io', 'storageclasses', 'storageclass', 'sc', false, 'StorageClass'],
  ['storage.k8s.io', 'volumeattachments', 'volumeattachment', '', false, 'VolumeAttachment'],
];

/** The built-in resources, as discovery lists them. */
export const BUILTIN_RESOURCES: readonly ApiResource[] = TABLE.map(
  ([group, resource, singular, short, namespaced, kind]) => ({
    group,
    resource,
    singular,
    shortNames: short === '' ? [] : short.split(' '),
    namespaced,
    kind,
  }),
);

/** A resolved `RESOURCE[/SUB]` argument. */
export interface ResolvedResource {
  group: string;
  resource: string;
  subresource: string;
  /** False for cluster-scoped resources; undefined when the resource is not a built-in one. */
  namespaced: boolean | undefined;
}

/**
 * Resolves a resource as kubectl names it: plural, singular, short name or kind, optionally
 * `NAME.GROUP` (e.g. `deployments.apps`) and `/SUBRESOURCE`; `--api-group` settles
 * ambiguity (`events` exists in core and events.k8s.io; core wins, as in kubectl). `*` is
 * passed through. Unknown names are an error unless an API group is given (custom resources).
 */
export function resolveResource(text: string, apiGroup?: string): Result<ResolvedResource, string> {
  const slash = text.indexOf('/');
  const head = slash < 0 ? text : text.slice(0, slash);
  const subresource = slash < 0 ? '' : text.slice(slash + 1);
  if (head === '') return { ok: false, error: `resource "${text}" is empty` };
  if (head === '*')
    return { ok: true, value: { group: apiGroup ?? '*', resource: '*', subresource, namespaced: undefined } };
  let name = head.toLowerCase();
  let group = apiGroup;
  const dot = name.indexOf('.');
  if (dot > 0 && group === undefined) {
    group = name.slice(dot + 1);
    name = name.slice(0, dot);
  }
  const candidates = BUILTIN_RESOURCES.filter(
    (r) =>
      (group === undefined || r.group === group) &&
      (r.resource === name ||
        r.singular === name ||
        r.shortNames.includes(name) ||
        r.kind.toLowerCase() === name),
  );
  const first = candidates[0];
  if (!first) {
    if (group !== undefined)
      return { ok: true, value: { group, resource: name, subresource, namespaced: undefined } };
    return {
      ok: false,
      error: `unknown resource "${head}" (give --api-group for a custom resource, e.g. --api-group example.com)`,
    };
  }
  // Several groups: prefer the core group, as kubectl's preferred order does for `events`.
  const chosen = candidates.find((c) => c.group === '') ?? first;
  if (group === undefined && candidates.some((c) => c.group !== chosen.group) && chosen.group !== '') {
    return {
      ok: false,
      error: `resource "${head}" is ambiguous (${candidates.map((c) => c.group || 'core').join(', ')}); give --api-group`,
    };
  }
  return {
    ok: true,
    value: { group: chosen.group, resource: chosen.resource, subresource, namespaced: chosen.namespaced },
  };
}
