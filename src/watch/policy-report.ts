/**
 * Palisade's findings as `wgpolicyk8s.io/v1alpha2` reports (pure): one PolicyReport named
 * `palisade` per namespace with findings, one ClusterPolicyReport `palisade` for
 * cluster-scoped objects. A report holds at most {@link MAX_REPORT_RESULTS} results, the most
 * severe first; its summary counts every finding and the annotation
 * `palisade.dev/omitted-results` says how many were left out, so an object stays far below
 * etcd's size limit whatever the cluster.
 */
import { SEVERITIES, type Finding, type KubeObject } from '../core/index.js';
import { findingNamespace } from '../store/index.js';

/** Results kept per report (about 0.5 KiB each: a report stays under 1 MiB). */
export const MAX_REPORT_RESULTS = 1000;
/** The name of every report Palisade writes. */
export const REPORT_NAME = 'palisade';
/** The label that marks Palisade's reports (used to find and prune them). */
export const REPORT_LABEL = 'app.kubernetes.io/managed-by';

/** Builds the reports of a set of findings, keyed by namespace (`''` for the cluster report). */
export function buildPolicyReports(
  findings: Iterable<Finding>,
  options: { time: number; maxResults?: number },
): Map<string, KubeObject> {
  const max = options.maxResults ?? MAX_REPORT_RESULTS;
  const byNamespace = new Map<string, Finding[]>();
  for (const f of findings) {
    if (f.suppressed) continue;
    // A Namespace object's findings belong to the namespace's report.
    const ns = findingNamespace(f.resource);
    const list = byNamespace.get(ns);
    if (list) list.push(f);
    else byNamespace.set(ns, [f]);
  }
  const out = new Map<string, KubeObject>();
  for (const [ns, list] of [...byNamespace].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    out.set(ns, buildReport(ns, list, options.time, max));
  return out;
}

function compare(a: Finding, b: Finding): number {
  return (
    SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) ||
    cmp(a.controlId, b.controlId) ||
    cmp(a.resource.kind, b.resource.kind) ||
    cmp(a.resource.name, b.resource.name) ||
    cmp(a.fieldPath ?? '', b.fieldPath ?? '')
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function buildReport(namespace: string, findings: Finding[], time: number, max: number): KubeObject {
  const kept =
    findings.length > max ? [...findings].sort(compare).slice(0, max) : [...findings].sort(compare);
  const seconds = Math.floor(time / 1000);
  const omitted = findings.length - kept.length;
  return {
    apiVersion: 'wgpolicyk8s.io/v1alpha2',
    kind: namespace === '' ? 'ClusterPolicyReport' : 'PolicyReport',
    metadata: {
      name: REPORT_NAME,
      ...(namespace !== '' ? { namespace } : {}),
      labels: { [REPORT_LABEL]: 'palisade' },
      annotations: { 'palisade.dev/omitted-results': String(omitted) },
    },
    summary: { pass: 0, fail: findings.length, warn: 0, error: 0, skip: 0 },
    results: kept.map((f) => ({
      source: 'palisade',
      policy: f.controlId,
      category: f.controlId.split('/')[0] ?? '',
      severity: f.severity,
      result: 'fail',
      scored: true,
      message: f.message,
      timestamp: { seconds, nanos: 0 },
      resources: [
        {
          apiVersion: f.resource.apiVersion,
          kind: f.resource.kind,
          name: f.resource.name,
          ...(f.resource.namespace !== undefined ? { namespace: f.resource.namespace } : {}),
        },
      ],
      properties: { title: f.title, ...(f.fieldPath !== undefined ? { fieldPath: f.fieldPath } : {}) },
    })),
  };
}

/** The API path of a report (namespace `''`: the cluster report). */
export function reportPath(namespace: string): string {
  return namespace === ''
    ? `/apis/wgpolicyk8s.io/v1alpha2/clusterpolicyreports/${REPORT_NAME}`
    : `/apis/wgpolicyk8s.io/v1alpha2/namespaces/${encodeURIComponent(namespace)}/policyreports/${REPORT_NAME}`;
}
