import { describe, expect, it } from 'vitest';
import { missingCases, runControl, type ControlCase } from '../testing.js';
import { refOf, type KubeObject, type Resource } from '../../core/index.js';
import { modelReplacements, SEGMENTATION_CONTROLS } from './segmentation.js';

const docs = (...d: string[]): string => d.join('---\n');
const ns = (name: string): string => `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${name}}\n`;
const deploy = (name: string, namespace: string, labels: string): string =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ${name}, namespace: ${namespace}}\nspec:\n  template:\n    metadata:\n      labels: ${labels}\n    spec:\n      containers: [{name: a, image: "x:1"}]\n`;
const policy = (name: string, namespace: string, spec: string): string =>
  `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: ${name}, namespace: ${namespace}}\nspec:\n${spec
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n')}\n`;

// Line numbers: the NetworkPolicy of `app` starts at line 1 when it comes first.
const app = (...extra: string[]): string =>
  docs(
    ...extra,
    ns('shop'),
    ns('data'),
    deploy('web', 'shop', '{app: web}'),
    deploy('db', 'data', '{app: db, palisade.dev/sensitive: "true"}'),
  );

const denyData = policy('deny', 'data', 'podSelector: {}\npolicyTypes: [Ingress, Egress]');

const cases: ControlCase[] = [
  [
    'network_sensitive_workload_exposed',
    'a sensitive database open to every namespace',
    app(policy('db', 'data', 'podSelector: {}\ningress:\n- from: [{namespaceSelector: {}}]')),
    [{ path: 'metadata', line: 29 }],
  ],
  ['network_sensitive_workload_exposed', 'a sensitive database denied to the rest', app(denyData), []],
  [
    'network_egress_internet_allowed',
    'egress to 0.0.0.0/0 minus the private ranges',
    app(
      policy(
        'out',
        'shop',
        'podSelector: {}\negress:\n- to:\n  - ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16]}',
      ),
    ),
    [{ path: 'spec.egress[0]', line: 7 }],
  ],
  [
    'network_egress_internet_allowed',
    'egress to the private ranges only',
    app(policy('out', 'shop', 'podSelector: {}\negress:\n- to:\n  - ipBlock: {cidr: 10.0.0.0/8}')),
    [],
  ],
  [
    'network_ingress_from_all_namespaces',
    'namespaceSelector {}',
    app(policy('in', 'shop', 'podSelector: {}\ningress:\n- from: [{namespaceSelector: {}}]')),
    [{ path: 'spec.ingress[0]', line: 7 }],
  ],
  [
    'network_ingress_from_all_namespaces',
    'one namespace by name',
    app(
      policy(
        'in',
        'shop',
        'podSelector: {}\ningress:\n- from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: data}}}]',
      ),
    ),
    [],
  ],
  [
    'network_policy_selects_no_pod',
    'a label typo',
    app(policy('web', 'shop', 'podSelector: {matchLabels: {app: wbe}}\npolicyTypes: [Ingress]')),
    [{ path: 'spec.podSelector', line: 5 }],
  ],
  [
    'network_policy_selects_no_pod',
    'the right label',
    app(policy('web', 'shop', 'podSelector: {matchLabels: {app: web}}\npolicyTypes: [Ingress]')),
    [],
  ],
  [
    'network_rule_never_matches',
    'a pod selector matching no pod of its namespace',
    app(
      policy(
        'web',
        'shop',
        'podSelector: {}\ningress:\n- from: [{podSelector: {matchLabels: {app: nothing}}}]',
      ),
    ),
    [{ path: 'spec.ingress[0].from[0]', line: 7 }],
  ],
  [
    'network_rule_never_matches',
    'DNS pods of kube-system, outside a manifest scan, are not flagged',
    app(
      policy(
        'dns',
        'shop',
        'podSelector: {}\negress:\n- to:\n  - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}\n    podSelector: {matchLabels: {k8s-app: kube-dns}}\n  - namespaceSelector: {}\n    podSelector: {matchLabels: {k8s-app: kube-dns}}',
      ),
    ),
    [],
  ],
  [
    'network_rule_shadowed',
    'a narrower rule under a broader one',
    app(
      policy(
        'in',
        'shop',
        'podSelector: {}\ningress:\n- from: [{namespaceSelector: {}}]\n- from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: data}}}]\n  ports: [{port: 80}]',
      ),
    ),
    [{ path: 'spec.ingress[1]', line: 8 }],
  ],
  [
    'network_rule_shadowed',
    'two disjoint rules',
    app(
      policy(
        'in',
        'shop',
        'podSelector: {}\ningress:\n- from: [{podSelector: {matchLabels: {app: web}}}]\n- from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: data}}}]',
      ),
    ),
    [],
  ],
];

describe('segmentation controls (network findings in the catalogue)', () => {
  it.each(cases)('%s: %s', (id, _name, yaml, expected) => {
    const control = SEGMENTATION_CONTROLS.find((c) => c.id === id);
    if (!control) throw new Error(`no control ${id}`);
    expect(runControl(control, yaml)).toEqual(expected);
  });

  it('every segmentation control has a failing and a passing case', () => {
    expect(missingCases(SEGMENTATION_CONTROLS, cases)).toEqual([]);
  });

  it('the sensitive labels come from the settings', () => {
    const control = SEGMENTATION_CONTROLS.find((c) => c.id === 'network_sensitive_workload_exposed');
    if (!control) throw new Error('missing');
    const yaml = app(denyData, policy('open', 'shop', 'podSelector: {}\ningress:\n- {}'));
    expect(runControl(control, yaml)).toEqual([]);
    expect(runControl(control, yaml, { settings: { sensitiveLabels: [{ app: 'web' }] } })).toHaveLength(1);
  });
});

const res = (object: KubeObject): Resource => ({ object, ref: refOf(object) });
const deployment = (labels: Record<string, string>, image: string, replicas = 1): Resource =>
  res({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'shop' },
    spec: {
      replicas,
      template: { metadata: { labels }, spec: { containers: [{ name: 'a', image, ports: [] }] } },
    },
  });
const web = deployment({ app: 'web' }, 'x:1');
const configMap = (v: string): Resource =>
  res({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'shop' }, data: { v } });

describe('modelReplacements: when watch mode keeps the analysis', () => {
  it.each<[string, Resource[], Resource[], number | undefined]>([
    ['a new image: kept, the finding names the new object', [web], [deployment({ app: 'web' }, 'x:2')], 1],
    ['scaled: kept (replicas are identical pods)', [web], [deployment({ app: 'web' }, 'x:1', 5)], 1],
    ['relabelled: analysed again', [web], [deployment({ app: 'api' }, 'x:1')], undefined],
    ['a ConfigMap edited: kept, nothing to rename', [configMap('1')], [configMap('2')], 0],
    ['a workload created: analysed again', [], [web], undefined],
    ['a workload deleted: analysed again', [web], [], undefined],
    ['added and removed again in the span: kept', [web], [web], 0],
  ])('%s', (_name, removed, added, renamed) => {
    const swap = modelReplacements({ added, removed });
    expect(swap?.size).toBe(renamed);
  });
});
