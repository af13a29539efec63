import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../core/index.js';
import { parseManifests } from './manifests.js';
import { checkObjectShape, checkResources } from './shape-check.js';

const pod = (spec: unknown, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'ns' },
  spec,
  ...extra,
});
const container = (fields: Record<string, unknown>): unknown => ({ name: 'c', image: 'nginx:1', ...fields });
const role = (rules: unknown): KubeObject => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRole',
  metadata: { name: 'r' },
  rules,
});

describe('checkObjectShape', () => {
  it.each<[string, KubeObject]>([
    ['a plain pod', pod({ containers: [container({ ports: [{ containerPort: 80, protocol: 'TCP' }] })] })],
    [
      'nulls, as kubectl prints them',
      pod(
        { containers: [container({ resources: {} })], securityContext: null },
        { metadata: { name: 'p', creationTimestamp: null } },
      ),
    ],
    [
      'int-or-string ports and quantities',
      pod({
        containers: [
          container({
            livenessProbe: { httpGet: { port: 'http' } },
            resources: { limits: { cpu: 1, memory: '1Gi' } },
          }),
        ],
      }),
    ],
    [
      'a custom resource named Pod in its own group',
      { apiVersion: 'example.com/v1', kind: 'Pod', spec: 'anything' },
    ],
    [
      'an unknown kind keeps any spec',
      { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: 'hello' },
    ],
    [
      'a removed but real apiVersion',
      {
        apiVersion: 'extensions/v1beta1',
        kind: 'Deployment',
        metadata: { name: 'd' },
        spec: { replicas: 1 },
      },
    ],
    [
      'an Ingress of an old version is not read as v1',
      {
        apiVersion: 'extensions/v1beta1',
        kind: 'Ingress',
        metadata: { name: 'i' },
        spec: { backend: { serviceName: 's', servicePort: 80 } },
      },
    ],
    [
      'a valid selector',
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'd' },
        spec: { selector: { matchExpressions: [{ key: 'a', operator: 'Exists' }] } },
      },
    ],
  ])('accepts %s', (_, obj) => {
    expect(checkObjectShape(obj)).toBeUndefined();
  });

  it.each<[string, Record<string, unknown>, string, RegExp, 'kept' | 'dropped']>([
    [
      'ports as a string',
      pod({ containers: [container({ ports: 'x' })] }),
      'spec.containers[0].ports',
      /expected a list, found a string/,
      'kept',
    ],
    [
      'ports as a mapping',
      pod({ containers: [container({ ports: {} })] }),
      'spec.containers[0].ports',
      /expected a list, found a mapping/,
      'kept',
    ],
    ['spec as a string', pod('hello'), 'spec', /expected a mapping, found a string/, 'kept'],
    [
      'a numeric name',
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 42 } },
      'metadata.name',
      /expected a string, found a number/,
      'kept',
    ],
    [
      'a numeric label value',
      { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', labels: { a: 1 } } },
      'metadata.labels.a',
      /expected a string/,
      'kept',
    ],
    [
      'privileged as a string',
      pod({ containers: [container({ securityContext: { privileged: 'true' } })] }),
      'spec.containers[0].securityContext.privileged',
      /expected true or false, found a string/,
      'kept',
    ],
    [
      'a fractional port',
      pod({ containers: [container({ ports: [{ containerPort: 80.5 }] })] }),
      'spec.containers[0].ports[0].containerPort',
      /32-bit integer, found a fractional number/,
      'kept',
    ],
    [
      'a port beyond int32',
      pod({ containers: [container({ ports: [{ containerPort: 2 ** 40 }] })] }),
      'spec.containers[0].ports[0].containerPort',
      /out of range/,
      'kept',
    ],
    [
      'an infinite number',
      pod({ securityContext: { runAsUser: Infinity } }),
      'spec.securityContext.runAsUser',
      /too large/,
      'kept',
    ],
    ['a null container', pod({ containers: [null] }), 'spec.containers[0]', /found null/, 'kept'],
    ['rules as a string', role('all'), 'rules', /expected a list, found a string/, 'kept'],
    [
      'verbs as a string',
      role([{ apiGroups: [''], resources: ['pods'], verbs: '*' }]),
      'rules[0].verbs',
      /expected a list, found a string/,
      'kept',
    ],
    [
      'a null subject',
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'b' },
        subjects: [null],
      },
      'subjects[0]',
      /found null/,
      'kept',
    ],
    [
      'a bad aggregation operator',
      {
        ...role([]),
        aggregationRule: {
          clusterRoleSelectors: [{ matchExpressions: [{ key: 'a', operator: 'Matches', values: ['x'] }] }],
        },
      },
      'aggregationRule.clusterRoleSelectors[0].matchExpressions[0].operator',
      /one of In, NotIn, Exists, DoesNotExist, found "Matches"/,
      'kept',
    ],
    [
      'In without values',
      {
        ...role([]),
        aggregationRule: { clusterRoleSelectors: [{ matchExpressions: [{ key: 'a', operator: 'In' }] }] },
      },
      'aggregationRule.clusterRoleSelectors[0].matchExpressions[0].values',
      /needs at least one value/,
      'kept',
    ],
    [
      'an unknown apiVersion',
      { apiVersion: 'v999/garbage', kind: 'Pod', metadata: { name: 'p' } },
      'apiVersion',
      /unknown apiVersion "v999\/garbage" for kind Pod/,
      'dropped',
    ],
    [
      'a built-in kind in the wrong built-in group',
      { apiVersion: 'apps/v1', kind: 'Pod', metadata: { name: 'p' } },
      'apiVersion',
      /unknown apiVersion/,
      'dropped',
    ],
    [
      'a List whose items are a string',
      { apiVersion: 'v1', kind: 'List', items: 'x' },
      'items',
      /expected a list of objects/,
      'dropped',
    ],
    [
      'a typed list whose items are a number',
      { apiVersion: 'v1', kind: 'PodList', items: 3 },
      'items',
      /expected a list of objects/,
      'dropped',
    ],
    [
      'a NetworkPolicy with a wrong part',
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'n' },
        spec: { podSelector: {}, ingress: [{ from: 'everyone' }] },
      },
      'spec.ingress[0].from',
      /expected a list.*NetworkPolicy is not read/,
      'dropped',
    ],
  ])('reports %s', (_, obj, path, message, outcome) => {
    const r = checkObjectShape(obj as KubeObject);
    expect(r?.issues.map((i) => i.path)).toContain(path);
    expect(r?.issues.find((i) => i.path === path)?.message).toMatch(message);
    expect(r?.object === undefined ? 'dropped' : 'kept').toBe(outcome);
  });

  it('drops the wrong field from a copy and keeps the rest for the controls', () => {
    const obj = pod({
      hostNetwork: true,
      containers: [container({ ports: 'x', securityContext: { privileged: true } })],
    });
    const before = JSON.stringify(obj);
    const r = checkObjectShape(obj);
    expect(JSON.stringify(obj)).toBe(before);
    const spec = r?.object?.spec as { hostNetwork: boolean; containers: Record<string, unknown>[] };
    expect(spec.hostNetwork).toBe(true);
    expect(spec.containers[0]?.ports).toBeUndefined();
    expect(spec.containers[0]?.securityContext).toEqual({ privileged: true });
  });

  it('leaves out a list with an unusable item whole, so later items keep their positions', () => {
    const r = checkObjectShape(pod({ containers: [container({}), 'x', container({ name: 'd' })] }));
    expect((r?.object?.spec as Record<string, unknown>).containers).toBeUndefined();
  });

  it('reports every wrong field of an object, not only the first', () => {
    const r = checkObjectShape(
      pod({ hostPID: 'yes', containers: [container({ ports: 'x', image: 3 })] }, { metadata: { name: 1 } }),
    );
    expect(r?.issues.map((i) => i.path).sort()).toEqual([
      'metadata.name',
      'spec.containers[0].image',
      'spec.containers[0].ports',
      'spec.hostPID',
    ]);
  });

  it('never quotes a wrong value (it may be a credential)', () => {
    const r = checkObjectShape({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      data: { token: 123456789 },
      type: ['hunter2'],
    });
    const text = JSON.stringify(r?.issues);
    expect(text).not.toContain('123456789');
    expect(text).not.toContain('hunter2');
    expect(r?.issues).toHaveLength(2);
  });
});

describe('checkResources', () => {
  it('locates each issue at its file, line and column', () => {
    const text = [
      'apiVersion: v1',
      'kind: Pod',
      'metadata: { name: web }',
      'spec:',
      '  containers:',
      '    - name: c',
      '      image: nginx:1',
      '      ports: "x"',
    ].join('\n');
    const parsed = parseManifests(text, 'pods.yaml');
    const r = checkResources(parsed.resources);
    expect(r.issues).toEqual([
      {
        file: 'pods.yaml',
        line: 8,
        column: 7,
        message: 'Pod web: spec.containers[0].ports: expected a list, found a string',
      },
    ]);
    expect(r.resources).toHaveLength(1);
  });

  it('names objects without a source by the given file and escapes control characters in names', () => {
    const object: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a\u001b[31m' }, spec: 1 };
    const r = checkResources(
      [{ object, ref: { apiVersion: 'v1', kind: 'Pod', name: 'a\u001b[31m' } }],
      'snap.json',
    );
    expect(r.issues[0]?.file).toBe('snap.json');
    expect(r.issues[0]?.message).toContain('"a\\u001b[31m"');
  });
});
