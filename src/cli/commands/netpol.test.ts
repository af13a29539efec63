import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryIO } from '../io.js';
import { main } from '../main.js';

const NET = path.resolve(import.meta.dirname, '../../network/testdata');

async function run(
  args: string[],
  cwd = NET,
  stdin?: string,
): Promise<{ code: number; out: string; err: string; files: Map<string, string> }> {
  const io = memoryIO({ cwd, ...(stdin !== undefined ? { stdin } : {}) });
  const code = await main(args, io);
  return { code, out: io.out(), err: io.err(), files: io.files };
}

describe('palisade netpol matrix', () => {
  it.each([
    [
      'text',
      (o: string) => o.includes('shop/frontend[Deployment] => shop/payments-db[StatefulSet] : TCP 5432\n'),
    ],
    [
      'json',
      (o: string) => (JSON.parse(o) as { src: string; conn: string }[]).some((l) => l.conn === 'TCP 5432'),
    ],
    ['csv', (o: string) => o.startsWith('src,dst,conn\n') && o.includes(',TCP 5432\n')],
    ['dot', (o: string) => o.startsWith('digraph {') && o.includes('subgraph "cluster_shop"')],
    ['html', (o: string) => o.startsWith('<!doctype html>') && o.includes('<canvas')],
  ])('-o %s', async (format, check) => {
    const r = await run(['netpol', 'matrix', 'diff/head', '-o', format]);
    expect(r.code).toBe(0);
    expect(check(r.out)).toBe(true);
  });

  it('text, JSON and CSV list the same lines in order, ingress controller lines merged in', async () => {
    // Enough workloads for the output to span several written chunks.
    const docs = [
      'apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}',
      ...Array.from(
        { length: 60 },
        (_, i) =>
          `apiVersion: v1\nkind: Pod\nmetadata: {name: web-${i}, namespace: shop, labels: {app: web}}\n` +
          `spec: {containers: [{name: c, image: i, ports: [{name: http, containerPort: 8080}]}]}`,
      ),
      'apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\n' +
        'spec: {selector: {app: web}, ports: [{port: 80, targetPort: http}]}',
      'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web, namespace: shop}\n' +
        'spec: {rules: [{http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}}]}',
      'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: shop}\n' +
        'spec: {podSelector: {}, ingress: [{ports: [{port: http}]}]}',
    ].join('\n---\n');
    const text = await run(['netpol', 'matrix', '-', '--granularity', 'pod'], NET, docs);
    const json = await run(['netpol', 'matrix', '-', '--granularity', 'pod', '-o', 'json'], NET, docs);
    const csv = await run(['netpol', 'matrix', '-', '--granularity', 'pod', '-o', 'csv'], NET, docs);
    const file = await run(
      ['netpol', 'matrix', '-', '--granularity', 'pod', '--output-file', 'm.txt'],
      NET,
      docs,
    );
    expect([text.code, json.code, csv.code, file.code]).toEqual([0, 0, 0, 0]);
    const lines = text.out.trim().split('\n');
    // 60 pods reach each other on TCP 8080, the outside reaches each (no `from`), each
    // reaches the outside (no egress policy), and so does the controller.
    expect(lines.length).toBe(60 * 59 + 3 * 60);
    expect(text.out.length).toBeGreaterThan(1 << 16);
    const key = (l: string): [string, string] => {
      const [src = '', rest = ''] = l.split(' => ');
      return [src, rest.split(' : ')[0] ?? ''];
    };
    for (let i = 1; i < lines.length; i++) {
      const [a, b] = [key(lines[i - 1] ?? ''), key(lines[i] ?? '')];
      expect(a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]), `${lines[i - 1]} before ${lines[i]}`).toBe(true);
    }
    expect(lines.at(-1)).toBe('{ingress-controller} => shop/web-9[Pod] : TCP 8080');
    const fromJson = (JSON.parse(json.out) as { src: string; dst: string; conn: string }[]).map(
      (l) => `${l.src} => ${l.dst} : ${l.conn}`,
    );
    expect(fromJson).toEqual(lines);
    const fromCsv = csv.out
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(','))
      .map(([s = '', d = '', c = '']) => `${s} => ${d} : ${c}`);
    expect(fromCsv).toEqual(lines);
    expect(file.files.get(path.join(NET, 'm.txt'))).toBe(text.out);
  });

  it('-n keeps connections from or to the namespace', async () => {
    const r = await run(['netpol', 'matrix', 'generate/app.yaml', '-n', 'pay']);
    const lines = r.out.trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l.includes('pay/'))).toBe(true);
  });

  it('--cluster with paths, or a missing snapshot, is a clear error', async () => {
    const withPaths = await run(['netpol', 'matrix', '--cluster', 'x.yaml']);
    expect(withPaths.code).toBe(2);
    expect(withPaths.err).toMatch(/paths cannot be given with --cluster/);
    const missing = await run(['netpol', 'matrix', '--snapshot', 'missing.json.gz']);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/missing\.json\.gz/);
  });

  it('an invalid policy is reported with file:line and the rest is analysed', async () => {
    const bad = [
      'apiVersion: networking.k8s.io/v1',
      'kind: NetworkPolicy',
      'metadata: { name: bad, namespace: shop }',
      'spec:',
      '  podSelector: {}',
      '  ingress:',
      '    - ports:',
      '        - port: http',
      '          endPort: 90',
      '---',
      'apiVersion: v1',
      'kind: Pod',
      'metadata: { name: p, namespace: shop }',
      'spec: { containers: [{ name: c, image: i:1 }] }',
    ].join('\n');
    const r = await run(['netpol', 'matrix', '-'], NET, bad);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^<stdin>:9:\d+: NetworkPolicy shop\/bad spec\.ingress\[0\]\.ports\[0\]\.endPort/m);
    expect(r.out).toContain('shop/p[Pod] => 0.0.0.0-255.255.255.255[External] : All Connections');
  });
});

