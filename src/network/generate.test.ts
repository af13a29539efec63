import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseManifests } from '../load/index.js';
import { Inventory, type KubeObject } from '../core/index.js';
import { ConnSet } from './conn-set.js';
import { connList } from './connlist.js';
import { parseFlows } from './flows.js';
import { analysisWith, generatePolicies, stageGeneratedPolicies } from './generate.js';
import { inventoryOf, ns, pod } from './testing.js';

const DIR = path.join(import.meta.dirname, 'testdata/generate');

function inventory(): Inventory {
  const inv = new Inventory();
  for (const r of parseManifests(readFileSync(path.join(DIR, 'app.yaml'), 'utf8'), 'app.yaml').resources)
    inv.add(r);
  return inv;
}

const KINDS: Record<string, string> = {
  'shop/frontend': 'Deployment',
  'shop/cart': 'Deployment',
  'pay/payments': 'Deployment',
  'pay/payments-db': 'StatefulSet',
  'kube-system/coredns': 'Deployment',
};

function nameOf(e: string): string {
  const kind = KINDS[e];
  return kind ? `${e}[${kind}]` : `${e}-${e}[External]`;
}

describe('policies from flows', () => {
  const inv = inventory();
  const { flows, issues } = parseFlows(readFileSync(path.join(DIR, 'flows.csv'), 'utf8'), 'flows.csv');
  const generated = generatePolicies(inv, flows);

  it('reads every recorded flow', () => {
    expect(issues).toEqual([]);
    expect(flows).toHaveLength(9);
    expect(generated.skipped).toEqual([]);
  });

  it('allows every recorded flow and nothing else (checked with the matrix)', () => {
    const expected = new Map<string, ConnSet>();
    for (const line of readFileSync(path.join(DIR, 'flows.csv'), 'utf8').trim().split('\n').slice(1)) {
      const [src = '', dst = '', port = '', proto = ''] = line.split(',');
      const key = `${nameOf(src)} => ${nameOf(dst)}`;
      expected.set(
        key,
        (expected.get(key) ?? ConnSet.NONE).union(ConnSet.range(proto as 'TCP', Number(port))),
      );
    }
    const actual = connList(analysisWith(inv, generated.policies));
    expect(new Set(actual.map((l) => `${l.src} => ${l.dst} : ${l.conn.toString()}`))).toEqual(
      new Set([...expected].map(([k, c]) => `${k} : ${c.toString()}`)),
    );
  });

  it('the staged replay blocks no recorded flow', () => {
    const staged = stageGeneratedPolicies(inv, generated);
    expect(staged.blocked).toEqual([]);
    expect(staged.flowsReplayed).toBe(9);
    // Without policies before, every other path is closed: e.g. frontend can no longer reach the db.
    expect(
      staged.closed.some(
        (c) => c.src === 'shop/frontend[Deployment]' && c.dst === 'pay/payments-db[StatefulSet]',
      ),
    ).toBe(true);
  });

  it('adds a default deny per namespace and drops volatile labels from selectors', () => {
    const denies = generated.policies.filter((p) => p.metadata?.name === 'palisade-default-deny');
    expect(denies.map((p) => p.metadata?.namespace).sort()).toEqual(['kube-system', 'pay', 'shop']);
    const fe = generated.policies.find((p) => p.metadata?.name === 'palisade-frontend-deployment');
    expect((fe?.spec as { podSelector: unknown }).podSelector).toEqual({ matchLabels: { app: 'frontend' } });
  });

  it('honours the time window', () => {
    const g = generatePolicies(inv, flows, { since: '2026-11-30T10:00:03Z', until: '2026-11-30T10:01:00Z' });
    expect(g.flows).toHaveLength(3);
    expect(g.skipped).toHaveLength(6);
  });
});

