import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { memoryIO } from '../io.js';
import { main } from '../main.js';

// What users asked of `palisade rbac` and did not get (namespace-wide who-can, custom and
// impersonation resources, rule numbers, snapshots in diff, one output convention): each case
// failed before.

const root = mkdtempSync(path.join(os.tmpdir(), 'palisade-rbac-req-'));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});
let dirs = 0;

function folder(files: Record<string, string>): string {
  const dir = path.join(root, `case-${dirs++}`);
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

async function run(
  args: string[],
  cwd: string,
): Promise<{ code: number; out: string; err: string; file: (name: string) => string }> {
  const io = memoryIO({ cwd });
  const code = await main(args, io);
  const file = (name: string): string => io.files.get(path.join(cwd, name)) ?? '';
  return { code, out: io.out(), err: io.err(), file };
}

/** A cluster where only RoleBindings grant pod creation, a CRD, and a role whose rules[2] impersonates. */
const APP = `
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: deployer, namespace: shop }
rules:
  - { apiGroups: [""], resources: [pods], verbs: [create] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: ci-deploys, namespace: shop }
subjects: [{ kind: ServiceAccount, name: ci }]
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: deployer }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: alice-deploys, namespace: blog }
subjects: [{ kind: User, name: alice, apiGroup: rbac.authorization.k8s.io }]
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pod-maker }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: pod-maker }
rules:
  - { apiGroups: [""], resources: [pods], verbs: [create] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: support }
rules:
  - { apiGroups: [""], resources: [configmaps], verbs: [get] }
  - { apiGroups: [stable.example.com], resources: [crontabs], verbs: [get, list] }
  - { apiGroups: [""], resources: [users], verbs: [impersonate] }
  - { apiGroups: [billing.example.com], resources: [invoices], verbs: [delete] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: bob-support }
subjects: [{ kind: User, name: bob, apiGroup: rbac.authorization.k8s.io }]
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: support }
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: crontabs.stable.example.com }
spec:
  group: stable.example.com
  scope: Namespaced
  names: { plural: crontabs, singular: crontab, kind: CronTab, shortNames: [ct] }
  versions: [{ name: v1, served: true, storage: true, schema: { openAPIV3Schema: { type: object } } }]
`;

interface WhoCanJson {
  subjects: {
    kind: string;
    name: string;
    namespace?: string;
    via: { binding: string; namespace?: string }[];
  }[];
}

describe('rbac who-can in any namespace (-A)', () => {
  it('lists subjects allowed through RoleBindings, with the namespace of each grant', async () => {
    const dir = folder({ 'app.yaml': APP });
    const clusterWide = await run(['rbac', 'who-can', 'create', 'pods', '.', '-o', 'json'], dir);
    expect((JSON.parse(clusterWide.out) as WhoCanJson).subjects).toEqual([]);
    const r = await run(['rbac', 'who-can', 'create', 'pods', '-A', '.', '-o', 'json'], dir);
    expect(r.code).toBe(0);
    const subjects = (JSON.parse(r.out) as WhoCanJson).subjects;
    expect(subjects.map((s) => [s.kind, s.name, s.via.map((v) => v.namespace)])).toEqual([
      ['User', 'alice', ['blog']],
      ['ServiceAccount', 'ci', ['shop']],
    ]);
    const table = await run(['rbac', 'who-can', 'create', 'pods', '-A', '.'], dir);
    expect(table.out).toContain('Who can create pods in any namespace:');
    expect(table.out).toMatch(
      /User\s+alice\s+blog\s+RoleBinding\/blog\/alice-deploys → ClusterRole\/pod-maker/,
    );
  });

  it('refuses -A with -n', async () => {
    const dir = folder({ 'app.yaml': APP });
    const r = await run(['rbac', 'who-can', 'create', 'pods', '-A', '-n', 'shop', '.'], dir);
    expect(r.code).toBe(2);
    expect(r.err).toContain('-A/--all-namespaces and -n/--namespace cannot be used together');
  });
});

describe('rbac resources from the input', () => {
  it.each([
    ['crontabs', 'a CRD names it'],
    ['ct', "the CRD's short name"],
    ['invoices', 'only a rule names it'],
  ])('resolves %s without --api-group (%s)', async (resource) => {
    const dir = folder({ 'app.yaml': APP });
    const verb = resource === 'invoices' ? 'delete' : 'list';
    const r = await run(['rbac', 'who-can', verb, resource, '-A', '.', '-o', 'json'], dir);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect((JSON.parse(r.out) as WhoCanJson).subjects.map((s) => s.name)).toEqual(['bob']);
  });

  it('still asks for --api-group when two groups name the resource', async () => {
    const dir = folder({
      'app.yaml': `${APP}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: other }
rules: [{ apiGroups: [other.example.com], resources: [invoices], verbs: [get] }]
`,
    });
    const r = await run(['rbac', 'who-can', 'get', 'invoices', '.'], dir);
    expect(r.code).toBe(2);
    expect(r.err).toContain('resource "invoices" is ambiguous');
  });

  it.each(['users', 'groups', 'serviceaccounts', 'uids', 'userextras/scopes'])(
    'knows the impersonation resource %s',
    async (resource) => {
      const dir = folder({ 'app.yaml': APP });
      const r = await run(['rbac', 'can-i', '--as', 'bob', 'impersonate', resource, '.'], dir);
      expect(r.err).not.toContain('unknown resource');
      expect(r.code).toBe(resource === 'users' ? 0 : 1);
    },
  );
});

describe('rbac rule numbers and sources', () => {
  it('can-i names rules from 0, as rules[N] in the role', async () => {
    const dir = folder({ 'app.yaml': APP });
    const r = await run(['rbac', 'can-i', '--as', 'bob', 'impersonate', 'users', '.'], dir);
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      'ClusterRoleBinding/bob-support → ClusterRole/support rules[2]: impersonate users [core]',
    );
  });

  it('diff takes a snapshot as the base', async () => {
    const snapshot = {
      apiVersion: 'palisade.dev/v1',
      kind: 'ClusterSnapshot',
      createdAt: '2026-01-01T00:00:00.000Z',
      source: { server: 'https://127.0.0.1:6443', context: 'test' },
      facts: {},
      types: [],
      errors: [],
      objects: [],
    };
    const dir = folder({ 'app.yaml': APP, 'snap.json': JSON.stringify(snapshot) });
    // An empty snapshot is refused as no input, like every other empty source.
    const empty = await run(['rbac', 'diff', '--snapshot', 'snap.json', 'app.yaml'], dir);
    expect(empty.code).toBe(2);
    const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } };
    writeFileSync(path.join(dir, 'snap.json'), JSON.stringify({ ...snapshot, objects: [ns] }));
    const r = await run(['rbac', 'diff', '--snapshot', 'snap.json', 'app.yaml'], dir);
    expect(r.err).toBe('');
    expect(r.code).toBe(1);
    expect(r.out).toContain('+ User bob cluster-wide: impersonate users [core]');
    const two = await run(['rbac', 'diff', '--snapshot', 'snap.json', 'app.yaml', 'app.yaml'], dir);
    expect(two.code).toBe(2);
    expect(two.err).toContain('with --snapshot as the base, give one HEAD');
  });

  it('diff -n keeps what applies in that namespace', async () => {
    const base = `apiVersion: v1
kind: Namespace
metadata: { name: shop }
`;
    const dir = folder({ 'base.yaml': base, 'app.yaml': APP });
    const all = await run(['rbac', 'diff', 'base.yaml', 'app.yaml', '-o', 'json'], dir);
    const namespaces = (out: string): string[] =>
      [
        ...new Set((JSON.parse(out) as { changes: { namespace: string }[] }).changes.map((c) => c.namespace)),
      ].sort();
    expect(namespaces(all.out)).toEqual(['', 'blog', 'shop']);
    const shop = await run(['rbac', 'diff', 'base.yaml', 'app.yaml', '-n', 'shop', '-o', 'json'], dir);
    expect(shop.code).toBe(1);
    expect(namespaces(shop.out)).toEqual(['', 'shop']);
    const both = await run(['rbac', 'diff', 'base.yaml', 'app.yaml', '-n', 'shop', '-A'], dir);
    expect(both.code).toBe(2);
  });

  it('list -n keeps the namespace and cluster-wide rules', async () => {
    const dir = folder({ 'app.yaml': APP });
    const all = await run(['rbac', 'list', 'ServiceAccount:shop:ci', '.'], dir);
    expect(all.out).toContain('namespace shop:');
    const other = await run(['rbac', 'list', 'ServiceAccount:shop:ci', '-n', 'blog', '.'], dir);
    expect(other.code).toBe(0);
    expect(other.out).not.toContain('namespace shop:');
  });
});

