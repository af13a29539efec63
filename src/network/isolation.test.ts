import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../core/index.js';
import { namespaceIsolationOf } from './isolation.js';
import { inventoryOf, netpol, ns, pod } from './testing.js';

const base: KubeObject[] = [
  ns('a'),
  ns('b'),
  ns('secrets-only'),
  pod('x', 'a', { app: 'x' }),
  pod('y', 'b', { app: 'y' }),
];
const deny = (n: string): KubeObject => netpol(`deny-${n}`, n, { podSelector: {}, policyTypes: ['Ingress'] });

const rows: [name: string, policies: KubeObject[], expected: string[]][] = [
  ['no policy: every pair open', [], ['a → b open', 'b → a open']],
  ['a denies ingress: b → a isolated', [deny('a')], ['a → b open', 'b → a isolated']],
  ['both deny ingress: both isolated', [deny('a'), deny('b')], ['a → b isolated', 'b → a isolated']],
  [
    'a admits b on one port: open',
    [
      deny('a'),
      netpol('from-b', 'a', {
        podSelector: {},
        ingress: [{ from: [{ namespaceSelector: {} }], ports: [{ port: 80 }] }],
      }),
    ],
    ['a → b open', 'b → a open'],
  ],
];

describe('namespace isolation summary', () => {
  it.each(rows)('%s', (_n, policies, expected) => {
    const s = namespaceIsolationOf(inventoryOf([...base, ...policies]));
    // Namespaces without pods (secrets-only) are not part of it.
    expect(s.namespaces).toEqual(['a', 'b']);
    expect(s.pairs.map((p) => `${p.from} → ${p.to} ${p.status}`)).toEqual(expected);
  });

  it('gives an example connection for an open pair', () => {
    const s = namespaceIsolationOf(inventoryOf([...base, deny('b')]));
    expect(s.pairs.find((p) => p.from === 'b')?.example).toBe('b/y[Pod] => a/x[Pod] : All Connections');
  });

  it('is left out above the workload limit, with the reason', () => {
    const s = namespaceIsolationOf(inventoryOf(base), 1);
    expect(s.pairs).toEqual([]);
    expect(s.omitted).toBe("2 workloads, above the summary's limit of 1");
  });
});
