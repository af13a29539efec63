/**
 * The OpenAPI shapes of the Kubernetes kinds Palisade reads, as compact tables: for each kind
 * the apiVersions the API has served it under, and the JSON type of every field a control, the
 * RBAC reader or the NetworkPolicy reader reads (and of their neighbours in the same structs).
 * Fields not listed are not checked, as the API server keeps unknown fields of custom resources.
 * The types follow k8s.io/api: `int32`/`int64` are JSON integers in range, `IntOrString` is an
 * integer or a string, a `Quantity` a string or a number; `null` is the absent value, as Go's
 * JSON decoder reads it. See shape-check.ts for how an object is checked against its shape.
 */

/** A scalar JSON type. */
export type ScalarShape = 'string' | 'boolean' | 'int32' | 'int64' | 'intOrString' | 'quantity';

/** A JSON object with the listed fields (others allowed and not checked). */
export interface ObjectShape {
  t: 'object';
  fields: Readonly<Record<string, Shape>>;
  /** `fields` by name, for the check to look up the fields an object has (built by `o`). */
  index: ReadonlyMap<string, Shape>;
  /** When any field inside is wrong, the whole value is dropped (its meaning depends on every part). */
  atomic?: boolean;
  /** A check across fields, run when every field has the right type; returns [field, message] pairs. */
  refine?: (value: Readonly<Record<string, unknown>>) => [string, string][];
}

/** A JSON array of one shape. */
export interface ArrayShape {
  t: 'array';
  items: Shape;
}

/** A JSON object with any keys and values of one shape (Go `map[string]T`). */
export interface MapShape {
  t: 'map';
  values: Shape;
}

/** A string from a fixed set. */
export interface EnumShape {
  t: 'enum';
  values: readonly string[];
}

/** The shape of one JSON value. */
export type Shape = ScalarShape | ObjectShape | ArrayShape | MapShape | EnumShape;

/** An object shape with the given fields. */
export function o(
  fields: Record<string, Shape>,
  extra: Partial<Omit<ObjectShape, 't' | 'fields' | 'index'>> = {},
): ObjectShape {
  return { t: 'object', fields, index: new Map(Object.entries(fields)), ...extra };
}
function a(items: Shape): ArrayShape {
  return { t: 'array', items };
}
function m(values: Shape): MapShape {
  return { t: 'map', values };
}
function e(...values: string[]): EnumShape {
  return { t: 'enum', values };
}

const S = 'string';
const B = 'boolean';
const I32 = 'int32';
const I64 = 'int64';
const IOS = 'intOrString';
const Q = 'quantity';

const selectorRequirement = o(
  { key: S, operator: e('In', 'NotIn', 'Exists', 'DoesNotExist'), values: a(S) },
  {
    refine(r) {
      const n = Array.isArray(r.values) ? r.values.length : 0;
      if ((r.operator === 'In' || r.operator === 'NotIn') && n === 0)
        return [['values', `operator ${r.operator} needs at least one value`]];
      if ((r.operator === 'Exists' || r.operator === 'DoesNotExist') && n > 0)
        return [['values', `operator ${r.operator} takes no values`]];
      return [];
    },
  },
);

/** metav1.LabelSelector: a selector with a wrong part selects something else, so it is dropped whole. */
const labelSelector = o({ matchLabels: m(S), matchExpressions: a(selectorRequirement) }, { atomic: true });

/** metav1.ObjectMeta, checked on every object. */
export const OBJECT_META: ObjectShape = o({
  name: S,
  generateName: S,
  namespace: S,
  uid: S,
  resourceVersion: S,
  generation: I64,
  creationTimestamp: S,
  deletionTimestamp: S,
  labels: m(S),
  annotations: m(S),
  finalizers: a(S),
  ownerReferences: a(o({ apiVersion: S, kind: S, name: S, uid: S, controller: B, blockOwnerDeletion: B })),
});

const seccompProfile = o({ type: S, localhostProfile: S });
const seLinuxOptions = o({ user: S, role: S, type: S, level: S });
const windowsOptions = o({
  gmsaCredentialSpecName: S,
  gmsaCredentialSpec: S,
  runAsUserName: S,
  hostProcess: B,
});