describe('flow formats', () => {
  it.each([
    [
      'hubble',
      [
        JSON.stringify({
          flow: {
            time: '2026-11-30T10:00:00Z',
            IP: { source: '10.0.0.5', destination: '10.0.0.9' },
            l4: { TCP: { source_port: 40000, destination_port: 8080, flags: { SYN: true } } },
            source: {
              namespace: 'shop',
              pod_name: 'frontend-5d8f7c9b6d-abcde',
              workloads: [{ name: 'frontend', kind: 'Deployment' }],
            },
            destination: {
              namespace: 'shop',
              pod_name: 'cart-1',
              workloads: [{ name: 'cart', kind: 'Deployment' }],
            },
            is_reply: false,
          },
        }),
        JSON.stringify({
          flow: { l4: { TCP: { destination_port: 40000, flags: { ACK: true } } }, is_reply: true },
        }),
      ].join('\n'),
      {
        src: { namespace: 'shop', name: 'frontend-5d8f7c9b6d-abcde' },
        dst: { namespace: 'shop', name: 'cart-1' },
        port: 8080,
        protocol: 'TCP',
      },
    ],
    [
      'calico',
      JSON.stringify({
        start_time: 1764496800,
        source_ip: '-',
        source_name: '-',
        source_name_aggr: 'frontend-5d8f7c9b6d-*',
        source_namespace: 'shop',
        source_type: 'wep',
        dest_ip: '-',
        dest_name_aggr: 'coredns-*',
        dest_namespace: 'kube-system',
        dest_port: 53,
        proto: 'udp',
        action: 'allow',
        reporter: 'src',
      }),
      {
        src: { namespace: 'shop', namePrefix: 'frontend-5d8f7c9b6d-' },
        dst: { namespace: 'kube-system', namePrefix: 'coredns-' },
        port: 53,
        protocol: 'UDP',
      },
    ],
    [
      'json',
      JSON.stringify([{ src: 'shop/frontend', dst: '198.51.100.10', port: 443, protocol: 'TCP' }]),
      {
        src: { namespace: 'shop', name: 'frontend' },
        dst: { ip: '198.51.100.10' },
        port: 443,
        protocol: 'TCP',
      },
    ],
  ])('%s', (_format, text, expected) => {
    const { flows, issues } = parseFlows(text, 'f');
    expect(issues).toEqual([]);
    expect(flows).toHaveLength(1);
    expect(flows[0]).toMatchObject(expected);
  });

  it('maps Hubble and Calico names onto inventory workloads', () => {
    const inv = inventory();
    const text = [
      JSON.stringify({
        source_name_aggr: 'frontend-5d8f7c9b6d-*',
        source_namespace: 'shop',
        dest_name_aggr: 'cart-*',
        dest_namespace: 'shop',
        dest_port: 8080,
        proto: 'tcp',
        reporter: 'src',
      }),
    ].join('\n');
    const g = generatePolicies(inv, parseFlows(text, 'calico.json').flows);
    expect(g.skipped).toEqual([]);
    expect(g.flows).toHaveLength(1);
  });

  it('reports bad lines with their position', () => {
    const { issues } = parseFlows('src,dst,port,protocol\na/b,c/d,99999,TCP\na/b,c/d,80,ICMP\n', 'x.csv');
    expect(issues.map((i) => i.origin)).toEqual(['x.csv:2', 'x.csv:3']);
  });
});

