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

  // Issue #20 (one output convention): -n/-A where namespaces apply; generate had neither.
  it('-n keeps the policies of that namespace, shaped by every flow, and the replay judges what is kept', async () => {
    const all = await run([
      'netpol',
      'generate',
      'generate/app.yaml',
      '--flows',
      'generate/flows.csv',
      '-A',
      '-o',
      'json',
      '-q',
    ]);
    const pay = await run([
      'netpol',
      'generate',
      'generate/app.yaml',
      '--flows',
      'generate/flows.csv',
      '-n',
      'pay',
      '-o',
      'json',
      '--staged',
      '-q',
    ]);
    expect([all.code, pay.code]).toEqual([0, 0]);
    type List = { items: { metadata: { name: string; namespace: string } }[] };
    const everyNs = (JSON.parse(all.out) as List).items;
    const payOnly = (JSON.parse(pay.out.slice(0, pay.out.lastIndexOf('}') + 1)) as List).items;
    expect(new Set(everyNs.map((p) => p.metadata.namespace))).toEqual(
      new Set(['kube-system', 'pay', 'shop']),
    );
    expect(payOnly.length).toBeGreaterThan(0);
    expect(payOnly).toEqual(everyNs.filter((p) => p.metadata.namespace === 'pay'));
    expect(pay.out + pay.err).toContain('blocked observed flows: none');
  });

  it.each([
    [['-n', 'nowhere'], 'no policy generated in namespace nowhere'],
    [['-n', 'pay', '-A'], '-n/--namespace and -A/--all-namespaces cannot be used together'],
  ])('generate %j exits 2', async (extra, message) => {
    const r = await run([
      'netpol',
      'generate',
      'generate/app.yaml',
      '--flows',
      'generate/flows.csv',
      ...extra,
    ]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
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

const DEMO = path.resolve(import.meta.dirname, '../../../examples/demo-cluster');
const DEMO_FLOWS = 'flows/hubble-flows.jsonl';

describe('palisade netpol flows (the demo cluster)', () => {
  it('aggregates the Hubble export to workloads, replies and within-workload traffic left out', async () => {
    const r = await run(['netpol', 'flows', DEMO_FLOWS, '.'], DEMO);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('Observed connections: 19 flow(s) between 12 pair(s)');
    expect(r.out).toContain(
      'storefront/web[Deployment] => storefront/catalog-api[Deployment] : TCP 8080  (3 flows)\n',
    );
    expect(r.out).toContain(
      'checkout/cart-api[Deployment] => kube-system/coredns[Deployment] : UDP 53  (1 flow)\n',
    );
    expect(r.out).toContain('Not in the manifests, seen in the flows: kube-system/coredns[Deployment]');
    expect(r.out).not.toContain('least-privilege gap');
  });

  it('--against-policy marks the blocked payment-provider call and lists the gap', async () => {
    const r = await run(['netpol', 'flows', DEMO_FLOWS, '.', '--against-policy'], DEMO);
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      'checkout/payments-api[Deployment] => 203.0.113.50[External] : TCP 443  (2 flows)  denied\n',
    );
    expect(r.out).toContain(
      'checkout/cart-api[Deployment] => data/redis[StatefulSet] : TCP 6379  (2 flows)  allowed\n',
    );
    expect(r.out).toContain('Denied by the current policies: 1 observed pair(s)');
    // Allowed by postgres-allow-all-namespaces (W10), never used.
    expect(r.out).toMatch(
      /least-privilege gap\): \d+ pair\(s\)[\s\S]*\n {2}ops\/ci-runner\[Deployment\] => data\/postgres\[StatefulSet\] : TCP 5432\n/,
    );
    // Observed pairs are not part of the gap.
    expect(r.out).not.toContain('  checkout/cart-api[Deployment] => data/redis[StatefulSet]');
  });

  it('writes several formats at once, -n keeps one namespace', async () => {
    const r = await run(
      [
        'netpol',
        'flows',
        DEMO_FLOWS,
        '.',
        '--against-policy',
        '-n',
        'checkout',
        '-o',
        'json',
        '-o',
        'html=t.html',
        '-o',
        'dot=t.dot',
        '-o',
        'csv=t.csv',
      ],
      DEMO,
    );
    const json = JSON.parse(r.out) as {
      pairs: { src: string; dst: string; verdict: string }[];
      gap: unknown[];
    };
    expect(json.pairs.every((p) => p.src.startsWith('checkout/') || p.dst.startsWith('checkout/'))).toBe(
      true,
    );
    expect(json.pairs.filter((p) => p.verdict === 'denied')).toHaveLength(1);
    expect(r.files.get(path.join(DEMO, 't.html'))).toMatch(
      /<canvas[\s\S]*partly denied|<canvas[\s\S]*denied/,
    );
    expect(r.files.get(path.join(DEMO, 't.dot'))).toContain('style="dashed"');
    expect(r.files.get(path.join(DEMO, 't.csv'))).toContain(
      'denied,checkout/payments-api[Deployment],203.0.113.50[External],TCP 443,2',
    );
  });

  it('reads the flows without manifests', async () => {
    const r = await run(['netpol', 'flows', DEMO_FLOWS, '-o', 'csv'], DEMO);
    expect(r.code).toBe(0);
    expect(r.out).toContain('observed,storefront/web[Deployment],checkout/cart-api[Deployment],TCP 8080,2');
  });

  it.each([
    [['netpol', 'flows', '.'], /no flow export given/],
    [['netpol', 'flows', DEMO_FLOWS, '--against-policy'], /--against-policy needs the manifests/],
    [['netpol', 'flows', DEMO_FLOWS, '-o', 'pdf'], /unknown output format "pdf"/],
    [['netpol', 'flows', DEMO_FLOWS, '-n', 'x', '-A'], /cannot be used together/],
  ])('%j is a usage error', async (args, message) => {
    const r = await run(args, DEMO);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });

  it('an export with no readable flow is an input error, not an empty report', async () => {
    const r = await run(['netpol', 'flows', '-', '.'], DEMO, 'src,dst,port\n');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no flow could be read/);
  });
});

