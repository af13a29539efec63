import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { memoryIO } from '../io.js';
import { main } from '../main.js';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'palisade-policy-cli-'));
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

function write(rel: string, text: string): string {
  const f = path.join(tmp, rel);
  mkdirSync(path.dirname(f), { recursive: true });
  writeFileSync(f, text);
  return f;
}

const POLICY = `apiVersion: palisade.dev/v1alpha1
kind: CELPolicy
metadata:
  name: no-latest
spec:
  severity: high
  matchConstraints:
    resourceRules:
      - { apiGroups: [''], apiVersions: [v1], operations: [CREATE], resources: [pods] }
  validations:
    - expression: "object.spec.containers.all(c, !c.image.endsWith(':latest'))"
      messageExpression: "'latest: ' + object.spec.containers.filter(c, c.image.endsWith(':latest')).map(c, c.name).join(', ')"
      fieldPath: spec.containers
`;

describe('palisade policy test', () => {
  it('passes on the shipped examples with the summary line', async () => {
    const io = memoryIO({ cwd: repoRoot });
    const code = await main(['policy', 'test', 'examples/policies', '-q'], io);
    expect(io.err()).toBe('');
    expect(io.out()).toMatch(/^\d+ passed, 0 failed$/m);
    const passed = Number(/^(\d+) passed/m.exec(io.out())?.[1]);
    expect(passed).toBeGreaterThanOrEqual(60);
    expect(code).toBe(0);
  });

  it.each<[string, string, number, RegExp]>([
    [
      'a wrong expectation fails with exit 1',
      `apiVersion: palisade.dev/v1alpha1
kind: PolicyTest
metadata: { name: wrong }
policies: [../policy.yaml]
cases:
  - name: latest passes (wrongly)
    object: { apiVersion: v1, kind: Pod, metadata: { name: p, namespace: a }, spec: { containers: [{ name: c, image: 'x:latest' }] } }
    expect: pass
  - name: latest fails
    object: { apiVersion: v1, kind: Pod, metadata: { name: p, namespace: a }, spec: { containers: [{ name: c, image: 'x:latest' }] } }
    expect: fail
    message: 'latest: c'
`,
      1,
      /FAIL wrong › latest passes \(wrongly\): expected pass, got Deny by no-latest: latest: c\nPASS wrong › latest fails\n1 passed, 1 failed/,
    ],
    [
      'an invalid suite is an input error (exit 2)',
      `apiVersion: palisade.dev/v1alpha1
kind: PolicyTest
metadata: { name: bad }
policies: []
cases: []
`,
      2,
      /0 passed, 0 failed/,
    ],
  ])('%s', async (_n, suite, exit, out) => {
    write('cli/policy.yaml', POLICY);
    const dir = path.join('cli', _n.replace(/\W+/g, '-'));
    write(path.join(dir, 'x.test.yaml'), suite);
    const io = memoryIO({ cwd: tmp });
    const code = await main(['policy', 'test', dir], io);
    expect(io.out()).toMatch(out);
    expect(code).toBe(exit);
  });

  it('reports compile errors of a suite policy with file and line', async () => {
    write('broken/policy.yaml', POLICY.replace("!c.image.endsWith(':latest'))", '!c.image.endsWith('));
    write(
      'broken/broken.test.yaml',
      `apiVersion: palisade.dev/v1alpha1
kind: PolicyTest
metadata: { name: broken }
policies: [policy.yaml]
cases:
  - { name: any, object: { apiVersion: v1, kind: Pod, metadata: { name: p }, spec: { containers: [] } }, expect: pass }
`,
    );
    const io = memoryIO({ cwd: tmp });
    const code = await main(['policy', 'test', 'broken'], io);
    expect(io.err()).toMatch(
      /^broken\/policy\.yaml:11:\d+: CELPolicy no-latest: spec\.validations\[0\]\.expression: compilation failed/m,
    );
    expect(io.out()).toContain('0 passed, 1 failed');
    expect(code).toBe(2);
  });
});

