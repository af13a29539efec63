/**
 * The objects that run Palisade as an admission webhook, assembled as data: Namespace,
 * ServiceAccount, ConfigMap (admission.yaml), TLS Secret, Deployment (2 replicas, restricted
 * security context, anti-affinity, probes, limits), PodDisruptionBudget, Service, and the
 * Validating/MutatingWebhookConfiguration (caBundle, sideEffects None, timeoutSeconds 3,
 * failurePolicy chosen by the user, a namespaceSelector that leaves out kube-system and
 * Palisade's own namespace so the webhook can never block its own recovery).
 */
import { trimEndChars, type KubeObject } from '../core/index.js';

/** Options of `assembleInstallManifests`. */
export interface InstallOptions {
  namespace: string;
  service: string;
  image: string;
  replicas?: number;
  /** PEM CA that signed the serving certificate; becomes the caBundle. */
  caCert?: string;
  /** Serving certificate and key; emitted as a kubernetes.io/tls Secret when given. */
  servingCert?: { cert: string; key: string };
  /** admission.yaml content put in the ConfigMap. */
  configYaml: string;
  validateFailurePolicy?: 'Fail' | 'Ignore';
  mutateFailurePolicy?: 'Fail' | 'Ignore';
  /** Send every resource (not only workloads) to the webhook, e.g. for CEL policies on other kinds. */
  allResources?: boolean;
  /** Operations sent to the validating webhook (default CREATE, UPDATE). */
  operations?: readonly ('CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT')[];
  timeoutSeconds?: number;
  /**
   * Base URL of a webhook running outside the cluster (`https://127.0.0.1:8443`): both
   * configurations then use `clientConfig.url` (…/validate, …/mutate) instead of the Service,
   * and only the two webhook configurations are emitted.
   */
  webhookUrl?: string;
}

/** Port the container listens on. */
export const CONTAINER_PORT = 8443;
/**
 * Node options of the webhook's container: semi-spaces of 32 MiB (Node's default is 16) halve
 * the scavenges of a loaded server, whose reviews allocate short-lived objects by the hundred
 * (3-12% less CPU per review in paired runs, 40-50 MiB more at peak: the limit is 384Mi).
 */
export const ADMISSION_NODE_OPTIONS = '--max-semi-space-size=32';

/** Resources whose objects carry a pod template, plus a pod's ephemeral containers. */
export const WORKLOAD_RULES = [
  {
    apiGroups: [''],
    apiVersions: ['v1'],
    resources: ['pods', 'pods/ephemeralcontainers', 'podtemplates', 'replicationcontrollers'],
  },
  {
    apiGroups: ['apps'],
    apiVersions: ['v1'],
    resources: ['deployments', 'replicasets', 'statefulsets', 'daemonsets'],
  },
  { apiGroups: ['batch'], apiVersions: ['v1'], resources: ['jobs', 'cronjobs'] },
] as const;

/** Labels every object carries. */
export function commonLabels(component = 'admission'): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'palisade',
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/managed-by': 'palisade',
  };
}

