/**
 * Full workload reachability matrix of a synthetic cluster: 10,000 pods (2,000 workloads of
 * 5 replicas) in 100 namespaces with 10,000 NetworkPolicies, then 100,000 pods / 75,000
 * policies. Baseline in the same run: indexing the same objects (inventory, pod/label
 * indexes, policy compilation) without computing reachability.
 *
 * The policy mix per namespace: a default deny (both directions) in 90% of namespaces, DNS
 * egress to kube-dns, per-workload ingress and egress allow rules (same namespace, other
 * namespaces by label, named ports, endPort ranges), ipBlocks with except, matchExpressions,
 * and policies selecting nothing.
 *
 * The small case runs PALISADE_BENCH_ROUNDS rounds (default 3) and reports the fastest, plus
 * the first (cold) round as first_matrix_s; its peak RSS is taken after the first round.
 *
 * The wide shape (bench/_netpol-wide.ts: one namespace, one pod and one policy per
 * namespace, peers named through namespace selectors) at 5,000 and 20,000 namespaces:
 * - query: after load (inventory, pod index, compiled policies, analysis), 300 seeded
 *   random pairs are each looked up by name and explained on TCP 8080; p50/p99 of those.
 *   The first query, which also builds the analysis, is reported on its own.
 * - matrix: `netpol matrix` as text into a byte-counting sink, in a child process (its own
 *   peak RSS), load included, like matrix_s. PALISADE_BENCH_WIDE_TIMEOUT_S (default 600)
 *   bounds each child.
 * PALISADE_BENCH_ADVERSARIAL=N also runs the matrix of bench/_netpol-wide.ts's adversarial
 * shape with N pods and N policies (not in the last line).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { Inventory, refOf, type KubeObject } from '../src/core/index.js';
import { Analysis, buildModel, compilePolicies, explainConnection } from '../src/network/index.js';
import { wideCluster } from './_netpol-wide.js';

export interface Shape {
  namespaces: number;
  podsPerNs: number;
  replicas: number;
  policiesPerNs: number;
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

export function cluster(shape: Shape): KubeObject[] {
  const rand = rng(42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const out: KubeObject[] = [];
  const tiers = ['web', 'api', 'db', 'cache'] as const;
  const workloadsPerNs = shape.podsPerNs / shape.replicas;
  const nsName = (i: number): string => (i === 0 ? 'kube-system' : `ns-${i}`);
  for (let n = 0; n < shape.namespaces; n++) {
    const ns = nsName(n);
    out.push({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns, labels: { team: `team-${n % 10}`, env: n % 3 === 0 ? 'prod' : 'staging' } },
    });
    for (let w = 0; w < workloadsPerNs; w++) {
      const app = n === 0 && w === 0 ? 'kube-dns' : `app-${w}`;
      const tier = tiers[w % tiers.length] ?? 'web';
      const rs = `${app}-5d8f7c9b6d`;
      for (let r = 0; r < shape.replicas; r++) {
        out.push({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: `${rs}-${r}`,
            namespace: ns,
            labels: {
              app,
              tier,
              ...(n === 0 && w === 0 ? { 'k8s-app': 'kube-dns' } : {}),
              'pod-template-hash': '5d8f7c9b6d',
            },
            ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs, controller: true }],
          },
          spec: {
            containers: [
              {
                name: 'c',
                image: 'img:1',
                ports: [
                  { name: 'http', containerPort: 8080 + (w % 3) },
                  { name: 'metrics', containerPort: 9100 },
                ],
              },
            ],
          },
          status: { podIP: `10.${(n >> 8) & 255}.${n & 255}.${w * shape.replicas + r}` },
        });
      }
    }
    let made = 0;
    const policy = (name: string, spec: Record<string, unknown>): void => {
      if (made >= shape.policiesPerNs) return;
      made++;
      out.push({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name, namespace: ns },
        spec,
      });
    };
    // One namespace in ten has no default deny and no egress policy: its workloads reach
    // everything that admits them, which exercises the dense part of the matrix.
    const open = n % 10 === 5;
    if (!open) policy('default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    if (!open)
      policy('allow-dns', {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [
          {
            to: [
              {
                namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
                podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
              },
            ],
            ports: [
              { port: 53, protocol: 'UDP' },
              { port: 53, protocol: 'TCP' },
            ],
          },
        ],
      });
    for (let w = 0; w < workloadsPerNs; w++) {
      const a = `app-${w}`;
      policy(`${a}-ingress`, {
        podSelector: { matchLabels: { app: a } },
        policyTypes: ['Ingress'],
        ingress: [
          {
            from: [
              { podSelector: { matchLabels: { app: `app-${(w + workloadsPerNs - 1) % workloadsPerNs}` } } },
              { podSelector: { matchLabels: { app: `app-${(w + workloadsPerNs - 2) % workloadsPerNs}` } } },
            ],
            ports: [{ port: 'http' }],
          },
          {
            from: [
              {
                namespaceSelector: { matchLabels: { team: `team-${(n + 1) % 10}` } },
                podSelector: { matchLabels: { tier: 'web' } },
              },
            ],
            ports: [{ port: 8443 }, { port: 8080, endPort: 8082 }],
          },
        ],
      });
      policy(`${a}-egress`, {
        podSelector: { matchLabels: { app: a } },
        policyTypes: ['Egress'],
        egress: [
          {
            to: [
              { podSelector: { matchLabels: { app: `app-${(w + 1) % workloadsPerNs}` } } },
              { podSelector: { matchLabels: { app: `app-${(w + 2) % workloadsPerNs}` } } },
            ],
            ports: [{ port: 'http' }],
          },
          {
            to: [
              {
                namespaceSelector: { matchLabels: { team: `team-${(n + 9) % 10}` } },
                podSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['api', 'db'] }] },
              },
            ],
            ports: [{ port: 8080, endPort: 8082 }],
          },
        ],
      });
    }
    while (made < shape.policiesPerNs) {
      const k = made;
      switch (k % 4) {
        case 0:
          policy(`egress-cidr-${k}`, {
            podSelector: { matchLabels: { tier: pick(tiers) } },
            policyTypes: ['Egress'],
            egress: [
              {
                to: [
                  {
                    ipBlock: {
                      cidr: `${(k % 200) + 1}.0.0.0/8`,
                      except: [`${(k % 200) + 1}.${k % 250}.0.0/16`],
                    },
                  },
                ],
                ports: [{ port: 443 }],
              },
            ],
          });
          break;
        case 1:
          policy(`metrics-${k}`, {
            podSelector: { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['db'] }] },
            ingress: [
              {
                from: [
                  {
                    namespaceSelector: { matchLabels: { env: 'prod' } },
                    podSelector: { matchLabels: { app: `app-${k % workloadsPerNs}` } },
                  },
                ],
                ports: [{ port: 'metrics' }],
              },
            ],
          });
          break;
        case 2:
          policy(`ghost-${k}`, { podSelector: { matchLabels: { app: `gone-${k}` } }, ingress: [{}] });
          break;
        default:
          policy(`lb-${k}`, {
            podSelector: { matchLabels: { app: `app-${k % workloadsPerNs}`, tier: 'web' } },
            ingress: [
              {
                from: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', `192.168.${k % 256}.0/24`] } }],
                ports: [{ port: 443 }, { port: 80 }],
              },
            ],
          });
      }
    }
  }
  return out;
}

export interface Measured {
  /** Building allowances (selector matching, rule expansion), part of matrixS. */
  compileS: number;
  /** CPU seconds of the matrix phase (less sensitive than wall time to a loaded machine). */
  matrixCpuS: number;
  pods: number;
  workloads: number;
  policies: number;
  connections: number;
  indexS: number;
  indexCpuS: number;
  matrixS: number;
}

