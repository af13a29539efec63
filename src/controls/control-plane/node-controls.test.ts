import { beforeAll, describe, expect, it } from 'vitest';
import type { CertificateFacts, ComponentFacts, NodeFacts } from './facts.js';
import { certificateBlocks, evaluateNodeControls, nodeControlFindings } from './node-controls.js';
import { makeCertificate, type TestCertificate } from './testdata/certificates.js';

const NOW = Date.parse('2026-12-01T00:00:00Z');
const MANIFEST = '/etc/kubernetes/manifests/kube-apiserver.yaml';
const KUBELET_CONFIG = '/var/lib/kubelet/config.yaml';

function apiserver(args: string[]): ComponentFacts {
  return {
    source: MANIFEST,
    args,
    argLocations: args.map((_, i) => ({ file: MANIFEST, line: 16 + i, column: 7 })),
    location: { file: MANIFEST, line: 15, column: 5 },
  };
}

function kubelet(args: string[], config?: Record<string, unknown> | 'broken'): ComponentFacts {
  return {
    source: '/etc/systemd/system/kubelet.service.d/10-kubeadm.conf',
    args,
    argLocations: args.map((_, i) => ({ file: '10-kubeadm.conf', line: 5, column: 20 + i })),
    location: { file: '10-kubeadm.conf', line: 5, column: 1 },
    ...(config === 'broken'
      ? { config: { path: KUBELET_CONFIG, error: 'cannot read: EACCES' } }
      : config
        ? {
            config: {
              path: KUBELET_CONFIG,
              value: config as never,
              keys: { 'authentication.anonymous.enabled': { line: 4, column: 5 } },
            },
          }
        : {}),
  };
}

const anon = (enabled: unknown): Record<string, unknown> => ({ authentication: { anonymous: { enabled } } });

function facts(components: NodeFacts['components'], certificates?: CertificateFacts[]): NodeFacts {
  return { components, files: {}, issues: [], ...(certificates ? { certificates } : {}) };
}

// Issue #20: anonymous auth was a WARN (CIS 1.2.1 is a manual check) and no finding in node scan.
describe('auth/no-anonymous-auth on a node', () => {
  it.each([
    ['API server flag true', { apiserver: apiserver(['--anonymous-auth=true']) }, 'fail', 16],
    ['API server flag absent (default true)', { apiserver: apiserver(['--secure-port=6443']) }, 'fail', 15],
    ['API server flag false', { apiserver: apiserver(['--anonymous-auth=false']) }, 'pass', 16],
    [
      'API server flag false, then true',
      { apiserver: apiserver(['--anonymous-auth=false', '--anonymous-auth', 'true']) },
      'fail',
      17,
    ],
    [
      'kubelet flag true over a config that disables it',
      { kubelet: kubelet(['--anonymous-auth=true'], anon(false)) },
      'fail',
      5,
    ],
    ['kubelet flag false', { kubelet: kubelet(['--anonymous-auth=false']) }, 'pass', 5],
    ['kubelet config enables it', { kubelet: kubelet([], anon(true)) }, 'fail', 4],
    ['kubelet config disables it', { kubelet: kubelet([], anon(false)) }, 'pass', 4],
    ['kubelet config leaves the default (false)', { kubelet: kubelet([], {}) }, 'pass', 1],
    ['kubelet with neither flag nor config (legacy default true)', { kubelet: kubelet([]) }, 'fail', 5],
    ['kubelet config unreadable', { kubelet: kubelet([], 'broken') }, 'error', 1],
  ] as const)('%s', (_name, components, status, line) => {
    const results = evaluateNodeControls(facts(components), { now: NOW }).filter(
      (r) => r.controlId === 'auth/no-anonymous-auth',
    );
    expect(results.map((r) => [r.status, r.location?.line])).toEqual([[status, line]]);
    expect(nodeControlFindings(results, 'palisade.dev/v1')).toHaveLength(status === 'fail' ? 1 : 0);
  });

  it('judges nothing on a node without an API server or kubelet', () => {
    expect(evaluateNodeControls(facts({}), { now: NOW })).toEqual([]);
  });

  it('a broken API server manifest is could-not-check, not a pass', () => {
    const broken = { ...apiserver([]), error: `${MANIFEST}: invalid YAML` };
    const [r] = evaluateNodeControls(facts({ apiserver: broken }), { now: NOW });
    expect(r?.status).toBe('error');
    expect(r?.message).toMatch(/^could not check/);
  });
});

