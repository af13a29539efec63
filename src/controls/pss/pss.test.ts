import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Inventory, POD_TEMPLATE_PATHS } from '../../core/index.js';
import { parseManifests } from '../../load/index.js';
import { evaluateControls } from '../engine.js';
import { PSS_CHECK_IDS, parsePssFramework, pssControls, type PssLevel } from './index.js';
import { renderPssVersionTable } from './registry.js';

/** Lines marked `#!` in a manifest, in order: where the findings must point. */
function markedLines(yaml: string): number[] {
  return yaml.split('\n').flatMap((l, i) => (l.includes('#!') ? [i + 1] : []));
}

/** Evaluates the controls of a level and version (optionally one check) over a manifest. */
function run(yaml: string, level: PssLevel, version: string, checkId?: string) {
  const parsed = parseManifests(yaml, 'pod.yaml');
  expect(parsed.issues).toEqual([]);
  const inventory = new Inventory();
  for (const r of parsed.resources) inventory.add(r);
  const controls = pssControls(level, version).filter(
    (c) => checkId === undefined || c.id === `pss/${checkId}`,
  );
  const { findings, errors } = evaluateControls(inventory, controls);
  expect(errors).toEqual([]);
  return findings;
}

const pod = (spec: string, metadata = ''): string => `apiVersion: v1
kind: Pod
metadata:
  name: p
${metadata}spec:
${spec}`;

/** A pod that passes restricted at every version, to mutate one field at a time. */
const restricted = (extra = '', container = ''): string =>
  pod(`  securityContext:
    runAsNonRoot: true
    seccompProfile: {type: RuntimeDefault}
  containers:
  - name: app
    image: x
    securityContext:
      allowPrivilegeEscalation: false
      capabilities: {drop: [ALL]}
${container}${extra}`);

type Case = [
  name: string,
  checkId: string,
  level: PssLevel,
  version: string,
  yaml: string,
  /** Expected message of every finding; '' when the pod must pass. */
  message: string,
];

