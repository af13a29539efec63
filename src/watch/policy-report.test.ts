import { describe, expect, it } from 'vitest';
import type { Finding, Severity } from '../core/index.js';
import { buildPolicyReports, reportPath } from './policy-report.js';

function finding(name: string, namespace: string | undefined, severity: Severity = 'high'): Finding {
  return {
    controlId: 'workload/no-privileged',
    title: 'Containers must not run privileged',
    severity,
    message: `${name} is privileged`,
    resource: {
      apiVersion: namespace === undefined ? 'v1' : 'apps/v1',
      kind: namespace === undefined ? 'Node' : 'Deployment',
      ...(namespace !== undefined ? { namespace } : {}),
      name,
    },
    fieldPath: 'spec.template.spec.containers[0].securityContext.privileged',
    remediation: '',
    frameworks: [],
  };
}

const results = (o: unknown): { severity: string; resources: { name: string }[] }[] =>
  (o as { results: { severity: string; resources: { name: string }[] }[] }).results;

describe('buildPolicyReports', () => {
  it('writes one PolicyReport per namespace and a ClusterPolicyReport for cluster-scoped objects', () => {
    const reports = buildPolicyReports(
      [finding('a', 'shop'), finding('b', 'pay'), finding('n1', undefined)],
      {
        time: 1_800_000_000_000,
      },
    );
    expect([...reports.keys()]).toEqual(['', 'pay', 'shop']);
    expect(reports.get('')).toMatchObject({ kind: 'ClusterPolicyReport', metadata: { name: 'palisade' } });
    expect(reports.get('shop')).toMatchObject({
      apiVersion: 'wgpolicyk8s.io/v1alpha2',
      kind: 'PolicyReport',
      metadata: { name: 'palisade', namespace: 'shop' },
      summary: { fail: 1, pass: 0 },
    });
    expect(results(reports.get('shop'))[0]).toMatchObject({
      policy: 'workload/no-privileged',
      result: 'fail',
      severity: 'high',
      resources: [{ kind: 'Deployment', namespace: 'shop', name: 'a' }],
      timestamp: { seconds: 1_800_000_000, nanos: 0 },
    });
  });

  it('keeps the most severe results up to the bound and counts every finding in the summary', () => {
    const many = Array.from({ length: 30 }, (_, i) => finding(`low${i}`, 'shop', 'low'));
    many.push(finding('worst', 'shop', 'critical'));
    const report = buildPolicyReports(many, { time: 0, maxResults: 10 }).get('shop');
    expect(results(report)).toHaveLength(10);
    expect(results(report)[0]?.resources[0]?.name).toBe('worst');
    expect(report).toMatchObject({
      summary: { fail: 31 },
      metadata: { annotations: { 'palisade.dev/omitted-results': '21' } },
    });
  });

  it('leaves suppressed findings out and writes nothing for nothing', () => {
    const f = {
      ...finding('a', 'shop'),
      suppressed: { kind: 'exception' as const, reason: 'ok', owner: 'me' },
    };
    expect(buildPolicyReports([f], { time: 0 }).size).toBe(0);
    expect(buildPolicyReports([], { time: 0 }).size).toBe(0);
  });

  it('names the API path of each report', () => {
    expect(reportPath('')).toBe('/apis/wgpolicyk8s.io/v1alpha2/clusterpolicyreports/palisade');
    expect(reportPath('shop')).toBe('/apis/wgpolicyk8s.io/v1alpha2/namespaces/shop/policyreports/palisade');
  });
});
