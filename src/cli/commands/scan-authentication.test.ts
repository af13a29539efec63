import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { memoryIO } from '../io.js';
import { main } from '../main.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'palisade-authn-'));
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

/** kubeadm's API server static pod; its container is line 9, the flags start at line 13. */
const apiServer = (...flags: string[]): string =>
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
    ...flags.map((f) => `    - ${f}`),
    '',
  ].join('\n');

const authn = (...anonymous: string[]): string =>
  [
    'apiVersion: apiserver.config.k8s.io/v1beta1',
    'kind: AuthenticationConfiguration',
    ...(anonymous.length > 0 ? ['anonymous:', ...anonymous.map((l) => `  ${l}`)] : ['jwt: []']),
    '',
  ].join('\n');

const WITH_FILE = '--authentication-config=/etc/kubernetes/authn.yaml';

interface Report {
  findings: {
    controlId: string;
    message: string;
    location?: { file: string; line: number; column: number };
  }[];
}

async function scan(name: string, files: Record<string, string>): Promise<[string, number, number][]> {
  const dir = path.join(tmp, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(path.join(dir, file), text);
  const io = memoryIO({ cwd: dir });
  await main(['scan', '.', '-o', 'json', '--fail-on', 'none'], io);
  return (JSON.parse(io.out()) as Report).findings
    .filter((f) => f.controlId === 'auth/no-anonymous-auth')
    .map((f) => [f.location?.file ?? '', f.location?.line ?? 0, f.location?.column ?? 0]);
}

// Issue #20: with --authentication-config the API server was judged by the flag's default only.
describe('palisade scan: anonymous access from the AuthenticationConfiguration', () => {
  it.each([
    [
      'the file disables anonymous requests',
      { 'pod.yaml': apiServer(WITH_FILE), 'authn.yaml': authn('enabled: false') },
      [],
    ],
    [
      'the file enables them without conditions',
      { 'pod.yaml': apiServer(WITH_FILE), 'authn.yaml': authn('enabled: true') },
      [['authn.yaml', 4, 3]],
    ],
    [
      'the file limits them to health endpoints',
      {
        'pod.yaml': apiServer(WITH_FILE),
        'authn.yaml': authn('enabled: true', 'conditions:', '- path: /healthz'),
      },
      [],
    ],
    [
      'the file opens /api',
      {
        'pod.yaml': apiServer(WITH_FILE),
        'authn.yaml': authn('enabled: true', 'conditions:', '- path: /readyz', '- path: /api'),
      },
      [['authn.yaml', 7, 5]],
    ],
    [
      'the flag and the section together',
      { 'pod.yaml': apiServer(WITH_FILE, '--anonymous-auth=false'), 'authn.yaml': authn('enabled: false') },
      [['pod.yaml', 14, 7]],
    ],
    ['a lone configuration enabling them', { 'authn.yaml': authn('enabled: true') }, [['authn.yaml', 4, 3]]],
    [
      'no anonymous section: the flag default',
      { 'pod.yaml': apiServer(WITH_FILE), 'authn.yaml': authn() },
      [['pod.yaml', 9, 5]],
    ],
  ] as const)('%s', async (name, files, expected) => {
    expect(await scan(name.replace(/\W+/g, '-'), files)).toEqual(expected);
  });

  it('names the file the answer depends on when it is not among the inputs', async () => {
    const dir = path.join(tmp, 'not-visible');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'pod.yaml'), apiServer(WITH_FILE));
    const io = memoryIO({ cwd: dir });
    expect(await main(['scan', '.', '-o', 'json'], io)).toBe(1);
    const messages = (JSON.parse(io.out()) as Report).findings
      .filter((f) => f.controlId === 'auth/no-anonymous-auth')
      .map((f) => f.message);
    expect(messages).toEqual([
      'kube-apiserver does not set --anonymous-auth=false: anonymous requests are allowed by default unless the anonymous section of /etc/kubernetes/authn.yaml (not visible to this scan) says otherwise',
    ]);
  });
});
