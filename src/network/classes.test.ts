/**
 * The matrix is computed by classes of peers (engine.ts `rows`), one pair by reading the
 * policies of its two ends (`allowed`). These two paths must agree on every pair: random
 * clusters (seeded) with every selector operator, peer shape, named port and ipBlock kind
 * are checked pair by pair, at workload and pod granularity.
 */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../core/index.js';
import {
  analyzeInventory,
  connList,
  formatConnListCsv,
  formatConnListJson,
  formatConnListText,
  sortLines,
  writeConnList,
  type ConnLine,
} from './index.js';
import type { Analysis } from './engine.js';
import { inventoryOf, netpol, ns, pod } from './testing.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

const KEYS = ['app', 'tier', 'team'] as const;
const VALUES = ['a', 'b', 'c'] as const;

/** A random cluster: 3 to 5 namespaces, 3 to 24 pods (some sharing a workload), 2 to 9 policies. */
function randomCluster(seed: number): KubeObject[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const labels = (): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const k of KEYS) if (r() < 0.6) out[k] = pick(VALUES);
    return out;
  };
  const selector = (): Record<string, unknown> => {
    const x = r();
    if (x < 0.2) return {};
    if (x < 0.55) return { matchLabels: { [pick(KEYS)]: pick(VALUES) } };
    const operator = pick(['In', 'NotIn', 'Exists', 'DoesNotExist'] as const);
    const values = operator === 'In' || operator === 'NotIn' ? [pick(VALUES), pick(VALUES)] : undefined;
    return { matchExpressions: [{ key: pick(KEYS), operator, ...(values ? { values } : {}) }] };
  };
  const namespaces = Array.from({ length: 3 + Math.floor(r() * 3) }, (_, i) => `ns${i}`);
  const out: KubeObject[] = namespaces.map((n) => ns(n, labels()));
  const pods = 3 + Math.floor(r() * 22);
  for (let i = 0; i < pods; i++) {
    const namespace = pick(namespaces);
    const ports = [
      ...(r() < 0.5 ? [{ name: 'http', containerPort: pick([80, 8080, 8443]) }] : []),
      ...(r() < 0.3 ? [{ name: 'dns', containerPort: 53, protocol: 'UDP' }] : []),
    ];
    const p = pod(`p${i}`, namespace, labels(), ports, r() < 0.3 ? `10.0.0.${i + 1}` : undefined);
    // Some pods share a controller (same labels as the workload's first pod would differ,
    // which the workload granularity tolerates: it represents a workload by its first pod).
    if (r() < 0.3)
      (p.metadata as Record<string, unknown>).ownerReferences = [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `rs${i % 3}`, controller: true },
      ];
    out.push(p);
  }
  const peer = (): Record<string, unknown> => {
    const x = r();
    if (x < 0.3) return { podSelector: selector() };
    if (x < 0.55) return { namespaceSelector: selector() };
    if (x < 0.8) return { namespaceSelector: selector(), podSelector: selector() };
    const cidr = pick(['0.0.0.0/0', '10.0.0.0/8', '192.168.0.0/16', '203.0.113.0/24']);
    return { ipBlock: cidr === '0.0.0.0/0' && r() < 0.5 ? { cidr, except: ['10.0.0.0/8'] } : { cidr } };
  };
  const ports = (): unknown[] | undefined => {
    if (r() < 0.35) return undefined;
    return Array.from({ length: 1 + Math.floor(r() * 2) }, () => {
      const x = r();
      if (x < 0.3) return { port: 'http' };
      if (x < 0.4) return { port: 'dns', protocol: 'UDP' };
      if (x < 0.6) return { port: 8000, endPort: 8500 };
      if (x < 0.7) return { protocol: 'SCTP' };
      return { port: pick([80, 443, 8080]), protocol: pick(['TCP', 'UDP'] as const) };
    });
  };
  const rules = (field: 'from' | 'to'): unknown[] =>
    Array.from({ length: Math.floor(r() * 3) }, () => {
      const p = ports();
      const peers = r() < 0.15 ? undefined : Array.from({ length: 1 + Math.floor(r() * 2) }, peer);
      return { ...(peers ? { [field]: peers } : {}), ...(p ? { ports: p } : {}) };
    });
  const policies = 2 + Math.floor(r() * 8);
  for (let i = 0; i < policies; i++) {
    const types = pick([['Ingress'], ['Egress'], ['Ingress', 'Egress'], undefined] as const);
    out.push(
      netpol(`np${i}`, pick(namespaces), {
        podSelector: selector(),
        ...(types ? { policyTypes: types } : {}),
        ingress: rules('from'),
        egress: rules('to'),
      }),
    );
  }
  return out;
}

