import { describe, expect, it } from 'vitest';
import { missingCases, runControl, type ControlCase } from '../testing.js';
import { NETWORK_CONTROLS } from './index.js';

const ns = (name: string): string => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n`;
const policy = (name: string, namespace: string, spec: string): string =>
  `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: ${name}, namespace: ${namespace}}\nspec:\n${spec
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n')}\n`;
const deploy = (labels: string, namespace = 'shop'): string =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: ${namespace}}\nspec:\n  template:\n    metadata:\n      labels: ${labels}\n    spec:\n      containers: [{name: a, image: "x:1"}]\n`;
const service = (spec: string): string =>
  `apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: shop}\nspec:\n${spec
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n')}\n`;
const docs = (...d: string[]): string => d.join('---\n');

const denyAll = policy('deny', 'shop', 'podSelector: {}\npolicyTypes: [Ingress, Egress]');

const cases: ControlCase[] = [
  [
    'network/default-deny-ingress',
    'no policy',
    docs(ns('shop'), deploy('{app: web}')),
    [{ path: 'metadata.name', line: 4 }],
  ],
  [
    'network/default-deny-ingress',
    'policy with rules is not a default deny',
    docs(
      ns('shop'),
      deploy('{app: web}'),
      policy('web', 'shop', 'podSelector: {}\ningress:\n- from: [{podSelector: {}}]'),
    ),
    [{ path: 'metadata.name', line: 4 }],
  ],
  [
    'network/default-deny-ingress',
    'default policyTypes deny ingress',
    docs(ns('shop'), deploy('{app: web}'), policy('deny', 'shop', 'podSelector: {}')),
    [],
  ],
  [
    'network/default-deny-ingress',
    'kube-system skipped',
    docs(ns('kube-system'), deploy('{app: web}', 'kube-system')),
    [],
  ],
  [
    'network/default-deny-ingress',
    'a namespace without pods is not judged',
    docs(ns('shop'), 'apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: shop}\n'),
    [],
  ],
  [
    'network/default-deny-egress',
    'a namespace without pods is not judged',
    docs(ns('shop'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: shop}\n'),
    [],
  ],
  [
    'network/default-deny-egress',
    'ingress-only deny',
    docs(ns('shop'), deploy('{app: web}'), policy('deny', 'shop', 'podSelector: {}')),
    [{ path: 'metadata.name', line: 4 }],
  ],
  [
    'network/default-deny-egress',
    'deny in another namespace does not count',
    docs(ns('shop'), deploy('{app: web}'), policy('deny', 'other', 'podSelector: {}\npolicyTypes: [Egress]')),
    [{ path: 'metadata.name', line: 4 }],
  ],
  ['network/default-deny-egress', 'deny both', docs(ns('shop'), deploy('{app: web}'), denyAll), []],
  [
    'network/default-deny-egress',
    'an empty egress list without policyTypes is ingress-only',
    docs(ns('shop'), deploy('{app: web}'), policy('deny', 'shop', 'podSelector: {}\negress: []')),
    [{ path: 'metadata.name', line: 4 }],
  ],
  [
    'network/default-deny-egress',
    'empty policyTypes default from a non-empty egress list',
    docs(
      ns('shop'),
      deploy('{app: web}'),
      policy(
        'deny',
        'shop',
        'podSelector: {}\npolicyTypes: []\ningress: []\negress: [{to: [{podSelector: {}}]}]',
      ),
    ),
    [{ path: 'metadata.name', line: 4 }],
  ],

  [
    'network/pod-selected-by-policy',
    'no policy',
    deploy('{app: web}'),
    [{ path: 'spec.template.metadata.labels', line: 7 }],
  ],
  [
    'network/pod-selected-by-policy',
    'selector does not match',
    docs(
      deploy('{app: web}'),
      policy('p', 'shop', 'podSelector: {matchExpressions: [{key: app, operator: NotIn, values: [web]}]}'),
    ),
    [{ path: 'spec.template.metadata.labels', line: 7 }],
  ],
  [
    'network/pod-selected-by-policy',
    'policy in another namespace',
    docs(deploy('{app: web}'), policy('p', 'other', 'podSelector: {}')),
    [{ path: 'spec.template.metadata.labels', line: 7 }],
  ],
  [
    'network/pod-selected-by-policy',
    'matchLabels',
    docs(deploy('{app: web, tier: fe}'), policy('p', 'shop', 'podSelector: {matchLabels: {app: web}}')),
    [],
  ],
  [
    'network/pod-selected-by-policy',
    'Exists expression',
    docs(
      deploy('{app: web}'),
      policy('p', 'shop', 'podSelector: {matchExpressions: [{key: app, operator: Exists}]}'),
    ),
    [],
  ],

  [
    'network/no-allow-all',
    'ingress rule without from',
    policy('p', 'shop', 'podSelector: {}\ningress:\n- ports: [{port: 80}]'),
    [{ path: 'spec.ingress[0]', line: 7 }],
  ],
  [
    'network/no-allow-all',
    'every namespace',
    policy('p', 'shop', 'podSelector: {}\ningress:\n- from:\n  - namespaceSelector: {}'),
    [{ path: 'spec.ingress[0].from[0]', line: 8 }],
  ],
  [
    'network/no-allow-all',
    'egress to 0.0.0.0/0',
    policy(
      'p',
      'shop',
      'podSelector: {}\npolicyTypes: [Egress]\negress:\n- to:\n  - ipBlock: {cidr: 0.0.0.0/0}',
    ),
    [{ path: 'spec.egress[0].to[0]', line: 9 }],
  ],
  [
    'network/no-allow-all',
    'named peers, and an excepted 0.0.0.0/0',
    policy(
      'p',
      'shop',
      'podSelector: {}\npolicyTypes: [Ingress, Egress]\ningress:\n- from: [{namespaceSelector: {matchLabels: {team: a}}}]\negress:\n- to: [{ipBlock: {cidr: 0.0.0.0/0, except: [169.254.169.254/32]}}]',
    ),
    [],
  ],
  [
    'network/no-allow-all',
    'egress rules ignored when not a policy type',
    policy('p', 'shop', 'podSelector: {}\npolicyTypes: [Ingress]\negress:\n- {}'),
    [],
  ],

  [
    'network/no-node-port-load-balancer',
    'LoadBalancer',
    service('type: LoadBalancer\nports: [{port: 80}]'),
    [{ path: 'spec.type', line: 5 }],
  ],
  ['network/no-node-port-load-balancer', 'ClusterIP', service('type: ClusterIP\nports: [{port: 80}]'), []],
  [
    'network/no-external-ips',
    'externalIPs',
    service('ports: [{port: 80}]\nexternalIPs:\n- 203.0.113.7'),
    [{ path: 'spec.externalIPs[0]', line: 7 }],
  ],
  ['network/no-external-ips', 'none', service('ports: [{port: 80}]'), []],
  [
    'network/no-host-network',
    'hostNetwork',
    `apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  hostNetwork: true\n  containers: []\n`,
    [{ path: 'spec.hostNetwork', line: 5 }],
  ],
  [
    'network/no-host-network',
    'pod network',
    `apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  containers: []\n`,
    [],
  ],
];

describe('network controls', () => {
  it.each(cases)('%s: %s', (id, _name, yaml, expected) => {
    const control = NETWORK_CONTROLS.find((c) => c.id === id);
    if (!control) throw new Error(`no control ${id}`);
    expect(runControl(control, yaml)).toEqual(expected);
  });

  it('every network control has a failing and a passing case', () => {
    expect(missingCases(NETWORK_CONTROLS, cases)).toEqual([]);
  });

  it('reports a namespace used only by objects at the first of them, so it has a line', () => {
    const control = NETWORK_CONTROLS.find((c) => c.id === 'network/default-deny-ingress');
    if (!control) throw new Error('missing');
    expect(runControl(control, deploy('{app: web}', 'undeclared'))).toEqual([
      { path: 'metadata.namespace', line: 3 },
    ]);
  });
});
