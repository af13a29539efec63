import { describe, expect, it } from 'vitest';
import { missingCases, runControl, type ControlCase } from '../testing.js';
import { WORKLOAD_CONTROLS } from './index.js';

function indent(s: string, n: number): string {
  return s
    .split('\n')
    .map((l) => (l === '' ? l : ' '.repeat(n) + l))
    .join('\n');
}

/** A Pod in namespace shop; the first spec line is line 7 of the file. */
const pod = (spec: string, namespace = 'shop'): string =>
  `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: ${namespace}\nspec:\n${indent(spec, 2)}\n`;

/** One container `a` with extra container lines; its `- name: a` is spec line 2 (file line 8). */
const one = (extra = '', podLines = ''): string =>
  pod(`${podLines}containers:\n- name: a\n  image: x:1${extra === '' ? '' : `\n${indent(extra, 2)}`}`);

const DIGEST = `sha256:${'a'.repeat(64)}`;

/** A Service in shop selecting app=web (six lines). */
const SERVICE =
  'apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\nspec:\n  selector: {app: web}\n  ports: [{port: 80}]\n';

const cases: ControlCase[] = [
  [
    'workload/no-privileged',
    'privileged',
    one('securityContext: {privileged: true}'),
    [{ path: 'spec.containers[0].securityContext.privileged', line: 10 }],
  ],
  ['workload/no-privileged', 'not privileged', one('securityContext: {privileged: false}'), []],

  ['workload/no-privilege-escalation', 'unset', one(), [{ path: 'spec.containers[0]', line: 8 }]],
  [
    'workload/no-privilege-escalation',
    'set to true',
    one('securityContext:\n  allowPrivilegeEscalation: true'),
    [{ path: 'spec.containers[0].securityContext.allowPrivilegeEscalation', line: 11 }],
  ],
  [
    'workload/no-privilege-escalation',
    'false',
    one('securityContext: {allowPrivilegeEscalation: false}'),
    [],
  ],
  ['workload/no-privilege-escalation', 'windows pod exempt', one('', 'os: {name: windows}\n'), []],

  ['workload/run-as-non-root', 'nothing set', one(), [{ path: 'spec.containers[0]', line: 8 }]],
  [
    'workload/run-as-non-root',
    'pod runs as UID 0',
    pod('securityContext:\n  runAsUser: 0\ncontainers:\n- name: a\n  image: x:1'),
    [{ path: 'spec.securityContext.runAsUser', line: 8 }],
  ],
  [
    'workload/run-as-non-root',
    'container UID 0 overrides pod runAsNonRoot',
    pod(
      'securityContext: {runAsNonRoot: true}\ncontainers:\n- name: a\n  image: x:1\n  securityContext:\n    runAsUser: 0',
    ),
    [{ path: 'spec.containers[0].securityContext.runAsUser', line: 12 }],
  ],
  [
    'workload/run-as-non-root',
    'pod runAsNonRoot',
    pod('securityContext: {runAsNonRoot: true}\ncontainers:\n- {name: a, image: "x:1"}'),
    [],
  ],
  ['workload/run-as-non-root', 'non-zero UID', one('securityContext: {runAsUser: 1000}'), []],

  [
    'workload/no-root-group',
    'fsGroup 0',
    pod('securityContext:\n  fsGroup: 0\ncontainers: []'),
    [{ path: 'spec.securityContext.fsGroup', line: 8 }],
  ],
  [
    'workload/no-root-group',
    'container runAsGroup 0 and supplemental 0',
    pod(
      'securityContext:\n  supplementalGroups: [5, 0]\ncontainers:\n- name: a\n  securityContext:\n    runAsGroup: 0',
    ),
    [
      { path: 'spec.securityContext.supplementalGroups[1]', line: 8 },
      { path: 'spec.containers[0].securityContext.runAsGroup', line: 12 },
    ],
  ],
  [
    'workload/no-root-group',
    'non-zero groups',
    pod('securityContext: {runAsGroup: 10, fsGroup: 10}\ncontainers:\n- {name: a}'),
    [],
  ],

  [
    'workload/no-added-capabilities',
    'SYS_ADMIN added',
    one('securityContext:\n  capabilities:\n    add: [NET_BIND_SERVICE, SYS_ADMIN]'),
    [{ path: 'spec.containers[0].securityContext.capabilities.add[1]', line: 12 }],
  ],
  [
    'workload/no-added-capabilities',
    'only NET_BIND_SERVICE',
    one('securityContext: {capabilities: {add: [NET_BIND_SERVICE]}}'),
    [],
  ],

  ['workload/drop-all-capabilities', 'nothing dropped', one(), [{ path: 'spec.containers[0]', line: 8 }]],
  [
    'workload/drop-all-capabilities',
    'drops only NET_RAW',
    one('securityContext:\n  capabilities:\n    drop: [NET_RAW]'),
    [{ path: 'spec.containers[0].securityContext.capabilities.drop', line: 12 }],
  ],
  [
    'workload/drop-all-capabilities',
    'drops all (lower case)',
    one('securityContext: {capabilities: {drop: [all]}}'),
    [],
  ],

  [
    'workload/no-net-raw',
    'default set kept',
    one('securityContext: {}'),
    [{ path: 'spec.containers[0].securityContext', line: 10 }],
  ],
  [
    'workload/no-net-raw',
    'CAP_NET_RAW added back',
    one('securityContext:\n  capabilities:\n    drop: [ALL]\n    add: [CAP_NET_RAW]'),
    [{ path: 'spec.containers[0].securityContext.capabilities.add[0]', line: 13 }],
  ],
  ['workload/no-net-raw', 'NET_RAW dropped', one('securityContext: {capabilities: {drop: [NET_RAW]}}'), []],

  [
    'workload/read-only-root-fs',
    'writable',
    one('securityContext:\n  readOnlyRootFilesystem: false'),
    [{ path: 'spec.containers[0].securityContext.readOnlyRootFilesystem', line: 11 }],
  ],
  ['workload/read-only-root-fs', 'read-only', one('securityContext: {readOnlyRootFilesystem: true}'), []],
  // Scanners' miss (issue #20): ephemeral (debug) containers were not checked.
  [
    'workload/read-only-root-fs',
    'writable ephemeral container',
    pod(
      'containers:\n- {name: a, image: "x:1", securityContext: {readOnlyRootFilesystem: true}}\nephemeralContainers:\n- {name: debug, image: "busybox:1"}',
    ),
    [{ path: 'spec.ephemeralContainers[0]', line: 10 }],
  ],
  [
    'workload/no-privileged',
    'privileged ephemeral container',
    pod(
      'containers:\n- {name: a, image: "x:1"}\nephemeralContainers:\n- {name: debug, image: "busybox:1", securityContext: {privileged: true}}',
    ),
    [{ path: 'spec.ephemeralContainers[0].securityContext.privileged', line: 10 }],
  ],

  [
    'workload/no-host-pid',
    'hostPID',
    pod('hostPID: true\ncontainers: []'),
    [{ path: 'spec.hostPID', line: 7 }],
  ],
  ['workload/no-host-pid', 'no hostPID', pod('hostPID: false\ncontainers: []'), []],
  [
    'workload/no-host-ipc',
    'hostIPC',
    pod('containers: []\nhostIPC: true'),
    [{ path: 'spec.hostIPC', line: 8 }],
  ],
  ['workload/no-host-ipc', 'no hostIPC', pod('containers: []'), []],

  [
    'workload/no-host-ports',
    'hostPort',
    one('ports:\n- containerPort: 80\n- containerPort: 443\n  hostPort: 443'),
    [{ path: 'spec.containers[0].ports[1].hostPort', line: 13 }],
  ],
  ['workload/no-host-ports', 'hostPort 0 is none', one('ports:\n- {containerPort: 80, hostPort: 0}'), []],

  [
    'workload/no-host-path',
    'hostPath /var/log',
    pod('containers: []\nvolumes:\n- name: logs\n  hostPath:\n    path: /var/log'),
    [{ path: 'spec.volumes[0].hostPath', line: 10 }],
  ],
  ['workload/no-host-path', 'emptyDir', pod('containers: []\nvolumes:\n- {name: tmp, emptyDir: {}}'), []],

  [
    'workload/no-windows-host-process',
    'HostProcess pod',
    pod('securityContext:\n  windowsOptions:\n    hostProcess: true\ncontainers: []'),
    [{ path: 'spec.securityContext.windowsOptions.hostProcess', line: 9 }],
  ],
  [
    'workload/no-windows-host-process',
    'plain Windows pod',
    pod('os: {name: windows}\ncontainers: [{name: a}]'),
    [],
  ],

  ['workload/seccomp-profile', 'unset', one(), [{ path: 'spec.containers[0]', line: 8 }]],
  [
    'workload/seccomp-profile',
    'container Unconfined overrides pod',
    pod(
      'securityContext: {seccompProfile: {type: RuntimeDefault}}\ncontainers:\n- name: a\n  securityContext:\n    seccompProfile:\n      type: Unconfined',
    ),
    [{ path: 'spec.containers[0].securityContext.seccompProfile.type', line: 12 }],
  ],
  [
    'workload/seccomp-profile',
    'pod RuntimeDefault',
    pod('securityContext: {seccompProfile: {type: RuntimeDefault}}\ncontainers: [{name: a}]'),
    [],
  ],

  [
    'workload/no-unconfined-mac',
    'AppArmor Unconfined field',
    one('securityContext:\n  appArmorProfile:\n    type: Unconfined'),
    [{ path: 'spec.containers[0].securityContext.appArmorProfile.type', line: 12 }],
  ],
  [
    'workload/no-unconfined-mac',
    'custom SELinux type on the pod',
    pod('securityContext:\n  seLinuxOptions:\n    type: spc_t\ncontainers: []'),
    [{ path: 'spec.securityContext.seLinuxOptions.type', line: 9 }],
  ],
  [
    'workload/no-unconfined-mac',
    'AppArmor annotation',
    `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: shop}\nspec:\n  template:\n    metadata:\n      annotations:\n        container.apparmor.security.beta.kubernetes.io/a: unconfined\n    spec:\n      containers: [{name: a}]\n`,
    [
      {
        path: 'spec.template.metadata.annotations["container.apparmor.security.beta.kubernetes.io/a"]',
        line: 8,
      },
    ],
  ],
  [
    'workload/no-unconfined-mac',
    'RuntimeDefault and container_t',
    one('securityContext: {appArmorProfile: {type: RuntimeDefault}, seLinuxOptions: {type: container_t}}'),
    [],
  ],

  ['workload/no-automount-token', 'default automount', one(), [{ path: 'spec', line: 6 }]],
  [
    'workload/no-automount-token',
    'explicitly true',
    pod('automountServiceAccountToken: true\ncontainers: []'),
    [{ path: 'spec.automountServiceAccountToken', line: 7 }],
  ],
  [
    'workload/no-automount-token',
    'pod opts out',
    pod('automountServiceAccountToken: false\ncontainers: []'),
    [],
  ],
  [
    'workload/no-automount-token',
    'service account opts out',
    `apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: app, namespace: shop}\nautomountServiceAccountToken: false\n---\n${pod('serviceAccountName: app\ncontainers: []')}`,
    [],
  ],

  ['workload/no-default-service-account', 'no name', pod('containers: []'), [{ path: 'spec', line: 6 }]],
  [
    'workload/no-default-service-account',
    'named default',
    pod('serviceAccountName: default\ncontainers: []'),
    [{ path: 'spec.serviceAccountName', line: 7 }],
  ],
  ['workload/no-default-service-account', 'own account', pod('serviceAccountName: app\ncontainers: []'), []],

  ['workload/resource-limits', 'none', one(), [{ path: 'spec.containers[0]', line: 8 }]],
  ['workload/resource-limits', 'both', one('resources: {limits: {cpu: 1, memory: 1Gi}}'), []],

  [
    'workload/resource-requests',
    'cpu missing',
    one('resources:\n  requests: {memory: 1Gi}'),
    [{ path: 'spec.containers[0].resources.requests', line: 11 }],
  ],
  [
    'workload/resource-requests',
    'limits imply requests',
    one('resources: {limits: {cpu: 1, memory: 1Gi}}'),
    [],
  ],

  ['workload/liveness-probe', 'missing', one(), [{ path: 'spec.containers[0]', line: 8 }]],
  ['workload/liveness-probe', 'declared', one('livenessProbe: {tcpSocket: {port: 80}}'), []],
  ['workload/liveness-probe', 'run-to-completion pod', one('', 'restartPolicy: Never\n'), []],
  [
    'workload/readiness-probe',
    'missing behind a Service',
    `${SERVICE}---\n${one().replace('metadata:\n  name: p', 'metadata:\n  labels: {app: web}\n  name: p')}`,
    [{ path: 'spec.containers[0]', line: 16 }],
  ],
  [
    'workload/readiness-probe',
    'declared behind a Service',
    `${SERVICE}---\n${one('readinessProbe: {httpGet: {path: /, port: 80}}').replace('metadata:\n  name: p', 'metadata:\n  labels: {app: web}\n  name: p')}`,
    [],
  ],
  // Noise (issue #20): readiness was demanded of pods no Service targets.
  ['workload/readiness-probe', 'no Service selects the pod', `${SERVICE}---\n${one()}`, []],

  [
    'workload/image-tag',
    'latest',
    pod('containers:\n- name: a\n  image: nginx:latest'),
    [{ path: 'spec.containers[0].image', line: 9 }],
  ],
  ['workload/image-tag', 'versioned', pod('containers:\n- name: a\n  image: nginx:1.27'), []],

  [
    'workload/image-digest',
    'tag only',
    pod('containers:\n- name: a\n  image: nginx:1.27'),
    [{ path: 'spec.containers[0].image', line: 9 }],
  ],
  ['workload/image-digest', 'digest', pod(`containers:\n- name: a\n  image: nginx@${DIGEST}`), []],
  [
    'workload/image-digest',
    'sha512 digest',
    pod(`containers:\n- name: a\n  image: nginx@sha512:${'0'.repeat(128)}`),
    [],
  ],
  // Scanners' misses (issue #20): malformed digests counted as pinned.
  ...['sha256:abc', `sha256:${'A'.repeat(64)}`, `sha512:${'a'.repeat(64)}`, `md5:${'a'.repeat(32)}`].map(
    (d): ControlCase => [
      'workload/image-digest',
      `malformed digest ${d.slice(0, 12)}`,
      pod(`containers:\n- name: a\n  image: nginx@${d}`),
      [{ path: 'spec.containers[0].image', line: 9 }],
    ],
  ),
  [
    'workload/image-tag',
    'no tag and a malformed digest',
    pod('containers:\n- name: a\n  image: nginx@sha256:abc'),
    [{ path: 'spec.containers[0].image', line: 9 }],
  ],

  [
    'workload/image-pull-policy',
    'default IfNotPresent for a tag',
    pod('containers:\n- name: a\n  image: nginx:1.27'),
    [{ path: 'spec.containers[0].image', line: 9 }],
  ],
  [
    'workload/image-pull-policy',
    'explicit Never',
    pod('containers:\n- name: a\n  image: nginx:latest\n  imagePullPolicy: Never'),
    [{ path: 'spec.containers[0].imagePullPolicy', line: 10 }],
  ],
  [
    'workload/image-pull-policy',
    'latest defaults to Always',
    pod('containers:\n- name: a\n  image: nginx'),
    [],
  ],
  [
    'workload/image-pull-policy',
    'digest',
    pod(`containers:\n- {name: a, image: "nginx@${DIGEST}", imagePullPolicy: IfNotPresent}`),
    [],
  ],

  [
    'workload/no-default-namespace',
    'default namespace',
    pod('containers: []', 'default'),
    [{ path: 'metadata.namespace', line: 5 }],
  ],
  ['workload/no-default-namespace', 'own namespace', pod('containers: []'), []],
];

