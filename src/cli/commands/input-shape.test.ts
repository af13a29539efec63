/**
 * Malformed objects of known kinds, through the real commands (issue 19's table): each is an
 * input error at its file, line and field path (exit 2), the rest of the input is still read,
 * and `scan`, `rbac` and `netpol` agree on what they read.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { memoryIO } from '../io.js';
import { main } from '../main.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'palisade-input-shape-'));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

let dirs = 0;
/** Writes files into a fresh folder and returns its path. */
function folder(files: Record<string, string>): string {
  const dir = path.join(root, `case-${dirs++}`);
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

async function run(args: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  const io = memoryIO({ cwd });
  const code = await main(args, io);
  return { code, out: io.out(), err: io.err() };
}

interface JsonReport {
  inputErrors: { file: string; line?: number; message: string }[];
  findings: { controlId: string; resource: { name: string } }[];
  resources: unknown[];
}

async function scanJson(cwd: string): Promise<{ code: number; report: JsonReport }> {
  const r = await run(['scan', '.', '-o', 'json', '--fail-on', 'none'], cwd);
  return { code: r.code, report: JSON.parse(r.out) as JsonReport };
}

const GOOD_POD = [
  'apiVersion: v1',
  'kind: Pod',
  'metadata: { name: good, namespace: shop, labels: { app: good } }',
  'spec:',
  '  containers:',
  '    - name: c',
  '      image: nginx:1.25',
  '      securityContext: { privileged: true }',
].join('\n');

describe('scan: wrong JSON types are located input errors', () => {
  it.each<[string, string, number, RegExp]>([
    [
      'ports: "x"',
      'apiVersion: v1\nkind: Pod\nmetadata: { name: p }\nspec:\n  containers:\n    - name: c\n      image: nginx:1\n      ports: "x"\n',
      8,
      /Pod p: spec\.containers\[0\]\.ports: expected a list, found a string/,
    ],
    [
      'spec: "hello"',
      'apiVersion: v1\nkind: Pod\nmetadata: { name: p }\nspec: "hello"\n',
      4,
      /Pod p: spec: expected a mapping/,
    ],
    [
      'a List with items: "x"',
      'apiVersion: v1\nkind: List\nitems: "x"\n',
      3,
      /items: expected a list of objects/,
    ],
    [
      'a numeric metadata.name',
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: 42\ndata: { a: b }\n',
      4,
      /metadata\.name: expected a string, found a number/,
    ],
    [
      'apiVersion: v999/garbage on a Pod',
      'apiVersion: v999/garbage\nkind: Pod\nmetadata: { name: g }\nspec: { containers: [{ name: c, image: nginx, securityContext: { privileged: true } }] }\n',
      1,
      /unknown apiVersion "v999\/garbage" for kind Pod/,
    ],
  ])('%s', async (_, manifest, line, message) => {
    const dir = folder({ 'bad.yaml': manifest, 'good.yaml': GOOD_POD });
    const { code, report } = await scanJson(dir);
    expect(code).toBe(2);
    const errors = report.inputErrors.filter((e) => e.file === 'bad.yaml');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.line).toBe(line);
    expect(errors[0]?.message).toMatch(message);
    expect(report.inputErrors.some((e) => e.message.includes('failed to evaluate'))).toBe(false);
    // The other file is still scanned.
    expect(
      report.findings.some((f) => f.controlId === 'workload/no-privileged' && f.resource.name === 'good'),
    ).toBe(true);
    // An unknown apiVersion is not scanned as a Pod.
    expect(report.findings.some((f) => f.resource.name === 'g')).toBe(false);
  });

  it('the other fields of an object with a wrong field are still checked', async () => {
    const dir = folder({
      'pod.yaml':
        'apiVersion: v1\nkind: Pod\nmetadata: { name: p }\nspec:\n  containers:\n    - name: c\n      image: nginx:1\n      ports: "x"\n      securityContext: { privileged: true }\n',
    });
    const { code, report } = await scanJson(dir);
    expect(code).toBe(2);
    expect(
      report.findings.some((f) => f.controlId === 'workload/no-privileged' && f.resource.name === 'p'),
    ).toBe(true);
  });
});

