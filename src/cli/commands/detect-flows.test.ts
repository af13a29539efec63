/**
 * `detect run --policies`: the demo cluster's Hubble export judged against its manifests; the
 * least-privilege report agrees with `netpol flows --against-policy` (one model, not two).
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { memoryIO } from '../io.js';
import { main } from '../main.js';
import { runDetect } from './detect.js';

const demo = path.resolve(import.meta.dirname, '../../../examples/demo-cluster');
const flowsFile = path.join(demo, 'flows/hubble-flows.jsonl');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'palisade-detect-flows-'));
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

/** storefront/web tries data/redis, which admits only checkout/cart-api: Cilium drops it. */
const DROPPED = JSON.stringify({
  flow: {
    time: '2026-12-01T09:03:00Z',
    verdict: 'DROPPED',
    drop_reason_desc: 'POLICY_DENIED',
    IP: { source: '10.244.1.11', destination: '10.244.2.41' },
    l4: { TCP: { source_port: 41000, destination_port: 6379, flags: { SYN: true } } },
    source: {
      namespace: 'storefront',
      pod_name: 'web-6b7f9c8d5-q2x7k',
      workloads: [{ name: 'web', kind: 'Deployment' }],
    },
    destination: {
      namespace: 'data',
      pod_name: 'redis-0',
      workloads: [{ name: 'redis', kind: 'StatefulSet' }],
    },
  },
});

interface Line {
  rule?: string;
  kind?: string;
  severity?: string;
  message?: string;
  subject?: string;
  target?: string;
  count?: number;
  evidence?: string[];
  unused?: { src: string; dst: string; allowed: string }[];
  flows?: number;
  denied?: number;
  provider?: string;
}

function lines(text: string): Line[] {
  return text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Line);
}

