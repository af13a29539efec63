import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryIO } from '../io.js';
import { main } from '../main.js';

const DEMO = path.resolve(import.meta.dirname, '../../../examples/demo-cluster');

interface JsonReport {
  findings: { controlId: string; resource: { kind: string; namespace?: string; name: string } }[];
  inputErrors: unknown[];
  scores: { framework: string; score: number }[];
}

async function scanDemo(): Promise<JsonReport> {
  const io = memoryIO({ cwd: DEMO });
  await main(['scan', '.', '-o', 'json', '-q', '--fail-on', 'none', '--scan-date', '2026-12-01'], io);
  return JSON.parse(io.out()) as JsonReport;
}

/** Each weakness of examples/demo-cluster/README.md: the object and the control that must find it. */
const WEAKNESSES: [weakness: string, object: string, controlId: string][] = [
  ['W1', 'DaemonSet ops/log-shipper', 'workload/no-privileged'],
  ['W1', 'DaemonSet ops/log-shipper', 'workload/no-host-path'],
  ['W2', 'StatefulSet storefront/search', 'workload/image-tag'],
  ['W2', 'StatefulSet storefront/search', 'workload/resource-limits'],
  ['W3', 'Deployment storefront/catalog-api', 'workload/resource-limits'],
  ['W3', 'Deployment storefront/catalog-api', 'workload/no-automount-token'],
  ['W4', 'Deployment checkout/payments-api', 'secrets/no-secret-in-env'],
  ['W5', 'DaemonSet monitoring/node-exporter', 'network/no-host-network'],
  ['W5', 'DaemonSet monitoring/node-exporter', 'workload/no-host-pid'],
  ['W5', 'DaemonSet monitoring/node-exporter', 'workload/no-host-ports'],
  ['W5', 'DaemonSet monitoring/node-exporter', 'workload/no-host-path'],
  ['W6', 'CronJob data/db-backup', 'workload/no-host-path'],
  ['W6', 'CronJob data/db-backup', 'workload/run-as-non-root'],
  ['W7', 'ClusterRoleBinding ci-runner-admin', 'rbac/no-cluster-admin-binding'],
  ['W7', 'Deployment ops/ci-runner', 'workload/no-host-path'],
  ['W8', 'Role checkout/secret-reader', 'rbac/secrets-read'],
  ['W9', 'ClusterRole deployer', 'rbac/no-wildcards'],
  ['W9', 'ClusterRole deployer', 'rbac/create-pods'],
  ['W10', 'NetworkPolicy data/postgres-allow-all-namespaces', 'network/no-allow-all'],
  ['W10', 'NetworkPolicy data/postgres-allow-all-namespaces', 'network_ingress_from_all_namespaces'],
  ['W11', 'Service storefront/web', 'network/no-node-port-load-balancer'],
  ['W11', 'Service monitoring/grafana', 'network/no-node-port-load-balancer'],
  ['W12', 'ConfigMap storefront/catalog-config', 'secrets/no-secret-in-configmap'],
  ['W13', 'Pod default/debug-shell', 'workload/no-default-namespace'],
  ['W13', 'Pod default/debug-shell', 'workload/no-added-capabilities'],
  ['W13', 'Pod default/debug-shell', 'workload/no-net-raw'],
  ['W13', 'Pod default/debug-shell', 'workload/no-host-pid'],
  ['W13', 'Pod default/debug-shell', 'workload/image-tag'],
  ['W13', 'Pod default/debug-shell', 'workload/run-as-non-root'],
  ['W14', 'ClusterRole node-metrics-reader', 'rbac/nodes-proxy'],
  ['W14', 'ClusterRoleBinding metrics-for-everyone', 'rbac/no-anonymous-bindings'],
  ['W15', 'Secret ops/ci-runner-token', 'secrets/no-legacy-token-secret'],
  ['W16', 'Namespace storefront', 'network/default-deny-ingress'],
  ['W16', 'Namespace ops', 'network/default-deny-ingress'],
  ['W16', 'Namespace monitoring', 'network/default-deny-ingress'],
  ['W16', 'Namespace storefront', 'network/default-deny-egress'],
];