describe('auth/no-anonymous-auth on a node with --authentication-config', () => {
  const FILE = '/etc/kubernetes/authn.yaml';
  const api = apiserver([`--authentication-config=${FILE}`]);
  const config = (value: unknown): NodeFacts['authenticationConfig'] => ({
    path: FILE,
    value: {
      apiVersion: 'apiserver.config.k8s.io/v1',
      kind: 'AuthenticationConfiguration',
      ...(value as object),
    },
    keys: {
      anonymous: { line: 3, column: 1 },
      'anonymous.enabled': { line: 4, column: 3 },
      'anonymous.conditions[0].path': { line: 6, column: 5 },
    },
  });
  const run = (
    authn: NodeFacts['authenticationConfig'],
  ): [string, string | undefined, number | undefined] => {
    const [r] = evaluateNodeControls(
      {
        components: { apiserver: api },
        files: {},
        issues: [],
        ...(authn ? { authenticationConfig: authn } : {}),
      },
      { now: NOW },
    );
    return [r?.status ?? 'none', r?.location?.file, r?.location?.line];
  };

  it.each([
    ['disabled in the file', config({ anonymous: { enabled: false } }), ['pass', FILE, 4]],
    ['enabled without conditions', config({ anonymous: { enabled: true } }), ['fail', FILE, 4]],
    [
      'enabled for /metrics',
      config({ anonymous: { enabled: true, conditions: [{ path: '/metrics' }] } }),
      ['fail', FILE, 6],
    ],
    ['no anonymous section', config({}), ['fail', MANIFEST, 15]],
    ['file unreadable', { path: FILE, error: 'cannot read: EACCES' }, ['error', FILE, 1]],
    // Live facts never read node files: judged by the flag, saying the file could change it.
    ['file not read (live facts)', undefined, ['fail', MANIFEST, 15]],
  ] as const)('%s', (_name, authn, expected) => {
    expect(run(authn)).toEqual(expected);
  });

  it('says when the file was not looked at', () => {
    const [r] = evaluateNodeControls({ components: { apiserver: api }, files: {}, issues: [] }, { now: NOW });
    expect(r?.message).toContain(`unless the anonymous section of ${FILE} (not visible to this scan)`);
  });
});

describe('auth/control-plane-certificate-expiry', () => {
  const certs: Record<string, TestCertificate> = {};
  beforeAll(async () => {
    certs['expired'] = await makeCertificate('kube-apiserver', '2025-01-01', '2026-11-01');
    certs['soon'] = await makeCertificate('kube-apiserver', '2026-01-01', '2026-12-11T12:00:00Z');
    certs['fresh'] = await makeCertificate('kube-apiserver', '2026-01-01', '2027-12-01');
    certs['ca'] = await makeCertificate('kubernetes', '2025-01-01', '2035-01-01');
  });
  const pem = (name: string): string => certs[name]?.cert ?? '';
  const file = (p: Omit<CertificateFacts, 'path' | 'usedBy'>): CertificateFacts => ({
    path: '/etc/kubernetes/pki/apiserver.crt',
    usedBy: ['kube-apiserver --tls-cert-file'],
    location: { file: MANIFEST, line: 40, column: 7 },
    ...p,
  });

  it.each([
    ['expired', () => file({ pem: pem('expired') }), {}, 'fail', 'high', /expired on 2026-11-01/],
    [
      'expires in 10 days',
      () => file({ pem: pem('soon') }),
      {},
      'fail',
      'medium',
      /expires on 2026-12-11, in 10 days/,
    ],
    [
      'expires in 10 days, warnDays 5',
      () => file({ pem: pem('soon') }),
      { warnDays: 5 },
      'pass',
      'medium',
      /valid until/,
    ],
    [
      'expires in 10 days, warnDays "14"',
      () => file({ pem: pem('soon') }),
      { warnDays: '14' },
      'fail',
      'medium',
      /warnDays 14/,
    ],
    [
      'valid for a year',
      () => file({ pem: pem('fresh') }),
      {},
      'pass',
      'medium',
      /valid until 2027-12-01, 365 days/,
    ],
    [
      'a bundle whose second certificate expired',
      () => file({ pem: pem('ca') + pem('expired') }),
      {},
      'fail',
      'high',
      /expired/,
    ],
    [
      'unreadable',
      () => file({ error: 'cannot read: EACCES' }),
      {},
      'error',
      'medium',
      /^could not check .*EACCES/,
    ],
    [
      'missing',
      () => file({ error: 'file not found on the node' }),
      {},
      'error',
      'medium',
      /could not check/,
    ],
    ['no certificate in it', () => file({ pem: '' }), {}, 'error', 'medium', /no PEM certificate/],
    [
      'a block that is not a certificate',
      () => file({ pem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----' }),
      {},
      'error',
      'medium',
      /not a valid X.509 certificate/,
    ],
  ] as const)('%s', (_name, make, settings, status, severity, message) => {
    const results = evaluateNodeControls(facts({}, [make()]), {
      now: NOW,
      settings: { 'auth/control-plane-certificate-expiry': settings },
    });
    expect(results).toHaveLength(1);
    const [r] = results;
    expect([r?.status, r?.severity]).toEqual([status, severity]);
    expect(r?.message).toMatch(message);
    expect(r?.location).toEqual({ file: MANIFEST, line: 40, column: 7 });
  });

  it('names embedded kubeconfig data by file and field', () => {
    const [r] = evaluateNodeControls(
      facts({}, [
        {
          path: '/etc/kubernetes/admin.conf',
          field: 'users[0].user["client-certificate-data"]',
          usedBy: ['/etc/kubernetes/admin.conf user kubernetes-admin'],
          pem: pem('expired'),
        },
      ]),
      { now: NOW },
    );
    expect(r?.subject).toEqual({
      kind: 'NodeFile',
      name: '/etc/kubernetes/admin.conf users[0].user["client-certificate-data"]',
    });
    expect(r?.status).toBe('fail');
  });

  it('keeps only certificate blocks of a file that also holds a key', () => {
    const both = `${certs['fresh']?.key ?? ''}${pem('fresh')}`;
    const blocks = certificateBlocks(both);
    expect(blocks).toHaveLength(1);
    expect(blocks.join('')).not.toContain('PRIVATE KEY');
  });

  it('reads a long run of dashes and base64 quickly enough to finish (linear pattern)', () => {
    const hostile = `-----BEGIN CERTIFICATE-----${'A'.repeat(200_000)}`;
    expect(certificateBlocks(hostile)).toEqual([]);
  });
});
