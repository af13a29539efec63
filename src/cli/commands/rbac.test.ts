import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryIO } from '../io.js';
import { main } from '../main.js';

const demo = path.resolve(import.meta.dirname, '../../../examples/demo-cluster');

async function run(args: string[], stdin?: string) {
  const io = memoryIO({ cwd: demo, ...(stdin !== undefined ? { stdin } : {}) });
  const code = await main(args, io);
  return { code, out: io.out(), err: io.err() };
}

describe('palisade rbac who-can', () => {
  it('prints the JSON shape of the issue', async () => {
    const r = await run(['rbac', 'who-can', 'get', 'secrets', '-n', 'checkout', '.', '-o', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({
      subjects: [
        {
          kind: 'ServiceAccount',
          name: 'ci-runner',
          namespace: 'ops',
          via: [{ binding: 'ClusterRoleBinding/ci-runner-admin', role: 'ClusterRole/cluster-admin' }],
        },
        {
          kind: 'ServiceAccount',
          name: 'catalog-api',
          namespace: 'storefront',
          via: [
            {
              binding: 'RoleBinding/checkout/catalog-reads-checkout-secrets',
              role: 'Role/checkout/secret-reader',
            },
          ],
        },
      ],
    });
  });

  it.each([
    [
      ['create', 'po', '-n', 'shop'],
      ['Group:developers', 'ServiceAccount:ci-runner'],
    ],
    [
      ['patch', 'deploy', '-n', 'shop'],
      ['Group:developers', 'ServiceAccount:ci-runner'],
    ],
    [
      ['get', 'nodes/proxy'],
      ['Group:system:authenticated', 'ServiceAccount:ci-runner'],
    ],
    [
      ['get', '/metrics/cadvisor'],
      ['ServiceAccount:ci-runner', 'ServiceAccount:prometheus'],
    ],
    [
      ['list', 'jobs.batch', '-n', 'x'],
      ['Group:support', 'ServiceAccount:ci-runner'],
    ],
    [['get', 'secrets', '-n', 'storefront'], ['ServiceAccount:ci-runner']],
  ])('who-can %j', async (args, expected) => {
    const r = await run(['rbac', 'who-can', ...args, '.', '-o', 'json']);
    const subjects = (JSON.parse(r.out) as { subjects: { kind: string; name: string }[] }).subjects;
    expect(subjects.map((s) => `${s.kind}:${s.name}`).sort()).toEqual([...expected].sort());
  });

  it.each([
    [['rbac', 'who-can', 'get', 'widgets', '.'], 'unknown resource "widgets"'],
    [['rbac', 'who-can', 'get', 'pods', '.', '--cluster'], 'paths cannot be given with --cluster'],
    [['rbac', 'who-can', 'get', 'pods', '--snapshot', 'missing.json.gz'], 'missing.json.gz'],
    [['rbac', 'who-can', 'get', 'pods', '--context', 'x', '.'], '--context only apply with --cluster'],
    [
      ['rbac', 'can-i', '--as', 'ServiceAccount:x', 'get', 'pods', '.'],
      'must be ServiceAccount:NAMESPACE:NAME',
    ],
    [['rbac', 'paths', '--to', 'moon', '.'], '--to must be'],
  ])('usage error %j', async (args, message) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });
});

describe('palisade rbac can-i', () => {
  it.each([
    [['--as', 'system:serviceaccount:ops:ci-runner', 'delete', 'nodes'], 0],
    [['--as', 'alice', '--as-group', 'developers', 'create', 'deployments', '-n', 'shop'], 0],
    [['--as', 'alice', 'create', 'deployments', '-n', 'shop'], 1],
    [['--as', 'alice', 'get', 'nodes/proxy'], 0],
    [['--as', 'system:anonymous', 'get', 'nodes/proxy'], 1],
    [['--as', 'ServiceAccount:storefront:catalog-api', 'list', 'secrets', '-n', 'checkout'], 0],
    [['--as', 'ServiceAccount:storefront:catalog-api', 'list', 'secrets', '-n', 'storefront'], 1],
    [['--as', 'root', '--as-group', 'system:masters', 'delete', 'namespaces'], 0],
  ])('%j exits %i', async (args, code) => {
    const r = await run(['rbac', 'can-i', ...args, '.']);
    expect(r.code).toBe(code);
    expect(r.out.split('\n')[0]).toBe(code === 0 ? 'yes' : 'no');
  });

  it('explains the grant in JSON', async () => {
    const r = await run([
      'rbac',
      'can-i',
      '--as',
      'sa:storefront:catalog-api',
      'get',
      'secrets',
      '-n',
      'checkout',
      '.',
      '-o',
      'json',
    ]);
    expect(JSON.parse(r.out)).toMatchObject({
      allowed: true,
      via: [
        {
          binding: 'RoleBinding/checkout/catalog-reads-checkout-secrets',
          role: 'Role/checkout/secret-reader',
          rule: 0,
        },
      ],
    });
  });
});

describe('palisade rbac list, paths, sod, diff', () => {
  it('lists effective rules grouped by scope with their bindings', async () => {
    const r = await run(['rbac', 'list', 'ServiceAccount:storefront:catalog-api', '.']);
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      'namespace checkout:\n  get,list,watch secrets [core]\n      via RoleBinding/checkout/catalog-reads-checkout-secrets → Role/checkout/secret-reader',
    );
    expect(r.out).toContain('cluster-wide:\n  get,list nodes,nodes/proxy,nodes/metrics [core]');
  });

  it('lists the aggregated role of a group', async () => {
    const r = await run(['rbac', 'list', 'Group:support', '.', '-o', 'json']);
    const rules = (JSON.parse(r.out) as { rules: { via: { role: string }[] }[] }).rules;
    expect(rules.some((x) => x.via.some((v) => v.role === 'ClusterRole/support-readonly'))).toBe(true);
  });

  it.each([
    ['text', 'Group developers → cluster-admin'],
    ['json', '"kind": "use_service_account"'],
    ['dot', 'digraph escalation {'],
  ])('paths -o %s', async (format, expected) => {
    const r = await run(['rbac', 'paths', '--from', 'Group:developers', '.', '-o', format]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(expected);
  });

  it('sod finds the CI runner on both sides', async () => {
    const r = await run(['rbac', 'sod', '.', '-o', 'json']);
    expect(r.code).toBe(1);
    const findings = (JSON.parse(r.out) as { findings: { ruleId: string; subject: { name: string } }[] })
      .findings;
    expect(findings.map((f) => `${f.ruleId}:${f.subject.name}`)).toEqual([
      'rbac-vs-admission:ci-runner',
      'deployer-vs-cluster-secrets:ci-runner',
    ]);
  });

  it('diff of a tree with itself is empty', async () => {
    const r = await run(['rbac', 'diff', 'cluster', 'cluster']);
    expect(r.code).toBe(0);
    expect(r.out).toBe('No RBAC changes.\n');
  });

  it('diff reports gains', async () => {
    const r = await run(['rbac', 'diff', 'cluster/namespaces.yaml', 'cluster/rbac.yaml']);
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      '+ Group developers cluster-wide: get,list,watch,create,delete pods,pods/log,services,configmaps [core]  [ClusterRoleBinding/developers-deploy → ClusterRole/deployer]',
    );
  });
});
