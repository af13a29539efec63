import { describe, expect, it } from 'vitest';
import { missingCases, runControl, type ControlCase } from '../testing.js';
import { RBAC_CONTROLS, resourceMatches } from './index.js';

/** A ClusterRole whose rules start at line 4; each rule is one flow-style line. */
const role = (rules: string[], name = 'r', extraMeta = ''): string =>
  `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: "${name}"${extraMeta}}\nrules:\n${rules.map((r) => `- ${r}`).join('\n')}\n`;

/** A ClusterRoleBinding; its subjects start at line 7, one per line. */
const binding = (roleName: string, subjects: string[], name = 'b'): string =>
  `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: "${name}"}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ${roleName}}\nsubjects:\n${subjects.map((s) => `- ${s}`).join('\n')}\n`;

const at = (line: number, rule: number): { path: string; line: number } => ({ path: `rules[${rule}]`, line });
const subject = (i: number): { path: string; line: number } => ({ path: `subjects[${i}]`, line: 6 + i });

/** A Role named reader in a namespace (4 lines). */
const ROLE_IN = (ns: string): string =>
  `apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: reader, namespace: ${ns}}\nrules: []\n`;
/** A RoleBinding in shop to the Role reader; its roleRef is its fifth line. */
const ROLE_BINDING =
  'apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b, namespace: shop}\nsubjects: [{kind: User, name: bob}]\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}\n';

