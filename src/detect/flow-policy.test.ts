/**
 * Flow judgement against the NetworkPolicy model: one row per case (denied and attempted,
 * denied but forwarded, allowed, outside the cluster, unknown pods, peers only the flows
 * show), then deduplication and the least-privilege report.
 */
import { describe, expect, it } from 'vitest';
import { Inventory, refOf, type KubeObject } from '../core/index.js';
import type { Flow, FlowEndpoint } from '../network/index.js';
import { emptyEvent } from './event.js';
import {
  DENIED_FLOW_ATTEMPTED,
  DENIED_FLOW_OBSERVED,
  FlowPolicyMonitor,
  formatLeastPrivilegeTable,
  type FlowDecision,
} from './flow-policy.js';

function inventoryOf(objects: readonly KubeObject[]): Inventory {
  const inv = new Inventory();
  for (const object of objects) inv.add({ object, ref: refOf(object) });
  return inv;
}
const ns = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
const pod = (name: string, namespace: string, labels: Record<string, string>, ip: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, labels },
  spec: { containers: [{ name: 'c', image: 'img:1' }] },
  status: { podIP: ip },
});
const netpol = (name: string, namespace: string, spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name, namespace },
  spec,
});

/** shop (web, api) is open; data (db) admits only shop/api on TCP 5432 and may reach only 10.1.0.0/16:443. */
const cluster = inventoryOf([
  ns('shop'),
  ns('data'),
  pod('web', 'shop', { app: 'web' }, '10.0.0.1'),
  pod('api', 'shop', { app: 'api' }, '10.0.0.2'),
  pod('db', 'data', { app: 'db' }, '10.0.1.1'),
  netpol('db', 'data', {
    podSelector: { matchLabels: { app: 'db' } },
    policyTypes: ['Ingress', 'Egress'],
    ingress: [
      {
        from: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } },
            podSelector: { matchLabels: { app: 'api' } },
          },
        ],
        ports: [{ protocol: 'TCP', port: 5432 }],
      },
    ],
    egress: [{ to: [{ ipBlock: { cidr: '10.1.0.0/16' } }], ports: [{ protocol: 'TCP', port: 443 }] }],
  }),
  netpol('dns-in', 'kube-system', {
    podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
    policyTypes: ['Ingress'],
    ingress: [{ ports: [{ protocol: 'UDP', port: 53 }] }],
  }),
]);

function ep(e: string | FlowEndpoint): FlowEndpoint {
  if (typeof e !== 'string') return e;
  const [a, b] = e.split('/');
  return b === undefined ? { ip: a ?? '' } : { namespace: a ?? '', name: b };
}

function flow(
  src: string | FlowEndpoint,
  dst: string | FlowEndpoint,
  port: number,
  protocol: Flow['protocol'] = 'TCP',
): Flow {
  return { src: ep(src), dst: ep(dst), port, protocol, origin: 'test' };
}

function event(verdict: string, id = 'f1', time = '2026-12-01T09:00:00Z'): ReturnType<typeof emptyEvent> {
  const ev = emptyEvent('flow', 'hubble', id);
  ev.time = time;
  ev.network.verdict = verdict;
  return ev;
}

interface Row {
  case: string;
  flow: Flow;
  verdict: string;
  decision: FlowDecision;
  rule?: string;
  severity?: string;
  /** Words the alert's message must hold. */
  says?: string[];
}