const cases: Case[] = [
  // appArmorProfile
  [
    'container AppArmor type Unconfined',
    'appArmorProfile',
    'baseline',
    'latest',
    pod(`  containers:
  - name: app
    image: x
    securityContext:
      appArmorProfile:
        type: Unconfined #!
`),
    'forbidden AppArmor profile (container "app" must not set AppArmor profile type to "Unconfined")',
  ],
  [
    'unconfined AppArmor annotation',
    'appArmorProfile',
    'baseline',
    'v1.0',
    pod(
      `  containers:
  - {name: app, image: x}
`,
      `  annotations:
    container.apparmor.security.beta.kubernetes.io/app: unconfined #!
`,
    ),
    'forbidden AppArmor profile (annotation must not set AppArmor profile type to "container.apparmor.security.beta.kubernetes.io/app="unconfined"")',
  ],
  [
    'allowed AppArmor profiles',
    'appArmorProfile',
    'baseline',
    'latest',
    pod(
      `  securityContext:
    appArmorProfile: {type: Localhost, localhostProfile: p}
  containers:
  - name: app
    image: x
    securityContext:
      appArmorProfile: {type: RuntimeDefault}
`,
      `  annotations:
    container.apparmor.security.beta.kubernetes.io/app: localhost/p
`,
    ),
    '',
  ],
  // capabilities_baseline
  [
    'adds NET_RAW',
    'capabilities_baseline',
    'baseline',
    'latest',
    pod(`  containers:
  - name: app
    image: x
    securityContext:
      capabilities:
        add:
        - CHOWN
        - NET_RAW #!
`),
    'non-default capabilities (container "app" must not include "NET_RAW" in securityContext.capabilities.add)',
  ],
  [
    'adds only default capabilities',
    'capabilities_baseline',
    'baseline',
    'latest',
    pod(`  containers:
  - name: app
    image: x
    securityContext:
      capabilities: {add: [CHOWN, NET_BIND_SERVICE]}
`),
    '',
  ],
  // hostNamespaces
  [
    'all host namespaces',
    'hostNamespaces',
    'baseline',
    'latest',
    pod(`  hostNetwork: true #!
  hostPID: true #!
  hostIPC: true #!
  containers:
  - {name: app, image: x}
`),
    'host namespaces (hostNetwork=true, hostPID=true, hostIPC=true)',
  ],
  [
    'host namespaces false',
    'hostNamespaces',
    'baseline',
    'latest',
    pod(`  hostNetwork: false
  containers:
  - {name: app, image: x}
`),
    '',
  ],
  // hostPathVolumes
  [
    'hostPath volume',
    'hostPathVolumes',
    'baseline',
    'latest',
    pod(`  containers:
  - {name: app, image: x}
  volumes:
  - name: cfg
    configMap: {name: c}
  - name: data
    hostPath: #!
      path: /var
`),
    'hostPath volumes (volume "data")',
  ],
  [
    'no hostPath volume',
    'hostPathVolumes',
    'baseline',
    'latest',
    pod(`  containers:
  - {name: app, image: x}
  volumes:
  - {name: tmp, emptyDir: {}}
`),
    '',
  ],
  // hostPorts
  [
    'host ports on two containers',
    'hostPorts',
    'baseline',
    'latest',
    pod(`  initContainers:
  - name: init
    image: x
    ports:
    - containerPort: 9
      hostPort: 9 #!
  containers:
  - name: app
    image: x
    ports:
    - containerPort: 80
      hostPort: 10080 #!
`),
    'hostPort (containers "init", "app" use hostPorts 10080, 9)',
  ],
  [
    'hostPort 0',
    'hostPorts',
    'baseline',
    'latest',
    pod(`  containers:
  - name: app
    image: x
    ports:
    - {containerPort: 80, hostPort: 0}
`),
    '',
  ],
  // hostProbesAndHostLifecycle
  [
    'probe and lifecycle hosts at v1.34',
    'hostProbesAndHostLifecycle',
    'baseline',
    'v1.34',
    pod(`  containers:
  - name: app
    image: x
    livenessProbe:
      httpGet:
        host: example.com #!
        port: 80
    lifecycle:
      preStop:
        tcpSocket:
          host: 10.0.0.1 #!
          port: 80
`),
    'probe or lifecycle host (container "app" uses probe or lifecycle hosts "10.0.0.1", "example.com")',
  ],
  [
    'probe host before v1.34',
    'hostProbesAndHostLifecycle',
    'baseline',
    'v1.33',
    pod(`  containers:
  - name: app
    image: x
    readinessProbe:
      tcpSocket: {host: example.com, port: 80}
`),
    '',
  ],
  [
    'probe without host',
    'hostProbesAndHostLifecycle',
    'baseline',
    'latest',
    pod(`  containers:
  - name: app
    image: x
    startupProbe:
      httpGet: {port: 80, host: ""}
`),
    '',
  ],
  // privileged
  [
    'privileged ephemeral container',
    'privileged',
    'baseline',
    'latest',
    pod(`  containers:
  - {name: app, image: x}
  ephemeralContainers:
  - name: debug
    image: x
    securityContext:
      privileged: true #!
`),
    'privileged (container "debug" must not set securityContext.privileged=true)',
  ],
  [
    'not privileged',
    'privileged',
    'baseline',
    'latest',
    pod(`  containers:
  - name: app
    image: x
    securityContext: {privileged: false}
`),
    '',
  ],
  // procMount
  [
    'unmasked procMount',
    'procMount',
    'baseline',
    'latest',
    pod(`  containers:
  - name: app
    image: x
    securityContext:
      procMount: Unmasked #!
`),
    'procMount (container "app" must not set securityContext.procMount to "Unmasked")',
  ],
  [
    'unmasked procMount in a user namespace at v1.35',
    'procMount',
    'baseline',
    'v1.35',
    pod(`  hostUsers: false
  containers:
  - name: app
    image: x
    securityContext: {procMount: Unmasked}
`),
    '',
  ],
  [
    'unmasked procMount in a user namespace at v1.34',
    'procMount',
    'baseline',
    'v1.34',
    pod(`  hostUsers: false
  containers:
  - name: app
    image: x
    securityContext:
      procMount: Unmasked #!
`),
    'procMount (container "app" must not set securityContext.procMount to "Unmasked")',
  ],
  // seLinuxOptions
  [
    'SELinux type spc_t and a user',
    'seLinuxOptions',
    'baseline',
    'latest',
    pod(`  securityContext:
    seLinuxOptions:
      user: system_u #!
  containers:
  - name: app
    image: x
    securityContext:
      seLinuxOptions:
        type: spc_t #!
`),
    'seLinuxOptions (pod and container "app" set forbidden securityContext.seLinuxOptions: type "spc_t"; user may not be set)',
  ],
  [
    'container_engine_t before v1.31',
    'seLinuxOptions',
    'baseline',
    'v1.30',
    pod(`  containers:
  - name: app
    image: x
    securityContext:
      seLinuxOptions:
        type: container_engine_t #!
`),
    'seLinuxOptions (container "app" set forbidden securityContext.seLinuxOptions: type "container_engine_t")',
  ],
  [
    'container_engine_t from v1.31',
    'seLinuxOptions',
    'baseline',
    'v1.31',
    pod(`  containers:
  - name: app
    image: x
    securityContext:
      seLinuxOptions: {type: container_engine_t, level: "s0:c1"}
`),
    '',
  ],
  // seccompProfile_baseline
  [
    'Unconfined seccomp profile',
    'seccompProfile_baseline',
    'baseline',
    'latest',
    pod(`  securityContext:
    seccompProfile:
      type: Unconfined #!
  containers:
  - {name: app, image: x}
`),
    'seccompProfile (pod must not set securityContext.seccompProfile.type to "Unconfined")',
  ],
  [
    'unconfined seccomp annotation before v1.19',
    'seccompProfile_baseline',
    'baseline',
    'v1.18',
    pod(
      `  containers:
  - {name: app, image: x}
`,
      `  annotations:
    seccomp.security.alpha.kubernetes.io/pod: unconfined #!
`,
    ),
    'seccompProfile (forbidden annotation seccomp.security.alpha.kubernetes.io/pod="unconfined")',
  ],
  [
    'RuntimeDefault seccomp profile',
    'seccompProfile_baseline',
    'baseline',
    'latest',
    pod(`  securityContext:
    seccompProfile: {type: RuntimeDefault}
  containers:
  - {name: app, image: x}
`),
    '',
  ],
  // sysctls
  [
    'unsafe sysctl',
    'sysctls',
    'baseline',
    'latest',
    pod(`  securityContext:
    sysctls:
    - name: kernel.msgmax #!
      value: "65536"
    - name: net.ipv4.tcp_syncookies
      value: "1"
  containers:
  - {name: app, image: x}
`),
    'forbidden sysctls (kernel.msgmax)',
  ],
  [
    'v1.37 sysctl at v1.36',
    'sysctls',
    'baseline',
    'v1.36',
    pod(`  securityContext:
    sysctls:
    - name: net.ipv4.tcp_notsent_lowat #!
      value: "16384"
  containers:
  - {name: app, image: x}
`),
    'forbidden sysctls (net.ipv4.tcp_notsent_lowat)',
  ],
  [
    'v1.37 sysctl at v1.37',
    'sysctls',
    'baseline',
    'v1.37',
    pod(`  securityContext:
    sysctls:
    - {name: net.ipv4.tcp_notsent_lowat, value: "16384"}
  containers:
  - {name: app, image: x}
`),
    '',
  ],
  // windowsHostProcess
  [
    'HostProcess pod',
    'windowsHostProcess',
    'baseline',
    'latest',
    pod(`  os: {name: windows}
  hostNetwork: true
  securityContext:
    windowsOptions:
      hostProcess: true #!
  containers:
  - {name: app, image: x}
`),
    'hostProcess (pod must not set securityContext.windowsOptions.hostProcess=true)',
  ],
  [
    'hostProcess false',
    'windowsHostProcess',
    'baseline',
    'latest',
    pod(`  containers:
  - name: app
    image: x
    securityContext:
      windowsOptions: {hostProcess: false}
`),
    '',
  ],
  // allowPrivilegeEscalation
  [
    'no security context: points at the container',
    'allowPrivilegeEscalation',
    'restricted',
    'latest',
    restricted(`  - name: side #!
    image: x
`),
    'allowPrivilegeEscalation != false (container "side" must set securityContext.allowPrivilegeEscalation=false)',
  ],
  [
    'allowPrivilegeEscalation true',
    'allowPrivilegeEscalation',
    'restricted',
    'latest',
    restricted(`  - name: side
    image: x
    securityContext:
      allowPrivilegeEscalation: true #!
`),
    'allowPrivilegeEscalation != false (container "side" must set securityContext.allowPrivilegeEscalation=false)',
  ],
  [
    'windows pod exempt from v1.25',
    'allowPrivilegeEscalation',
    'restricted',
    'v1.25',
    pod(`  os: {name: windows}
  containers:
  - {name: app, image: x}
`),
    '',
  ],
  [
    'windows pod not exempt before v1.25',
    'allowPrivilegeEscalation',
    'restricted',
    'v1.24',
    pod(`  os: {name: windows}
  containers:
  - name: app #!
    image: x
`),
    'allowPrivilegeEscalation != false (container "app" must set securityContext.allowPrivilegeEscalation=false)',
  ],
  // capabilities_restricted
  [
    'no drop ALL and an added SYS_ADMIN',
    'capabilities_restricted',
    'restricted',
    'latest',
    restricted(`  - name: side
    image: x
    securityContext: #!
      allowPrivilegeEscalation: false
  - name: tool
    image: x
    securityContext:
      capabilities:
        drop: [ALL]
        add:
        - SYS_ADMIN #!
`),
    'unrestricted capabilities (container "side" must set securityContext.capabilities.drop=["ALL"]; container "tool" must not include "SYS_ADMIN" in securityContext.capabilities.add)',
  ],
  [
    'drop ALL, add NET_BIND_SERVICE',
    'capabilities_restricted',
    'restricted',
    'latest',
    restricted(`  - name: side
    image: x
    securityContext:
      capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}
`),
    '',
  ],
  [
    'windows pod exempt',
    'capabilities_restricted',
    'restricted',
    'latest',
    pod(`  os: {name: windows}
  containers:
  - {name: app, image: x}
`),
    '',
  ],
  // procMount_restricted
  [
    'unmasked procMount in a user namespace',
    'procMount_restricted',
    'restricted',
    'latest',
    restricted(
      `  hostUsers: false
`,
      `      procMount: Unmasked #!
`,
    ),
    'procMount (container "app" must not set securityContext.procMount to "Unmasked")',
  ],
  [
    'default procMount',
    'procMount_restricted',
    'restricted',
    'latest',
    restricted('', `      procMount: Default\n`),
    '',
  ],
  // restrictedVolumes
  [
    'nfs and hostPath volumes',
    'restrictedVolumes',
    'restricted',
    'latest',
    restricted(`  volumes:
  - name: share
    nfs: {server: nfs, path: /} #!
  - name: host
    hostPath: {path: /} #!
`),
    'restricted volume types (volumes "share", "host" use restricted volume types "hostPath", "nfs")',
  ],
  [
    'core volume types, a sourceless volume and an image volume',
    'restrictedVolumes',
    'restricted',
    'v1.0',
    restricted(`  volumes:
  - name: implicit
  - {name: tmp, emptyDir: {}}
  - {name: pvc, persistentVolumeClaim: {claimName: c}}
  - {name: img, image: {reference: "registry.example/data:1"}}
  - {name: csi, csi: {driver: d}}
`),
    '',
  ],
  // runAsNonRoot
  [
    'runAsNonRoot unset: points at the nearest parent',
    'runAsNonRoot',
    'restricted',
    'latest',
    pod(`  containers:
  - name: app
    image: x
    securityContext: #!
      allowPrivilegeEscalation: false
  - name: side #!
    image: x
`),
    'runAsNonRoot != true (pod or containers "app", "side" must set securityContext.runAsNonRoot=true)',
  ],
  [
    'runAsNonRoot false on the pod and a container',
    'runAsNonRoot',
    'restricted',
    'latest',
    pod(`  securityContext:
    runAsNonRoot: false #!
  containers:
  - name: app
    image: x
    securityContext:
      runAsNonRoot: false #!
`),
    'runAsNonRoot != true (pod and container "app" must not set securityContext.runAsNonRoot=false)',
  ],
  [
    'user namespace pod from v1.35',
    'runAsNonRoot',
    'restricted',
    'v1.35',
    pod(`  hostUsers: false
  containers:
  - {name: app, image: x}
`),
    '',
  ],
  [
    'user namespace pod before v1.35',
    'runAsNonRoot',
    'restricted',
    'v1.34',
    pod(`  hostUsers: false
  containers:
  - name: app #!
    image: x
`),
    'runAsNonRoot != true (pod or container "app" must set securityContext.runAsNonRoot=true)',
  ],
  ['pod-level runAsNonRoot covers containers', 'runAsNonRoot', 'restricted', 'latest', restricted(), ''],
  // runAsUser
  [
    'runAsUser 0',
    'runAsUser',
    'restricted',
    'latest',
    restricted(
      '',
      `      runAsUser: 0 #!
`,
    ),
    'runAsUser=0 (container "app" must not set runAsUser=0)',
  ],
  [
    'runAsUser 0 before the check existed',
    'runAsUser',
    'restricted',
    'v1.22',
    restricted('', `      runAsUser: 0\n`),
    '',
  ],
  [
    'runAsUser 0 in a user namespace',
    'runAsUser',
    'restricted',
    'latest',
    restricted(`  hostUsers: false\n`, `      runAsUser: 0\n`),
    '',
  ],
  // seccompProfile_restricted
  [
    'no seccomp profile',
    'seccompProfile_restricted',
    'restricted',
    'latest',
    pod(`  containers:
  - name: app
    image: x
    securityContext: #!
      runAsNonRoot: true
`),
    'seccompProfile (pod or container "app" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
  ],
  [
    'container Unconfined under a pod default',
    'seccompProfile_restricted',
    'restricted',
    'latest',
    restricted(
      '',
      `      seccompProfile:
        type: Unconfined #!
`,
    ),
    'seccompProfile (container "app" must not set securityContext.seccompProfile.type to "Unconfined")',
  ],
  [
    'windows pod exempt from v1.25',
    'seccompProfile_restricted',
    'restricted',
    'v1.25',
    pod(`  os: {name: windows}
  containers:
  - {name: app, image: x}
`),
    '',
  ],
];