describe('palisade policy export', () => {
  it('writes a native ValidatingAdmissionPolicy and binding for a CELPolicy', async () => {
    write('export/policy.yaml', POLICY);
    const io = memoryIO({ cwd: tmp });
    const code = await main(['policy', 'export', 'export/policy.yaml'], io);
    expect(code).toBe(0);
    const docs = parseAllDocuments(io.out()).map(
      (d) => d.toJS() as { kind: string; spec: Record<string, unknown>; metadata: Record<string, unknown> },
    );
    expect(docs.map((d) => d.kind)).toEqual([
      'ValidatingAdmissionPolicy',
      'ValidatingAdmissionPolicyBinding',
    ]);
    expect(docs[0]?.metadata.annotations).toEqual({ 'palisade.dev/severity': 'high' });
    expect(JSON.stringify(docs[0]?.spec)).not.toContain('fieldPath');
    expect(docs[1]?.spec).toEqual({ policyName: 'no-latest', validationActions: ['Deny'] });
  });

  it('fails with exit 2 on a policy that does not compile', async () => {
    write(
      'export-bad/policy.yaml',
      POLICY.replace('severity: high', 'severity: high\n  failurePolicy: Maybe'),
    );
    const io = memoryIO({ cwd: tmp });
    expect(await main(['policy', 'export', 'export-bad'], io)).toBe(2);
    expect(io.err()).toContain('spec.failurePolicy');
  });
});

describe('palisade scan --policy', () => {
  it('reports policy findings with controlId policy/<name>/<index> at the field of the pod template', async () => {
    write('scan/policies/no-latest.yaml', POLICY);
    write(
      'scan/deploy/web.yaml',
      `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
        - name: web
          image: nginx:latest
`,
    );
    const io = memoryIO({ cwd: path.join(tmp, 'scan') });
    const code = await main(
      ['scan', 'deploy', '--policy', 'policies', '-o', 'json', '--fail-on', 'none', '-q'],
      io,
    );
    const report = JSON.parse(io.out()) as {
      findings: {
        controlId: string;
        message: string;
        severity: string;
        location?: { file: string; line: number };
      }[];
    };
    const f = report.findings.find((x) => x.controlId.startsWith('policy/'));
    expect(f).toMatchObject({
      controlId: 'policy/no-latest/0',
      message: 'latest: web',
      severity: 'high',
      location: { file: 'deploy/web.yaml', line: 11 },
    });
    expect(code).toBe(0);
    const off = memoryIO({ cwd: path.join(tmp, 'scan') });
    await main(
      [
        'scan',
        'deploy',
        '--policy',
        'policies',
        '--no-policy-autogen',
        '-o',
        'json',
        '--fail-on',
        'none',
        '-q',
      ],
      off,
    );
    const offReport = JSON.parse(off.out()) as { findings: { controlId: string }[] };
    expect(offReport.findings.filter((x) => x.controlId.startsWith('policy/'))).toEqual([]);
  });

  it("authorizer checks are answered from the scanned RBAC objects (the demo's CI runner)", async () => {
    const io = memoryIO({ cwd: repoRoot });
    const code = await main(
      [
        'scan',
        'examples/demo-cluster',
        '--policy',
        'examples/policies/no-secret-reading-pods',
        '-o',
        'json',
        '--fail-on',
        'none',
        '-q',
      ],
      io,
    );
    const report = JSON.parse(io.out()) as {
      findings: {
        controlId: string;
        message: string;
        resource: { namespace?: string; name: string };
        location?: { file: string; line: number };
      }[];
      inputErrors: unknown[];
    };
    expect(io.err()).toBe('');
    expect(report.inputErrors).toEqual([]);
    // ops/ci-runner is bound to cluster-admin; no other workload's ServiceAccount reads Secrets.
    const found = report.findings.filter((f) => f.controlId.startsWith('policy/no-secret-reading-pods'));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      controlId: 'policy/no-secret-reading-pods/0',
      message: 'service account ci-runner can read Secrets in namespace ops and every namespace',
      resource: { namespace: 'ops', name: 'ci-runner' },
      location: { file: 'examples/demo-cluster/ops/ops.yaml', line: 32 },
    });
    expect(code).toBe(0);
  });

  it('a policy that does not compile is an input error (exit 2)', async () => {
    write('scan2/policies/bad.yaml', POLICY.replace("'latest: '", "'latest: ' +"));
    write(
      'scan2/deploy/pod.yaml',
      'apiVersion: v1\nkind: Pod\nmetadata: { name: p }\nspec: { containers: [] }\n',
    );
    const io = memoryIO({ cwd: path.join(tmp, 'scan2') });
    const code = await main(['scan', 'deploy', '--policy', 'policies', '-o', 'json', '-q'], io);
    const report = JSON.parse(io.out()) as {
      inputErrors: { file: string; line?: number; message: string }[];
    };
    expect(report.inputErrors[0]).toMatchObject({ file: 'policies/bad.yaml', line: 12 });
    expect(report.inputErrors[0]?.message).toContain('spec.validations[0].messageExpression');
    expect(code).toBe(2);
  });
});
