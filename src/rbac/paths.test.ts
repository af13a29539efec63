import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../core/index.js';
import { loadFiles } from '../load/index.js';
import { clusterRole, clusterRoleBinding, modelOf, role, roleBinding, subject } from './builders.js';
import { buildRbacModel } from './model.js';
import {
  buildEscalationGraph,
  EDGE_KINDS,
  findPaths,
  nodeNamespace,
  pathsInNamespace,
  DEFAULT_TARGETS,
  renderPathsDot,
  renderPathsHtml,
  renderPathsText,
  type EdgeKind,
} from './paths.js';

const sa = (ns: string, name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ServiceAccount',
  metadata: { name, namespace: ns },
});
const ns = (name: string, enforce?: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, ...(enforce ? { labels: { 'pod-security.kubernetes.io/enforce': enforce } } : {}) },
});
const pod = (namespace: string, name: string, serviceAccountName: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace },
  spec: { serviceAccountName, containers: [{ name: 'c', image: 'x' }] },
});
const rule = (verbs: string[], apiGroups: string[], resources: string[], resourceNames?: string[]) => ({
  verbs,
  apiGroups,
  resources,
  ...(resourceNames ? { resourceNames } : {}),
});
// The target: a ServiceAccount "admin" in ns "prod" bound to cluster-admin.
const base: KubeObject[] = [
  ns('prod', 'restricted'),
  sa('prod', 'admin'),
  clusterRoleBinding('prod-admin', 'cluster-admin', [subject('ServiceAccount', 'admin', 'prod')]),
];
const grantCluster = (rules: unknown[]): KubeObject[] => [
  clusterRole('grant', rules),
  clusterRoleBinding('grant', 'grant', [subject('User', 'mallory')]),
];
const grantIn = (namespace: string, rules: unknown[]): KubeObject[] => [
  role(namespace, 'grant', rules),
  roleBinding(namespace, 'grant', { kind: 'Role', name: 'grant' }, [subject('User', 'mallory')]),
];

