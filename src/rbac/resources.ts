import type { Result } from '../core/index.js';

/** One API resource as discovery reports it (the built-in ones a kubectl user names). */
export interface ApiResource {
  group: string;
  resource: string;
  singular: string;
  shortNames: readonly string[];
  /** Undefined when only known from a rule (no discovery or CRD says which). */
  namespaced: boolean | undefined;
  kind: string;
}

// group, plural, singular, short names (space separated), namespaced, kind
const TABLE: readonly [string, string, string, string, boolean, string][] = [
  ['', 'bindings', 'binding', '', true, 'Binding'],
  ['', 'componentstatuses', 'componentstatus', 'cs', false, 'ComponentStatus'],
  ['', 'configmaps', 'configmap', 'cm', true, 'ConfigMap'],
  ['', 'endpoints', 'endpoints', 'ep', true, 'Endpoints'],
  // Impersonation targets: not served by discovery, but named by RBAC rules and `impersonate`.
  ['', 'groups', 'group', '', false, 'Group'],
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
  ['', 'users', 'user', '', false, 'User'],
  ['authentication.k8s.io', 'uids', 'uid', '', false, 'UID'],
  ['authentication.k8s.io', 'userextras', 'userextra', '', false, 'UserExtra'],
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
 * Resources the input itself names beyond the built-in ones: CustomResourceDefinitions (with
 * their names and scope) and the `group × resource` pairs of RBAC rules (scope unknown).
 * Wildcards and subresources are left out; built-in pairs are not repeated.
 */
export function inputResources(
  crds: readonly unknown[],
  rules: readonly { apiGroups: readonly string[]; resources: readonly string[] }[],
): ApiResource[] {
  const out = new Map<string, ApiResource>();
  const builtin = new Set(BUILTIN_RESOURCES.map((r) => `${r.group}/${r.resource}`));
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  for (const crd of crds) {
    const spec = (crd as { spec?: unknown } | null)?.spec as Record<string, unknown> | undefined;
    const names = spec?.names as Record<string, unknown> | undefined;
    const group = str(spec?.group);
    const plural = str(names?.plural)?.toLowerCase();
    if (group === undefined || plural === undefined) continue;
    const kind = str(names?.kind) ?? plural;
    out.set(`${group}/${plural}`, {
      group,
      resource: plural,
      singular: str(names?.singular)?.toLowerCase() ?? kind.toLowerCase(),
      shortNames: Array.isArray(names?.shortNames)
        ? names.shortNames.filter((n): n is string => typeof n === 'string').map((n) => n.toLowerCase())
        : [],
      namespaced: spec?.scope === 'Cluster' ? false : spec?.scope === 'Namespaced' ? true : undefined,
      kind,
    });
  }
  for (const rule of rules)
    for (const group of rule.apiGroups) {
      if (group === '*') continue;
      for (const full of rule.resources) {
        const resource = full.split('/')[0]?.toLowerCase() ?? '';
        const k = `${group}/${resource}`;
        if (resource === '' || resource === '*' || builtin.has(k) || out.has(k)) continue;
        out.set(k, {
          group,
          resource,
          singular: resource,
          shortNames: [],
          namespaced: undefined,
          kind: resource,
        });
      }
    }
  return [...out.values()];
}

/**
 * Resolves a resource as kubectl names it: plural, singular, short name or kind, optionally
 * `NAME.GROUP` (e.g. `deployments.apps`) and `/SUBRESOURCE`; `--api-group` settles
 * ambiguity (`events` exists in core and events.k8s.io; core wins, as in kubectl). `*` is
 * passed through. Names the built-in table lacks are looked up in `known` (the input's CRDs
 * and rules, see {@link inputResources}): one group there answers, several are ambiguous.
 * Unknown names are an error unless an API group is given (custom resources).
 */
export function resolveResource(
  text: string,
  apiGroup?: string,
  known: readonly ApiResource[] = [],
): Result<ResolvedResource, string> {
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
  const matches = (r: ApiResource): boolean =>
    (group === undefined || r.group === group) &&
    (r.resource === name ||
      r.singular === name ||
      r.shortNames.includes(name) ||
      r.kind.toLowerCase() === name);
  let candidates = BUILTIN_RESOURCES.filter(matches);
  if (candidates.length === 0) candidates = known.filter(matches);
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