const containerSecurityContext = o({
  privileged: B,
  allowPrivilegeEscalation: B,
  readOnlyRootFilesystem: B,
  runAsUser: I64,
  runAsGroup: I64,
  runAsNonRoot: B,
  procMount: S,
  capabilities: o({ add: a(S), drop: a(S) }),
  seccompProfile,
  appArmorProfile: seccompProfile,
  seLinuxOptions,
  windowsOptions,
});

const handler = o({
  exec: o({ command: a(S) }),
  httpGet: o({ path: S, port: IOS, host: S, scheme: S, httpHeaders: a(o({ name: S, value: S })) }),
  tcpSocket: o({ port: IOS, host: S }),
  sleep: o({ seconds: I64 }),
});

const probe = o({
  ...handler.fields,
  grpc: o({ port: I32, service: S }),
  initialDelaySeconds: I32,
  timeoutSeconds: I32,
  periodSeconds: I32,
  successThreshold: I32,
  failureThreshold: I32,
  terminationGracePeriodSeconds: I64,
});

const keyRef = o({ name: S, key: S, optional: B });

const container = o({
  name: S,
  image: S,
  imagePullPolicy: S,
  command: a(S),
  args: a(S),
  workingDir: S,
  ports: a(o({ name: S, containerPort: I32, hostPort: I32, hostIP: S, protocol: S })),
  env: a(
    o({
      name: S,
      value: S,
      valueFrom: o({
        secretKeyRef: keyRef,
        configMapKeyRef: keyRef,
        fieldRef: o({ apiVersion: S, fieldPath: S }),
        resourceFieldRef: o({ containerName: S, resource: S, divisor: Q }),
      }),
    }),
  ),
  envFrom: a(
    o({ prefix: S, secretRef: o({ name: S, optional: B }), configMapRef: o({ name: S, optional: B }) }),
  ),
  resources: o({ limits: m(Q), requests: m(Q), claims: a(o({ name: S })) }),
  volumeMounts: a(
    o({
      name: S,
      mountPath: S,
      subPath: S,
      subPathExpr: S,
      readOnly: B,
      mountPropagation: S,
      recursiveReadOnly: S,
    }),
  ),
  volumeDevices: a(o({ name: S, devicePath: S })),
  livenessProbe: probe,
  readinessProbe: probe,
  startupProbe: probe,
  lifecycle: o({ postStart: handler, preStop: handler }),
  securityContext: containerSecurityContext,
  restartPolicy: S,
  stdin: B,
  tty: B,
  terminationMessagePath: S,
  terminationMessagePolicy: S,
  targetContainerName: S,
});

const keyToPath = a(o({ key: S, path: S, mode: I32 }));

const volume = o({
  name: S,
  hostPath: o({ path: S, type: S }),
  emptyDir: o({ medium: S, sizeLimit: Q }),
  secret: o({ secretName: S, items: keyToPath, defaultMode: I32, optional: B }),
  configMap: o({ name: S, items: keyToPath, defaultMode: I32, optional: B }),
  persistentVolumeClaim: o({ claimName: S, readOnly: B }),
  projected: o({
    defaultMode: I32,
    sources: a(
      o({
        secret: o({ name: S, items: keyToPath, optional: B }),
        configMap: o({ name: S, items: keyToPath, optional: B }),
        serviceAccountToken: o({ audience: S, expirationSeconds: I64, path: S }),
      }),
    ),
  }),
});

const podSecurityContext = o({
  runAsUser: I64,
  runAsGroup: I64,
  runAsNonRoot: B,
  fsGroup: I64,
  fsGroupChangePolicy: S,
  supplementalGroups: a(I64),
  supplementalGroupsPolicy: S,
  seccompProfile,
  appArmorProfile: seccompProfile,
  seLinuxOptions,
  seLinuxChangePolicy: S,
  windowsOptions,
  sysctls: a(o({ name: S, value: S })),
});

