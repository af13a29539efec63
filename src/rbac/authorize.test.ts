import { describe, expect, it } from 'vitest';
import { authorize, checkAccess, serviceAccountUser, type AccessCheck } from './authorize.js';
import { clusterRole, clusterRoleBinding, modelOf, role, roleBinding, subject } from './builders.js';
import { nonResourceURLMatches, resourceMatches, ruleAllows, readRule } from './rules.js';
import { identityOf } from './subjects.js';
import type { RequestAttributes } from './types.js';

const res = (
  verb: string,
  resource: string,
  o: { group?: string; sub?: string; ns?: string; name?: string } = {},
): RequestAttributes => ({
  resourceRequest: true,
  verb,
  apiGroup: o.group ?? '',
  resource,
  subresource: o.sub ?? '',
  namespace: o.ns ?? '',
  name: o.name ?? '',
});
const url = (verb: string, path: string): RequestAttributes => ({ resourceRequest: false, verb, path });

describe('rule matching (RuleAllows)', () => {
  it.each<[string, Record<string, string[]>, RequestAttributes, boolean]>([
    [
      'exact verb/group/resource',
      { verbs: ['get'], apiGroups: [''], resources: ['pods'] },
      res('get', 'pods'),
      true,
    ],
    ['other verb', { verbs: ['get'], apiGroups: [''], resources: ['pods'] }, res('list', 'pods'), false],
    ['verb *', { verbs: ['*'], apiGroups: [''], resources: ['pods'] }, res('delete', 'pods'), true],
    [
      'group mismatch',
      { verbs: ['get'], apiGroups: ['apps'], resources: ['pods'] },
      res('get', 'pods'),
      false,
    ],
    [
      'group *',
      { verbs: ['get'], apiGroups: ['*'], resources: ['deployments'] },
      res('get', 'deployments', { group: 'apps' }),
      true,
    ],
    [
      'resource * covers subresources',
      { verbs: ['get'], apiGroups: [''], resources: ['*'] },
      res('get', 'pods', { sub: 'log' }),
      true,
    ],
    [
      'plain resource does not cover its subresource',
      { verbs: ['create'], apiGroups: [''], resources: ['pods'] },
      res('create', 'pods', { sub: 'exec' }),
      false,
    ],
    [
      'pods/exec',
      { verbs: ['create'], apiGroups: [''], resources: ['pods/exec'] },
      res('create', 'pods', { sub: 'exec' }),
      true,
    ],
    [
      '*/status matches any status',
      { verbs: ['update'], apiGroups: ['*'], resources: ['*/status'] },
      res('update', 'deployments', { group: 'apps', sub: 'status' }),
      true,
    ],
    [
      '*/status does not match the resource itself',
      { verbs: ['update'], apiGroups: ['*'], resources: ['*/status'] },
      res('update', 'deployments', { group: 'apps' }),
      false,
    ],
    [
      '*/scale does not match /status',
      { verbs: ['update'], apiGroups: ['*'], resources: ['*/scale'] },
      res('update', 'deployments', { sub: 'status' }),
      false,
    ],
    [
      'pods/* is literal, not a wildcard',
      { verbs: ['get'], apiGroups: [''], resources: ['pods/*'] },
      res('get', 'pods', { sub: 'log' }),
      false,
    ],
    [
      'pods/* is literal: not pods either',
      { verbs: ['get'], apiGroups: [''], resources: ['pods/*'] },
      res('get', 'pods'),
      false,
    ],
    [
      'resourceNames match',
      { verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['a'] },
      res('get', 'secrets', { name: 'a' }),
      true,
    ],
    [
      'resourceNames other name',
      { verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['a'] },
      res('get', 'secrets', { name: 'b' }),
      false,
    ],
    [
      'resourceNames never match list without name',
      { verbs: ['list'], apiGroups: [''], resources: ['secrets'], resourceNames: ['a'] },
      res('list', 'secrets'),
      false,
    ],
    [
      'resourceNames never match create',
      { verbs: ['create'], apiGroups: [''], resources: ['secrets'], resourceNames: ['a'] },
      res('create', 'secrets'),
      false,
    ],
    [
      'resource rule does not match URL',
      { verbs: ['get'], apiGroups: ['*'], resources: ['*'] },
      url('get', '/healthz'),
      false,
    ],
    [
      'URL rule does not match resource',
      { verbs: ['get'], nonResourceURLs: ['*'] },
      res('get', 'pods'),
      false,
    ],
    ['URL exact', { verbs: ['get'], nonResourceURLs: ['/healthz'] }, url('get', '/healthz'), true],
    [
      'URL exact not prefix',
      { verbs: ['get'], nonResourceURLs: ['/healthz'] },
      url('get', '/healthz/etcd'),
      false,
    ],
    [
      'URL trailing *',
      { verbs: ['get'], nonResourceURLs: ['/healthz/*'] },
      url('get', '/healthz/etcd'),
      true,
    ],
    [
      'URL trailing * is a plain prefix',
      { verbs: ['get'], nonResourceURLs: ['/api*'] },
      url('get', '/apis/apps'),
      true,
    ],
    [
      'URL trailing * does not cover the bare path',
      { verbs: ['get'], nonResourceURLs: ['/healthz/*'] },
      url('get', '/healthz'),
      false,
    ],
    [
      'URL several trailing * trimmed',
      { verbs: ['get'], nonResourceURLs: ['/metrics**'] },
      url('get', '/metricsx'),
      true,
    ],
    ['URL * alone', { verbs: ['post'], nonResourceURLs: ['*'] }, url('post', '/anything'), true],
    ['URL verb mismatch', { verbs: ['get'], nonResourceURLs: ['*'] }, url('post', '/x'), false],
    ['empty rule', {}, res('get', 'pods'), false],
  ])('%s', (_name, raw, attrs, expected) => {
    expect(ruleAllows(readRule(raw), attrs)).toBe(expected);
  });

  it.each([
    ['*/log', 'pods', 'log', true],
    ['*/log', 'pods', 'logs', false],
    ['x*/log', 'pods', 'log', false],
    ['*', 'pods', '', true],
    ['pods', 'pods', '', true],
  ])('resourceMatches(%s, %s/%s)', (r, resource, sub, expected) => {
    expect(resourceMatches(readRule({ resources: [r] }), resource, sub)).toBe(expected);
  });

  it.each([
    ['/a*', '/a', true],
    ['*', '', true],
    ['/a/', '/a', false],
  ])('nonResourceURLMatches(%s, %s)', (u, p, expected) => {
    expect(nonResourceURLMatches(readRule({ nonResourceURLs: [u] }), p)).toBe(expected);
  });
});

