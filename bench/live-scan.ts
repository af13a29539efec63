/**
 * Live cluster scan: creates 10,000 objects (workloads, pods, services, RBAC, NetworkPolicies,
 * ConfigMaps, Secrets, ServiceAccounts in 20 namespaces) in a real kube-apiserver from the test
 * harness, then times the full `palisade scan --cluster` (discovery, paged lists, controls,
 * JSON report) against bare listing of the same types with @kubernetes/client-node, each in its
 * own child process so peak RSS is the command's own. Median of three rounds each.
 */
import { execFileSync } from 'node:child_process';
import https from 'node:https';
import path from 'node:path';
// Not the harness index: that one also exports the vitest gate, which only loads inside vitest.
import { startCluster, type TestCluster } from '../test/harness/cluster.js';
import { harnessStatus } from '../test/harness/status.js';

const NAMESPACES = 20;
/** Per namespace: 499 objects, plus the namespace itself = 500; 20 namespaces = 10,000. */
const PER_NAMESPACE: [kind: string, count: number][] = [
  ['ConfigMap', 150],
  ['Deployment', 60],
  ['Pod', 60],
  ['Service', 40],
  ['Role', 40],
  ['RoleBinding', 40],
  ['NetworkPolicy', 50],
  ['Secret', 30],
  ['ServiceAccount', 29],
];
const ROUNDS = 3;

function objectFor(kind: string, ns: string, i: number): { path: string; body: Record<string, unknown> } {
  const name = `${kind.toLowerCase()}-${i}`;
  const metadata = { name, namespace: ns, labels: { app: `app-${i % 10}` } };
  const container = {
    name: 'app',
    image: i % 3 === 0 ? 'nginx:latest' : 'registry.example.com/app:1.4.2',
    ...(i % 4 === 0 ? { securityContext: { privileged: true } } : {}),
    ...(i % 5 === 0 ? {} : { resources: { limits: { cpu: '200m', memory: '128Mi' } } }),
  };
  const core = `/api/v1/namespaces/${ns}`;
  switch (kind) {
    case 'ConfigMap':
      return {
        path: `${core}/configmaps`,
        body: { apiVersion: 'v1', kind, metadata, data: { key: `value-${i}`, more: 'x'.repeat(200) } },
      };
    case 'Secret':
      return {
        path: `${core}/secrets`,
        body: { apiVersion: 'v1', kind, metadata, stringData: { password: `pw-${i}` } },
      };
    case 'ServiceAccount':
      return { path: `${core}/serviceaccounts`, body: { apiVersion: 'v1', kind, metadata } };
    case 'Pod':
      return {
        path: `${core}/pods`,
        body: { apiVersion: 'v1', kind, metadata, spec: { containers: [container] } },
      };
    case 'Service':
      return {
        path: `${core}/services`,
        body: {
          apiVersion: 'v1',
          kind,
          metadata,
          spec: { clusterIP: 'None', selector: metadata.labels, ports: [{ port: 80 }] },
        },
      };
    case 'Deployment':
      return {
        path: `/apis/apps/v1/namespaces/${ns}/deployments`,
        body: {
          apiVersion: 'apps/v1',
          kind,
          metadata,
          spec: {
            replicas: 2,
            selector: { matchLabels: metadata.labels },
            template: { metadata: { labels: metadata.labels }, spec: { containers: [container] } },
          },
        },
      };
    case 'Role':
      return {
        path: `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`,
        body: {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind,
          metadata,
          rules: [
            {
              apiGroups: [''],
              resources: i % 7 === 0 ? ['*'] : ['configmaps', 'pods'],
              verbs: ['get', 'list'],
            },
          ],
        },
      };
    case 'RoleBinding':
      return {
        path: `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`,
        body: {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind,
          metadata,
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `role-${i}` },
          subjects: [{ kind: 'ServiceAccount', name: `serviceaccount-${i % 29}`, namespace: ns }],
        },
      };
    case 'NetworkPolicy':
      return {
        path: `/apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies`,
        body: {
          apiVersion: 'networking.k8s.io/v1',
          kind,
          metadata,
          spec: {
            podSelector: { matchLabels: { app: `app-${i % 10}` } },
            policyTypes: ['Ingress'],
            ingress: [
              {
                from: [{ podSelector: { matchLabels: { app: `app-${(i + 1) % 10}` } } }],
                ports: [{ port: 80 }],
              },
            ],
          },
        },
      };
    default:
      throw new Error(`no template for ${kind}`);
  }
}