/** Every control the demo cluster trips; a change here means the catalogue or the demo changed. */
const EXPECTED_CONTROL_IDS = [
  // No kubernetesVersion is configured: an info finding that version currency was not judged.
  'cluster/version-eol',
  'network/default-deny-egress',
  'network/default-deny-ingress',
  'network/no-allow-all',
  'network/no-host-network',
  'network/no-node-port-load-balancer',
  'network/pod-selected-by-policy',
  'network_ingress_from_all_namespaces',
  'rbac/create-pods',
  'rbac/no-anonymous-bindings',
  'rbac/no-cluster-admin-binding',
  'rbac/no-wildcards',
  'rbac/nodes-proxy',
  'rbac/secrets-read',
  'secrets/no-legacy-token-secret',
  'secrets/no-secret-in-configmap',
  'secrets/no-secret-in-env',
  'secrets/secrets-as-files',
  'workload/drop-all-capabilities',
  'workload/image-digest',
  'workload/image-pull-policy',
  'workload/image-tag',
  'workload/no-added-capabilities',
  'workload/no-automount-token',
  'workload/no-default-namespace',
  'workload/no-default-service-account',
  'workload/no-host-path',
  'workload/no-host-pid',
  'workload/no-host-ports',
  'workload/no-net-raw',
  'workload/no-privilege-escalation',
  'workload/no-privileged',
  'workload/read-only-root-fs',
  'workload/resource-limits',
  'workload/run-as-non-root',
  'workload/seccomp-profile',
];

function objectOf(r: { kind: string; namespace?: string; name: string }): string {
  return `${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`;
}

describe('examples/demo-cluster', () => {
  const report = scanDemo();

  it.each(WEAKNESSES)('%s: %s is found by %s', async (_w, object, controlId) => {
    const { findings } = await report;
    expect(findings.filter((f) => f.controlId === controlId).map((f) => objectOf(f.resource))).toContain(
      object,
    );
  });

  it('trips exactly the pinned set of controls, with no input errors', async () => {
    const { findings, inputErrors } = await report;
    expect(inputErrors).toEqual([]);
    expect([...new Set(findings.map((f) => f.controlId))].sort()).toEqual(EXPECTED_CONTROL_IDS);
  });

  it('does not flag the sound parts: checkout is isolated in both directions', async () => {
    const { findings } = await report;
    const checkout = findings.filter(
      (f) => f.resource.kind === 'Namespace' && f.resource.name === 'checkout',
    );
    expect(checkout).toEqual([]);
  });

  it("keeps a namespace's own findings when scanning only that namespace", async () => {
    const io = memoryIO({ cwd: DEMO });
    await main(['scan', '.', '-o', 'json', '-q', '--fail-on', 'none', '-n', 'ops'], io);
    const { findings } = JSON.parse(io.out()) as JsonReport;
    expect(
      findings.filter((f) => f.resource.kind === 'Namespace').map((f) => `${f.controlId} ${f.resource.name}`),
    ).toEqual(['network/default-deny-egress ops', 'network/default-deny-ingress ops']);
    expect(findings.every((f) => f.resource.namespace === 'ops' || f.resource.name === 'ops')).toBe(true);
  });

  it('keeps reliability hygiene out of the default and reports it under best-practices', async () => {
    const io = memoryIO({ cwd: DEMO });
    await main(['scan', '.', '-o', 'json', '-q', '--fail-on', 'none', '--framework', 'best-practices'], io);
    const { findings, scores } = JSON.parse(io.out()) as JsonReport;
    expect([...new Set(findings.map((f) => f.controlId))].sort()).toEqual([
      'workload/liveness-probe',
      'workload/readiness-probe',
      'workload/resource-requests',
    ]);
    expect(scores.map((s) => s.framework)).toEqual(['best-practices']);
  });

  it('scores every framework below 100', async () => {
    const { scores } = await report;
    expect(scores.map((s) => s.framework)).toEqual(['cis-1.10', 'nsa-cisa-1.2', 'mitre-attack']);
    for (const s of scores) expect(s.score).toBeLessThan(100);
  });
});

describe('examples/demo-cluster: namespace isolation in the reports', () => {
  it('the table lists namespace pairs as open or isolated', async () => {
    const io = memoryIO({ cwd: DEMO });
    await main(['scan', '.', '-q', '--fail-on', 'none', '--scan-date', '2026-12-01'], io);
    expect(io.out()).toContain('Namespace isolation');
    expect(io.out()).toMatch(/\n {2}checkout → storefront +isolated\n/);
    expect(io.out()).toMatch(
      /\n {2}storefront → checkout +open +e\.g\. storefront\/catalog-api\[Deployment\] => checkout\/cart-api\[Deployment\] : TCP 8080\n/,
    );
    expect(io.out()).toContain('22 of 30 namespace pairs open, 8 isolated');
  });

  it('the HTML report has the grid', async () => {
    const io = memoryIO({ cwd: DEMO });
    await main(['scan', '.', '-q', '--fail-on', 'none', '--scan-date', '2026-12-01', '-o', 'html'], io);
    expect(io.out()).toContain('<section id="isolation"><h2>Namespace isolation</h2>');
    expect(io.out()).toMatch(/<tr><th>checkout<\/th><td>–<\/td><td[^>]*>open<\/td>/);
  });
});
