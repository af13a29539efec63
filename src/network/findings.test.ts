import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../core/index.js';
import { networkFindingsOf } from './index.js';
import { inventoryOf, netpol, ns, pod } from './testing.js';

const cluster: KubeObject[] = [
  ns('shop', { team: 'shop' }),
  ns('pay', { team: 'pay' }),
  pod('web', 'shop', { app: 'web' }),
  pod('db', 'pay', { app: 'db', 'palisade.dev/sensitive': 'true' }),
];
const denyAll = (n: string): KubeObject =>
  netpol(`deny-${n}`, n, { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });

interface Row {
  name: string;
  policies: KubeObject[];
  /** controlId → expected count. */
  expect: Record<string, number>;
}

const rows: Row[] = [
  {
    name: 'no policies: every workload unisolated, namespaces without default deny, sensitive db exposed',
    policies: [],
    expect: {
      network_workload_no_ingress_isolation: 2,
      network_workload_no_egress_isolation: 2,
      network_namespace_no_default_deny: 2,
      network_sensitive_workload_exposed: 1,
    },
  },
  {
    name: 'default deny everywhere: nothing to report',
    policies: [denyAll('shop'), denyAll('pay')],
    expect: {},
  },
  {
    name: 'policy selecting no pod',
    policies: [
      denyAll('shop'),
      denyAll('pay'),
      netpol('ghost', 'shop', { podSelector: { matchLabels: { app: 'nope' } } }),
    ],
    expect: { network_policy_selects_no_pod: 1 },
  },
  {
    name: 'namespaceSelector matching no namespace never matches',
    policies: [
      denyAll('shop'),
      denyAll('pay'),
      netpol('p', 'pay', {
        podSelector: {},
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'gone' } } }] }],
      }),
    ],
    expect: { network_rule_never_matches: 1 },
  },
  {
    name: 'ingress from all namespaces exposes the sensitive db',
    policies: [
      denyAll('shop'),
      denyAll('pay'),
      netpol('shop-out', 'shop', {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [{ to: [{ namespaceSelector: {} }] }],
      }),
      netpol('p', 'pay', {
        podSelector: {},
        ingress: [{ from: [{ namespaceSelector: {} }], ports: [{ port: 5432 }] }],
      }),
    ],
    expect: { network_ingress_from_all_namespaces: 1, network_sensitive_workload_exposed: 1 },
  },
  {
    name: 'egress to the internet',
    policies: [
      denyAll('shop'),
      denyAll('pay'),
      netpol('out', 'shop', {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] } }] }],
      }),
    ],
    expect: { network_egress_internet_allowed: 1 },
  },
  {
    name: 'egress to private addresses only is not internet egress',
    policies: [
      denyAll('shop'),
      denyAll('pay'),
      netpol('out', 'shop', {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8' } }] }],
      }),
    ],
    expect: {},
  },
  {
    name: 'a narrower rule is shadowed by a broader one',
    policies: [
      denyAll('shop'),
      denyAll('pay'),
      netpol('p', 'pay', {
        podSelector: {},
        ingress: [
          { from: [{ podSelector: {} }], ports: [{ port: 5432 }] },
          { from: [{ podSelector: { matchLabels: { app: 'db' } } }], ports: [{ port: 5432 }] },
        ],
      }),
    ],
    expect: { network_rule_shadowed: 1 },
  },
];

describe('network findings', () => {
  it.each(rows.map((r) => [r.name, r] as const))('%s', (_n, row) => {
    const findings = networkFindingsOf(inventoryOf([...cluster, ...row.policies]));
    const counts: Record<string, number> = {};
    for (const f of findings) counts[f.controlId] = (counts[f.controlId] ?? 0) + 1;
    expect(counts).toEqual(row.expect);
    for (const f of findings) expect(f.remediation.length).toBeGreaterThan(0);
  });
});

describe('network findings limited to some codes', () => {
  it.each(rows.map((r) => [r.name, r] as const))('%s: the same findings of those codes', (_n, row) => {
    const inventory = inventoryOf([...cluster, ...row.policies]);
    const all = networkFindingsOf(inventory);
    for (const code of Object.keys(row.expect)) {
      const only = networkFindingsOf(inventory, { only: new Set([code]) });
      expect(only).toEqual(all.filter((f) => f.controlId === code));
      expect(only.length).toBe(row.expect[code]);
    }
  });
});