function post(agent: https.Agent, cluster: TestCluster, p: string, body: unknown): Promise<void> {
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const url = new URL(cluster.server);
    const req = https.request(
      {
        hostname: url.hostname,
        port: url.port,
        path: p,
        method: 'POST',
        agent,
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if (res.statusCode === 201) resolve();
          else
            reject(
              new Error(`POST ${p}: ${res.statusCode} ${Buffer.concat(chunks).toString().slice(0, 300)}`),
            );
        });
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

async function createObjects(cluster: TestCluster): Promise<number> {
  const agent = new https.Agent({
    keepAlive: true,
    maxSockets: 16,
    ca: cluster.caPem,
    cert: cluster.admin.certPem,
    key: cluster.admin.keyPem,
  });
  const namespaces = Array.from({ length: NAMESPACES }, (_, n) => `bench-${n}`);
  await Promise.all(
    namespaces.map((ns) =>
      post(agent, cluster, '/api/v1/namespaces', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: ns },
      }),
    ),
  );
  const jobs: { path: string; body: Record<string, unknown> }[] = [];
  for (const ns of namespaces)
    for (const [kind, count] of PER_NAMESPACE)
      for (let i = 0; i < count; i++) jobs.push(objectFor(kind, ns, i));
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < jobs.length) {
        const job = jobs[next++];
        if (job) await post(agent, cluster, job.path, job.body);
      }
    }),
  );
  agent.destroy();
  return namespaces.length + jobs.length;
}

interface ChildResult {
  seconds: number;
  objects: number;
  peakRssMiB: number;
}

function child(args: string[]): ChildResult {
  const script = path.join(import.meta.dirname, '_live-scan-child.ts');
  const out = execFileSync(process.execPath, ['--import', 'tsx', script, ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const last = out.trim().split('\n').at(-1) ?? '';
  return JSON.parse(last) as ChildResult;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

export async function run(): Promise<string> {
  const status = harnessStatus();
  if (!status.ok) throw new Error(`bench live-scan needs the kube-apiserver harness: ${status.reason}`);
  const cluster = await startCluster();
  try {
    let t = performance.now();
    const created = await createObjects(cluster);
    console.log(`created ${created} objects in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    // The same types the scan lists: discovery once, through palisade's own reader.
    const { connectCluster, readCluster } = await import('../src/load/index.js');
    const conn = await connectCluster({ kubeconfig: cluster.admin.kubeconfig });
    const read = await readCluster(conn.transport);
    conn.close();
    const types = read.types.map((ty) => ({
      apiVersion: ty.group === '' ? ty.version : `${ty.group}/${ty.version}`,
      kind: ty.kind,
    }));
    console.log(`discovered ${types.length} listable types, ${read.inventory.size} objects in the cluster`);

    const scans: ChildResult[] = [];
    const lists: ChildResult[] = [];
    t = performance.now();
    for (let round = 0; round < ROUNDS; round++) {
      lists.push(child(['list', cluster.admin.kubeconfig, JSON.stringify(types)]));
      scans.push(child(['scan', cluster.admin.kubeconfig]));
    }
    const scanS = median(scans.map((s) => s.seconds));
    const listS = median(lists.map((s) => s.seconds));
    const peak = Math.max(...scans.map((s) => s.peakRssMiB));
    const resources = scans[0]?.objects ?? 0;
    console.log(
      `scan --cluster: ${scans.map((s) => s.seconds.toFixed(2)).join(', ')} s (median ${scanS.toFixed(2)}); ${resources} resources; peak RSS ${peak.toFixed(0)} MiB`,
    );
    console.log(
      `client-node list: ${lists.map((s) => s.seconds.toFixed(2)).join(', ')} s (median ${listS.toFixed(2)}); ${lists[0]?.objects ?? 0} objects; peak RSS ${Math.max(...lists.map((s) => s.peakRssMiB)).toFixed(0)} MiB`,
    );
    return `bench live-scan: scan_s=${scanS.toFixed(2)} resources_per_s=${Math.round(resources / scanS)} peak_rss_mib=${Math.round(peak)} ratio_to_list=${(scanS / listS).toFixed(2)}`;
  } finally {
    await cluster.stop();
  }
}