export function measure(shape: Shape): Measured {
  const objects = cluster(shape);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const inv = new Inventory();
  for (const o of objects) inv.add({ object: o, ref: refOf(o) });
  const model = buildModel(inv);
  const { policies, issues } = compilePolicies(inv.resources);
  if (issues.length > 0) throw new Error(`bench policies invalid: ${issues[0]?.message ?? ''}`);
  const t1 = performance.now();
  const indexCpu = process.cpuUsage(c0);
  const c1 = process.cpuUsage();
  const analysis = new Analysis(model, policies, { granularity: 'workload' });
  const tBuilt = performance.now();
  // The matrix as compact columns: source, destination, interned connection-set id.
  let cap = 1 << 16;
  let src = new Int32Array(cap);
  let dst = new Int32Array(cap);
  let conn = new Int32Array(cap);
  let n = 0;
  analysis.forEachConnection((c) => {
    if (n === cap) {
      cap *= 2;
      const grow = (a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> => {
        const b = new Int32Array(cap);
        b.set(a);
        return b;
      };
      src = grow(src);
      dst = grow(dst);
      conn = grow(conn);
    }
    src[n] = c.src;
    dst[n] = c.dst;
    conn[n] = c.conn.id;
    n++;
  });
  const t2 = performance.now();
  const cpu = process.cpuUsage(c1);
  return {
    compileS: (tBuilt - t1) / 1000,
    matrixCpuS: (cpu.user + cpu.system) / 1e6,
    pods: model.pods.length,
    workloads: analysis.peers.length,
    policies: policies.length,
    connections: n,
    indexS: (t1 - t0) / 1000,
    indexCpuS: (indexCpu.user + indexCpu.system) / 1e6,
    matrixS: (t2 - t1) / 1000,
  };
}

function describe(label: string, m: Measured, rss: number): void {
  console.log(
    `${label}: ${m.pods} pods, ${m.workloads} workloads, ${m.policies} policies, ${m.connections} allowed connections`,
  );
  console.log(
    `  index (baseline) ${m.indexS.toFixed(3)} s wall / ${m.indexCpuS.toFixed(3)} s cpu; ` +
      `matrix ${m.matrixS.toFixed(3)} s wall / ${m.matrixCpuS.toFixed(3)} s cpu (allowances ${m.compileS.toFixed(3)} s); ` +
      `matrix/baseline ${(m.matrixS / m.indexS).toFixed(2)}x wall, ${(m.matrixCpuS / m.indexCpuS).toFixed(2)}x cpu; peak RSS ${rss.toFixed(0)} MiB`,
  );
}

function rssMib(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** Figures of one wide matrix child (see bench/_netpol-wide-child.ts). */
interface WideMatrix {
  loadS: number;
  matrixS: number;
  cpuS: number;
  pods: number;
  policies: number;
  classes: number;
  lines: number;
  bytes: number;
  peakRssMib: number;
}

function wideMatrix(n: number, shape: 'wide' | 'adversarial'): WideMatrix | undefined {
  const script = path.join(import.meta.dirname, '_netpol-wide-child.ts');
  const timeoutS = Number(process.env.PALISADE_BENCH_WIDE_TIMEOUT_S ?? 600);
  try {
    const out = execFileSync(process.execPath, ['--import', 'tsx', script, String(n), shape], {
      encoding: 'utf8',
      timeout: timeoutS * 1000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return JSON.parse(out.trim().split('\n').at(-1) ?? '') as WideMatrix;
  } catch (e) {
    console.log(
      `  ${shape} ${n}: matrix did not finish within ${timeoutS} s (${(e as Error).message.split('\n')[0] ?? ''})`,
    );
    return undefined;
  }
}

function describeWideMatrix(label: string, m: WideMatrix | undefined): void {
  if (!m) return;
  console.log(
    `${label} matrix: ${m.pods} pods, ${m.policies} policies, ${m.classes} classes, ${m.lines} lines (${(m.bytes / 1048576).toFixed(1)} MiB of text); ` +
      `load ${m.loadS.toFixed(2)} s + matrix ${m.matrixS.toFixed(2)} s wall, ${m.cpuS.toFixed(2)} s cpu; peak RSS ${m.peakRssMib.toFixed(0)} MiB`,
  );
}

interface WideQuery {
  loadS: number;
  firstQueryMs: number;
  p50Ms: number;
  p99Ms: number;
}

function wideQuery(n: number): WideQuery {
  const objects = wideCluster(n);
  const t0 = performance.now();
  const inv = new Inventory();
  for (const o of objects) inv.add({ object: o, ref: refOf(o) });
  const model = buildModel(inv);
  const { policies } = compilePolicies(inv.resources);
  const t1 = performance.now();
  const analysis = new Analysis(model, policies, { granularity: 'workload' });
  const names = analysis.peers.map((p) => `${p.namespace}/${p.name}`);
  const port = { protocol: 'TCP' as const, port: 8080 };
  const ask = (src: string, dst: string): void => {
    const s = analysis.findPeer(src);
    const d = analysis.findPeer(dst);
    if (s === undefined || d === undefined) throw new Error(`bench: no peer ${src} or ${dst}`);
    explainConnection(analysis, s, d, port);
  };
  ask(names[5] ?? '', names[6] ?? '');
  const t2 = performance.now();
  const rand = rng(19);
  const times: number[] = [];
  for (let i = 0; i < 300; i++) {
    const src = names[Math.floor(rand() * names.length)] ?? '';
    const dst = names[Math.floor(rand() * names.length)] ?? '';
    const q0 = performance.now();
    ask(src, dst);
    times.push(performance.now() - q0);
  }
  times.sort((a, b) => a - b);
  const at = (q: number): number => times[Math.min(times.length - 1, Math.ceil(q * times.length) - 1)] ?? 0;
  return { loadS: (t1 - t0) / 1000, firstQueryMs: t2 - t1, p50Ms: at(0.5), p99Ms: at(0.99) };
}

function describeWideQuery(label: string, q: WideQuery): void {
  console.log(
    `${label} query: load ${q.loadS.toFixed(2)} s; first query (builds the analysis) ${q.firstQueryMs.toFixed(1)} ms; ` +
      `then p50 ${q.p50Ms.toFixed(2)} ms, p99 ${q.p99Ms.toFixed(2)} ms`,
  );
}

/** The wide shape's figures at 5,000 (and 20,000 unless small) as last-line keys. */
function wideFigures(small: boolean): string {
  const q5 = wideQuery(5000);
  describeWideQuery('wide 5,000', q5);
  const m5 = wideMatrix(5000, 'wide');
  describeWideMatrix('wide 5,000', m5);
  const fmt = (m: WideMatrix | undefined, f: (m: WideMatrix) => string): string => (m ? f(m) : 'killed');
  let keys =
    ` wide_query_p99_ms=${q5.p99Ms.toFixed(2)} wide_matrix_s=${fmt(m5, (m) => (m.loadS + m.matrixS).toFixed(1))}` +
    ` wide_peak_rss_mib=${fmt(m5, (m) => m.peakRssMib.toFixed(0))}`;
  if (!small) {
    const q20 = wideQuery(20000);
    describeWideQuery('wide 20,000', q20);
    const m20 = wideMatrix(20000, 'wide');
    describeWideMatrix('wide 20,000', m20);
    keys +=
      ` wide20k_query_p99_ms=${q20.p99Ms.toFixed(2)} wide20k_matrix_s=${fmt(m20, (m) => (m.loadS + m.matrixS).toFixed(1))}` +
      ` wide20k_peak_rss_mib=${fmt(m20, (m) => m.peakRssMib.toFixed(0))}`;
  }
  const adversarial = Number(process.env.PALISADE_BENCH_ADVERSARIAL ?? 0);
  if (adversarial > 0)
    describeWideMatrix(`adversarial ${adversarial}`, wideMatrix(adversarial, 'adversarial'));
  return keys;
}

export function run(): Promise<string> {
  // The machine may be shared: the small case runs several rounds and reports the fastest
  // (wall and CPU minimised separately); the large case runs once.
  const rounds = Math.max(1, Number(process.env.PALISADE_BENCH_ROUNDS ?? 3));
  const smallShape = { namespaces: 100, podsPerNs: 100, replicas: 5, policiesPerNs: 100 };
  let small = measure(smallShape);
  // Peak RSS of one computation: later rounds only add garbage not yet collected.
  const smallRss = rssMib();
  const first = small;
  for (let r = 1; r < rounds; r++) {
    const m = measure(smallShape);
    const wall = m.indexS + m.matrixS < small.indexS + small.matrixS ? m : small;
    const cpu = m.indexCpuS + m.matrixCpuS < small.indexCpuS + small.matrixCpuS ? m : small;
    small = {
      ...wall,
      indexCpuS: cpu.indexCpuS,
      matrixCpuS: cpu.matrixCpuS,
    };
  }
  describe(`small (min of ${rounds} rounds)`, small, smallRss);
  if (process.env.PALISADE_BENCH_SMALL === '1') {
    return Promise.resolve(
      `bench netpol: matrix_s=${(small.indexS + small.matrixS).toFixed(2)} peak_rss_mib=${smallRss.toFixed(0)} large_matrix_s=skipped matrix_cpu_s=${(small.indexCpuS + small.matrixCpuS).toFixed(2)} first_matrix_s=${(first.indexS + first.matrixS).toFixed(2)}${wideFigures(true)}`,
    );
  }
  const large = measure({ namespaces: 500, podsPerNs: 200, replicas: 5, policiesPerNs: 150 });
  describe('large', large, rssMib());
  const largeRss = rssMib();
  return Promise.resolve(
    `bench netpol: matrix_s=${(small.indexS + small.matrixS).toFixed(2)} peak_rss_mib=${smallRss.toFixed(0)} large_matrix_s=${(large.indexS + large.matrixS).toFixed(1)} matrix_cpu_s=${(small.indexCpuS + small.matrixCpuS).toFixed(2)} large_matrix_cpu_s=${(large.indexCpuS + large.matrixCpuS).toFixed(1)} first_matrix_s=${(first.indexS + first.matrixS).toFixed(2)} large_peak_rss_mib=${largeRss.toFixed(0)}${wideFigures(false)}`,
  );
}