const podsReader = [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }];

const model = modelOf([
  clusterRole('pods-reader', podsReader),
  clusterRole('urls', [{ verbs: ['get'], nonResourceURLs: ['/metrics'] }]),
  role('team-a', 'secrets', [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'] }]),
  clusterRoleBinding('alice-cluster', 'pods-reader', [subject('User', 'alice')]),
  roleBinding('team-a', 'bob-scoped', { kind: 'ClusterRole', name: 'pods-reader' }, [subject('User', 'bob')]),
  roleBinding('team-a', 'bob-urls', { kind: 'ClusterRole', name: 'urls' }, [subject('User', 'bob')]),
  roleBinding('team-a', 'devs-secrets', { kind: 'Role', name: 'secrets' }, [subject('Group', 'devs')]),
  roleBinding('team-a', 'local-sa', { kind: 'Role', name: 'secrets' }, [
    subject('ServiceAccount', 'builder'),
  ]),
  roleBinding('team-a', 'remote-sa', { kind: 'Role', name: 'secrets' }, [
    subject('ServiceAccount', 'x', 'team-b'),
  ]),
  clusterRoleBinding('sa-no-ns', 'pods-reader', [subject('ServiceAccount', 'orphan')]),
  clusterRoleBinding('all-sas', 'urls', [subject('Group', 'system:serviceaccounts')]),
  roleBinding('team-b', 'ns-sas', { kind: 'ClusterRole', name: 'pods-reader' }, [
    subject('Group', 'system:serviceaccounts:team-b'),
  ]),
  clusterRoleBinding('anon', 'urls', [subject('Group', 'system:unauthenticated')]),
  clusterRoleBinding('dangling', 'nope', [subject('User', 'carol')]),
  roleBinding('team-a', 'crb-role-kind', { kind: 'Role', name: 'missing' }, [subject('User', 'carol')]),
  roleBinding('team-a', 'wrong-ns-role', { kind: 'Role', name: 'secrets' }, []),
  role('team-c', 'secrets', [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }]),
]);

const user = (name: string, groups: string[] = []) => identityOf({ kind: 'User', name }, groups);
const sa = (ns: string, name: string) => identityOf({ kind: 'ServiceAccount', namespace: ns, name });

describe('authorize', () => {
  it.each<[string, ReturnType<typeof user>, RequestAttributes, boolean]>([
    ['CRB grants in every namespace', user('alice'), res('get', 'pods', { ns: 'x' }), true],
    ['CRB grants cluster-wide', user('alice'), res('list', 'pods'), true],
    ['RB→ClusterRole grants inside its namespace', user('bob'), res('get', 'pods', { ns: 'team-a' }), true],
    ['RB→ClusterRole not in another namespace', user('bob'), res('get', 'pods', { ns: 'team-b' }), false],
    ['RB→ClusterRole not cluster-wide', user('bob'), res('list', 'pods'), false],
    ['RB→ClusterRole never grants non-resource URLs', user('bob'), url('get', '/metrics'), false],
    ['group subject', user('dave', ['devs']), res('get', 'secrets', { ns: 'team-a' }), true],
    ['group subject other group', user('dave', ['ops']), res('get', 'secrets', { ns: 'team-a' }), false],
    [
      'SA subject without namespace takes the binding namespace',
      sa('team-a', 'builder'),
      res('get', 'secrets', { ns: 'team-a' }),
      true,
    ],
    [
      'same SA name in another namespace',
      sa('team-b', 'builder'),
      res('get', 'secrets', { ns: 'team-a' }),
      false,
    ],
    [
      'SA of another namespace bound in team-a',
      sa('team-b', 'x'),
      res('get', 'secrets', { ns: 'team-a' }),
      true,
    ],
    ['CRB SA subject without namespace matches nobody', sa('default', 'orphan'), res('get', 'pods'), false],
    ['system:serviceaccounts implicit group', sa('q', 'any'), url('get', '/metrics'), true],
    ['users are not in system:serviceaccounts', user('alice'), url('get', '/metrics'), false],
    [
      'system:serviceaccounts:<ns> implicit group',
      sa('team-b', 'y'),
      res('get', 'pods', { ns: 'team-b' }),
      true,
    ],
    [
      'system:serviceaccounts:<ns> other namespace',
      sa('team-c', 'y'),
      res('get', 'pods', { ns: 'team-b' }),
      false,
    ],
    ['anonymous is unauthenticated', user('system:anonymous'), url('get', '/metrics'), true],
    ['binding to a missing ClusterRole grants nothing', user('carol'), res('get', 'pods'), false],
    [
      'Role of the same name in another namespace does not leak',
      user('dave', ['devs']),
      res('delete', 'secrets', { ns: 'team-a' }),
      false,
    ],
    ['system:masters bypasses RBAC', user('root', ['system:masters']), res('delete', 'nodes'), true],
    [
      'username of a SA as a User',
      user('system:serviceaccount:team-a:builder'),
      res('get', 'secrets', { ns: 'team-a' }),
      true,
    ],
  ])('%s', (_n, u, attrs, expected) => {
    expect(authorize(model, u, attrs).allowed).toBe(expected);
  });

  it('explains the grant', () => {
    const d = authorize(model, user('bob'), res('get', 'pods', { ns: 'team-a' }));
    expect(d.reason?.binding.name).toBe('bob-scoped');
    expect(d.reason?.role.name).toBe('pods-reader');
    expect(d.reason?.ruleIndex).toBe(0);
  });

  it('privileged groups can be switched off', () => {
    expect(
      authorize(model, user('root', ['system:masters']), res('get', 'pods'), { privilegedGroups: [] })
        .allowed,
    ).toBe(false);
  });

  it('reports bindings to missing roles', () => {
    expect(model.issues.map((i) => [i.code, i.ref.name])).toEqual([
      ['rbac_binding_missing_role', 'dangling'],
      ['rbac_binding_missing_role', 'crb-role-kind'],
    ]);
  });
});

describe('aggregation', () => {
  const agg = modelOf([
    clusterRole('a', [], { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { agg: 'yes' } }] } }),
    clusterRole('b', podsReader, { labels: { agg: 'yes' } }),
    clusterRole('c', [{ verbs: ['get'], nonResourceURLs: ['/x'] }], { labels: { agg: 'yes', tier: '2' } }),
    clusterRole('d', podsReader, { labels: { agg: 'yes' } }),
    clusterRole('top', [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], {
      aggregationRule: { clusterRoleSelectors: [{ matchLabels: { up: 'yes' } }] },
    }),
    clusterRole('mid', [], {
      labels: { up: 'yes' },
      aggregationRule: {
        clusterRoleSelectors: [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['2'] }] }],
      },
    }),
    clusterRole('none', [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }], {
      aggregationRule: { clusterRoleSelectors: [] },
    }),
  ]);

  it.each<[string, string[]]>([
    ['a', ['["get","list"]|pods', '["get"]|/x']],
    ['mid', ['["get"]|/x']],
    ['top', ['["get"]|/x']],
    ['none', []],
  ])('%s gets the union of the selected roles, deduplicated, own rules replaced', (name, expected) => {
    const rules = agg.clusterRoles.get(name)?.rules ?? [];
    expect(
      rules.map((r) => `${JSON.stringify(r.verbs)}|${[...r.resources, ...r.nonResourceURLs].join(',')}`),
    ).toEqual(expected);
  });
});