const cases: ControlCase[] = [
  [
    'rbac/no-wildcards',
    'wildcard verbs',
    role([
      '{apiGroups: [apps], resources: [deployments], verbs: [get]}',
      '{apiGroups: [apps], resources: [deployments], verbs: ["*"]}',
    ]),
    [at(6, 1)],
  ],
  [
    'rbac/no-wildcards',
    'explicit lists',
    role(['{apiGroups: [""], resources: [configmaps], verbs: [get, list]}']),
    [],
  ],
  [
    'rbac/no-wildcards',
    'built-in system role skipped',
    role(['{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}'], 'system:controller:x'),
    [],
  ],

  [
    'rbac/secrets-read',
    'list secrets',
    role(['{apiGroups: [""], resources: [secrets], verbs: [list]}']),
    [at(5, 0)],
  ],
  [
    'rbac/secrets-read',
    'wildcard resources in core group',
    role(['{apiGroups: [""], resources: ["*"], verbs: [get]}']),
    [at(5, 0)],
  ],
  [
    'rbac/secrets-read',
    'get one named secret',
    role(['{apiGroups: [""], resources: [secrets], resourceNames: [tls], verbs: [get]}']),
    [],
  ],
  [
    'rbac/secrets-read',
    'secrets in another API group',
    role(['{apiGroups: [example.com], resources: [secrets], verbs: [get]}']),
    [],
  ],

  [
    'rbac/create-pods',
    'create deployments',
    role(['{apiGroups: [apps], resources: [deployments], verbs: [create]}']),
    [at(5, 0)],
  ],
  [
    'rbac/create-pods',
    'create pods in the apps group (no such resource)',
    role(['{apiGroups: [apps], resources: [pods], verbs: [create]}']),
    [],
  ],
  [
    'rbac/create-pods',
    'read pods',
    role(['{apiGroups: [""], resources: [pods], verbs: [get, list, watch]}']),
    [],
  ],

  [
    'rbac/pods-exec-attach',
    'exec',
    role(['{apiGroups: [""], resources: [pods, pods/exec], verbs: [create]}']),
    [at(5, 0)],
  ],
  [
    'rbac/pods-exec-attach',
    '*/attach matches pods/attach',
    role(['{apiGroups: [""], resources: ["*/attach"], verbs: [get]}']),
    [at(5, 0)],
  ],
  [
    'rbac/pods-exec-attach',
    'pods/log only',
    role(['{apiGroups: [""], resources: [pods/log], verbs: [get]}']),
    [],
  ],

  [
    'rbac/bind-escalate-impersonate',
    'impersonate users',
    role(['{apiGroups: [""], resources: [users], verbs: [impersonate]}']),
    [at(5, 0)],
  ],
  [
    'rbac/bind-escalate-impersonate',
    'escalate roles',
    role(['{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [escalate]}']),
    [at(5, 0)],
  ],
  [
    'rbac/bind-escalate-impersonate',
    'bind on users is not a thing',
    role(['{apiGroups: [""], resources: [users], verbs: [bind]}']),
    [],
  ],
  [
    'rbac/bind-escalate-impersonate',
    'create roles only',
    role(['{apiGroups: [rbac.authorization.k8s.io], resources: [roles], verbs: [create]}']),
    [],
  ],

  [
    'rbac/persistent-volumes',
    'create PVs',
    role(['{apiGroups: [""], resources: [persistentvolumes], verbs: [create]}']),
    [at(5, 0)],
  ],
  [
    'rbac/persistent-volumes',
    'create claims',
    role(['{apiGroups: [""], resources: [persistentvolumeclaims], verbs: [create]}']),
    [],
  ],

  [
    'rbac/nodes-proxy',
    'nodes/proxy get',
    role(['{apiGroups: [""], resources: [nodes, nodes/proxy], verbs: [get]}']),
    [at(5, 0)],
  ],
  [
    'rbac/nodes-proxy',
    'nodes/metrics only',
    role(['{apiGroups: [""], resources: [nodes/metrics], verbs: [get]}']),
    [],
  ],

  [
    'rbac/csr-approval',
    'approve CSRs',
    role([
      '{apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests/approval], verbs: [update]}',
    ]),
    [at(5, 0)],
  ],
  [
    'rbac/csr-approval',
    'create CSRs',
    role(['{apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests], verbs: [create]}']),
    [],
  ],

  [
    'rbac/webhook-config',
    'patch webhooks',
    role([
      '{apiGroups: [admissionregistration.k8s.io], resources: [mutatingwebhookconfigurations], verbs: [patch]}',
    ]),
    [at(5, 0)],
  ],
  [
    'rbac/webhook-config',
    'read webhooks',
    role([
      '{apiGroups: [admissionregistration.k8s.io], resources: [validatingwebhookconfigurations], verbs: [get, list]}',
    ]),
    [],
  ],

  [
    'rbac/token-create',
    'create tokens',
    role(['{apiGroups: [""], resources: [serviceaccounts/token], verbs: [create]}']),
    [at(5, 0)],
  ],
  [
    'rbac/token-create',
    'create service accounts',
    role(['{apiGroups: [""], resources: [serviceaccounts], verbs: [create]}']),
    [],
  ],

  [
    'rbac/no-cluster-admin-binding',
    'service account holds cluster-admin',
    binding('cluster-admin', [
      '{kind: Group, name: "system:masters"}',
      '{kind: ServiceAccount, name: ci, namespace: ops}',
    ]),
    [subject(1)],
  ],
  [
    'rbac/no-cluster-admin-binding',
    'system identity only',
    binding('cluster-admin', ['{kind: Group, name: "system:masters"}']),
    [],
  ],
  ['rbac/no-cluster-admin-binding', 'other role', binding('view', ['{kind: User, name: alice}']), []],

  [
    'rbac/no-system-masters',
    'binds system:masters',
    binding('view', ['{kind: User, name: alice}', '{kind: Group, name: "system:masters"}']),
    [subject(1)],
  ],
  ['rbac/no-system-masters', 'named group', binding('view', ['{kind: Group, name: sre}']), []],

  [
    'rbac/no-anonymous-bindings',
    'system:authenticated',
    binding('reader', ['{kind: Group, name: "system:authenticated"}']),
    [subject(0)],
  ],
  [
    'rbac/no-anonymous-bindings',
    'system:anonymous user',
    binding('reader', ['{kind: User, name: "system:anonymous"}']),
    [subject(0)],
  ],
  [
    'rbac/no-anonymous-bindings',
    "Kubernetes' own discovery binding",
    binding('system:discovery', ['{kind: Group, name: "system:authenticated"}'], 'system:discovery'),
    [],
  ],
  ['rbac/no-anonymous-bindings', 'named group', binding('reader', ['{kind: Group, name: sre}']), []],

  // Scanners' misses (issue #20): a binding to a role absent from the input got no finding.
  [
    'rbac/dangling-binding',
    'ClusterRole absent from the input',
    binding('reader', ['{kind: Group, name: sre}']),
    [{ path: 'roleRef.name', line: 4 }],
  ],
  [
    'rbac/dangling-binding',
    'RoleBinding to a Role absent from its namespace',
    `${ROLE_IN('other')}---\n${ROLE_BINDING}`,
    [{ path: 'roleRef.name', line: 10 }],
  ],
  ['rbac/dangling-binding', 'Role present', `${ROLE_IN('shop')}---\n${ROLE_BINDING}`, []],
  [
    'rbac/dangling-binding',
    'ClusterRole present',
    `${role(['{apiGroups: [""], resources: [pods], verbs: [get]}'], 'reader')}---\n${binding('reader', ['{kind: Group, name: sre}'])}`,
    [],
  ],
  ['rbac/dangling-binding', 'bootstrap role edit', binding('edit', ['{kind: Group, name: sre}']), []],
  [
    'rbac/dangling-binding',
    'bootstrap system: role',
    binding('system:node-proxier', ['{kind: Group, name: sre}']),
    [],
  ],

  // Noise (issue #20): the bootstrap roles themselves are not judged; binding them to someone is.
  [
    'rbac/pods-exec-attach',
    'built-in admin role without the bootstrapping label',
    role(['{apiGroups: [""], resources: [pods/exec, pods/attach], verbs: [create, get]}'], 'admin'),
    [],
  ],
  [
    'rbac/no-wildcards',
    'built-in cluster-admin role without the bootstrapping label',
    role(['{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}'], 'cluster-admin'),
    [],
  ],
  [
    'rbac/pods-exec-attach',
    'edit bound to a new user',
    binding('edit', ['{kind: User, name: "system:admin"}', '{kind: User, name: alice}']),
    [subject(1)],
  ],
  ['rbac/pods-exec-attach', 'view bound to a user', binding('view', ['{kind: User, name: alice}']), []],
];

