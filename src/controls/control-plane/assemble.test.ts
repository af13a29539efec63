import { describe, expect, it } from 'vitest';
import { evaluateBenchmark, type CheckResult } from './assemble.js';
import { CIS_1_10 } from './cis-1.10/index.js';
import { decodeConfig } from './lookup.js';
import type { ComponentFacts, FileFacts, NodeFacts } from './facts.js';
import { evaluateApiServerFlags, evaluateComponentFlags } from './live.js';
import { toFindings } from './findings.js';

function file(path: string, mode: number, user = 'root', group = 'root'): FileFacts {
  return {
    path,
    type: 'file',
    mode,
    uid: user === 'root' ? 0 : 1000,
    gid: group === 'root' ? 0 : 1000,
    user,
    group,
  };
}

function component(args: string[], extra: Partial<ComponentFacts> = {}): ComponentFacts {
  return {
    source: 'etc/kubernetes/manifests/x.yaml',
    args,
    argLocations: args.map((_a, i) => ({ file: 'etc/kubernetes/manifests/x.yaml', line: 10 + i, column: 7 })),
    ...extra,
  };
}

function resultOf(facts: NodeFacts, id: string): CheckResult {
  const r = evaluateBenchmark(CIS_1_10, facts).results.find((x) => x.id === id);
  if (!r) throw new Error(`no result ${id}`);
  return r;
}

const empty: NodeFacts = { components: {}, files: {}, issues: [] };

function kubeletConfig(text: string): NonNullable<ComponentFacts['config']> {
  const decoded = decodeConfig(text);
  return decoded.ok
    ? { path: '/var/lib/kubelet/config.yaml', value: decoded.value }
    : { path: '/var/lib/kubelet/config.yaml', error: decoded.error };
}