describe('pss checks', () => {
  it.each(cases)('%s (%s, %s@%s)', (_name, checkId, level, version, yaml, message) => {
    const findings = run(yaml, level, version, checkId);
    expect(findings.map((f) => f.location?.line)).toEqual(markedLines(yaml));
    for (const f of findings) {
      expect(f.controlId).toBe(`pss/${checkId}`);
      expect(f.message).toBe(message);
      expect(f.frameworks).toContainEqual({ id: 'pss', control: `${level}:${checkId}` });
    }
  });

  it('has a failing and a passing case for every check', () => {
    for (const id of PSS_CHECK_IDS) {
      expect(
        cases.some((c) => c[1] === id && c[5] !== ''),
        `${id} fails`,
      ).toBe(true);
      expect(
        cases.some((c) => c[1] === id && c[5] === ''),
        `${id} passes`,
      ).toBe(true);
    }
  });

  it('lets a restricted pod through every check at every version', () => {
    for (let minor = 0; minor <= 40; minor++) {
      expect(run(restricted(), 'restricted', `v1.${minor}`), `v1.${minor}`).toEqual([]);
    }
  });
});

const workload = (kind: string): string => {
  const base = POD_TEMPLATE_PATHS[kind] ?? [];
  const header = `apiVersion: v1\nkind: ${kind}\nmetadata: {name: w, namespace: ns}\n`;
  const lines: string[] = [];
  base.forEach((seg, i) => lines.push(`${'  '.repeat(i)}${String(seg)}:`));
  const pad = '  '.repeat(base.length);
  const spec = kind === 'Pod' ? 'spec:' : `${pad}spec:`;
  return `${header}${lines.join('\n')}${lines.length ? '\n' : ''}${spec}
${pad}  hostPID: true #!
${pad}  containers:
${pad}  - name: app
${pad}    image: x
${pad}    securityContext:
${pad}      privileged: true #!
`;
};

