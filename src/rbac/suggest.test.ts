import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAuditLog, type AuditCall } from './audit.js';
import { authorize } from './authorize.js';
import { clusterRole, clusterRoleBinding, modelOf, roleBinding, subject } from './builders.js';
import { minimalRules, suggestRoles } from './suggest.js';

interface Ev {
  user: string;
  groups?: string[];
  verb: string;
  resource?: string;
  sub?: string;
  group?: string;
  ns?: string;
  name?: string;
  uri?: string;
  code?: number;
  stage?: string;
}
const event = (e: Ev) =>
  JSON.stringify({
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: Math.random().toString(36),
    stage: e.stage ?? 'ResponseComplete',
    verb: e.verb,
    requestURI: e.uri ?? '/x',
    user: { username: e.user, groups: e.groups ?? ['system:authenticated'] },
    ...(e.resource
      ? {
          objectRef: {
            resource: e.resource,
            ...(e.sub ? { subresource: e.sub } : {}),
            ...(e.group ? { apiGroup: e.group } : {}),
            ...(e.ns ? { namespace: e.ns } : {}),
            ...(e.name ? { name: e.name } : {}),
          },
        }
      : {}),
    responseStatus: { code: e.code ?? 200 },
  });

const SA = 'system:serviceaccount:ci:builder';
const SA_GROUPS = ['system:serviceaccounts', 'system:serviceaccounts:ci', 'system:authenticated'];
const log = [
  event({ user: SA, groups: SA_GROUPS, verb: 'list', resource: 'pods', ns: 'ci' }),
  event({ user: SA, groups: SA_GROUPS, verb: 'get', resource: 'pods', ns: 'ci', name: 'p1' }),
  event({ user: SA, groups: SA_GROUPS, verb: 'get', resource: 'pods', sub: 'log', ns: 'ci', name: 'p1' }),
  event({
    user: SA,
    groups: SA_GROUPS,
    verb: 'create',
    resource: 'deployments',
    group: 'apps',
    ns: 'ci',
    name: 'web',
  }),
  event({
    user: SA,
    groups: SA_GROUPS,
    verb: 'patch',
    resource: 'deployments',
    group: 'apps',
    ns: 'ci',
    name: 'web',
  }),
  event({ user: SA, groups: SA_GROUPS, verb: 'get', resource: 'configmaps', ns: 'ci', name: 'settings' }),
  event({
    user: SA,
    groups: SA_GROUPS,
    verb: 'get',
    resource: 'secrets',
    ns: 'ci',
    name: 'denied',
    code: 403,
  }),
  event({ user: SA, groups: SA_GROUPS, verb: 'list', resource: 'namespaces' }),
  event({ user: SA, groups: SA_GROUPS, verb: 'get', uri: '/healthz?verbose=1' }),
  event({ user: SA, groups: SA_GROUPS, verb: 'get', resource: 'pods', ns: 'ci', stage: 'RequestReceived' }),
  event({ user: 'alice', verb: 'watch', resource: 'jobs', group: 'batch', ns: 'x' }),
  'not json',
  JSON.stringify({ kind: 'Pod', apiVersion: 'v1' }),
].join('\n');

describe('audit log', () => {
  const parsed = parseAuditLog(log);
  it('reads completed, authorized calls and reports bad lines', () => {
    expect(parsed.calls).toHaveLength(9);
    expect(parsed.skipped).toBe(2);
    expect(parsed.issues.map((i) => i.line)).toEqual([12, 13]);
    expect(parsed.calls[7]?.attrs).toEqual({ resourceRequest: false, verb: 'get', path: '/healthz' });
  });
});

