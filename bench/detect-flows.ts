/**
 * Flow judgement against the NetworkPolicy model: a generated cluster (40 namespaces of 25
 * workloads, a default deny and two allow policies per namespace) and a stream of Hubble
 * flows between its pods and outside addresses, read and judged one by one as
 * `detect run --policies` does. Prints the one-time model build, flows judged per second, the
 * time of a bare `JSON.parse` of the same lines (the floor) and the ratio, the least-privilege
 * report's time and the peak RSS.
 */
import { Inventory, refOf, type KubeObject } from '../src/core/index.js';
import { emptyEvent, FlowPolicyMonitor } from '../src/detect/index.js';
import { parseFlowRecord } from '../src/network/index.js';

const FLOWS = Number(process.env.FLOW_EVENTS ?? 200_000);
const NAMESPACES = 40;
const WORKLOADS = 25;

function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function cluster(): Inventory {
  const inv = new Inventory();
  const add = (object: KubeObject): void => {
    inv.add({ object, ref: refOf(object) });
  };
  for (let n = 0; n < NAMESPACES; n++) {
    const ns = `team-${n}`;
    add({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { team: String(n % 5) } } });
    for (let w = 0; w < WORKLOADS; w++)
      add({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: `app-${w}`,
          namespace: ns,
          labels: { app: `app-${w}`, tier: w < 5 ? 'front' : 'back' },
        },
        spec: { containers: [{ name: 'c', image: 'img:1' }] },
        status: { podIP: `10.${n}.${w}.1` },
      });
    const np = (name: string, spec: Record<string, unknown>): void => {
      add({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name, namespace: ns },
        spec,
      });
    };
    np('default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    np('front-to-back', {
      podSelector: { matchLabels: { tier: 'back' } },
      ingress: [{ from: [{ podSelector: { matchLabels: { tier: 'front' } } }], ports: [{ port: 8080 }] }],
    });
    np('egress', {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        { to: [{ namespaceSelector: { matchLabels: { team: String(n % 5) } } }] },
        { to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] } }], ports: [{ port: 443 }] },
      ],
    });
  }
  return inv;
}

function flows(): string[] {
  const rnd = prng(7);
  const int = (n: number): number => Math.floor(rnd() * n);
  const t0 = Date.parse('2026-12-07T00:00:00Z');
  const out: string[] = [];
  for (let i = 0; i < FLOWS; i++) {
    // Mostly what the policies allow (front to back on 8080 in a namespace, HTTPS out), and
    // one flow in twenty anywhere (most of those denied).
    const sn = int(NAMESPACES);
    const r = rnd();
    const outside = r >= 0.75 && r < 0.95;
    const anywhere = r >= 0.95;
    const src = `10.${sn}.${anywhere ? int(WORKLOADS) : int(5)}.1`;
    const dn = anywhere ? int(NAMESPACES) : sn;
    const dst = outside
      ? `203.0.${int(256)}.${int(256)}`
      : `10.${dn}.${anywhere ? int(WORKLOADS) : 5 + int(WORKLOADS - 5)}.1`;
    const port = outside ? 443 : anywhere ? 5432 : 8080;
    out.push(
      JSON.stringify({
        flow: {
          time: new Date(t0 + i * 10).toISOString(),
          verdict: anywhere ? 'DROPPED' : 'FORWARDED',
          IP: { source: src, destination: dst },
          l4: { TCP: { source_port: 40000 + (i % 20000), destination_port: port, flags: { SYN: true } } },
        },
      }),
    );
  }
  return out;
}

/** Runs the benchmark and returns its last line. */
export function run(): Promise<string> {
  const inv = cluster();
  const lines = flows();
  let peak = process.memoryUsage().rss;
  const sample = (): void => {
    peak = Math.max(peak, process.memoryUsage().rss);
  };

  const tb = performance.now();
  const monitor = new FlowPolicyMonitor(inv);
  const buildMs = performance.now() - tb;

  const tp = performance.now();
  let parsed = 0;
  for (const l of lines) if ((JSON.parse(l) as { flow?: unknown }).flow) parsed++;
  const parseMs = performance.now() - tp;

  const ev = emptyEvent('flow', 'hubble', '');
  const tj = performance.now();
  let alerts = 0;
  for (let i = 0; i < lines.length; i++) {
    const record = JSON.parse(lines[i] as string) as { flow: { verdict: string; time: string } };
    const flow = parseFlowRecord(record, `b:${i}`);
    if (flow === undefined || typeof flow === 'string') continue;
    ev.id = `b:${i}`;
    ev.time = record.flow.time;
    ev.network.verdict = record.flow.verdict === 'DROPPED' ? 'dropped' : 'allowed';
    if (monitor.judge(flow, ev).alert) alerts++;
    if ((i & 16383) === 0) sample();
  }
  const judgeMs = performance.now() - tj;

  const tr = performance.now();
  const report = monitor.report();
  const reportMs = performance.now() - tr;
  sample();

  const s = monitor.stats;
  const perS = Math.round(FLOWS / (judgeMs / 1000));
  const ratio = judgeMs / parseMs;
  console.log(
    `cluster: ${NAMESPACES * WORKLOADS} workloads, ${NAMESPACES * 3} policies; flows: ${FLOWS} (${parsed} parsed)`,
  );
  console.log(`model build: ${buildMs.toFixed(0)} ms (once)`);
  console.log(
    `judged: ${s.allowed} allowed, ${s.denied} denied (${alerts} alerts), ${s.unknown} unknown, ${s.skipped} skipped in ${judgeMs.toFixed(0)} ms: ${perS} flows/s`,
  );
  console.log(`floor (JSON.parse only): ${parseMs.toFixed(0)} ms; ratio ${ratio.toFixed(2)}`);
  console.log(
    `least-privilege report: ${report.unused.length + report.more} unused pairs in ${reportMs.toFixed(0)} ms`,
  );
  return Promise.resolve(
    `bench detect-flows: flows_per_s=${perS} build_ms=${buildMs.toFixed(0)} ratio_to_parse=${ratio.toFixed(2)} report_ms=${reportMs.toFixed(0)} peak_rss_mib=${Math.round(peak / 1048576)}`,
  );
}