describe('pss on every workload kind', () => {
  it.each(Object.keys(POD_TEMPLATE_PATHS))('%s', (kind) => {
    const yaml = workload(kind);
    const findings = run(yaml, 'baseline', 'latest');
    const prefix = (POD_TEMPLATE_PATHS[kind] ?? []).map((s) => `${String(s)}.`).join('');
    expect(findings.map((f) => [f.controlId, f.fieldPath, f.location?.line])).toEqual([
      ['pss/hostNamespaces', `${prefix}spec.hostPID`, markedLines(yaml)[0]],
      ['pss/privileged', `${prefix}spec.containers[0].securityContext.privileged`, markedLines(yaml)[1]],
    ]);
    expect(findings[0]?.resource).toMatchObject({ kind, name: 'w' });
  });
});

describe('pssControls', () => {
  const ids = (level: PssLevel, version: string): string[] => pssControls(level, version).map((c) => c.id);
  it.each<[PssLevel, string, string[]]>([
    [
      'baseline',
      'v1.0',
      [
        'appArmorProfile',
        'capabilities_baseline',
        'hostNamespaces',
        'hostPathVolumes',
        'hostPorts',
        'privileged',
        'procMount',
        'seLinuxOptions',
        'seccompProfile_baseline',
        'sysctls',
        'windowsHostProcess',
      ],
    ],
    [
      'restricted',
      'v1.0',
      [
        'appArmorProfile',
        'capabilities_baseline',
        'hostNamespaces',
        'hostPorts',
        'privileged',
        'procMount',
        'seLinuxOptions',
        'seccompProfile_baseline',
        'sysctls',
        'windowsHostProcess',
        'restrictedVolumes',
        'runAsNonRoot',
      ],
    ],
    [
      'restricted',
      'v1.34',
      [
        'appArmorProfile',
        'hostNamespaces',
        'hostPorts',
        'hostProbesAndHostLifecycle',
        'privileged',
        'procMount',
        'seLinuxOptions',
        'sysctls',
        'windowsHostProcess',
        'allowPrivilegeEscalation',
        'capabilities_restricted',
        'restrictedVolumes',
        'runAsNonRoot',
        'runAsUser',
        'seccompProfile_restricted',
      ],
    ],
    [
      'restricted',
      'latest',
      [
        'appArmorProfile',
        'hostNamespaces',
        'hostPorts',
        'hostProbesAndHostLifecycle',
        'privileged',
        'seLinuxOptions',
        'sysctls',
        'windowsHostProcess',
        'allowPrivilegeEscalation',
        'capabilities_restricted',
        'procMount_restricted',
        'restrictedVolumes',
        'runAsNonRoot',
        'runAsUser',
        'seccompProfile_restricted',
      ],
    ],
  ])('%s@%s', (level, version, expected) => {
    expect(ids(level, version)).toEqual(expected.map((id) => `pss/${id}`));
  });

  it('treats latest and newer versions as the newest revision', () => {
    expect(pssControls('restricted', 'latest')).toEqual(pssControls('restricted', 'v1.37'));
    expect(pssControls('baseline', 'v1.99')).toEqual(pssControls('baseline', 'v1.37'));
  });

  it('declares each control as a pod-template pss control with its framework refs', () => {
    for (const c of pssControls('restricted', 'latest')) {
      expect(c.category).toBe('pss');
      expect(c.appliesTo).toEqual({ podTemplate: true });
      expect(c.frameworks[0]).toEqual({ id: 'pss', control: `restricted:${c.id.slice(4)}` });
    }
    expect(
      pssControls('baseline', 'latest').find((c) => c.id === 'pss/privileged')?.frameworks,
    ).toContainEqual({
      id: 'cis-1.10',
      control: '5.2.2',
    });
  });

  it('lists the 19 upstream check ids', () => {
    expect(PSS_CHECK_IDS).toHaveLength(19);
    expect(new Set(PSS_CHECK_IDS).size).toBe(19);
  });

  it('throws on a selection parsePssFramework would refuse', () => {
    expect(() => pssControls('baseline', 'v2.0')).toThrow(/invalid pss selection/);
  });
});