/** Every allowed pair by asking `allowed` for each pair, as `src dst conns` lines. */
function pairwise(a: Analysis): string[] {
  const out: string[] = [];
  for (let s = 0; s < a.size; s++) {
    const ext = a.externals[s - a.peers.length];
    if (ext && ext.direction !== 'ingress') continue;
    for (let d = 0; d < a.size; d++) {
      const dext = a.externals[d - a.peers.length];
      if (s === d || (dext && (ext || dext.direction !== 'egress'))) continue;
      const conn = a.allowed(s, d);
      if (!conn.isEmpty) out.push(`${s} ${d} ${conn.toString()}`);
    }
  }
  return out;
}

describe('matrix by classes agrees with pair-by-pair evaluation', () => {
  for (const granularity of ['workload', 'pod'] as const)
    it(`random clusters, ${granularity} granularity`, () => {
      let compared = 0;
      for (let seed = 1; seed <= 100; seed++) {
        const { analysis } = analyzeInventory(inventoryOf(randomCluster(seed)), { granularity });
        const byClass: string[] = [];
        analysis.forEachConnection((c) => byClass.push(`${c.src} ${c.dst} ${c.conn.toString()}`));
        expect(byClass, `seed ${seed}`).toEqual(pairwise(analysis));
        compared += byClass.length;
      }
      // The clusters are not all closed: a fair share of pairs is allowed.
      expect(compared).toBeGreaterThan(1000);
    });

  it('visits rows in name order when asked, with the same lines as the index order', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const { analysis } = analyzeInventory(inventoryOf(randomCluster(seed)), { granularity: 'pod' });
      const lines: string[] = [];
      analysis.forEachConnection(
        (c) => lines.push(`${analysis.nameOf(c.src)} => ${analysis.nameOf(c.dst)} : ${c.conn.toString()}`),
        analysis.nameOrder(),
      );
      // The index-order lines, sorted afterwards.
      const byIndex: ConnLine[] = [];
      analysis.forEachConnection((c) =>
        byIndex.push({ src: analysis.nameOf(c.src), dst: analysis.nameOf(c.dst), conn: c.conn }),
      );
      const expected = sortLines(byIndex).map((l) => `${l.src} => ${l.dst} : ${l.conn.toString()}`);
      expect(lines, `seed ${seed}`).toEqual(expected);
    }
  });

  it('pods that every policy treats alike form one class', () => {
    const objects: KubeObject[] = [ns('a'), ns('b', { team: 'x' })];
    for (let i = 0; i < 6; i++) objects.push(pod(`web${i}`, 'a', { app: 'web' }));
    for (let i = 0; i < 4; i++) objects.push(pod(`db${i}`, 'a', { app: 'db' }));
    objects.push(pod('client', 'b', { app: 'web' }));
    objects.push(
      netpol('db', 'a', {
        podSelector: { matchLabels: { app: 'db' } },
        ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }] }],
      }),
    );
    const { analysis } = analyzeInventory(inventoryOf(objects), { granularity: 'pod' });
    // web pods of a, db pods of a, the client of b (named by no rule).
    expect(analysis.classCount).toBe(3);
    const lines = connList(analysis);
    expect(lines.filter((l) => l.dst.startsWith('a/db')).length).toBe(6 * 4);
    expect(lines.some((l) => l.src === 'b/client[Pod]' && l.dst.startsWith('a/db'))).toBe(false);
  });

  it('writes text, JSON and CSV as the lines come, exactly as the whole-list formatters', () => {
    const formats = { text: formatConnListText, json: formatConnListJson, csv: formatConnListCsv } as const;
    for (const seed of [0, 3, 7]) {
      // Seed 0 stands for an empty list.
      const lines = seed === 0 ? [] : connList(analyzeInventory(inventoryOf(randomCluster(seed))).analysis);
      for (const [format, whole] of Object.entries(formats) as [
        keyof typeof formats,
        (l: ConnLine[]) => string,
      ][]) {
        const chunks: string[] = [];
        const count = writeConnList(format, lines, (c) => chunks.push(c), 64);
        expect(count).toBe(lines.length);
        expect(chunks.join(''), `${format} seed ${seed}`).toBe(whole(lines));
        if (lines.length > 5) expect(chunks.length).toBeGreaterThan(1);
      }
    }
  });
});