describe('suggest', () => {
  const calls = parseAuditLog(log).calls;
  const [builder, alice] = suggestRoles(calls);

  it('groups by subject', () => {
    expect(builder?.subject).toEqual({ kind: 'ServiceAccount', namespace: 'ci', name: 'builder' });
    expect(alice?.subject).toEqual({ kind: 'User', name: 'alice' });
  });

  it.each<[string, string, unknown[]]>([
    [
      'namespace rules without wildcards, names kept for get/patch',
      'ci',
      [
        {
          verbs: ['get'],
          apiGroups: [''],
          resources: ['configmaps'],
          resourceNames: ['settings'],
          nonResourceURLs: [],
        },
        { verbs: ['list'], apiGroups: [''], resources: ['pods'], resourceNames: [], nonResourceURLs: [] },
        {
          verbs: ['get'],
          apiGroups: [''],
          resources: ['pods', 'pods/log'],
          resourceNames: ['p1'],
          nonResourceURLs: [],
        },
        {
          verbs: ['create'],
          apiGroups: ['apps'],
          resources: ['deployments'],
          resourceNames: [],
          nonResourceURLs: [],
        },
        {
          verbs: ['patch'],
          apiGroups: ['apps'],
          resources: ['deployments'],
          resourceNames: ['web'],
          nonResourceURLs: [],
        },
      ],
    ],
    [
      'cluster rules for cluster-wide and non-resource calls',
      '',
      [
        {
          verbs: ['list'],
          apiGroups: [''],
          resources: ['namespaces'],
          resourceNames: [],
          nonResourceURLs: [],
        },
        { verbs: ['get'], apiGroups: [], resources: [], resourceNames: [], nonResourceURLs: ['/healthz'] },
      ],
    ],
  ])('%s', (_n, scope, expected) => {
    expect(builder?.rules.get(scope)).toEqual(expected);
  });

  it('the suggested objects allow exactly the observed calls', () => {
    const model = modelOf(builder?.objects ?? [], { bootstrapRoles: false });
    for (const c of calls.filter((x) => x.user.name === SA))
      expect(authorize(model, c.user, c.attrs).allowed).toBe(true);
    const outside: AuditCall['attrs'][] = [
      {
        resourceRequest: true,
        verb: 'delete',
        apiGroup: '',
        resource: 'pods',
        subresource: '',
        namespace: 'ci',
        name: 'p1',
      },
      {
        resourceRequest: true,
        verb: 'get',
        apiGroup: '',
        resource: 'pods',
        subresource: '',
        namespace: 'ci',
        name: 'p2',
      },
      {
        resourceRequest: true,
        verb: 'list',
        apiGroup: '',
        resource: 'pods',
        subresource: '',
        namespace: 'other',
        name: '',
      },
      {
        resourceRequest: true,
        verb: 'get',
        apiGroup: '',
        resource: 'secrets',
        subresource: '',
        namespace: 'ci',
        name: 'denied',
      },
      { resourceRequest: false, verb: 'get', path: '/metrics' },
    ];
    const user = calls[0]?.user ?? { name: SA, groups: [] };
    for (const a of outside) expect(authorize(model, user, a).allowed).toBe(false);
  });

  it('marks current grants used or unused', () => {
    const model = modelOf([
      clusterRole('wide', [
        { verbs: ['*'], apiGroups: [''], resources: ['pods', 'pods/log'] },
        { verbs: ['*'], apiGroups: [''], resources: ['secrets'] },
      ]),
      clusterRoleBinding('wide', 'wide', [subject('ServiceAccount', 'builder', 'ci')]),
    ]);
    const [s] = suggestRoles(calls, {
      model,
      subjects: [{ kind: 'ServiceAccount', namespace: 'ci', name: 'builder' }],
    });
    expect(s?.current.map((c) => [c.rule.resources.join(','), c.used])).toEqual([
      ['pods,pods/log', true],
      ['secrets', false],
    ]);
  });

  // Issue #20: `rbac suggest` took no -n.
  it('one namespace: only its calls, only its Role, compared with its RoleBindings only', () => {
    const model = modelOf([
      clusterRole('view-pods', [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }]),
      clusterRole('wide', [{ verbs: ['list'], apiGroups: [''], resources: ['namespaces'] }]),
      clusterRoleBinding('wide', 'wide', [subject('ServiceAccount', 'builder', 'ci')]),
      roleBinding('ci', 'ci-view', { kind: 'ClusterRole', name: 'view-pods' }, [
        subject('ServiceAccount', 'builder', 'ci'),
      ]),
    ]);
    const all = suggestRoles(calls, { model });
    expect(all.map((s) => [...s.rules.keys()])).toEqual([['', 'ci'], ['x']]);
    const inCi = suggestRoles(calls, { model, namespace: 'ci' });
    expect(inCi.map((s) => s.subject.name)).toEqual(['builder']);
    expect([...(inCi[0]?.rules.keys() ?? [])]).toEqual(['ci']);
    expect(inCi[0]?.objects.map((o) => `${o.kind}/${String(o.metadata?.namespace)}`)).toEqual([
      'Role/ci',
      'RoleBinding/ci',
    ]);
    expect(inCi[0]?.current.map((c) => [c.namespace, c.rule.resources.join(','), c.used])).toEqual([
      ['ci', 'pods', true],
    ]);
    expect(suggestRoles(calls, { model, namespace: 'elsewhere' })).toEqual([]);
  });

  it('unnamed calls drop resourceNames for that verb', () => {
    const rules = minimalRules(
      parseAuditLog(
        [
          event({ user: 'u', verb: 'get', resource: 'secrets', ns: 'n', name: 'a' }),
          event({ user: 'u', verb: 'get', resource: 'secrets', ns: 'n' }),
        ].join('\n'),
      ).calls,
    );
    expect(rules.get('n')?.[0]?.resourceNames).toEqual([]);
  });
});

describe('suggest on real-shaped audit events (shared oracles)', () => {
  const file = path.resolve(
    import.meta.dirname,
    '../../../shared/oracles/audit-logs/panther-k8s-rules/tests-flattened.jsonl',
  );
  const present = existsSync(file);
  if (!present) console.log(`skipped: ${file} is absent`);
  it.skipIf(!present)('every suggested role allows every call it was built from', () => {
    const lines = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => (JSON.parse(l) as { log: unknown }).log)
      .filter((e) => typeof e === 'object' && e !== null && (e as { kind?: unknown }).kind === 'Event');
    const parsed = parseAuditLog(lines.map((e) => JSON.stringify(e)).join('\n'));
    expect(parsed.calls.length).toBeGreaterThan(20);
    const suggestions = suggestRoles(parsed.calls);
    for (const s of suggestions) {
      const model = modelOf(s.objects, { bootstrapRoles: false });
      for (const c of parsed.calls.filter(
        (x) =>
          x.user.name ===
          (s.subject.kind === 'ServiceAccount'
            ? `system:serviceaccount:${s.subject.namespace ?? ''}:${s.subject.name}`
            : s.subject.name),
      ))
        expect(
          authorize(model, c.user, c.attrs, { privilegedGroups: [] }).allowed,
          JSON.stringify(c.attrs),
        ).toBe(true);
      for (const o of s.objects) expect(JSON.stringify(o)).not.toContain('"*"');
    }
  });
});
