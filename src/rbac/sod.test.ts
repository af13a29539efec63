import { describe, expect, it } from 'vitest';
import { clusterRole, clusterRoleBinding, modelOf, role, roleBinding, subject } from './builders.js';
import { allBindings } from './model.js';
import { RANDOM_NAMESPACES, randomConfiguration } from './random.js';
import { ruleAllows } from './rules.js';
import {
  appliesThrough,
  BindingIndex,
  compileSodRules,
  DEFAULT_SOD_RULES,
  evaluateSod,
  roleHolds,
  type Held,
  type SodRule,
} from './sod.js';
import { identityOf } from './subjects.js';
import type { RbacRole, RbacSubject } from './types.js';

const rules = (bScope: 'cluster' | 'any', explicit = false) => {
  const r = compileSodRules({
    rules: [
      {
        id: 'deploy-vs-secrets',
        title: 't',
        a: {
          name: 'deploy',
          permissions: [{ verbs: ['create'], apiGroups: ['apps'], resources: ['deployments'] }],
        },
        b: {
          name: 'secrets',
          permissions: [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'], scope: bScope, explicit }],
        },
      },
    ],
  });
  if (!r.ok) throw new Error(r.error.join('; '));
  return r.value;
};

const BASE = [
  clusterRole('deploy', [{ verbs: ['create'], apiGroups: ['apps'], resources: ['deployments'] }]),
  clusterRole('all', [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }]),
  role('ns1', 'secrets', [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'] }]),
  clusterRoleBinding('alice-deploy', 'deploy', [subject('User', 'alice'), subject('User', 'bob')]),
  roleBinding('ns1', 'alice-secrets', { kind: 'Role', name: 'secrets' }, [subject('User', 'alice')]),
  clusterRoleBinding('carol-all', 'all', [subject('User', 'carol')]),
];
const model = modelOf(BASE);

describe('segregation of duties', () => {
  it.each<[string, ReturnType<typeof rules>, string[]]>([
    ['any scope: namespace grants count', rules('any'), ['User:alice', 'User:carol']],
    ['cluster scope: only ClusterRoleBindings count', rules('cluster'), ['User:carol']],
    ['explicit: wildcard rules do not count for side B', rules('any', true), ['User:alice']],
  ])('%s', (_n, r, expected) => {
    expect(evaluateSod(model, r).map((f) => `${f.subject.kind}:${f.subject.name}`)).toEqual(expected);
  });

  it.each<[string, string | undefined, string[]]>([
    ['every namespace (no -n)', undefined, ['User:alice', 'User:carol', 'User:dave']],
    ['within ns1: a cluster-wide side and a side in ns1', 'ns1', ['User:alice', 'User:carol']],
    ['within ns2: only cluster-wide grants there', 'ns2', ['User:carol']],
    ['within ns3: dave holds both sides there', 'ns3', ['User:carol', 'User:dave']],
  ])('namespace option, %s', (_n, namespace, expected) => {
    // dave deploys in ns2 and reads Secrets in ns3: a conflict across namespaces, none within ns2.
    const m = modelOf([
      ...BASE,
      role('ns2', 'deployer', [{ verbs: ['create'], apiGroups: ['apps'], resources: ['deployments'] }]),
      role('ns3', 'secrets', [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'] }]),
      role('ns3', 'deployer', [{ verbs: ['create'], apiGroups: ['apps'], resources: ['deployments'] }]),
      roleBinding('ns2', 'dave-deploys', { kind: 'Role', name: 'deployer' }, [subject('User', 'dave')]),
      roleBinding('ns3', 'dave-secrets', { kind: 'Role', name: 'secrets' }, [subject('User', 'dave')]),
      roleBinding('ns3', 'dave-deploys', { kind: 'Role', name: 'deployer' }, [subject('User', 'dave')]),
    ]);
    const found = evaluateSod(m, rules('any'), namespace !== undefined ? { namespace } : {});
    expect(found.map((f) => `${f.subject.kind}:${f.subject.name}`)).toEqual(expected);
    expect(found.every((f) => f.namespace === namespace)).toBe(true);
  });

  it('names the bindings of both sides', () => {
    const [f] = evaluateSod(model, rules('any'));
    expect(f?.a.via).toEqual([{ binding: 'ClusterRoleBinding/alice-deploy', role: 'ClusterRole/deploy' }]);
    expect(f?.b.via).toEqual([{ binding: 'RoleBinding/ns1/alice-secrets', role: 'Role/ns1/secrets' }]);
  });

  it('implicit groups count: system:authenticated, system:serviceaccounts and system:serviceaccounts:NS', () => {
    const m = modelOf([
      clusterRole('deploy', [{ verbs: ['create'], apiGroups: ['apps'], resources: ['deployments'] }]),
      clusterRole('secrets', [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'] }]),
      // ci/builder deploys by name and reads Secrets as one of ci's ServiceAccounts.
      clusterRoleBinding('builder-deploys', 'deploy', [subject('ServiceAccount', 'builder', 'ci')]),
      roleBinding('ci', 'ci-sas-read-secrets', { kind: 'ClusterRole', name: 'secrets' }, [
        subject('Group', 'system:serviceaccounts:ci'),
      ]),
      // dave deploys by name; every authenticated user reads Secrets in ops.
      clusterRoleBinding('dave-deploys', 'deploy', [subject('User', 'dave')]),
      roleBinding('ops', 'everyone-reads-secrets', { kind: 'ClusterRole', name: 'secrets' }, [
        subject('Group', 'system:authenticated'),
      ]),
      // In a ClusterRoleBinding a ServiceAccount without a namespace names nobody.
      clusterRoleBinding('orphan-deploys', 'deploy', [subject('ServiceAccount', 'orphan')]),
      // A ServiceAccount no binding names holds both sides through its groups alone.
      clusterRoleBinding('all-sas-deploy', 'deploy', [subject('Group', 'system:serviceaccounts')]),
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'quiet', namespace: 'ci' } },
    ]);
    const found = evaluateSod(m, rules('any'));
    expect(found.map((f) => `${f.subject.kind}:${f.subject.namespace ?? ''}:${f.subject.name}`)).toEqual([
      'ServiceAccount:ci:builder',
      'ServiceAccount:ci:quiet',
      'User::dave',
    ]);
    expect(found[0]?.b.via).toEqual([
      {
        binding: 'RoleBinding/ci/ci-sas-read-secrets',
        role: 'ClusterRole/secrets',
        group: 'system:serviceaccounts:ci',
      },
      {
        binding: 'RoleBinding/ops/everyone-reads-secrets',
        role: 'ClusterRole/secrets',
        group: 'system:authenticated',
      },
    ]);
    expect(found[1]?.a.via).toEqual([
      {
        binding: 'ClusterRoleBinding/all-sas-deploy',
        role: 'ClusterRole/deploy',
        group: 'system:serviceaccounts',
      },
    ]);
    expect(found[2]?.b.via[0]?.group).toBe('system:authenticated');
  });

  it.each<[unknown, string]>([
    [{}, 'rules'],
    [
      {
        rules: [
          { id: 'Bad Id', title: 't', a: { name: 'a', permissions: [] }, b: { name: 'b', permissions: [] } },
        ],
      },
      'rules.0.id',
    ],
    [
      {
        rules: [
          {
            id: 'x',
            title: 't',
            a: { name: 'a', permissions: [{ verbs: [], apiGroups: [''], resources: ['x'] }] },
            b: { name: 'b', permissions: [{ verbs: ['get'], apiGroups: [''], resources: ['x'] }] },
          },
        ],
      },
      'rules.0.a.permissions.0.verbs',
    ],
  ])('rule file errors carry their field path (%#)', (raw, pathPrefix) => {
    const r = compileSodRules(raw);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.some((e) => e.startsWith(pathPrefix))).toBe(true);
  });

  it('the built-in rules compile', () => {
    expect(compileSodRules(DEFAULT_SOD_RULES).ok).toBe(true);
  });
});

describe('the subject index of segregation of duties', () => {
  // Subjects of every kind the random configurations use, implicit groups and ServiceAccount
  // user names included, so each way a binding can apply to a subject is exercised.
  const subjects: RbacSubject[] = [
    ...['alice', 'bob', 'carol', 'dave', 'system:anonymous', 'system:serviceaccount:pd-a:sa1'].map(
      (name) => ({ kind: 'User' as const, name }),
    ),
    ...RANDOM_NAMESPACES.flatMap((namespace) =>
      ['default', 'sa1', 'sa2'].map((name) => ({ kind: 'ServiceAccount' as const, namespace, name })),
    ),
  ];

  it.each(Array.from({ length: 40 }, (_, i) => i))(
    'finds exactly the bindings a scan of every binding finds (seed %i)',
    (seed) => {
      const objects = [0, 1, 2].flatMap((k) => randomConfiguration(seed * 3 + k, `s${seed}k${k}`).objects);
      const bindings = allBindings(modelOf(objects));
      const index = new BindingIndex(bindings);
      let held = 0;
      for (const s of subjects) {
        const user = identityOf(s);
        const scanned = bindings
          .map((b) => appliesThrough(b, user))
          .filter((h): h is Held => h !== undefined);
        expect(index.heldBy(user)).toEqual(scanned);
        held += scanned.length;
      }
      expect(held).toBeGreaterThan(0);
      for (const g of [
        'system:authenticated',
        'system:serviceaccounts',
        'system:serviceaccounts:pd-a',
        'system:unauthenticated',
        'devs',
      ])
        expect(index.ofGroup(g)).toEqual(
          bindings.filter((b) => b.subjects.some((x) => x.kind === 'Group' && x.name === g)),
        );
    },
  );
});

describe('whether a role holds a side', () => {
  const sides = (() => {
    const r = compileSodRules(DEFAULT_SOD_RULES);
    if (!r.ok) throw new Error(r.error.join('; '));
    return r.value.flatMap((x) => [x.a, x.b]);
  })();
  // The definition: some verb, group and resource of some permission, asked as one request.
  const reference = (role: RbacRole, side: SodRule['a'], clusterWide: boolean): boolean =>
    side.permissions.some(
      (p) =>
        (p.scope === 'any' || clusterWide) &&
        role.rules.some(
          (rule) =>
            (!p.explicit || !rule.resources.includes('*')) &&
            p.verbs.some((verb) =>
              p.apiGroups.some((apiGroup) =>
                p.resources.some((resource) =>
                  ruleAllows(rule, {
                    resourceRequest: true,
                    verb,
                    apiGroup,
                    resource,
                    subresource: '',
                    namespace: '',
                    name: '',
                  }),
                ),
              ),
            ),
        ),
    );

  it.each(Array.from({ length: 30 }, (_, i) => i))(
    'agrees with one request per combination (seed %i)',
    (seed) => {
      const model = modelOf(randomConfiguration(seed, `h${seed}`).objects);
      const roles = [...model.clusterRoles.values(), ...model.roles.values()];
      let held = 0;
      for (const role of roles)
        for (const side of sides)
          for (const clusterWide of [true, false]) {
            const expected = reference(role, side, clusterWide);
            expect(roleHolds(role, side, clusterWide)).toBe(expected);
            if (expected) held++;
          }
      expect(held).toBeGreaterThan(0);
    },
  );
});