describe('parsePssFramework', () => {
  it.each<[string, { level: PssLevel; version: string } | RegExp]>([
    ['baseline@v1.29', { level: 'baseline', version: 'v1.29' }],
    ['restricted', { level: 'restricted', version: 'latest' }],
    ['restricted@latest', { level: 'restricted', version: 'latest' }],
    ['baseline@v1.0', { level: 'baseline', version: 'v1.0' }],
    ['privileged', /has no checks/],
    ['', /unknown pss level ""/],
    ['Baseline', /unknown pss level "Baseline"/],
    ['baseline@1.29', /invalid pss version "1.29"/],
    ['baseline@v2.0', /invalid pss version/],
    ['baseline@v1.01', /invalid pss version/],
    ['restricted@', /invalid pss version ""/],
  ])('%j', (spec, expected) => {
    const result = parsePssFramework(spec);
    if (expected instanceof RegExp) {
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error).toMatch(expected);
    } else {
      expect(result).toEqual({ ok: true, value: expected });
    }
  });
});

describe('docs/pss.md', () => {
  /** Table rows as trimmed cells, so Prettier's column padding does not matter. */
  const cells = (table: string): string[][] =>
    table
      .split('\n')
      .filter((l) => l.startsWith('|'))
      .map((l) =>
        l
          .split('|')
          .slice(1, -1)
          .map((c) => c.trim().replace(/^-+$/, '---')),
      );

  it('shows the revision table of the declarations', () => {
    const doc = readFileSync(path.resolve(import.meta.dirname, '../../../docs/pss.md'), 'utf8');
    const m = /<!-- pss-version-table:start -->([\s\S]*)<!-- pss-version-table:end -->/.exec(doc);
    expect(m?.[1], 'docs/pss.md has the table markers').toBeDefined();
    expect(cells(m?.[1] ?? '')).toEqual(cells(renderPssVersionTable()));
  });
});