const rows: Row[] = [
  {
    case: 'denied and dropped: an attempt the policies deny',
    flow: flow('shop/web', 'data/db', 5432),
    verdict: 'dropped',
    decision: 'denied',
    rule: DENIED_FLOW_ATTEMPTED,
    severity: 'medium',
    says: [
      'shop/web[Pod] tried data/db[Pod] on TCP 5432, dropped',
      'ingress of data/db[Pod] is isolated by data/db',
      'no rule admits shop/web[Pod]',
    ],
  },
  {
    case: 'denied but forwarded: the policies in force differ or are not enforced',
    flow: flow('10.0.0.1', '10.0.1.1', 5432),
    verdict: 'allowed',
    decision: 'denied',
    rule: DENIED_FLOW_OBSERVED,
    severity: 'high',
    says: ['reached data/db[Pod] on TCP 5432 although the policies deny it'],
  },
  {
    case: 'denied, the source said nothing of the outcome',
    flow: flow('shop/api', 'data/db', 6379),
    verdict: '',
    decision: 'denied',
    rule: DENIED_FLOW_ATTEMPTED,
    severity: 'medium',
    says: ['its rules admit shop/api[Pod] on TCP 5432 only'],
  },
  {
    case: 'allowed and observed',
    flow: flow('shop/api', 'data/db', 5432),
    verdict: 'allowed',
    decision: 'allowed',
  },
  {
    case: 'allowed, by address',
    flow: flow('10.0.0.2', '10.0.1.1', 5432),
    verdict: 'allowed',
    decision: 'allowed',
  },
  {
    case: 'egress to a CIDR the policy allows',
    flow: flow('data/db', '10.1.2.3', 443),
    verdict: 'allowed',
    decision: 'allowed',
  },
  {
    case: 'egress to an address outside the allowed CIDRs',
    flow: flow('data/db', '203.0.113.9', 443),
    verdict: 'dropped',
    decision: 'denied',
    rule: DENIED_FLOW_ATTEMPTED,
    says: ['egress of data/db[Pod] is isolated by data/db and no rule admits 203.0.113.9'],
  },
  {
    case: 'from outside to an open namespace',
    flow: flow('198.51.100.7', 'shop/web', 443),
    verdict: 'allowed',
    decision: 'allowed',
  },
  {
    case: 'from outside to the database',
    flow: flow('198.51.100.7', 'data/db', 5432),
    verdict: 'dropped',
    decision: 'denied',
    rule: DENIED_FLOW_ATTEMPTED,
  },
  {
    case: 'both ends outside the cluster',
    flow: flow('198.51.100.7', '203.0.113.9', 443),
    verdict: 'allowed',
    decision: 'skipped',
  },
  {
    case: 'unknown pod: a namespace and nothing to name it by',
    flow: flow({ namespace: 'shop', ip: '10.0.9.9' }, 'data/db', 5432),
    verdict: 'allowed',
    decision: 'unknown',
  },
  {
    case: 'a peer only the flows show, selected by the labels they report',
    flow: flow(
      'shop/web',
      { namespace: 'kube-system', name: 'coredns-5d78c9869d-abcde', labels: { 'k8s-app': 'kube-dns' } },
      53,
      'UDP',
    ),
    verdict: 'allowed',
    decision: 'allowed',
  },
  {
    case: 'the same peer on a port its policy does not admit',
    flow: flow(
      'shop/web',
      { namespace: 'kube-system', name: 'coredns-5d78c9869d-abcde', labels: { 'k8s-app': 'kube-dns' } },
      9153,
    ),
    verdict: 'dropped',
    decision: 'denied',
    rule: DENIED_FLOW_ATTEMPTED,
    says: ['kube-system/coredns[Deployment]', 'isolated by kube-system/dns-in'],
  },
];