describe('netpol output convention', () => {
  it('matrix takes -o table (alias text), yaml and FORMAT=FILE, repeatable', async () => {
    const r = await run(['netpol', 'matrix', 'diff/head', '-o', 'text', '-o', 'yaml=m.yaml']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('shop/frontend[Deployment] => shop/payments-db[StatefulSet] : TCP 5432\n');
    expect(r.files.get(path.join(NET, 'm.yaml'))).toContain('conn: TCP 5432');
  });

  it('diff and query take yaml', async () => {
    const d = await run(['netpol', 'diff', 'diff/base', 'diff/head', '-o', 'yaml']);
    expect(d.out).toContain('newExposure: 1');
    const q = await run([
      'netpol',
      'query',
      'diff/head',
      '--from',
      'shop/frontend',
      '--to',
      'shop/payments-db',
      '-o',
      'yaml',
    ]);
    expect(q.out).toContain('verdict: allowed');
  });

  it('-A is accepted on matrix (every namespace, the default)', async () => {
    const r = await run(['netpol', 'matrix', 'diff/head', '-A']);
    expect(r.code).toBe(0);
  });
});

describe('palisade netpol generate --staged', () => {
  it('without --output-file prints the policies, then the replay as YAML comments', async () => {
    const r = await run([
      'netpol',
      'generate',
      'generate/app.yaml',
      '--flows',
      'generate/flows.csv',
      '--staged',
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('name: palisade-payments-db-statefulset');
    expect(r.out).toContain('name: palisade-allow-dns');
    expect(r.out).toMatch(
      /\n# Staged replay of 9 observed flow\(s\)[^\n]*\n# {3}blocked observed flows: none\n/,
    );
    expect(r.err).toMatch(/note: DNS kept: palisade-allow-dns/);
  });

  it('reports a DNS flow to a peer outside the manifests as replayed, not dropped', async () => {
    const flows =
      'src,dst,port,protocol\nshop/frontend,shop/cart,8080,TCP\nshop/frontend,10.96.0.10,53,UDP\n';
    const r = await run(['netpol', 'generate', 'diff/head', '--flows', '-', '--staged', '-q'], NET, flows);
    expect(r.out).toMatch(/# Staged replay of 2 observed flow\(s\)/);
    expect(r.out).toContain('# DNS kept:');
  });
});

describe('palisade netpol matrix --ipblock-matches-pods', () => {
  const docs = [
    'apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: x, labels: {app: a}}\nspec: {containers: [{name: c, image: i}]}\nstatus: {podIP: 10.0.0.5}',
    'apiVersion: v1\nkind: Pod\nmetadata: {name: b, namespace: x, labels: {app: b}}\nspec: {containers: [{name: c, image: i}]}',
    'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: x}\n' +
      'spec: {podSelector: {matchLabels: {app: b}}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/24}}]}]}',
  ].join('\n---\n');

  it('applies CIDR rules to pod IPs only when asked', async () => {
    const off = await run(['netpol', 'matrix', '-'], NET, docs);
    expect(off.out).not.toContain('x/a[Pod] => x/b[Pod]');
    const on = await run(['netpol', 'matrix', '-', '--ipblock-matches-pods'], NET, docs);
    expect(on.out).toContain('x/a[Pod] => x/b[Pod] : All Connections');
  });
});