describe('evaluateBenchmark on node facts', () => {
  it.each([
    ['1.2.1', ['--anonymous-auth=false'], 'warn-free pass', 'pass'],
    ['1.2.1', ['--anonymous-auth=true'], 'unscored fail is a warning', 'warn'],
    ['1.2.2', ['--token-auth-file=/etc/tokens.csv'], 'scored fail', 'fail'],
    ['1.2.2', [], 'absent flag passes set:false', 'pass'],
    ['1.2.10', [], 'absent plugins flag passes through or', 'pass'],
    ['1.2.10', ['--enable-admission-plugins=NodeRestriction,AlwaysAdmit'], 'AlwaysAdmit', 'fail'],
    ['1.2.17', ['--audit-log-maxage=7'], 'too short', 'fail'],
    ['1.2.17', ['--audit-log-maxage=30'], 'long enough', 'pass'],
    ['1.2.17', ['--audit-log-maxage=30', '--audit-log-maxage=7'], 'last occurrence wins', 'fail'],
    ['1.2.15', ['--profiling'], 'bare boolean flag is true', 'fail'],
    ['1.2.21', ['--service-account-lookup=TRUE'], 'booleans compare case-insensitively', 'pass'],
    ['1.2.26', ['--etcd-cafile-x=/a'], 'no prefix match on argv', 'fail'],
    ['1.2.20', [], 'manual check', 'warn'],
  ])('%s with %j (%s) is %s', (id, args, _why, status) => {
    const facts: NodeFacts = { ...empty, components: { apiserver: component(args) } };
    expect(resultOf(facts, id).status).toBe(status);
  });

  it('skips component checks when the component is not on the node', () => {
    const r = resultOf(empty, '1.2.1');
    expect(r.status).toBe('skip');
    expect(r.reason).toContain('kube-apiserver');
  });

  it('points a failing flag at its manifest line', () => {
    const facts: NodeFacts = {
      ...empty,
      components: { apiserver: component(['--secure-port=6443', '--profiling=true']) },
    };
    const r = resultOf(facts, '1.2.15');
    expect(r.location).toEqual({ file: 'etc/kubernetes/manifests/x.yaml', line: 11, column: 7 });
    expect(r.evidence[0]).toMatchObject({ source: 'flag', name: '--profiling', value: 'true', pass: false });
  });

  it.each([
    ['4.2.1', [], 'authentication:\n  anonymous:\n    enabled: false\n', 'pass', 'config'],
    [
      '4.2.1',
      ['--anonymous-auth=true'],
      'authentication:\n  anonymous:\n    enabled: false\n',
      'fail',
      'flag',
    ],
    ['4.2.1', [], 'authentication: {}\n', 'fail', 'config'],
    ['4.2.4', [], 'readOnlyPort: 10255\n', 'warn', 'config'],
    ['4.2.4', [], 'readOnlyPort: 0\n', 'pass', 'config'],
    ['4.2.12', [], 'tlsCipherSuites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]\n', 'pass', 'config'],
    ['4.2.12', [], 'tlsCipherSuites: [TLS_RSA_WITH_3DES_EDE_CBC_SHA]\n', 'warn', 'config'],
    ['4.2.11', ['--feature-gates=RotateKubeletServerCertificate=false'], '{}', 'warn', 'flag'],
    ['4.2.1', [], 'authentication: [broken', 'error', 'config'],
  ])('kubelet %s with flags %j and config %j is %s (decided by %s)', (id, args, config, status, source) => {
    const facts: NodeFacts = {
      ...empty,
      components: { kubelet: component(args, { config: kubeletConfig(config) }) },
    };
    const r = resultOf(facts, id);
    expect(r.status).toBe(status);
    expect(r.evidence[0]?.source).toBe(source);
  });

  it('reads etcd settings from its environment when the flag is absent', () => {
    const facts: NodeFacts = {
      ...empty,
      components: { etcd: component([], { env: [{ name: 'ETCD_CLIENT_CERT_AUTH', value: 'true' }] }) },
    };
    expect(resultOf(facts, '2.2')).toMatchObject({ status: 'pass', evidence: [{ source: 'env' }] });
  });

  it.each([
    ['1.1.1', 'apiserver-manifest', [file('/etc/kubernetes/manifests/kube-apiserver.yaml', 0o600)], 'pass'],
    ['1.1.1', 'apiserver-manifest', [file('/etc/kubernetes/manifests/kube-apiserver.yaml', 0o644)], 'fail'],
    [
      '1.1.2',
      'apiserver-manifest',
      [file('/etc/kubernetes/manifests/kube-apiserver.yaml', 0o600, 'kube')],
      'fail',
    ],
    ['1.1.12', 'etcd-data-dir', [file('/var/lib/etcd', 0o700, 'etcd', 'etcd')], 'pass'],
    ['1.1.12', 'etcd-data-dir', [file('/var/lib/etcd', 0o700)], 'fail'],
    [
      '1.1.21',
      'pki-keys',
      [file('/etc/kubernetes/pki/ca.key', 0o600), file('/etc/kubernetes/pki/sa.key', 0o640)],
      'warn',
    ],
    [
      '1.1.13',
      'admin-kubeconfigs',
      [file('/etc/kubernetes/admin.conf', 0o600), file('/etc/kubernetes/super-admin.conf', 0o600)],
      'pass',
    ],
    [
      '1.1.14',
      'admin-kubeconfigs',
      [
        file('/etc/kubernetes/admin.conf', 0o600),
        file('/etc/kubernetes/super-admin.conf', 0o600, 'root', 'adm'),
      ],
      'fail',
    ],
    ['4.1.2', 'kubelet-service', [], 'pass'],
    ['4.1.1', 'kubelet-service', [], 'skip'],
  ] as const)('%s on %s %j is %s', (id, set, files, status) => {
    const facts: NodeFacts = { ...empty, files: { [set]: files } };
    expect(resultOf(facts, id).status).toBe(status);
  });

  it('names the offending file among several', () => {
    const facts: NodeFacts = {
      ...empty,
      files: {
        'pki-tree': [file('/etc/kubernetes/pki', 0o755), file('/etc/kubernetes/pki/ca.key', 0o600, 'kube')],
      },
    };
    const r = resultOf(facts, '1.1.19');
    expect(r.status).toBe('fail');
    expect(r.location?.file).toBe('/etc/kubernetes/pki/ca.key');
    expect(r.evidence.map((e) => e.pass)).toEqual([true, false]);
  });

  it.each([
    [['aescbc'], 'pass'],
    [['aescbc', 'identity'], 'warn'],
    [undefined, 'warn'],
  ])('encryption providers %j give %s', (providers, status) => {
    const facts: NodeFacts = {
      ...empty,
      components: { apiserver: component([]) },
      ...(providers ? { encryption: { path: '/etc/kubernetes/enc.yaml', providers } } : {}),
    };
    expect(resultOf(facts, '1.2.28').status).toBe(status);
  });

  it('counts results by status', () => {
    const r = evaluateBenchmark(CIS_1_10, empty);
    const total = Object.values(r.summary).reduce((a, b) => a + b, 0);
    expect(total).toBe(CIS_1_10.checks.length);
    // Only 4.1.2 passes on an empty node: the benchmark accepts a missing kubelet service file.
    expect(r.results.filter((x) => x.status === 'pass').map((x) => x.id)).toEqual(['4.1.2']);
  });
});