describe('palisade detect run --policies', () => {
  it('judges the demo flows by the demo policies: the same gap as netpol flows, and the denied call', async () => {
    const io = memoryIO({ cwd: demo });
    const code = await main(['detect', 'run', flowsFile, '--policies', '.', '-o', 'json'], io);
    expect(code).toBe(1);
    const out = lines(io.out());
    const alerts = out.filter((l) => l.rule !== undefined);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      rule: 'network/denied-flow-observed',
      severity: 'high',
      subject: 'checkout/payments-api[Deployment]',
      target: '203.0.113.50:443/TCP',
      count: 1,
    });
    expect(alerts[0]?.message).toContain(
      'egress of checkout/payments-api[Deployment] is isolated by checkout/default-deny',
    );
    expect(alerts[0]?.evidence?.[0]).toMatch(/hubble-flows\.jsonl:\d+$/);
    const report = out.filter((l) => l.kind === 'LeastPrivilegeReport');
    expect(report).toHaveLength(1);
    expect(io.err()).toContain(
      '19 flows judged against the NetworkPolicies: 17 allowed, 2 denied (1 alerts)',
    );

    const netpol = memoryIO({ cwd: demo });
    await main(['netpol', 'flows', flowsFile, '.', '--against-policy', '-o', 'json'], netpol);
    const gap = (JSON.parse(netpol.out()) as { gap: { src: string; dst: string; conn: string }[] }).gap;
    expect(gap.length).toBeGreaterThan(100);
    expect(report[0]?.unused).toEqual(gap.map((g) => ({ src: g.src, dst: g.dst, allowed: g.conn })));
  });

  it('alerts on an attempt the policies deny and the network dropped, and prints the table section', async () => {
    const f = path.join(tmp, 'with-drop.jsonl');
    writeFileSync(f, `${readFileSync(flowsFile, 'utf8').trimEnd()}\n${DROPPED}\n`);
    const io = memoryIO({ cwd: demo });
    const code = await main(['detect', 'run', f, '--policies', '.', '--fail-on', 'critical'], io);
    expect(code).toBe(0);
    const out = io.out();
    expect(out).toMatch(
      /MEDIUM +network\/denied-flow-attempted +storefront\/web\[Deployment\] tried data\/redis\[StatefulSet\] on TCP 6379, dropped; the policies deny it: ingress of data\/redis\[StatefulSet\] is isolated by data\/default-deny-ingress, data\/redis-from-checkout and no rule admits storefront\/web\[Deployment\]/,
    );
    expect(out).toMatch(
      /\nLeast privilege: \d+ allowed pair\(s\) never observed \(20 flow\(s\): 17 allowed, 3 denied/,
    );
    expect(out).toContain('  storefront/web[Deployment] => data/postgres[StatefulSet] : TCP 5432\n');
  });

  it('reads Calico flow logs by aggregated name, and counts what it cannot place or read', async () => {
    const f = path.join(tmp, 'mixed.jsonl');
    const calico = {
      start_time: 1764579600,
      source_namespace: 'storefront',
      source_name_aggr: 'web-6b7f9c8d5-*',
      dest_namespace: 'data',
      dest_name_aggr: 'redis-*',
      dest_port: 6379,
      proto: 'tcp',
      action: 'deny',
      reporter: 'src',
      source_ip: '-',
      dest_ip: '-',
    };
    const hubble = (ip: unknown, l4: unknown): string =>
      JSON.stringify({ flow: { time: '2026-12-01T09:00:00Z', verdict: 'DROPPED', IP: ip, l4 } });
    writeFileSync(
      f,
      [
        JSON.stringify(calico),
        hubble({ source: 'not-an-ip', destination: '10.244.2.41' }, { TCP: { destination_port: 6379 } }),
        hubble({ source: '10.244.1.11', destination: '10.244.2.41' }, { ICMPv4: { type: 8 } }),
        hubble({ source: '10.244.1.11', destination: '10.244.2.41' }, { TCP: { source_port: 1 } }),
      ].join('\n'),
    );
    const io = memoryIO({ cwd: demo });
    expect(await main(['detect', 'run', f, '--policies', '.', '-o', 'json', '--fail-on', 'medium'], io)).toBe(
      1,
    );
    const alerts = lines(io.out()).filter((l) => l.rule !== undefined);
    expect(alerts.filter((a) => a.rule === 'network/denied-flow-attempted')).toEqual([
      expect.objectContaining({
        subject: 'storefront/web[Deployment]',
        target: 'data/redis[StatefulSet]:6379/TCP',
        provider: 'calico',
      }),
    ]);
    // The Calico denial is explained by the policies; the built-in "dropped" alert gives way to it.
    const plain = alerts.filter((a) => a.rule === 'denied-flow-attempted');
    expect(plain.length).toBeGreaterThan(0);
    expect(plain.map((a) => a.provider)).not.toContain('calico');
    expect(io.err()).toContain(
      '2 flows judged against the NetworkPolicies: 0 allowed, 1 denied (1 alerts), 1 with an end not in the inventory',
    );
    expect(io.err()).toContain('1 flow records unreadable');
  });

  it('fails closed: no flow in the input, unreadable policies, or --from', async () => {
    const audit = path.join(tmp, 'audit.jsonl');
    writeFileSync(
      audit,
      `${JSON.stringify({ kind: 'Event', apiVersion: 'audit.k8s.io/v1', auditID: 'a', verb: 'get', user: { username: 'u' }, objectRef: { resource: 'configmaps' }, responseStatus: { code: 200 } })}\n`,
    );
    const none = memoryIO({ cwd: demo });
    expect(await main(['detect', 'run', audit, '--policies', '.'], none)).toBe(2);
    expect(none.err()).toContain('no flow in the input was judged');
    expect(none.out()).not.toContain('Least privilege');

    const bad = path.join(tmp, 'bad-policy.yaml');
    writeFileSync(
      bad,
      'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x, namespace: a}\nspec:\n  podSelector: {matchExpressions: [{key: a, operator: Nope}]}\n',
    );
    const broken = memoryIO({ cwd: demo });
    expect(await main(['detect', 'run', flowsFile, '--policies', bad], broken)).toBe(2);
    expect(broken.err()).toContain('bad-policy.yaml');
    expect(broken.out()).toBe('');

    const missing = memoryIO({ cwd: demo });
    expect(await main(['detect', 'run', flowsFile, '--policies', path.join(tmp, 'nope')], missing)).toBe(2);

    const stream = memoryIO({ cwd: demo });
    expect(await main(['detect', 'run', '--from', 'nats://127.0.0.1:1', '--policies', '.'], stream)).toBe(2);
    expect(stream.err()).toContain('drop them with --from');
  });

  it('writes the report on an interval while following', async () => {
    const f = path.join(tmp, 'follow.jsonl');
    writeFileSync(f, '');
    const io = memoryIO({ cwd: demo });
    const ac = new AbortController();
    const run = runDetect(
      [f],
      {
        output: ['json'],
        rules: [],
        builtin: true,
        feeds: [],
        approvedRegistries: [],
        trustedSubjects: [],
        trustedNetworks: [],
        dedup: '600',
        follow: true,
        failOn: 'none',
        quiet: true,
        signal: ac.signal,
        policies: ['.'],
        reportEvery: '1s',
      },
      io,
    );
    appendFileSync(f, `${DROPPED}\n`);
    const reports = (): number => (io.out().match(/"kind":"LeastPrivilegeReport"/g) ?? []).length;
    for (let i = 0; i < 500 && reports() === 0; i++) await new Promise((r) => setTimeout(r, 10));
    ac.abort();
    expect(await run).toBe(0);
    expect(reports()).toBeGreaterThanOrEqual(2);
    expect(io.out()).toContain('network/denied-flow-attempted');
  });
});

describe('the flows worked example of docs/detect.md', () => {
  it('prints the alert, the report heading and the summaries the page shows', async () => {
    const repo = path.resolve(import.meta.dirname, '../../..');
    const io = memoryIO({ cwd: repo });
    const code = await main(
      [
        'detect',
        'run',
        'examples/demo-cluster/flows/hubble-flows.jsonl',
        '--policies',
        'examples/demo-cluster',
      ],
      io,
    );
    expect(code).toBe(1);
    const doc = readFileSync(path.join(repo, 'docs/detect.md'), 'utf8');
    const out = io.out().split('\n');
    const shown = [out[0], out[2], ...io.err().trim().split('\n')];
    for (const line of shown) expect(doc).toContain(line);
    expect(out).toContain('  storefront/web[Deployment] => data/postgres[StatefulSet] : TCP 5432');
    expect(doc).toContain('  storefront/web[Deployment] => data/postgres[StatefulSet] : TCP 5432');
  });
});