describe('RBAC controls', () => {
  it.each(cases)('%s: %s', (id, _name, yaml, expected) => {
    const control = RBAC_CONTROLS.find((c) => c.id === id);
    if (!control) throw new Error(`no control ${id}`);
    expect(runControl(control, yaml)).toEqual(expected);
  });

  it('every RBAC control has a failing and a passing case', () => {
    expect(missingCases(RBAC_CONTROLS, cases)).toEqual([]);
  });

  it('also judges namespaced Roles', () => {
    const control = RBAC_CONTROLS.find((c) => c.id === 'rbac/secrets-read');
    if (!control) throw new Error('missing');
    const yaml = `apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r, namespace: shop}\nrules:\n- {apiGroups: [""], resources: [secrets], verbs: [watch]}\n`;
    expect(runControl(control, yaml)).toEqual([at(5, 0)]);
  });
});

describe('resourceMatches (upstream RBAC semantics)', () => {
  it.each([
    ['*', 'pods', true],
    ['*', 'pods/exec', true],
    ['pods', 'pods', true],
    ['pods', 'pods/exec', false],
    ['*/exec', 'pods/exec', true],
    ['*/exec', 'pods', false],
    ['pods/*', 'pods/exec', false],
  ])('%s covers %s: %s', (entry, resource, expected) => {
    expect(resourceMatches(entry, resource)).toBe(expected);
  });
});