const registryCases: [string, string, string[], { path: string; line: number }[]][] = [
  [
    'outside the list',
    'docker.io/library/nginx:1',
    ['registry.example.com/*'],
    [{ path: 'spec.containers[0].image', line: 9 }],
  ],
  [
    'short docker hub name is docker.io/library',
    'nginx:1',
    ['registry.example.com/', 'docker.io/library/*'],
    [],
  ],
  ['inside the list', 'registry.example.com/team/app:1', ['registry.example.com/*'], []],
];

describe('workload controls', () => {
  it.each(cases)('%s: %s', (id, _name, yaml, expected) => {
    const control = WORKLOAD_CONTROLS.find((c) => c.id === id);
    expect(control, id).toBeDefined();
    if (control) expect(runControl(control, yaml)).toEqual(expected);
  });

  it.each(registryCases)('workload/allowed-registries: %s', (_name, image, allowed, expected) => {
    const control = WORKLOAD_CONTROLS.find((c) => c.id === 'workload/allowed-registries');
    if (!control) throw new Error('missing control');
    const yaml = pod(`containers:\n- name: a\n  image: ${image}`);
    expect(runControl(control, yaml, { settings: { allowedRegistries: allowed } })).toEqual(expected);
  });

  it('workload/allowed-registries passes when no list is configured', () => {
    const control = WORKLOAD_CONTROLS.find((c) => c.id === 'workload/allowed-registries');
    if (!control) throw new Error('missing control');
    expect(runControl(control, pod('containers:\n- {name: a, image: "evil.example/x:1"}'))).toEqual([]);
  });

  it('every workload control has a failing and a passing case', () => {
    const covered: ControlCase[] = [
      ...cases,
      ['workload/allowed-registries', 'fail', '', [{ path: 'x', line: 1 }]],
      ['workload/allowed-registries', 'pass', '', []],
    ];
    expect(missingCases(WORKLOAD_CONTROLS, covered)).toEqual([]);
  });
});