/** Where client libraries look for the pod's API credentials. */
const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * The token for the Namespace watch, projected explicitly (short-lived, this pod's audience)
 * rather than automounted: the pod and its ServiceAccount keep automountServiceAccountToken false.
 */
const API_TOKEN_VOLUME = {
  name: 'api-token',
  projected: {
    defaultMode: 0o444,
    sources: [
      { serviceAccountToken: { path: 'token', expirationSeconds: 3607 } },
      { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      { downwardAPI: { items: [{ path: 'namespace', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
    ],
  },
};

const SELECTOR = { 'app.kubernetes.io/name': 'palisade', 'app.kubernetes.io/component': 'admission' };

/** Builds every object of the webhook installation, in apply order. */
export function assembleInstallManifests(o: InstallOptions): KubeObject[] {
  const labels = commonLabels();
  const meta = (name: string): Record<string, unknown> => ({ name, namespace: o.namespace, labels });
  const tlsSecret = `${o.service}-tls`;
  const configMap = `${o.service}-config`;
  const out: KubeObject[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: o.namespace, labels } },
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: meta(o.service),
      automountServiceAccountToken: false,
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta(configMap),
      data: { 'admission.yaml': o.configYaml },
    },
  ];
  if (o.servingCert)
    out.push({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: meta(tlsSecret),
      type: 'kubernetes.io/tls',
      data: {
        'tls.crt': b64(o.servingCert.cert),
        'tls.key': b64(o.servingCert.key),
        ...(o.caCert ? { 'ca.crt': b64(o.caCert) } : {}),
      },
    });
  const restricted = {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
  out.push(
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(o.service),
      spec: {
        replicas: o.replicas ?? 2,
        selector: { matchLabels: SELECTOR },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: o.service,
            automountServiceAccountToken: false,
            securityContext: {
              runAsNonRoot: true,
              runAsUser: 65532,
              runAsGroup: 65532,
              seccompProfile: { type: 'RuntimeDefault' },
            },
            affinity: {
              podAntiAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [
                  {
                    weight: 100,
                    podAffinityTerm: {
                      topologyKey: 'kubernetes.io/hostname',
                      labelSelector: { matchLabels: SELECTOR },
                    },
                  },
                ],
              },
            },
            containers: [
              {
                name: 'admission',
                image: o.image,
                // A tag may move; pulling each start keeps every replica on the same image.
                imagePullPolicy: 'Always',
                args: [
                  'admission',
                  'serve',
                  '--config',
                  '/etc/palisade/config/admission.yaml',
                  '--listen',
                  `0.0.0.0:${CONTAINER_PORT}`,
                  '--tls-cert-file',
                  '/etc/palisade/tls/tls.crt',
                  '--tls-key-file',
                  '/etc/palisade/tls/tls.key',
                ],
                // A larger young generation: fewer scavenges, each review's objects die young
                // (docs/admission.md, Performance: 3-12% less CPU per review under load).
                env: [{ name: 'NODE_OPTIONS', value: ADMISSION_NODE_OPTIONS }],
                ports: [{ name: 'https', containerPort: CONTAINER_PORT, protocol: 'TCP' }],
                readinessProbe: {
                  httpGet: { path: '/readyz', port: 'https', scheme: 'HTTPS' },
                  periodSeconds: 5,
                },
                livenessProbe: {
                  httpGet: { path: '/healthz', port: 'https', scheme: 'HTTPS' },
                  periodSeconds: 10,
                  failureThreshold: 3,
                },
                resources: {
                  requests: { cpu: '100m', memory: '128Mi' },
                  limits: { cpu: '1', memory: '384Mi' },
                },
                securityContext: restricted,
                volumeMounts: [
                  { name: 'config', mountPath: '/etc/palisade/config', readOnly: true },
                  { name: 'tls', mountPath: '/etc/palisade/tls', readOnly: true },
                  { name: 'api-token', mountPath: SERVICE_ACCOUNT_DIR, readOnly: true },
                ],
              },
            ],
            volumes: [
              { name: 'config', configMap: { name: configMap } },
              { name: 'tls', secret: { secretName: tlsSecret } },
              API_TOKEN_VOLUME,
            ],
          },
        },
      },
    },
    {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: meta(o.service),
      spec: { minAvailable: 1, selector: { matchLabels: SELECTOR } },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(o.service),
      spec: {
        selector: SELECTOR,
        ports: [{ name: 'https', port: 443, targetPort: 'https', protocol: 'TCP' }],
      },
    },
    {
      // Nothing in or out of the namespace unless allowed below.
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta(`${o.service}-default-deny`),
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    },
    {
      // The API server calls the webhook from addresses the cluster does not name: any source, this port only.
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta(`${o.service}-webhook-ingress`),
      spec: {
        podSelector: { matchLabels: SELECTOR },
        policyTypes: ['Ingress'],
        ingress: [{ ports: [{ port: 'https', protocol: 'TCP' }] }],
      },
    },
    {
      // The watch of Namespaces goes to the API server, whose address the cluster does not name
      // either (the kubernetes Service is translated before policies apply): its ports only.
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta(`${o.service}-apiserver-egress`),
      spec: {
        podSelector: { matchLabels: SELECTOR },
        policyTypes: ['Egress'],
        egress: [
          {
            ports: [
              { port: 443, protocol: 'TCP' },
              { port: 6443, protocol: 'TCP' },
            ],
          },
        ],
      },
    },
    {
      // Namespace labels select the modes: exactly list and watch of Namespaces, nothing else.
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: `${o.service}-namespace-reader`, labels },
      rules: [{ apiGroups: [''], resources: ['namespaces'], verbs: ['list', 'watch'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: `${o.service}-namespace-reader`, labels },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: `${o.service}-namespace-reader`,
      },
      subjects: [{ kind: 'ServiceAccount', name: o.service, namespace: o.namespace }],
    },
  );
  if (o.webhookUrl !== undefined) out.length = 0;
  const base = o.webhookUrl === undefined ? undefined : trimEndChars(o.webhookUrl, '/');
  const clientConfig = (p: string): Record<string, unknown> => ({
    ...(base !== undefined
      ? { url: `${base}${p}` }
      : { service: { namespace: o.namespace, name: o.service, path: p, port: 443 } }),
    ...(o.caCert ? { caBundle: b64(o.caCert) } : {}),
  });
  const namespaceSelector = {
    matchExpressions: [
      {
        key: 'kubernetes.io/metadata.name',
        operator: 'NotIn',
        values: [...new Set(['kube-system', o.namespace])],
      },
    ],
  };
  const rules = (operations: readonly string[]): Record<string, unknown>[] =>
    o.allResources
      ? [
          {
            operations: [...operations],
            apiGroups: ['*'],
            apiVersions: ['*'],
            resources: ['*', 'pods/ephemeralcontainers', 'pods/exec', '*/scale'],
            scope: '*',
          },
        ]
      : WORKLOAD_RULES.map((r) => ({
          operations: [...operations],
          apiGroups: [...r.apiGroups],
          apiVersions: [...r.apiVersions],
          resources: [...r.resources],
          scope: 'Namespaced',
        }));
  const webhook = (
    name: string,
    p: string,
    failurePolicy: string,
    operations: readonly string[],
  ): Record<string, unknown> => ({
    name,
    clientConfig: clientConfig(p),
    rules: rules(operations),
    admissionReviewVersions: ['v1', 'v1beta1'],
    sideEffects: 'None',
    timeoutSeconds: o.timeoutSeconds ?? 3,
    failurePolicy,
    matchPolicy: 'Equivalent',
    namespaceSelector,
  });
  out.push(
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: `${o.service}-validate`, labels },
      webhooks: [
        webhook(
          'validate.palisade.dev',
          '/validate',
          o.validateFailurePolicy ?? 'Ignore',
          o.operations ?? ['CREATE', 'UPDATE'],
        ),
      ],
    },
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name: `${o.service}-mutate`, labels },
      webhooks: [
        {
          ...webhook('mutate.palisade.dev', '/mutate', o.mutateFailurePolicy ?? 'Ignore', [
            'CREATE',
            'UPDATE',
          ]),
          reinvocationPolicy: 'Never',
        },
      ],
    },
  );
  return out;
}

/** A default admission.yaml for a fresh install. */
export function defaultAdmissionConfigYaml(): string {
  return [
    'apiVersion: palisade.dev/v1',
    'kind: AdmissionConfiguration',
    '# Namespace labels palisade.dev/enforce|warn|audit (and -version) select the modes, watched live.',
    'namespaceSource: cluster',
    'defaults:',
    '  # Cluster-wide modes; a namespace label palisade.dev/enforce|warn|audit overrides each one.',
    '  warn: all',
    '  audit: all',
    'exemptions:',
    '  usernames: []',
    '  namespaces: []',
    '  runtimeClasses: []',
    '',
  ].join('\n');
}

function b64(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64');
}