describe('rbac output convention', () => {
  it('-o FORMAT=FILE is repeatable and yaml is available', async () => {
    const dir = folder({ 'app.yaml': APP });
    const r = await run(
      [
        'rbac',
        'who-can',
        'create',
        'pods',
        '-A',
        '.',
        '-o',
        'yaml=who.yaml',
        '-o',
        'json=who.json',
        '-o',
        'text',
      ],
      dir,
    );
    expect(r.code).toBe(0);
    expect(r.out).toContain('Who can create pods in any namespace:');
    expect(r.file('who.yaml')).toContain('- kind: User\n    name: alice');
    expect((JSON.parse(r.file('who.json')) as WhoCanJson).subjects).toHaveLength(2);
  });

  it('--output-file takes the one output without a file', async () => {
    const dir = folder({ 'app.yaml': APP });
    const r = await run(['rbac', 'sod', '.', '-o', 'json', '--output-file', 'sod.json'], dir);
    expect(r.out).toBe('');
    expect(JSON.parse(r.file('sod.json'))).toEqual({ findings: [] });
  });

  it.each([
    [['-o', 'xml'], 'unknown output format "xml"; valid formats: table, json, yaml'],
    [['-o', 'json='], 'has an empty file name'],
    [['-o', 'json=a', '-o', 'yaml=a'], 'file "a" is the target of both json and yaml'],
    [['-o', 'json=a', '--output-file', 'b'], '--output-file given but every -o already names its file'],
  ])('refuses %j with exit 2', async (args, message) => {
    const dir = folder({ 'app.yaml': APP });
    const r = await run(['rbac', 'who-can', 'get', 'pods', '.', ...args], dir);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });
});