describe('pss on malformed pods', () => {
  it.each([
    [
      'lists that are not lists',
      pod(`  containers: {name: app}\n  volumes: "none"\n  securityContext: {sysctls: 3}\n`),
    ],
    [
      'fields of the wrong type',
      pod(`  securityContext: []
  containers:
  - name: app
    securityContext: "yes"
    ports: [7, {hostPort: "80"}]
  - null
  - name: 12
    securityContext:
      capabilities: {add: NET_RAW, drop: ALL}
      seLinuxOptions: {type: 5}
      seccompProfile: {}
  volumes: [null, 3, {name: v, nfs: null}]
`),
    ],
  ])('evaluates %s without errors', (_name, yaml) => {
    for (const level of ['baseline', 'restricted'] as const) {
      for (const version of ['v1.0', 'v1.24', 'latest']) run(yaml, level, version);
    }
  });

  it('reports what it can read of a malformed pod', () => {
    const yaml = pod(`  containers:
  - name: app
    image: x
    ports: [7, {hostPort: "80"}] #!
`);
    const findings = run(yaml, 'baseline', 'latest', 'hostPorts');
    expect(findings.map((f) => [f.message, f.location?.line])).toEqual([
      ['hostPort (container "app" uses hostPort 80)', markedLines(yaml)[0]],
    ]);
  });
});

