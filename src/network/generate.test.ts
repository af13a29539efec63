import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseManifests } from '../load/index.js';
import { Inventory } from '../core/index.js';
import { ConnSet } from './conn-set.js';
import { connList } from './connlist.js';
import { parseFlows } from './flows.js';
import { analysisWith, generatePolicies, stageGeneratedPolicies } from './generate.js';

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