const rb = (ns: string, name: string, role: string, subject: string): string => `---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: ${name}, namespace: ${ns} }
subjects: [${subject}]
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: ${role} }
`;
const ruleRole = (ns: string, name: string, rule: string): string => `---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: ${name}, namespace: ${ns} }
rules: [${rule}]
`;
const USER = (name: string): string => `{ kind: User, name: ${name}, apiGroup: rbac.authorization.k8s.io }`;
const DEPLOY = '{ apiGroups: [apps], resources: [deployments], verbs: [create] }';
const SECRETS = '{ apiGroups: [""], resources: [secrets], verbs: [get] }';

/** alice deploys in shop and reads Secrets in blog; bob does both in shop. */
const SOD_APP = [
  ruleRole('shop', 'deployer', DEPLOY),
  ruleRole('shop', 'secret-reader', SECRETS),
  ruleRole('blog', 'secret-reader', SECRETS),
  rb('shop', 'alice-deploys', 'deployer', USER('alice')),
  rb('blog', 'alice-reads', 'secret-reader', USER('alice')),
  rb('shop', 'bob-deploys', 'deployer', USER('bob')),
  rb('shop', 'bob-reads', 'secret-reader', USER('bob')),
].join('');
const SOD_RULES = `rules:
  - id: deploy-vs-secrets
    title: Deployers do not read Secrets
    a: { name: deploy, permissions: [{ verbs: [create], apiGroups: [apps], resources: [deployments] }] }
    b: { name: secrets, permissions: [{ verbs: [get], apiGroups: [""], resources: [secrets] }] }
`;

/**
 * shop: ServiceAccount ci may create pods where shop/admin (bound to cluster-admin) runs; blog:
 * ServiceAccount writer reads blog's Secrets; User eve is bound to cluster-admin directly.
 */
const PATHS_APP = `apiVersion: v1
kind: ServiceAccount
metadata: { name: admin, namespace: shop }
---
apiVersion: v1
kind: ServiceAccount
metadata: { name: ci, namespace: shop }
---
apiVersion: v1
kind: ServiceAccount
metadata: { name: writer, namespace: blog }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: shop-admin }
subjects: [{ kind: ServiceAccount, name: admin, namespace: shop }]
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: eve-admin }
subjects: [${USER('eve')}]
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin }
${ruleRole('shop', 'pods', '{ apiGroups: [""], resources: [pods], verbs: [create] }')}${rb('shop', 'ci-pods', 'pods', '{ kind: ServiceAccount, name: ci }')}${ruleRole('blog', 'secret-reader', SECRETS)}${rb('blog', 'writer-reads', 'secret-reader', '{ kind: ServiceAccount, name: writer }')}`;

const auditEvent = (user: string, verb: string, resource: string, namespace?: string): string =>
  JSON.stringify({
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    stage: 'ResponseComplete',
    verb,
    requestURI: '/x',
    user: { username: user, groups: ['system:authenticated'] },
    objectRef: { resource, ...(namespace !== undefined ? { namespace } : {}) },
    responseStatus: { code: 200 },
  });