describe('scan: special files in a scanned directory', () => {
  const fifoSupported = process.platform !== 'win32';

  it.runIf(fifoSupported)('a FIFO (also behind a link) is an input error and is never opened', async () => {
    const dir = folder({ 'good.yaml': GOOD_POD });
    execFileSync('mkfifo', [path.join(dir, 'pipe.yaml'), path.join(root, `outside-${dirs}.fifo`)]);
    symlinkSync(path.join(root, `outside-${dirs}.fifo`), path.join(dir, 'link.yaml'));
    const { code, report } = await scanJson(dir);
    expect(code).toBe(2);
    const messages = report.inputErrors.map((e) => `${e.file}: ${e.message}`);
    expect(messages).toEqual([
      expect.stringMatching(/^link\.yaml: a named pipe \(FIFO\), not a regular file/),
      expect.stringMatching(/^pipe\.yaml: a named pipe \(FIFO\), not a regular file/),
    ]);
    expect(report.resources).toHaveLength(1);
  });
});

const RBAC = [
  'apiVersion: rbac.authorization.k8s.io/v1',
  'kind: ClusterRole',
  'metadata: { name: all-string }',
  'rules: "all"',
  '---',
  'apiVersion: rbac.authorization.k8s.io/v1',
  'kind: ClusterRole',
  'metadata: { name: verbs-string }',
  'rules:',
  '  - apiGroups: [""]',
  '    resources: ["secrets"]',
  '    verbs: "*"',
  '---',
  'apiVersion: rbac.authorization.k8s.io/v1',
  'kind: ClusterRoleBinding',
  'metadata: { name: to-alice }',
  'roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: verbs-string }',
  'subjects:',
  '  - null',
  '  - { kind: User, name: alice }',
  '---',
  'apiVersion: rbac.authorization.k8s.io/v1',
  'kind: ClusterRole',
  'metadata: { name: agg }',
  'aggregationRule:',
  '  clusterRoleSelectors:',
  '    - matchExpressions:',
  '        - { key: tier, operator: Matches, values: [x] }',
  'rules: []',
  '',
].join('\n');

describe('rbac: malformed rules are input errors, and scan reads the same', () => {
  const expected = [
    /^palisade: rbac\.yaml:4: ClusterRole all-string: rules: expected a list, found a string$/m,
    /^palisade: rbac\.yaml:12: ClusterRole verbs-string: rules\[0\]\.verbs: expected a list, found a string$/m,
    /^palisade: rbac\.yaml:19: ClusterRoleBinding to-alice: subjects\[0\]: expected a mapping, found null/m,
    /^palisade: rbac\.yaml:28: ClusterRole agg: aggregationRule\.clusterRoleSelectors\[0\]\.matchExpressions\[0\]\.operator: expected one of In, NotIn, Exists, DoesNotExist, found "Matches"$/m,
  ];

  it.each([[['rbac', 'who-can', 'get', 'secrets', 'rbac.yaml']], [['rbac', 'paths', 'rbac.yaml']]])(
    '%j exits 2 and names each rule',
    async (args) => {
      const dir = folder({ 'rbac.yaml': RBAC });
      const r = await run(args, dir);
      expect(r.code).toBe(2);
      for (const m of expected) expect(r.err).toMatch(m);
    },
  );

  it('scan reports the same rules at the same lines and flags none of them', async () => {
    const dir = folder({ 'rbac.yaml': RBAC });
    const { code, report } = await scanJson(dir);
    expect(code).toBe(2);
    expect(report.inputErrors.map((e) => e.line)).toEqual([4, 12, 19, 28]);
    expect(report.findings.filter((f) => f.resource.name === 'verbs-string')).toEqual([]);
  });
});

