/**
 * Observed traffic against policy (`compareObserved`): one row per point, a small cluster,
 * some flows, and the pairs, verdicts and gap expected.
 */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../core/index.js';
import type { Flow, FlowEndpoint } from './flows.js';
import { compareObserved, formatObservedCsv, formatObservedJson, formatObservedText } from './observed.js';
import { inventoryOf, netpol, ns, pod } from './testing.js';

const cluster: KubeObject[] = [
  ns('shop'),
  ns('data'),
  pod('web', 'shop', { app: 'web' }, [], '10.0.0.1'),
  pod('api', 'shop', { app: 'api' }, [], '10.0.0.2'),
  pod('db', 'data', { app: 'db' }, [], '10.0.1.1'),
];

const denyAll = (namespace: string): KubeObject =>
  netpol(`deny-${namespace}`, namespace, { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });

function flow(
  src: FlowEndpoint | string,
  dst: FlowEndpoint | string,
  port: number,
  protocol: Flow['protocol'] = 'TCP',
): Flow {
  const ep = (e: FlowEndpoint | string): FlowEndpoint => {
    if (typeof e !== 'string') return e;
    const [namespace, name] = e.split('/');
    return name === undefined ? { ip: e } : { namespace: namespace ?? '', name };
  };
  return { src: ep(src), dst: ep(dst), port, protocol, origin: 'test' };
}

interface Row {
  point: string;
  policies: KubeObject[];
  flows: Flow[];
  /** `src => dst : conn verdict` per pair. */
  pairs: string[];
  /** `src => dst : conn` of the gap, when checked. */
  gap?: string[];
}