describe('checkAccess (the authorizer answer CEL policies see)', () => {
  it.each<[string, ReturnType<typeof user>, AccessCheck, string, string]>([
    [
      'a ClusterRoleBinding, named as the API server names it',
      user('alice'),
      { verb: 'list', group: '', resource: 'pods' },
      'allow',
      'RBAC: allowed by ClusterRoleBinding "alice-cluster" of ClusterRole "pods-reader" to User "alice"',
    ],
    [
      'a RoleBinding is named name/namespace',
      user('dave', ['devs']),
      { verb: 'get', resource: 'secrets', namespace: 'team-a' },
      'allow',
      'RBAC: allowed by RoleBinding "devs-secrets/team-a" of Role "secrets" to Group "devs"',
    ],
    [
      "a ServiceAccount subject without a namespace takes the binding's",
      serviceAccountUser('team-a', 'builder'),
      { verb: 'get', resource: 'secrets', namespace: 'team-a' },
      'allow',
      'RBAC: allowed by RoleBinding "local-sa/team-a" of Role "secrets" to ServiceAccount "builder/team-a"',
    ],
    [
      'a ServiceAccount of another namespace',
      serviceAccountUser('team-b', 'x'),
      { verb: 'get', resource: 'secrets', namespace: 'team-a' },
      'allow',
      'RBAC: allowed by RoleBinding "remote-sa/team-a" of Role "secrets" to ServiceAccount "x/team-b"',
    ],
    [
      "a ServiceAccount's own groups",
      serviceAccountUser('q', 'any'),
      { verb: 'get', path: '/metrics' },
      'allow',
      'RBAC: allowed by ClusterRoleBinding "all-sas" of ClusterRole "urls" to Group "system:serviceaccounts"',
    ],
    [
      'system:masters is allowed before RBAC, with no reason',
      user('root', ['system:masters']),
      { verb: 'delete', resource: 'nodes' },
      'allow',
      '',
    ],
    [
      'RBAC has no opinion when nothing allows (it never denies)',
      user('alice'),
      { verb: 'delete', resource: 'pods', namespace: 'team-a' },
      'noOpinion',
      '',
    ],
    [
      'a namespaced grant does not answer a cluster-wide check',
      user('dave', ['devs']),
      { verb: 'get', resource: 'secrets', namespace: '' },
      'noOpinion',
      '',
    ],
  ])('%s', (_n, u, check, decision, reason) => {
    expect(checkAccess(model, u, check)).toEqual({ decision, reason });
  });

  it('a ServiceAccount authenticates with its username and two groups', () => {
    expect(serviceAccountUser('shop', 'web')).toEqual({
      name: 'system:serviceaccount:shop:web',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:shop'],
    });
  });
});