describe('evaluateApiServerFlags', () => {
  const hardened = [
    'kube-apiserver',
    '--anonymous-auth=false',
    '--authorization-mode=Node,RBAC',
    '--enable-admission-plugins=NodeRestriction,AlwaysPullImages,EventRateLimit,DenyServiceExternalIPs',
    '--profiling=false',
    '--audit-log-path=/var/log/audit.log',
    '--audit-log-maxage=30',
    '--audit-log-maxbackup=10',
    '--audit-log-maxsize=100',
    '--audit-policy-file=/etc/kubernetes/audit-policy.yaml',
  ];

  it('evaluates only the API server flag checks, binary first or not', () => {
    const a = evaluateApiServerFlags(hardened);
    const b = evaluateApiServerFlags(hardened.slice(1));
    expect(a.results.map((r) => r.id)).toEqual(b.results.map((r) => r.id));
    expect(a.results.every((r) => r.id.startsWith('1.2.') || r.id === '3.2.1')).toBe(true);
    expect(a.results.find((r) => r.id === '1.2.1')?.status).toBe('pass');
    expect(a.results.find((r) => r.id === '1.2.16')?.status).toBe('pass');
    expect(a.results.find((r) => r.id === '3.2.1')?.status).toBe('pass');
  });

  it('reflects what is really set', () => {
    const r = evaluateApiServerFlags(['--anonymous-auth=true', '--authorization-mode=AlwaysAllow']);
    const status = (id: string): string | undefined => r.results.find((x) => x.id === id)?.status;
    expect([status('1.2.1'), status('1.2.6'), status('1.2.8'), status('1.2.16')]).toEqual([
      'warn',
      'fail',
      'fail',
      'fail',
    ]);
  });

  it('turns failures into findings with the benchmark id', () => {
    const r = evaluateApiServerFlags(['--authorization-mode=AlwaysAllow'], { source: 'harness' });
    const f = toFindings(r.results).find((x) => x.controlId === 'control-plane/1.2.6');
    expect(f).toMatchObject({
      severity: 'high',
      frameworks: [{ id: 'cis-1.10', control: '1.2.6' }],
      resource: { kind: 'NodeComponent', name: 'kube-apiserver' },
    });
  });

  it('evaluates a kubelet configz document', () => {
    const decoded = decodeConfig('{"authentication":{"anonymous":{"enabled":true}},"readOnlyPort":0}');
    if (!decoded.ok) throw new Error(decoded.error);
    const r = evaluateComponentFlags('kubelet', [], {
      config: { path: 'nodes/n1/proxy/configz', value: decoded.value },
    });
    expect(r.results.find((x) => x.id === '4.2.1')?.status).toBe('fail');
    expect(r.results.find((x) => x.id === '4.2.4')?.status).toBe('pass');
  });
});