describe('flow judgement against the NetworkPolicy model', () => {
  it.each(rows)('$case', (row) => {
    const m = new FlowPolicyMonitor(cluster);
    expect(m.policyIssues).toEqual([]);
    const j = m.judge(row.flow, event(row.verdict));
    expect(j.decision).toBe(row.decision);
    expect(j.alert?.rule).toBe(row.rule);
    if (row.severity) expect(j.alert?.severity).toBe(row.severity);
    for (const w of row.says ?? []) expect(j.alert?.message).toContain(w);
    if (j.alert) {
      expect(j.alert).toMatchObject({
        source: 'flow',
        count: 1,
        evidence: ['f1'],
        mitre: ['T1046', 'T1210'],
      });
      const dst = j.dst?.endsWith('[External]') ? row.flow.dst.ip : j.dst;
      expect(j.alert.target).toBe(`${dst ?? ''}:${row.flow.port}/${row.flow.protocol}`);
    }
  });

  it('places no peer the flows show when adding them is switched off', () => {
    const m = new FlowPolicyMonitor(cluster, { maxObservedPeers: 0 });
    const j = m.judge(
      flow('shop/web', { namespace: 'kube-system', name: 'coredns' }, 53, 'UDP'),
      event('allowed'),
    );
    expect(j).toMatchObject({ decision: 'unknown' });
    expect(j.reason).toContain('no workload in the inventory matches');
    expect(m.stats.rebuilds).toBe(0);
  });

  it('folds repeats of one denied flow into one alert within the window, and raises again after it', () => {
    const m = new FlowPolicyMonitor(cluster, { dedupSeconds: 60 });
    const f = flow('shop/web', 'data/db', 5432);
    const first = m.judge(f, event('dropped', 'a', '2026-12-01T09:00:00Z'));
    const again = m.judge(f, event('dropped', 'b', '2026-12-01T09:00:30Z'));
    const other = m.judge(flow('shop/web', 'data/db', 5433), event('dropped', 'c', '2026-12-01T09:00:31Z'));
    const later = m.judge(f, event('dropped', 'd', '2026-12-01T09:02:00Z'));
    expect(first.alert?.count).toBe(2);
    expect(first.alert?.evidence).toEqual(['a', 'b']);
    expect(again.alert).toBeUndefined();
    expect(again.decision).toBe('denied');
    expect(other.alert?.evidence).toEqual(['c']);
    expect(later.alert?.evidence).toEqual(['d']);
    expect(m.stats).toMatchObject({ flows: 4, denied: 4, alerts: 3, deduplicated: 1 });
  });

  it('reports the allowed pairs no flow used, and drops a pair from it once it is observed', () => {
    const m = new FlowPolicyMonitor(cluster);
    const before = m.report();
    const names = (r: typeof before): string[] => r.unused.map((p) => `${p.src} => ${p.dst} : ${p.allowed}`);
    expect(names(before)).toContain('shop/api[Pod] => data/db[Pod] : TCP 5432');
    expect(names(before)).toContain('shop/web[Pod] => shop/api[Pod] : All Connections');
    expect(names(before).some((n) => n.startsWith('shop/web[Pod] => data/db'))).toBe(false);
    m.judge(flow('shop/api', 'data/db', 5432), event('allowed', 'x', '2026-12-01T10:00:00Z'));
    m.judge(flow('shop/web', 'data/db', 5432), event('dropped', 'y', '2026-12-01T10:00:01Z'));
    const after = m.report();
    expect(names(after)).not.toContain('shop/api[Pod] => data/db[Pod] : TCP 5432');
    expect(names(after)).toContain('shop/web[Pod] => shop/api[Pod] : All Connections');
    expect(after).toMatchObject({
      kind: 'LeastPrivilegeReport',
      time: '2026-12-01T10:00:01Z',
      flows: 2,
      allowed: 1,
      denied: 1,
      unknown: 0,
      observedPairs: 1,
      more: 0,
      incomplete: false,
    });
    expect(after.unused).toHaveLength(before.unused.length - 1);
    const text = formatLeastPrivilegeTable(after);
    expect(text).toContain(`Least privilege: ${after.unused.length} allowed pair(s) never observed`);
    expect(text).toContain('  shop/web[Pod] => shop/api[Pod] : All Connections');
  });

  it('bounds the report and the observed-pair table, and says so', () => {
    const m = new FlowPolicyMonitor(cluster, { maxReportPairs: 2, maxPairs: 1 });
    m.judge(flow('shop/api', 'data/db', 5432), event('allowed'));
    m.judge(flow('shop/web', 'shop/api', 80), event('allowed'));
    const r = m.report();
    expect(r.unused).toHaveLength(2);
    expect(r.more).toBeGreaterThan(0);
    expect(r.observedPairs).toBe(1);
    expect(r.incomplete).toBe(true);
    expect(formatLeastPrivilegeTable(r)).toContain('some of these pairs may have been used');
  });
});
