import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { beforeAll, describe, expect, it } from 'vitest';
import { Inventory } from '../../core/index.js';
import { parseManifests } from '../../load/index.js';
import { evaluateControls } from '../engine.js';
import { missingCases, runControl, type ControlCase } from '../testing.js';
import { durationSeconds, flagValue } from './api-server.js';
import { AUTH_CONTROLS } from './index.js';

x509.cryptoProvider.set(webcrypto);

/** kubeadm's kube-apiserver static pod with extra flags; the first flag is line 12. */
const apiServer = (flags: string[]): string =>
  [
    'apiVersion: v1',
    'kind: Pod',
    'metadata:',
    '  name: kube-apiserver-cp1',
    '  namespace: kube-system',
    '  labels: {component: kube-apiserver, tier: control-plane}',
    'spec:',
    '  containers:',
    '  - name: kube-apiserver',
    '    image: registry.k8s.io/kube-apiserver:v1.33.1',
    '    command:',
    '    - kube-apiserver',
    ...['--advertise-address=10.0.0.10', ...flags].map((f) => `    - ${f}`),
    '',
  ].join('\n');

const KUBELET = (enabled: string): string =>
  `apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nauthentication:\n  anonymous:\n    enabled: ${enabled}\n`;

const GOOD = [
  '--anonymous-auth=false',
  '--authentication-config=/etc/kubernetes/authn.yaml',
  '--service-account-max-token-expiration=24h',
];

/** An AuthenticationConfiguration with the given `anonymous` section lines (indented 2). */
const AUTHN = (...anonymous: string[]): string =>
  [
    'apiVersion: apiserver.config.k8s.io/v1beta1',
    'kind: AuthenticationConfiguration',
    ...(anonymous.length > 0 ? ['anonymous:', ...anonymous.map((l) => `  ${l}`)] : ['jwt: []']),
    '',
  ].join('\n');
const WITH_FILE = '--authentication-config=/etc/kubernetes/authn.yaml';
/** The API server (15 lines with one extra flag, 16 with two), then the configuration. */
const both = (flags: string[], authn: string): string => `${apiServer(flags)}---\n${authn}`;

// Issue #20: anonymous auth was only a warning in `node scan` and no finding in `scan`.
const cases: ControlCase[] = [
  [
    'auth/no-anonymous-auth',
    'API server flag true',
    apiServer(['--anonymous-auth=true']),
    [{ path: 'spec.containers[0].command[2]', line: 14 }],
  ],
  [
    'auth/no-anonymous-auth',
    'API server flag absent (default true)',
    apiServer([]),
    [{ path: 'spec.containers[0]', line: 9 }],
  ],
  ['auth/no-anonymous-auth', 'API server flag false', apiServer(GOOD), []],
  [
    'auth/no-anonymous-auth',
    'kubelet config enables anonymous',
    KUBELET('true'),
    [{ path: 'authentication.anonymous.enabled', line: 5 }],
  ],
  ['auth/no-anonymous-auth', 'kubelet config disables anonymous', KUBELET('false'), []],
  [
    'auth/external-user-authentication',
    'certificates and tokens only',
    apiServer(['--anonymous-auth=false', '--client-ca-file=/etc/kubernetes/pki/ca.crt']),
    [{ path: 'spec.containers[0]', line: 9 }],
  ],
  ['auth/external-user-authentication', 'structured authentication', apiServer(GOOD), []],
  [
    'auth/external-user-authentication',
    'OIDC flags',
    apiServer(['--oidc-issuer-url=https://idp.example.com', '--oidc-client-id=kubernetes']),
    [],
  ],
  [
    'auth/service-account-token-lifetime',
    'unbounded',
    apiServer(['--anonymous-auth=false']),
    [{ path: 'spec.containers[0]', line: 9 }],
  ],
  [
    'auth/service-account-token-lifetime',
    'a week',
    apiServer(['--service-account-max-token-expiration=168h']),
    [{ path: 'spec.containers[0].command[2]', line: 14 }],
  ],
  ['auth/service-account-token-lifetime', 'a day', apiServer(GOOD), []],
  // The structured authentication configuration decides when it has an anonymous section.
  [
    'auth/no-anonymous-auth',
    'configuration disables anonymous',
    both([WITH_FILE], AUTHN('enabled: false')),
    [],
  ],
  [
    'auth/no-anonymous-auth',
    'configuration enables anonymous without conditions',
    both([WITH_FILE], AUTHN('enabled: true')),
    [{ path: 'anonymous.enabled', line: 19 }],
  ],
  [
    'auth/no-anonymous-auth',
    'configuration limits anonymous to health endpoints',
    both([WITH_FILE], AUTHN('enabled: true', 'conditions:', '- path: /livez', '- path: /readyz')),
    [],
  ],
  [
    'auth/no-anonymous-auth',
    'configuration opens a path beyond health endpoints',
    both([WITH_FILE], AUTHN('enabled: true', 'conditions:', '- path: /healthz', '- path: /version')),
    [{ path: 'anonymous.conditions[1].path', line: 22 }],
  ],
  [
    'auth/no-anonymous-auth',
    'flag and anonymous section together (the API server refuses them)',
    both([WITH_FILE, '--anonymous-auth=false'], AUTHN('enabled: false')),
    [{ path: 'spec.containers[0].command[3]', line: 15 }],
  ],
  [
    'auth/no-anonymous-auth',
    'configuration without an anonymous section, flag absent (default true)',
    both([WITH_FILE], AUTHN()),
    [{ path: 'spec.containers[0]', line: 9 }],
  ],
  [
    'auth/no-anonymous-auth',
    'configuration without an anonymous section, flag false',
    both([WITH_FILE, '--anonymous-auth=false'], AUTHN()),
    [],
  ],
  [
    'auth/no-anonymous-auth',
    'configuration file not among the inputs, flag absent',
    apiServer([WITH_FILE]),
    [{ path: 'spec.containers[0]', line: 9 }],
  ],
  [
    'auth/no-anonymous-auth',
    'a lone configuration enabling anonymous',
    AUTHN('enabled: true'),
    [{ path: 'anonymous.enabled', line: 4 }],
  ],
  ['auth/no-anonymous-auth', 'a lone configuration disabling anonymous', AUTHN('enabled: false'), []],
  [
    'auth/no-anonymous-auth',
    'no API server in the input',
    'apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n',
    [],
  ],
];