// Issue #20 item 10: -n and -A wherever rbac reads namespaced inputs (paths, sod, suggest took none).
describe('rbac paths, sod and suggest take -n and -A', () => {
  it('sod -n judges conflicts within the namespace; -A (the default) across namespaces', async () => {
    const dir = folder({ 'app.yaml': SOD_APP, 'sod.yaml': SOD_RULES });
    const subjects = (out: string): string[] =>
      (JSON.parse(out) as { findings: { subject: { name: string }; namespace?: string }[] }).findings.map(
        (f) => `${f.subject.name}${f.namespace !== undefined ? `@${f.namespace}` : ''}`,
      );
    const all = await run(['rbac', 'sod', '--rules', 'sod.yaml', 'app.yaml', '-o', 'json'], dir);
    expect(all.code).toBe(1);
    expect(subjects(all.out)).toEqual(['alice', 'bob']);
    const explicit = await run(['rbac', 'sod', '--rules', 'sod.yaml', 'app.yaml', '-A', '-o', 'json'], dir);
    expect(subjects(explicit.out)).toEqual(['alice', 'bob']);
    const shop = await run(
      ['rbac', 'sod', '--rules', 'sod.yaml', 'app.yaml', '-n', 'shop', '-o', 'json'],
      dir,
    );
    expect(shop.code).toBe(1);
    expect(subjects(shop.out)).toEqual(['bob@shop']);
    const table = await run(['rbac', 'sod', '--rules', 'sod.yaml', 'app.yaml', '-n', 'shop'], dir);
    expect(table.out).toContain(
      'high deploy-vs-secrets: User:bob within namespace shop — Deployers do not read Secrets',
    );
    const blog = await run(['rbac', 'sod', '--rules', 'sod.yaml', 'app.yaml', '-n', 'blog'], dir);
    expect(blog.code).toBe(0);
    expect(blog.out).toBe('No segregation-of-duties conflicts within namespace blog.\n');
    const both = await run(['rbac', 'sod', 'app.yaml', '-n', 'shop', '-A'], dir);
    expect(both.code).toBe(2);
    expect(both.err).toContain('cannot be used together');
  });

  it('paths -n keeps the paths that concern the namespace and looks for its Secrets', async () => {
    const dir = folder({ 'app.yaml': PATHS_APP });
    const pairs = (out: string): string[] =>
      (JSON.parse(out) as { paths: { from: string; to: string }[] }).paths.map((p) => `${p.from} -> ${p.to}`);
    const all = await run(['rbac', 'paths', 'app.yaml', '-o', 'json'], dir);
    expect(pairs(all.out)).toEqual(
      expect.arrayContaining(['user:eve -> cluster-admin', 'sa:shop:ci -> cluster-admin']),
    );
    expect(pairs(all.out)).not.toContain('sa:blog:writer -> secrets:blog');
    const shop = await run(['rbac', 'paths', 'app.yaml', '-n', 'shop', '-o', 'json'], dir);
    expect(shop.code).toBe(1);
    expect(pairs(shop.out)).toContain('sa:shop:ci -> cluster-admin');
    expect(pairs(shop.out)).not.toContain('user:eve -> cluster-admin');
    const blog = await run(['rbac', 'paths', 'app.yaml', '-n', 'blog', '-o', 'json'], dir);
    expect(pairs(blog.out)).toContain('sa:blog:writer -> secrets:blog');
    expect(pairs(blog.out).every((p) => p.includes('blog'))).toBe(true);
    const none = await run(['rbac', 'paths', 'app.yaml', '-n', 'empty'], dir);
    expect(none.code).toBe(0);
    expect((await run(['rbac', 'paths', 'app.yaml', '-n', 'shop', '-A'], dir)).code).toBe(2);
  });

  it('suggest -n proposes a Role of that namespace only, from the calls made there', async () => {
    const sa = 'system:serviceaccount:shop:ci';
    const log = [
      auditEvent(sa, 'list', 'pods', 'shop'),
      auditEvent(sa, 'get', 'configmaps', 'blog'),
      auditEvent(sa, 'list', 'namespaces'),
    ].join('\n');
    const dir = folder({ 'audit.jsonl': `${log}\n`, 'app.yaml': PATHS_APP });
    const kinds = (out: string): string[] =>
      out
        .split('\n')
        .filter((l) => /^kind: |^ {2}namespace: /.test(l))
        .map((l) => l.trim());
    const all = await run(['rbac', 'suggest', '--audit-log', 'audit.jsonl', 'app.yaml'], dir);
    expect(all.code).toBe(0);
    expect(kinds(all.out)).toEqual(
      expect.arrayContaining(['kind: ClusterRole', 'namespace: blog', 'namespace: shop']),
    );
    const shop = await run(['rbac', 'suggest', '--audit-log', 'audit.jsonl', 'app.yaml', '-n', 'shop'], dir);
    expect(shop.code).toBe(0);
    expect(kinds(shop.out)).toEqual([
      'kind: Role',
      'namespace: shop',
      'kind: RoleBinding',
      'namespace: shop',
    ]);
    const json = await run(
      ['rbac', 'suggest', '--audit-log', 'audit.jsonl', 'app.yaml', '-n', 'shop', '-o', 'json'],
      dir,
    );
    const [s] = (
      JSON.parse(json.out) as { suggestions: { calls: number; current: { namespace?: string }[] }[] }
    ).suggestions;
    expect(s?.calls).toBe(1);
    expect(s?.current.map((c) => c.namespace)).toEqual(['shop']);
    expect((await run(['rbac', 'suggest', '--audit-log', 'audit.jsonl', '-n', 'shop', '-A'], dir)).code).toBe(
      2,
    );
  });
});
