/**
 * Upstream audit-log detections' own test events (../shared/oracles/audit-logs): for every
 * event whose rule has a Palisade counterpart, the counterpart fires exactly when the upstream
 * test expects. Skips, saying so, when the oracle folder is absent.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinRules } from './load.js';
import { ruleFires } from './suite.js';
import { EMPTY_SETTINGS } from './detector.js';

const ORACLE = path.resolve(
  import.meta.dirname,
  '../../../shared/oracles/audit-logs/panther-k8s-rules/tests-flattened.jsonl',
);

/** Upstream rule id → the Palisade rules that together stand for it (any of them firing counts). */
const COUNTERPARTS: Record<string, string | string[]> = {
  'Kubernetes.API.AnonymousAccess': 'anonymous-access',
  'Kubernetes.API.IOC.Activity': 'intel-source-ip',
  'Kubernetes.API.Multiple403.PublicIP': 'forbidden-from-public-ip',
  'Kubernetes.AdmissionController.Created': 'admission-webhook-created',
  'Kubernetes.BulkSecretAccess': 'bulk-secret-access',
  'Kubernetes.ClientCertificate.Created': 'client-certificate-requested',
  'Kubernetes.ClusterRoleBinding.Privileged': 'cluster-admin-binding',
  'Kubernetes.CronJob.CreatedOrModified': 'cronjob-created-or-modified',
  'Kubernetes.DaemonSet.Created': 'daemonset-created',
  'Kubernetes.Ingress.NoTLS': 'ingress-without-tls',
  'Kubernetes.Kubectl.CP.Operation': 'kubectl-cp-from-pod',
  'Kubernetes.Pod.Dangerous.Capabilities': 'dangerous-capabilities',
  'Kubernetes.Pod.Exec': 'pod-exec',
  'Kubernetes.Pod.Host.IPC': 'host-ipc-pod',
  'Kubernetes.Pod.Host.Network': 'host-network-pod',
  'Kubernetes.Pod.Host.PID': 'host-pid-pod',
  'Kubernetes.Pod.HostPath.Volume': 'host-path-volume',
  'Kubernetes.Pod.Privileged.Created': ['privileged-pod-created', 'root-container-created'],
  'Kubernetes.Pod.StealServiceAccountToken': 'steal-serviceaccount-token',
  'Kubernetes.Pod.SystemNamespace': 'pod-in-system-namespace',
  'Kubernetes.Role.NodeProxyPermissions': 'role-grants-node-proxy',
  'Kubernetes.Role.PodExec': 'role-grants-pod-exec',
  'Kubernetes.Role.Wildcard': 'wildcard-role',
  'Kubernetes.Secret.AccessDenied': 'secret-access-denied',
  'Kubernetes.Secrets.DumpAllNamespaces': 'secrets-listed-all-namespaces',
  'Kubernetes.Service.NodePort.Deployed': 'nodeport-service',
  'Kubernetes.ServiceAccount.TokenCreated': 'token-request-for-other-serviceaccount',
  'Kubernetes.System.Principal.PublicIP': 'system-principal-from-public-ip',
  'Kubernetes.SystemRole.Modified': 'system-role-modified',
};

/**
 * Cases Palisade judges differently on purpose, with why. The test fails when one of these
 * starts to agree (so the list stays true) or when any other case differs.
 */
const KNOWN_DIFFERENCES: Record<string, string> = {
  'Kubernetes.System.Principal.PublicIP / EKS addon-manager from AWS Lambda':
    "needs the cloud provider's address ranges (no enrichment in the event); configure settings.trustedNetworks",
  'Kubernetes.System.Principal.PublicIP / AKS CSI File Driver from Azure Node':
    "needs the cloud provider's address ranges (no enrichment in the event); configure settings.trustedNetworks",
};

const PROVIDER_DOMAIN: Record<string, string> = {
  'Amazon.EKS.Audit': 'amazon.com',
  'Azure.MonitorActivity': 'microsoft.com',
  'GCP.AuditLog': 'google.com',
};

/** Addresses the upstream events' ASN enrichment says belong to the cluster's own cloud, as trusted networks. */
function cloudNetworks(log: Record<string, unknown>): string[] {
  const own = PROVIDER_DOMAIN[String(log.p_log_type)];
  const e = log.p_enrichment as { ipinfo_asn?: { sourceIPs?: unknown } } | undefined;
  const list = e?.ipinfo_asn?.sourceIPs;
  if (!Array.isArray(list)) return [];
  return list
    .map((x) => x as { domain?: unknown; p_match?: unknown })
    .filter((x) => typeof x.p_match === 'string' && x.domain === own)
    .map((x) => `${String(x.p_match)}/32`);
}

interface OracleCase {
  rule_id: string;
  test: string;
  expected: boolean;
  log: Record<string, unknown>;
}

/** Indicators the upstream events carry as enrichment (Tor exit nodes), loaded as a feed. */
function enrichmentIndicators(log: Record<string, unknown>): { type: string; value: string }[] {
  const e = log.p_enrichment as { tor_exit_nodes?: unknown } | undefined;
  return Array.isArray(e?.tor_exit_nodes)
    ? e.tor_exit_nodes
        .filter((x): x is string => typeof x === 'string')
        .map((value) => ({ type: 'ip', value }))
    : [];
}

const present = existsSync(ORACLE);
describe.skipIf(!present)("audit-log detections against the upstream rules' test events", () => {
  it('fires exactly when expected for every event with a counterpart rule', () => {
    const cases = readFileSync(ORACLE, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as OracleCase);
    const rules = new Map(builtinRules().map((r) => [r.spec.id, r]));
    const perRule = new Map<string, { agree: number; total: number }>();
    const disagreements: string[] = [];
    const known: string[] = [];
    let withCounterpart = 0;
    for (const c of cases) {
      const id = COUNTERPARTS[c.rule_id];
      if (id === undefined) continue;
      withCounterpart++;
      const settings = { ...EMPTY_SETTINGS, trustedNetworks: cloudNetworks(c.log) };
      let actual: boolean | string = false;
      for (const rid of Array.isArray(id) ? id : [id]) {
        const rule = rules.get(rid);
        expect(rule, rid).toBeDefined();
        if (!rule) continue;
        const v = ruleFires(rule, c.log, enrichmentIndicators(c.log), settings);
        if (v === true || typeof v === 'string') actual = v;
        if (v === true) break;
      }
      const s = perRule.get(c.rule_id) ?? { agree: 0, total: 0 };
      s.total++;
      const key = `${c.rule_id} / ${c.test}`;
      if (actual === c.expected) s.agree++;
      else if (KNOWN_DIFFERENCES[key] !== undefined) known.push(key);
      else disagreements.push(`${key}: expected ${c.expected}, got ${String(actual)}`);
      perRule.set(c.rule_id, s);
    }
    const agree = [...perRule.values()].reduce((a, s) => a + s.agree, 0);
    const upstreamRules = new Set(cases.map((c) => c.rule_id));
    console.log(
      `audit-log oracle: ${upstreamRules.size} upstream rules, ${perRule.size} with a counterpart; ${withCounterpart} of ${cases.length} events judged, ${agree} agree`,
    );
    for (const d of disagreements) console.log(`  differs: ${d}`);
    for (const k of known) console.log(`  differs on purpose: ${k} (${KNOWN_DIFFERENCES[k] ?? ''})`);
    expect(disagreements).toEqual([]);
    expect(known.sort()).toEqual(Object.keys(KNOWN_DIFFERENCES).sort());
  });
});
if (!present) console.log(`audit-log oracle: ${ORACLE} is absent; the upstream comparison is skipped`);