describe('escalation edges', () => {
  const edgeCases: [string, KubeObject[], string, EdgeKind[]][] = [
    [
      'create_pods',
      grantIn('prod', [rule(['create'], [''], ['pods'])]),
      'cluster-admin',
      ['create_pods', 'use_service_account', 'wildcard_admin'],
    ],
    [
      'create_workloads',
      grantIn('prod', [rule(['patch'], ['apps'], ['deployments'])]),
      'cluster-admin',
      ['create_workloads', 'use_service_account', 'wildcard_admin'],
    ],
    [
      'exec_pods',
      [...grantIn('prod', [rule(['create'], [''], ['pods/exec'])]), pod('prod', 'p', 'admin')],
      'cluster-admin',
      ['exec_pods', 'runs_as', 'wildcard_admin'],
    ],
    [
      'read_secrets + sa_token_secret',
      [
        ...grantIn('prod', [rule(['get'], [''], ['secrets'])]),
        {
          apiVersion: 'v1',
          kind: 'Secret',
          type: 'kubernetes.io/service-account-token',
          metadata: {
            name: 'tok',
            namespace: 'prod',
            annotations: { 'kubernetes.io/service-account.name': 'admin' },
          },
        },
      ],
      'cluster-admin',
      ['read_secrets', 'sa_token_secret', 'wildcard_admin'],
    ],
    [
      'create_token',
      grantIn('prod', [rule(['create'], [''], ['serviceaccounts/token'], ['admin'])]),
      'cluster-admin',
      ['create_token', 'wildcard_admin'],
    ],
    [
      'mint_token_secret',
      grantIn('prod', [rule(['create', 'get'], [''], ['secrets'])]),
      'cluster-admin',
      ['mint_token_secret', 'sa_token', 'wildcard_admin'],
    ],
    [
      'impersonate (groups)',
      grantCluster([rule(['impersonate'], [''], ['groups'])]),
      'cluster-admin',
      ['impersonate'],
    ],
    [
      'impersonate (serviceaccounts)',
      grantIn('prod', [rule(['impersonate'], [''], ['serviceaccounts'], ['admin'])]),
      'cluster-admin',
      ['impersonate', 'wildcard_admin'],
    ],
    [
      'impersonate (users)',
      grantCluster([rule(['impersonate'], [''], ['users'], ['system:serviceaccount:prod:admin'])]),
      'cluster-admin',
      ['impersonate', 'wildcard_admin'],
    ],
    [
      'bind_roles (cluster)',
      grantCluster([
        rule(['bind'], ['rbac.authorization.k8s.io'], ['clusterroles']),
        rule(['create'], ['rbac.authorization.k8s.io'], ['clusterrolebindings']),
      ]),
      'cluster-admin',
      ['bind_roles'],
    ],
    [
      'escalate_roles (cluster)',
      grantCluster([rule(['escalate', 'update'], ['rbac.authorization.k8s.io'], ['clusterroles'])]),
      'cluster-admin',
      ['escalate_roles'],
    ],
    [
      'bind_roles (namespace)',
      [
        ns('dev'),
        sa('dev', 'x'),
        ...grantIn('dev', [
          rule(['bind'], ['rbac.authorization.k8s.io'], ['clusterroles']),
          rule(['create'], ['rbac.authorization.k8s.io'], ['rolebindings']),
        ]),
      ],
      'node',
      ['bind_roles', 'controls_namespace', 'privileged_pod'],
    ],
    [
      'escalate_roles (namespace)',
      [ns('dev'), ...grantIn('dev', [rule(['escalate', 'patch'], ['rbac.authorization.k8s.io'], ['roles'])])],
      'node',
      ['escalate_roles', 'controls_namespace', 'privileged_pod'],
    ],
    [
      'modify_admission',
      grantCluster([rule(['patch'], ['admissionregistration.k8s.io'], ['validatingwebhookconfigurations'])]),
      'admission-bypass',
      ['modify_admission'],
    ],
    [
      'modify_admission (VAP)',
      grantCluster([
        rule(['delete'], ['admissionregistration.k8s.io'], ['validatingadmissionpolicybindings']),
      ]),
      'admission-bypass',
      ['modify_admission'],
    ],
    ['nodes_proxy', grantCluster([rule(['get'], [''], ['nodes/proxy'])]), 'node', ['nodes_proxy']],
    [
      'approve_csr',
      grantCluster([
        rule(['create'], ['certificates.k8s.io'], ['certificatesigningrequests']),
        rule(['update'], ['certificates.k8s.io'], ['certificatesigningrequests/approval']),
        rule(['approve'], ['certificates.k8s.io'], ['signers'], ['kubernetes.io/kube-apiserver-client']),
      ]),
      'cluster-admin',
      ['approve_csr'],
    ],
    [
      'privileged_pod',
      [ns('dev'), ...grantIn('dev', [rule(['create'], [''], ['pods'])])],
      'node',
      ['create_pods', 'privileged_pod'],
    ],
    [
      'mount_secrets',
      [ns('dev', 'baseline'), ...grantIn('dev', [rule(['create'], [''], ['pods'])])],
      'secrets:dev',
      ['create_pods', 'mount_secrets'],
    ],
    ['wildcard_admin', grantCluster([rule(['*'], ['*'], ['*'])]), 'cluster-admin', ['wildcard_admin']],
    [
      'all_namespaces',
      [ns('dev'), ...grantCluster([rule(['create'], [''], ['pods'])])],
      'node',
      ['create_pods', 'all_namespaces', 'privileged_pod'],
    ],
    [
      'member_of',
      [
        ns('dev'),
        role('dev', 'r', [rule(['create'], [''], ['pods'])]),
        roleBinding('dev', 'b', { kind: 'Role', name: 'r' }, [subject('Group', 'system:authenticated')]),
        clusterRoleBinding('u', 'cluster-admin', []),
      ],
      'node',
      ['member_of', 'create_pods', 'privileged_pod'],
    ],
  ];
  it.each(edgeCases)('%s', (_name, extra, target, kinds) => {
    const model = modelOf([
      ...base,
      ...extra,
      clusterRoleBinding('named', 'nothing', [subject('User', 'mallory')]),
    ]);
    const graph = buildEscalationGraph(model);
    const [p] = findPaths(graph, { from: ['user:mallory'], to: [target] });
    expect(p?.hops.map((h) => h.kind)).toEqual(kinds);
  });

  it('every edge kind has a case', () => {
    const covered = new Set(edgeCases.flatMap(([, , , kinds]) => kinds));
    expect(EDGE_KINDS.filter((k) => !covered.has(k))).toEqual([]);
  });

  it.each<[string, KubeObject[]]>([
    [
      'resourceNames-limited token for another SA',
      grantIn('prod', [rule(['create'], [''], ['serviceaccounts/token'], ['other'])]),
    ],
    [
      'RoleBinding cannot grant cluster-scoped nodes/proxy',
      [
        role('prod', 'r', [rule(['get'], [''], ['nodes/proxy'])]),
        roleBinding('prod', 'b', { kind: 'Role', name: 'r' }, [subject('User', 'mallory')]),
      ],
    ],
    [
      'pods in a restricted namespace do not reach the node',
      grantIn('prod', [rule(['list'], [''], ['pods'])]),
    ],
    [
      'bind without create bindings',
      grantCluster([rule(['bind'], ['rbac.authorization.k8s.io'], ['clusterroles'])]),
    ],
    ['read webhooks only', grantCluster([rule(['get', 'list'], ['admissionregistration.k8s.io'], ['*'])])],
  ])('no path: %s', (_name, extra) => {
    const model = modelOf([
      ...base,
      ...extra,
      clusterRoleBinding('named', 'nothing', [subject('User', 'mallory')]),
    ]);
    const graph = buildEscalationGraph(model);
    expect(findPaths(graph, { from: ['user:mallory'] })).toEqual([]);
  });

  it('renders text and DOT with every hop', () => {
    const model = modelOf([...base, ...grantIn('prod', [rule(['create'], [''], ['pods'])])]);
    const graph = buildEscalationGraph(model);
    const paths = findPaths(graph, { from: ['user:mallory'], to: ['cluster-admin'] });
    const text = renderPathsText(paths, graph);
    expect(text).toContain('User mallory → cluster-admin (every verb on every resource) (3 hops)');
    expect(text).toContain('[RoleBinding/prod/grant → Role/prod/grant]');
    const dot = renderPathsDot(paths, graph);
    expect(dot).toContain('"user:mallory" -> "pods:prod" [label="create_pods"];');
    const html = renderPathsHtml(paths, graph);
    expect(html).toContain(
      'User mallory → cluster-admin (every verb on every resource) <small>(3 hops)</small>',
    );
    expect(html).toContain('via RoleBinding/prod/grant → Role/prod/grant');
    expect(html).not.toMatch(/(src|href)=["']?https?:/);
  });
});

describe('demo cluster weaknesses are found as paths', () => {
  const demo = path.resolve(import.meta.dirname, '../../examples/demo-cluster');
  it.each<[string, string, string, EdgeKind[]]>([
    ['W7 ci-runner bound to cluster-admin', 'sa:ops:ci-runner', 'cluster-admin', ['wildcard_admin']],
    [
      'W8 catalog-api reads checkout Secrets',
      'sa:storefront:catalog-api',
      'secrets:checkout',
      ['read_secrets'],
    ],
    [
      'W9 developers run pods as ci-runner',
      'group:developers',
      'cluster-admin',
      ['create_pods', 'all_namespaces', 'use_service_account', 'wildcard_admin'],
    ],
    ['W14 nodes/proxy for every authenticated user', 'group:system:authenticated', 'node', ['nodes_proxy']],
  ])('%s', async (_name, from, to, kinds) => {
    const loaded = await loadFiles([demo], { cwd: demo });
    const graph = buildEscalationGraph(buildRbacModel(loaded.inventory));
    const [p] = findPaths(graph, { from: [from], to: [to] });
    expect(p?.hops.map((h) => h.kind)).toEqual(kinds);
    if (to === 'cluster-admin' && from === 'group:developers')
      expect(p?.hops[2]?.to).toBe('sa:ops:ci-runner');
  });
});

describe('paths of one namespace', () => {
  it.each([
    ['sa:ops:ci-runner', 'ops'],
    ['pods:checkout', 'checkout'],
    ['secrets:checkout', 'checkout'],
    ['admin:shop', 'shop'],
    ['tokens:shop', 'shop'],
    ['exec:shop', 'shop'],
    ['pods:*', undefined],
    ['user:ops', undefined],
    ['group:system:serviceaccounts:ops', undefined],
    ['cluster-admin', undefined],
    ['users:*', undefined],
  ])('nodeNamespace(%j) = %j', (id, expected) => {
    expect(nodeNamespace(id)).toBe(expected);
  });

  // Issue #20: `rbac paths` took no -n; these are the demo cluster's paths that concern one namespace.
  it.each<[string, string[], string[]]>([
    ['checkout', ['sa:storefront:catalog-api -> secrets:checkout'], ['sa:ops:ci-runner -> cluster-admin']],
    [
      'ops',
      ['sa:ops:ci-runner -> cluster-admin', 'group:developers -> cluster-admin'],
      ['sa:storefront:catalog-api -> secrets:checkout'],
    ],
  ])('-n %s keeps the paths through it and drops the others', async (namespace, kept, dropped) => {
    const demo = path.resolve(import.meta.dirname, '../../examples/demo-cluster');
    const loaded = await loadFiles([demo], { cwd: demo });
    const graph = buildEscalationGraph(buildRbacModel(loaded.inventory));
    const all = findPaths(graph, { to: [...DEFAULT_TARGETS, 'secrets:checkout'] });
    const key = (p: { from: string; to: string }): string => `${p.from} -> ${p.to}`;
    const keys = pathsInNamespace(all, namespace).map(key);
    for (const k of [...kept, ...dropped]) expect(all.map(key)).toContain(k);
    for (const k of kept) expect(keys).toContain(k);
    for (const k of dropped) expect(keys).not.toContain(k);
    expect(keys.length).toBeLessThan(all.length);
  });
});
