import { describe, expect, it } from 'vitest';
import { layoutColumns } from './components/graph.js';
import { formatSort, parseSort, sortRows, type Column } from './components/table.js';
import { alignScores, escalationLayout, groupKeys, reachabilityLayout } from './model.js';
import { hrefFor, parseHash } from './router.js';
import type { Finding, NetworkGraphResponse, RbacGraphResponse } from './types.js';

describe('routes', () => {
  it.each([
    ['', 'overview', ''],
    ['#/findings?severity=high&q=a%20b', 'findings', 'severity=high&q=a+b'],
    ['#findings', 'findings', ''],
    ['#/nope?x=1', 'overview', 'x=1'],
    ['#/login?next=%2Ffindings%3Fseverity%3Dhigh', 'login', 'next=%2Ffindings%3Fseverity%3Dhigh'],
  ])('parses %j', (hash, page, query) => {
    const r = parseHash(hash);
    expect(r.page).toBe(page);
    expect(r.params.toString()).toBe(query);
  });

  it('drops empty parameters from links and round-trips the rest', () => {
    const href = hrefFor('findings', { severity: 'high', q: '', namespace: undefined, name: 'a&b' });
    expect(href).toBe('#/findings?severity=high&name=a%26b');
    expect(parseHash(href).params.get('name')).toBe('a&b');
  });
});

interface Row {
  name: string;
  n: number;
}
const COLS: Column<Row>[] = [
  { key: 'name', header: 'Name', render: (r) => r.name, sortValue: (r) => r.name },
  { key: 'n', header: 'N', render: (r) => r.n, sortValue: (r) => r.n },
  { key: 'x', header: 'X', render: () => '' },
];
const ROWS: Row[] = [
  { name: 'b', n: 2 },
  { name: 'a', n: 2 },
  { name: 'c', n: 1 },
];

describe('table sorting', () => {
  it.each([
    ['name', ['a', 'b', 'c']],
    ['-name', ['c', 'b', 'a']],
    ['n', ['c', 'b', 'a']],
    ['-n', ['b', 'a', 'c']],
    ['x', ['b', 'a', 'c']],
    ['unknown', ['b', 'a', 'c']],
  ])('sort=%s', (value, names) => {
    const sort = parseSort(value, { key: 'name', desc: false });
    expect(formatSort(sort)).toBe(value);
    expect(sortRows(ROWS, COLS, sort).map((r) => r.name)).toEqual(names);
  });

  it('falls back when the URL has no sort', () => {
    expect(parseSort('', { key: 'n', desc: true })).toEqual({ key: 'n', desc: true });
  });
});

describe('scores chart data', () => {
  it('aligns frameworks scanned at different times on one axis, in seconds', () => {
    const { times, series } = alignScores({
      cluster: 'c',
      frameworks: [
        {
          framework: 'cis',
          points: [
            { scanId: 1, time: 1000, score: 50.04 },
            { scanId: 2, time: 3000, score: 60 },
          ],
        },
        { framework: 'nsa', points: [{ scanId: 2, time: 2000, score: 70 }] },
      ],
    });
    expect(times).toEqual([1, 2, 3]);
    expect(series).toEqual([
      { label: 'cis', values: [50, null, 60] },
      { label: 'nsa', values: [null, 70, null] },
    ]);
  });
});

const finding: Finding = {
  fingerprint: 'f',
  controlId: 'PSS-001',
  title: 'Privileged',
  severity: 'high',
  namespace: '',
  apiVersion: 'v1',
  kind: 'Node',
  name: 'n1',
  fieldPath: '',
  message: 'm',
  frameworks: ['cis', 'nsa'],
  firstSeen: 0,
  lastSeen: 0,
  suppressed: false,
};

describe('finding groups', () => {
  it.each([
    ['control', ['PSS-001 Privileged']],
    ['severity', ['high']],
    ['namespace', ['(cluster)']],
    ['workload', ['Node/n1']],
    ['framework', ['cis', 'nsa']],
  ] as const)('by %s', (by, keys) => {
    expect(groupKeys(finding, by)).toEqual(keys);
  });

  it('puts a finding without frameworks in "(none)"', () => {
    expect(groupKeys({ ...finding, frameworks: [] }, 'framework')).toEqual(['(none)']);
  });
});

describe('graph layouts', () => {
  it('places identities first, capabilities by hop, targets last', () => {
    const data: RbacGraphResponse = {
      source: 's',
      nodes: [
        { id: 'sa:a:b', label: 'a/b', type: 'identity' },
        { id: 'cap1', label: 'create pods', type: 'capability' },
        { id: 'cap2', label: 'read secrets', type: 'capability' },
        { id: 'cluster-admin', label: 'cluster-admin', type: 'target' },
      ],
      edges: [
        { from: 'sa:a:b', to: 'cap1', kind: 'k', explain: 'e' },
        { from: 'cap1', to: 'cap2', kind: 'k', explain: 'e' },
        { from: 'cap2', to: 'cluster-admin', kind: 'k', explain: 'e' },
      ],
      paths: [],
      truncated: false,
    };
    const layout = escalationLayout(data);
    expect(layout.groups).toEqual(['identities', 'capabilities (hop 1)', 'capabilities (hop 2)', 'targets']);
    expect(Object.fromEntries(layout.nodes.map((n) => [n.id, n.group]))).toEqual({
      'sa:a:b': 'identities',
      cap1: 'capabilities (hop 1)',
      cap2: 'capabilities (hop 2)',
      'cluster-admin': 'targets',
    });
  });

  it('puts workloads in their namespace column and external ranges first, marking exposure', () => {
    const node = (id: string, namespace: string, exposed: boolean) => ({
      id,
      type: 'workload' as const,
      namespace,
      kind: 'Deployment',
      name: id,
      ingressIsolated: false,
      egressIsolated: false,
      exposed,
    });
    const data: NetworkGraphResponse = {
      source: 's',
      namespaces: [],
      nodes: [
        node('web', 'shop', true),
        node('db', 'data', false),
        { ...node('0.0.0.0/0', '', false), type: 'external', name: '0.0.0.0/0' },
      ],
      edges: [{ src: '0.0.0.0/0', dst: 'web', conn: 'TCP 80' }],
      exposure: [],
      gaps: [],
      truncated: false,
    };
    const layout = reachabilityLayout(data);
    expect(layout.groups).toEqual(['external', 'data', 'shop']);
    expect(layout.nodes.find((n) => n.id === 'web')?.kind).toBe('exposed');
    expect(layout.nodes.find((n) => n.id === '0.0.0.0/0')?.kind).toBe('external');
    const placed = layoutColumns(layout.nodes, layout.groups, { width: 300, rowHeight: 40, top: 30 });
    expect(placed.placed.map((p) => [p.id, p.x, p.y])).toEqual([
      ['0.0.0.0/0', 50, 50],
      ['db', 150, 50],
      ['web', 250, 50],
    ]);
    expect(placed.height).toBe(78);
  });
});