describe('malformed roles and bindings', () => {
  // Inventories built without the loader's schema check (an embedding program, a test).
  it.each<[string, unknown, string]>([
    ['rules: "all"', clusterRole('r', [], { rules: 'all' }), 'rules'],
    [
      'verbs: "*"',
      clusterRole('r', [{ verbs: '*', apiGroups: [''], resources: ['secrets'] }]),
      'rules[0].verbs',
    ],
    ['a rule that is a string', clusterRole('r', ['get pods']), 'rules[0]'],
    ['a null subject', clusterRoleBinding('b', 'cluster-admin', [null]), 'subjects[0]'],
    [
      'a subject of no known kind',
      clusterRoleBinding('b', 'cluster-admin', [{ kind: 'Robot', name: 'x' }]),
      'subjects[0]',
    ],
    ['subjects: "alice"', { ...clusterRoleBinding('b', 'cluster-admin', []), subjects: 'alice' }, 'subjects'],
    [
      'an aggregation selector with an unknown operator',
      clusterRole('agg', [], {
        aggregationRule: {
          clusterRoleSelectors: [{ matchExpressions: [{ key: 'tier', operator: 'Matches', values: ['x'] }] }],
        },
      }),
      'aggregationRule.clusterRoleSelectors[0].matchExpressions[0]',
    ],
  ])('%s is reported, not dropped silently', (_, object, fieldPath) => {
    const model = modelOf([object as Parameters<typeof modelOf>[0][number]]);
    expect(model.issues.filter((i) => i.code === 'rbac_malformed').map((i) => i.fieldPath)).toEqual([
      fieldPath,
    ]);
  });

  it('a well-formed role and binding report nothing', () => {
    const model = modelOf([
      clusterRole('r', [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }]),
      clusterRoleBinding('b', 'r', [subject('User', 'alice')]),
    ]);
    expect(model.issues).toEqual([]);
  });
});