describe('palisade netpol query', () => {
  it.each([
    [
      ['--from', 'shop/frontend', '--to', 'shop/payments-db', '--port', '5432'],
      0,
      /ALLOWED[\s\S]*db-ingress spec\.ingress\[1\]/,
    ],
    [['--from', 'shop/frontend', '--to', 'shop/payments-db', '--port', 'udp/5432'], 1, /DENIED/],
    [['--from', '8.8.8.8', '--to', 'shop/payments'], 1, /no rule of these policies matches/],
    [['--from', 'shop/payments-db', '--to', '1.1.1.1', '--port', '443'], 0, /not isolated/],
  ])('%j exits %i', async (flags, code, pattern) => {
    const r = await run(['netpol', 'query', 'diff/head', ...flags]);
    expect(r.code).toBe(code);
    expect(r.out).toMatch(pattern);
  });

  it('an unknown peer is a usage error with suggestions', async () => {
    const r = await run(['netpol', 'query', 'diff/head', '--from', 'shop/front', '--to', 'shop/payments']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/did you mean shop\/frontend\[Deployment\]/);
  });
});

describe('palisade netpol diff', () => {
  it('--fail-on-new-exposure exits 1 and SARIF points at the policy', async () => {
    const r = await run([
      'netpol',
      'diff',
      'diff/base',
      'diff/head',
      '--fail-on-new-exposure',
      '-o',
      'sarif',
    ]);
    expect(r.code).toBe(1);
    const sarif = JSON.parse(r.out) as {
      runs: { results: { locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[] }[];
    };
    expect(sarif.runs[0]?.results[0]?.locations[0]?.physicalLocation.artifactLocation.uri).toBe(
      'diff/head/policies.yaml',
    );
  });

  it('without the flag exits 0 and prints the sentence', async () => {
    const r = await run(['netpol', 'diff', 'diff/base', 'diff/head']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('NEW EXPOSURE: frontend can now reach payments-db on TCP 5432');
  });
});

describe('palisade netpol generate', () => {
  it('writes policies and the staged replay blocks nothing', async () => {
    const r = await run([
      'netpol',
      'generate',
      'generate/app.yaml',
      '--flows',
      'generate/flows.csv',
      '--staged',
      '--output-file',
      'out.yaml',
      '-q',
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('blocked observed flows: none');
    const yaml = r.files.get(path.join(NET, 'out.yaml')) ?? '';
    // 8 per-workload and default-deny policies, plus palisade-allow-dns in each of the 3 namespaces.
    expect(yaml.match(/kind: NetworkPolicy/g)).toHaveLength(11);
    expect(yaml).toContain('# DNS kept: palisade-allow-dns in kube-system, pay, shop');
  });

  it('prints YAML policies to stdout', async () => {
    const r = await run(['netpol', 'generate', 'generate/app.yaml', '--flows', 'generate/flows.csv']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('name: palisade-payments-db-statefulset');
  });

  it('bad flow lines are reported and set exit 2', async () => {
    const r = await run(
      ['netpol', 'generate', 'generate/app.yaml', '--flows', '-'],
      NET,
      'src,dst,port,protocol\nshop/frontend,shop/cart,http,TCP\n',
    );
    expect(r.code).toBe(2);
    expect(r.err).toContain('<stdin>:2: invalid port');
  });
});