describe('pss messages in upstream wording', () => {
  it.each<[name: string, checkId: string, level: PssLevel, yaml: string, message: string]>([
    [
      'several AppArmor annotations, sorted, plural reason',
      'appArmorProfile',
      'baseline',
      pod(
        `  containers:
  - {name: a, image: x}
`,
        `  annotations:
    container.apparmor.security.beta.kubernetes.io/f: unknown
    container.apparmor.security.beta.kubernetes.io/: bogus
    container.apparmor.security.beta.kubernetes.io/a: ""
    container.apparmor.security.beta.kubernetes.io/b: runtime/default
    container.apparmor.security.beta.kubernetes.io/c: localhost/
    container.apparmor.security.beta.kubernetes.io/e: unconfined
`,
      ),
      'forbidden AppArmor profiles (annotations must not set AppArmor profile type to "container.apparmor.security.beta.kubernetes.io/="bogus"", "container.apparmor.security.beta.kubernetes.io/e="unconfined"", "container.apparmor.security.beta.kubernetes.io/f="unknown"")',
    ],
    [
      'capabilities added by several containers',
      'capabilities_baseline',
      'baseline',
      pod(`  containers:
  - name: a
    image: x
    securityContext: {capabilities: {add: [SYS_ADMIN, NET_RAW]}}
  - name: b
    image: x
    securityContext: {capabilities: {add: [NET_RAW]}}
`),
      'non-default capabilities (containers "a", "b" must not include "NET_RAW", "SYS_ADMIN" in securityContext.capabilities.add)',
    ],
    [
      'explicitly bad seccomp wins over missing ones',
      'seccompProfile_restricted',
      'restricted',
      pod(`  containers:
  - {name: a, image: x}
  - name: b
    image: x
    securityContext: {seccompProfile: {type: Unconfined}}
  - name: c
    image: x
    securityContext: {seccompProfile: {type: Bogus}}
`),
      'seccompProfile (containers "b", "c" must not set securityContext.seccompProfile.type to "Bogus", "Unconfined")',
    ],
    [
      'hostProcess on the pod and a container',
      'windowsHostProcess',
      'baseline',
      pod(`  securityContext: {windowsOptions: {hostProcess: true}}
  containers:
  - name: a
    image: x
    securityContext: {windowsOptions: {hostProcess: true}}
`),
      'hostProcess (pod and container "a" must not set securityContext.windowsOptions.hostProcess=true)',
    ],
  ])('%s', (_name, checkId, level, yaml, message) => {
    const findings = run(yaml, level, 'latest', checkId);
    expect(findings.length).toBeGreaterThan(0);
    for (const f of findings) expect(f.message).toBe(message);
  });
});