const PODS_WITH_EMPTY_PORTS = JSON.stringify({
  apiVersion: 'v1',
  kind: 'List',
  items: [
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'a', namespace: 'x', labels: { app: 'a' } },
      spec: { containers: [{ name: 'c', image: 'i', ports: {} }] },
    },
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'b', namespace: 'x', labels: { app: 'b' } },
      spec: { containers: [{ name: 'c', image: 'i', ports: [{ name: 'http', containerPort: 80 }] }] },
    },
  ],
});

describe('netpol: malformed containers and foreign files', () => {
  it('ports: {} is a located input error; matrix still prints the connections', async () => {
    const dir = folder({ 'pods.json': PODS_WITH_EMPTY_PORTS });
    const r = await run(['netpol', 'matrix', '.'], dir);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /^pods\.json:1:\d+: Pod x\/a: spec\.containers\[0\]\.ports: expected a list, found a mapping$/m,
    );
    expect(r.out).toContain('x/a[Pod] => x/b[Pod] : All Connections');
  });

  it('ports: {} does not stop diff', async () => {
    const dir = folder({ 'base/pods.json': PODS_WITH_EMPTY_PORTS, 'head/pods.json': PODS_WITH_EMPTY_PORTS });
    const r = await run(['netpol', 'diff', 'base', 'head'], dir);
    expect(r.code).toBe(2);
    expect(r.out).toContain('0 added, 0 removed, 0 changed, 0 with new exposure');
    expect(r.err).toMatch(/^head\/pods\.json:1:\d+: Pod x\/a: spec\.containers\[0\]\.ports/m);
  });

  it('diff reports a non-Kubernetes JSON file and goes on, like matrix', async () => {
    const dir = folder({
      'base/pods.json': PODS_WITH_EMPTY_PORTS.replace('"ports":{}', '"ports":[]'),
      'head/pods.json': PODS_WITH_EMPTY_PORTS.replace('"ports":{}', '"ports":[]'),
      'head/package.json': '{ "name": "app", "version": "1.0.0" }\n',
      'head/policy.yaml': [
        'apiVersion: networking.k8s.io/v1',
        'kind: NetworkPolicy',
        'metadata: { name: deny, namespace: x }',
        'spec: { podSelector: {}, policyTypes: [Ingress] }',
      ].join('\n'),
    });
    const r = await run(['netpol', 'diff', 'base', 'head'], dir);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^head\/package\.json:1:1: not a Kubernetes object/m);
    expect(r.out).toMatch(/removed +x\/a\[Pod\] => x\/b\[Pod\]/);
  });
});

describe('snapshots', () => {
  it('objects of a snapshot are checked like manifests', async () => {
    const snapshot = {
      apiVersion: 'palisade.dev/v1',
      kind: 'ClusterSnapshot',
      createdAt: '2026-01-01T00:00:00.000Z',
      source: { server: 'https://127.0.0.1:6443', context: 'test' },
      facts: {},
      types: [],
      errors: [],
      objects: [
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'p', namespace: 'shop' },
          spec: {
            containers: [{ name: 'c', image: 'nginx:1', ports: 'x', securityContext: { privileged: true } }],
          },
        },
      ],
    };
    const dir = folder({ 'snap.json': JSON.stringify(snapshot) });
    const r = await run(['scan', '--snapshot', 'snap.json', '-o', 'json', '--fail-on', 'none'], dir);
    expect(r.code).toBe(2);
    const report = JSON.parse(r.out) as JsonReport;
    expect(report.inputErrors).toEqual([
      { file: 'snap.json', message: 'Pod shop/p: spec.containers[0].ports: expected a list, found a string' },
    ]);
    expect(report.findings.some((f) => f.controlId === 'workload/no-privileged')).toBe(true);
  });
});