const podSpec = o({
  containers: a(container),
  initContainers: a(container),
  ephemeralContainers: a(container),
  volumes: a(volume),
  securityContext: podSecurityContext,
  hostNetwork: B,
  hostPID: B,
  hostIPC: B,
  hostUsers: B,
  shareProcessNamespace: B,
  serviceAccountName: S,
  serviceAccount: S,
  automountServiceAccountToken: B,
  enableServiceLinks: B,
  os: o({ name: S }),
  nodeName: S,
  nodeSelector: m(S),
  hostname: S,
  subdomain: S,
  restartPolicy: S,
  dnsPolicy: S,
  priorityClassName: S,
  priority: I32,
  runtimeClassName: S,
  schedulerName: S,
  terminationGracePeriodSeconds: I64,
  activeDeadlineSeconds: I64,
  imagePullSecrets: a(o({ name: S })),
  tolerations: a(o({ key: S, operator: S, value: S, effect: S, tolerationSeconds: I64 })),
});

const podTemplateSpec = o({ metadata: OBJECT_META, spec: podSpec });

const rollingUpdate = o({ maxSurge: IOS, maxUnavailable: IOS, partition: I32 });

const jobSpec = o({
  parallelism: I32,
  completions: I32,
  backoffLimit: I32,
  activeDeadlineSeconds: I64,
  ttlSecondsAfterFinished: I32,
  selector: labelSelector,
  manualSelector: B,
  suspend: B,
  completionMode: S,
  template: podTemplateSpec,
});

const policyRule = o({
  verbs: a(S),
  apiGroups: a(S),
  resources: a(S),
  resourceNames: a(S),
  nonResourceURLs: a(S),
});

const roleFields = { rules: a(policyRule) };
const clusterRoleFields = {
  rules: a(policyRule),
  aggregationRule: o({ clusterRoleSelectors: a(labelSelector) }),
};
const bindingFields = {
  subjects: a(o({ kind: S, apiGroup: S, name: S, namespace: S })),
  roleRef: o({ apiGroup: S, kind: S, name: S }),
};

const networkPolicyPeer = o({
  podSelector: labelSelector,
  namespaceSelector: labelSelector,
  ipBlock: o({ cidr: S, except: a(S) }),
});
const networkPolicyPort = o({ protocol: S, port: IOS, endPort: I32 });

const ingressBackend = o({
  service: o({ name: S, port: o({ name: S, number: I32 }) }),
  resource: o({ apiGroup: S, kind: S, name: S }),
});

/** How a kind is checked: the apiVersions it is served under and its shape (ObjectMeta aside). */
export interface KindShape {
  apiVersions: readonly string[];
  fields: Readonly<Record<string, Shape>>;
  /** The apiVersions `fields` describes (default: all); other versions get ObjectMeta only. */
  shapeVersions?: readonly string[];
  /**
   * Any wrong field drops the whole object: a part of it means something else than the whole
   * (a NetworkPolicy without its `from` allows every source), so the readers never see a part.
   */
  atomic?: boolean;
}

const RBAC = [
  'rbac.authorization.k8s.io/v1',
  'rbac.authorization.k8s.io/v1beta1',
  'rbac.authorization.k8s.io/v1alpha1',
];