async function certificate(notBefore: string, notAfter: string): Promise<string> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=alice, O=dev',
    notBefore: new Date(notBefore),
    notAfter: new Date(notAfter),
    keys,
    signingAlgorithm: alg,
  });
  return Buffer.from(cert.toString('pem')).toString('base64');
}

const kubeconfig = (data: string): string =>
  `apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers:\n- name: alice\n  user:\n    client-certificate-data: ${data}\n`;

describe('authentication controls', () => {
  let expired = '';
  let soon = '';
  let fresh = '';
  beforeAll(async () => {
    expired = await certificate('2025-01-01', '2026-01-01');
    soon = await certificate('2026-01-01', '2026-12-10');
    fresh = await certificate('2026-01-01', '2027-06-01');
  });

  it.each(cases)('%s: %s', (id, _name, yaml, expected) => {
    const control = AUTH_CONTROLS.find((c) => c.id === id);
    if (!control) throw new Error(`no control ${id}`);
    expect(runControl(control, yaml)).toEqual(expected);
  });

  it.each([
    ['expired', () => expired, [{ path: 'users[0].user["client-certificate-data"]', line: 8 }]],
    ['expiring within 30 days', () => soon, [{ path: 'users[0].user["client-certificate-data"]', line: 8 }]],
    ['valid for months', () => fresh, []],
    [
      'not a certificate',
      () => Buffer.from('garbage').toString('base64'),
      [{ path: 'users[0].user["client-certificate-data"]', line: 8 }],
    ],
  ])('auth/client-certificate-expiry: %s', (_name, data, expected) => {
    const control = AUTH_CONTROLS.find((c) => c.id === 'auth/client-certificate-expiry');
    if (!control) throw new Error('missing');
    expect(runControl(control, kubeconfig(data()), { facts: { scanDate: '2026-12-01' } })).toEqual(expected);
  });

  it('says when the answer depends on a configuration file the scan cannot see', () => {
    const control = AUTH_CONTROLS.find((c) => c.id === 'auth/no-anonymous-auth');
    if (!control) throw new Error('missing');
    const inventory = new Inventory();
    for (const r of parseManifests(apiServer([WITH_FILE]), 't.yaml').resources) inventory.add(r);
    const { findings } = evaluateControls(inventory, [control], {});
    expect(findings.map((f) => f.message)).toEqual([
      'kube-apiserver does not set --anonymous-auth=false: anonymous requests are allowed by default unless the anonymous section of /etc/kubernetes/authn.yaml (not visible to this scan) says otherwise',
    ]);
  });

  it.each([
    [14, 'a number'],
    ['14', 'a string of digits'],
  ])('auth/client-certificate-expiry: warnDays given as %j (%s) is used', (warnDays, _how) => {
    const control = AUTH_CONTROLS.find((c) => c.id === 'auth/client-certificate-expiry');
    if (!control) throw new Error('missing');
    // `soon` expires on 2026-12-10: 9 days after the scan date, inside 14 but not inside 5.
    const run = (days: unknown): number =>
      runControl(control, kubeconfig(soon), {
        facts: { scanDate: '2026-12-01' },
        settings: { warnDays: days },
      }).length;
    expect(run(warnDays)).toBe(1);
    expect(run(typeof warnDays === 'number' ? 5 : '5')).toBe(0);
  });

  it('every authentication control has a failing and a passing case', () => {
    const covered: ControlCase[] = [
      ...cases,
      ['auth/client-certificate-expiry', 'fail', '', [{ path: 'x', line: 1 }]],
      ['auth/client-certificate-expiry', 'pass', '', []],
    ];
    expect(missingCases(AUTH_CONTROLS, covered)).toEqual([]);
  });

  it.each([
    ['24h', 86400],
    ['1h30m', 5400],
    ['86400s', 86400],
    ['1.5h', 5400],
    ['', undefined],
    ['24', undefined],
    ['1d', undefined],
  ])('durationSeconds(%j) = %j', (text, seconds) => {
    expect(durationSeconds(text)).toBe(seconds);
  });

  it('reads the last occurrence of a flag, in both spellings', () => {
    expect(flagValue(['--a=1', '--a', '2'], '--a')).toEqual({ value: '2', index: 1 });
    expect(flagValue(['--a'], '--a')).toEqual({ value: 'true', index: 0 });
    expect(flagValue(['--ab=1'], '--a')).toBeUndefined();
  });
});