const rows: Row[] = [
  {
    point: 'no policy: every observed pair allowed',
    policies: [],
    flows: [flow('shop/web', 'shop/api', 8080), flow('shop/web', 'shop/api', 8080)],
    pairs: ['shop/web[Pod] => shop/api[Pod] : TCP 8080 allowed'],
  },
  {
    point: 'flows aggregate per pair, ports merged',
    policies: [],
    flows: [
      flow('shop/web', 'shop/api', 8080),
      flow('shop/web', 'shop/api', 9090),
      flow('shop/web', 'shop/api', 53, 'UDP'),
    ],
    pairs: ['shop/web[Pod] => shop/api[Pod] : TCP 8080,9090,UDP 53 allowed'],
  },
  {
    point: 'endpoints by pod IP',
    policies: [],
    flows: [flow({ ip: '10.0.0.1' }, { ip: '10.0.1.1' }, 5432)],
    pairs: ['shop/web[Pod] => data/db[Pod] : TCP 5432 allowed'],
  },
  {
    point: 'a default deny denies what was observed (breakage)',
    policies: [denyAll('data')],
    flows: [flow('shop/api', 'data/db', 5432)],
    pairs: ['shop/api[Pod] => data/db[Pod] : TCP 5432 denied'],
  },
  {
    point: 'partly denied: one port allowed, another not',
    policies: [
      denyAll('data'),
      netpol('db', 'data', {
        podSelector: { matchLabels: { app: 'db' } },
        ingress: [{ from: [{ namespaceSelector: {} }], ports: [{ port: 5432 }] }],
      }),
    ],
    flows: [flow('shop/api', 'data/db', 5432), flow('shop/api', 'data/db', 22)],
    pairs: ['shop/api[Pod] => data/db[Pod] : TCP 22,5432 partly denied'],
  },
  {
    point: 'egress to an external address judged by the source egress policy',
    policies: [denyAll('shop')],
    flows: [flow('shop/web', '203.0.113.9', 443)],
    pairs: ['shop/web[Pod] => 203.0.113.9[External] : TCP 443 denied'],
  },
  {
    point: 'a peer only the flows show is judged by its labels (DNS allowed by label)',
    policies: [
      denyAll('shop'),
      netpol('dns', 'shop', {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [
          {
            to: [{ namespaceSelector: {}, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
            ports: [{ protocol: 'UDP', port: 53 }],
          },
        ],
      }),
    ],
    flows: [
      flow(
        'shop/web',
        { namespace: 'kube-system', name: 'coredns-5d78c9869d-h8j2k', labels: { 'k8s-app': 'kube-dns' } },
        53,
        'UDP',
      ),
      flow('shop/web', { namespace: 'kube-system', name: 'metrics-agent' }, 53, 'UDP'),
    ],
    pairs: [
      'shop/web[Pod] => kube-system/coredns[Deployment] : UDP 53 allowed',
      'shop/web[Pod] => kube-system/metrics-agent[Pod] : UDP 53 denied',
    ],
  },
  {
    point: 'the gap: allowed pairs never observed, observed ones left out',
    policies: [
      denyAll('shop'),
      denyAll('data'),
      netpol('web-out', 'shop', {
        podSelector: { matchLabels: { app: 'web' } },
        egress: [{ to: [{ podSelector: { matchLabels: { app: 'api' } } }] }],
      }),
      netpol('api-in', 'shop', {
        podSelector: { matchLabels: { app: 'api' } },
        ingress: [{ from: [{ podSelector: {} }], ports: [{ port: 8080 }, { port: 9090 }] }],
      }),
      netpol('api-out', 'shop', {
        podSelector: { matchLabels: { app: 'api' } },
        egress: [{ to: [{ namespaceSelector: {} }], ports: [{ port: 5432 }] }],
      }),
      netpol('db-in', 'data', {
        podSelector: {},
        ingress: [{ from: [{ namespaceSelector: {} }], ports: [{ port: 5432 }] }],
      }),
    ],
    flows: [flow('shop/web', 'shop/api', 8080)],
    pairs: ['shop/web[Pod] => shop/api[Pod] : TCP 8080 allowed'],
    gap: ['shop/api[Pod] => data/db[Pod] : TCP 5432'],
  },
];

describe('observed traffic against policy', () => {
  it.each(rows.map((r) => [r.point, r] as const))('%s', (_p, r) => {
    const report = compareObserved(inventoryOf([...cluster, ...r.policies]), r.flows, {
      againstPolicy: true,
    });
    expect(
      report.pairs.map((p) => `${p.src} => ${p.dst} : ${p.observed.toString()} ${p.verdict ?? ''}`),
    ).toEqual(r.pairs);
    if (r.gap)
      expect(report.gap?.map((g) => `${g.src} => ${g.dst} : ${g.allowed.toString()}`)).toEqual(r.gap);
    expect(report.denied).toBe(report.pairs.filter((p) => p.verdict !== 'allowed').length);
  });

  it('without policies judged, pairs carry no verdict and there is no gap', () => {
    const report = compareObserved(inventoryOf(cluster), [flow('shop/web', 'shop/api', 80)]);
    expect(report.pairs[0]?.verdict).toBeUndefined();
    expect(report.gap).toBeUndefined();
  });

  it('without manifests, pairs are named from the flows', () => {
    const report = compareObserved(inventoryOf([]), [
      flow({ namespace: 'shop', name: 'web-6b7f9c8d5-q2x7k' }, { namespace: 'shop', name: 'api-0' }, 80),
      flow({ namespace: 'shop', name: 'web-6b7f9c8d5-zzzzz' }, { ip: '198.51.100.1' }, 443),
    ]);
    expect(report.pairs.map((p) => `${p.src} => ${p.dst}`)).toEqual([
      'shop/web[Deployment] => 198.51.100.1[External]',
      'shop/web[Deployment] => shop/api-0[Pod]',
    ]);
  });

  it('keeps pairs of the asked namespaces only', () => {
    const report = compareObserved(
      inventoryOf(cluster),
      [flow('shop/web', 'shop/api', 80), flow('data/db', '203.0.113.1', 443)],
      { namespaces: ['data'] },
    );
    expect(report.pairs.map((p) => p.src)).toEqual(['data/db[Pod]']);
    expect(report.flowsUsed).toBe(1);
  });

  it('skips flows no workload matches, with the reason', () => {
    const report = compareObserved(inventoryOf(cluster), [flow({}, 'shop/api', 80)]);
    expect(report.pairs).toEqual([]);
    expect(report.skipped.map((s) => s.message)).toEqual([
      'source: no workload in the inventory matches an empty endpoint',
    ]);
  });

  it('renders text, JSON and CSV with verdicts and the gap', () => {
    const r = rows[rows.length - 1] as Row;
    const report = compareObserved(inventoryOf([...cluster, ...r.policies]), r.flows, {
      againstPolicy: true,
    });
    expect(formatObservedText(report)).toContain(
      'Allowed but never observed (least-privilege gap): 1 pair(s)',
    );
    const json = JSON.parse(formatObservedJson(report)) as { pairs: { verdict: string }[]; gap: unknown[] };
    expect(json.pairs[0]?.verdict).toBe('allowed');
    expect(json.gap).toHaveLength(1);
    expect(formatObservedCsv(report).split('\n')).toEqual([
      'status,src,dst,conn,flows',
      'allowed,shop/web[Pod],shop/api[Pod],TCP 8080,1',
      'gap,shop/api[Pod],data/db[Pod],TCP 5432,0',
      '',
    ]);
  });
});