/** Known kinds (all in built-in API groups), by kind. */
export const KIND_SHAPES: Readonly<Record<string, KindShape>> = {
  Pod: {
    apiVersions: ['v1'],
    fields: { spec: podSpec, status: o({ phase: S, podIP: S, podIPs: a(o({ ip: S })), hostIP: S }) },
  },
  PodTemplate: { apiVersions: ['v1'], fields: { template: podTemplateSpec } },
  ReplicationController: {
    apiVersions: ['v1'],
    fields: { spec: o({ replicas: I32, minReadySeconds: I32, selector: m(S), template: podTemplateSpec }) },
  },
  Deployment: {
    apiVersions: ['apps/v1', 'apps/v1beta1', 'apps/v1beta2', 'extensions/v1beta1'],
    fields: {
      spec: o({
        replicas: I32,
        minReadySeconds: I32,
        revisionHistoryLimit: I32,
        progressDeadlineSeconds: I32,
        paused: B,
        selector: labelSelector,
        template: podTemplateSpec,
        strategy: o({ type: S, rollingUpdate }),
      }),
    },
  },
  ReplicaSet: {
    apiVersions: ['apps/v1', 'apps/v1beta1', 'apps/v1beta2', 'extensions/v1beta1'],
    fields: {
      spec: o({ replicas: I32, minReadySeconds: I32, selector: labelSelector, template: podTemplateSpec }),
    },
  },
  StatefulSet: {
    apiVersions: ['apps/v1', 'apps/v1beta1', 'apps/v1beta2'],
    fields: {
      spec: o({
        replicas: I32,
        minReadySeconds: I32,
        revisionHistoryLimit: I32,
        serviceName: S,
        podManagementPolicy: S,
        selector: labelSelector,
        template: podTemplateSpec,
        updateStrategy: o({ type: S, rollingUpdate }),
        volumeClaimTemplates: a(o({ metadata: OBJECT_META })),
      }),
    },
  },
  DaemonSet: {
    apiVersions: ['apps/v1', 'apps/v1beta2', 'extensions/v1beta1'],
    fields: {
      spec: o({
        minReadySeconds: I32,
        revisionHistoryLimit: I32,
        selector: labelSelector,
        template: podTemplateSpec,
        updateStrategy: o({ type: S, rollingUpdate }),
      }),
    },
  },
  Job: { apiVersions: ['batch/v1'], fields: { spec: jobSpec } },
  CronJob: {
    apiVersions: ['batch/v1', 'batch/v1beta1', 'batch/v2alpha1'],
    fields: {
      spec: o({
        schedule: S,
        timeZone: S,
        concurrencyPolicy: S,
        suspend: B,
        startingDeadlineSeconds: I64,
        successfulJobsHistoryLimit: I32,
        failedJobsHistoryLimit: I32,
        jobTemplate: o({ metadata: OBJECT_META, spec: jobSpec }),
      }),
    },
  },
  Service: {
    apiVersions: ['v1'],
    fields: {
      spec: o({
        type: S,
        selector: m(S),
        ports: a(o({ name: S, protocol: S, appProtocol: S, port: I32, targetPort: IOS, nodePort: I32 })),
        clusterIP: S,
        clusterIPs: a(S),
        externalIPs: a(S),
        externalName: S,
        loadBalancerIP: S,
        loadBalancerSourceRanges: a(S),
        externalTrafficPolicy: S,
        internalTrafficPolicy: S,
        sessionAffinity: S,
      }),
    },
  },
  ServiceAccount: {
    apiVersions: ['v1'],
    fields: {
      automountServiceAccountToken: B,
      secrets: a(o({ apiVersion: S, kind: S, name: S, namespace: S })),
      imagePullSecrets: a(o({ name: S })),
    },
  },
  Namespace: { apiVersions: ['v1'], fields: { spec: o({ finalizers: a(S) }) } },
  Secret: { apiVersions: ['v1'], fields: { type: S, immutable: B, data: m(S), stringData: m(S) } },
  ConfigMap: { apiVersions: ['v1'], fields: { immutable: B, data: m(S), binaryData: m(S) } },
  Role: { apiVersions: RBAC, fields: roleFields },
  ClusterRole: { apiVersions: RBAC, fields: clusterRoleFields },
  RoleBinding: { apiVersions: RBAC, fields: bindingFields },
  ClusterRoleBinding: { apiVersions: RBAC, fields: bindingFields },
  NetworkPolicy: {
    apiVersions: ['networking.k8s.io/v1', 'extensions/v1beta1'],
    atomic: true,
    fields: {
      spec: o({
        podSelector: labelSelector,
        policyTypes: a(S),
        ingress: a(o({ from: a(networkPolicyPeer), ports: a(networkPolicyPort) })),
        egress: a(o({ to: a(networkPolicyPeer), ports: a(networkPolicyPort) })),
      }),
    },
  },
  Ingress: {
    apiVersions: ['networking.k8s.io/v1', 'networking.k8s.io/v1beta1', 'extensions/v1beta1'],
    shapeVersions: ['networking.k8s.io/v1'],
    fields: {
      spec: o({
        ingressClassName: S,
        defaultBackend: ingressBackend,
        rules: a(
          o({
            host: S,
            http: o({ paths: a(o({ path: S, pathType: S, backend: ingressBackend })) }),
          }),
        ),
        tls: a(o({ hosts: a(S), secretName: S })),
      }),
    },
  },
};