describe('generation keeps DNS and reaches peers outside the manifests', () => {
  // shop/web and shop/api in the manifests; DNS (CoreDNS) and a metrics agent only in the flows.
  const objects: KubeObject[] = [
    ns('shop'),
    pod('web', 'shop', { app: 'web' }, [], '10.0.0.1'),
    pod('api', 'shop', { app: 'api' }, [], '10.0.0.2'),
  ];
  const hubble = (
    src: Record<string, unknown>,
    dst: Record<string, unknown>,
    l4: Record<string, unknown>,
  ): string =>
    JSON.stringify({
      flow: { source: src, destination: dst, l4, IP: { source: src.ip, destination: dst.ip } },
    });
  const web = { namespace: 'shop', pod_name: 'web', ip: '10.0.0.1' };
  const text = [
    hubble(
      web,
      { namespace: 'shop', pod_name: 'api', ip: '10.0.0.2' },
      { TCP: { destination_port: 8080, flags: { SYN: true } } },
    ),
    hubble(
      web,
      {
        namespace: 'kube-system',
        pod_name: 'coredns-5d78c9869d-h8j2k',
        ip: '10.96.5.5',
        labels: ['k8s:k8s-app=kube-dns', 'k8s:io.kubernetes.pod.namespace=kube-system'],
        workloads: [{ name: 'coredns', kind: 'Deployment' }],
      },
      { UDP: { destination_port: 53 } },
    ),
    hubble(
      web,
      { namespace: 'monitoring', pod_name: 'agent-x', ip: '10.0.9.9', labels: ['k8s:app=agent'] },
      { TCP: { destination_port: 4317, flags: { SYN: true } } },
    ),
    hubble(web, { ip: '198.51.100.7' }, { TCP: { destination_port: 443, flags: { SYN: true } } }),
  ].join('\n');
  const { flows } = parseFlows(text, 'hubble.json');
  const inv = inventoryOf(objects);
  const generated = generatePolicies(inv, flows);

  it('resolves every flow: peers outside the manifests become observed-only workloads', () => {
    expect(generated.skipped).toEqual([]);
    expect(generated.observedPeers.map((p) => `${p.namespace}/${p.name}[${p.kind}]`).sort()).toEqual([
      'kube-system/coredns[Deployment]',
      'monitoring/agent-x[Pod]',
    ]);
  });

  it('selects them by namespace and the labels the flows report, externals by CIDR', () => {
    const policy = generated.policies.find((p) => p.metadata?.name === 'palisade-web-pod');
    const egress = (policy?.spec as { egress: { to: unknown[]; ports: unknown[] }[] }).egress;
    expect(egress.map((r) => r.to[0])).toEqual(
      expect.arrayContaining([
        { ipBlock: { cidr: '198.51.100.7/32' } },
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
          podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
        },
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
          podSelector: { matchLabels: { app: 'agent' } },
        },
      ]),
    );
    // No policy of their own and no default deny for namespaces only the flows show.
    expect(generated.policies.filter((p) => p.metadata?.namespace !== 'shop')).toEqual([]);
  });

  it('always keeps DNS to kube-system kube-dns on UDP and TCP 53, and says so', () => {
    const dns = generated.policies.find((p) => p.metadata?.name === 'palisade-allow-dns');
    expect(dns?.spec).toMatchObject({
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        {
          to: [{ podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
          ports: [
            { protocol: 'UDP', port: 53 },
            { protocol: 'TCP', port: 53 },
          ],
        },
      ],
    });
    expect(generated.notes.join('\n')).toMatch(
      /DNS kept: palisade-allow-dns in shop .*kube-system.*k8s-app=kube-dns/,
    );
    // api was seen only receiving, yet the default deny isolates its egress: DNS still works for it.
    const after = analysisWith(generated.inventory, generated.policies);
    const api = after.findPeer('shop/api') ?? -1;
    const coredns = after.findPeer('kube-system/coredns') ?? -1;
    expect(after.allowed(api, coredns).toString()).toBe('TCP 53,UDP 53');
  });

  it('the staged replay allows every observed flow, checked with the matrix', () => {
    const staged = stageGeneratedPolicies(inv, generated);
    expect(staged.flowsReplayed).toBe(4);
    expect(staged.blocked).toEqual([]);
    const lines = new Set(
      connList(analysisWith(generated.inventory, generated.policies)).map((l) => `${l.src} => ${l.dst}`),
    );
    for (const pair of [
      'shop/web[Pod] => shop/api[Pod]',
      'shop/web[Pod] => kube-system/coredns[Deployment]',
      'shop/web[Pod] => monitoring/agent-x[Pod]',
      'shop/web[Pod] => 198.51.100.7-198.51.100.7[External]',
    ])
      expect(lines.has(pair), pair).toBe(true);
  });

  it('the staged replay reports every observed flow an existing policy would still block', () => {
    // kube-system already isolates its pods for ingress: the DNS flow is blocked whatever is generated.
    const withDeny = inventoryOf([
      ...objects,
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'deny', namespace: 'kube-system' },
        spec: { podSelector: {}, policyTypes: ['Ingress'] },
      },
    ]);
    const g = generatePolicies(withDeny, flows);
    const staged = stageGeneratedPolicies(withDeny, g);
    expect(staged.blocked.map((b) => `${b.src} => ${b.dst} : ${b.conn}`)).toEqual([
      'shop/web[Pod] => kube-system/coredns[Deployment] : UDP 53',
    ]);
    // The matrix agrees: nothing reaches coredns.
    const m = connList(analysisWith(g.inventory, g.policies));
    expect(m.filter((l) => l.dst === 'kube-system/coredns[Deployment]')).toEqual([]);
  });
});
