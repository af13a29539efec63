/** In-memory builders of scan inputs for the store's tests and bench. */
import type { Finding, Severity } from '../core/index.js';
import type { ScanInput } from './types.js';

const DAY = 86_400_000;
/** The time of day 0 of test scans. */
export const TEST_T0 = Date.UTC(2026, 10, 1);
const T0 = TEST_T0;

/** A finding on a Deployment, for contract tests. */
export function testFinding(
  name: string,
  options: {
    control?: string;
    severity?: Severity;
    namespace?: string;
    field?: string;
    suppressed?: boolean;
  } = {},
): Finding {
  return {
    controlId: options.control ?? 'PAL-001',
    title: 'Container runs privileged',
    severity: options.severity ?? 'high',
    message: `container of ${name} is privileged`,
    resource: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: options.namespace ?? 'shop', name },
    ...(options.field !== undefined ? { fieldPath: options.field } : {}),
    remediation: 'drop privileged',
    frameworks: [],
    ...(options.suppressed ? { suppressed: { kind: 'exception', reason: 'accepted', owner: 'team-a' } } : {}),
  };
}

/** A scan input of cluster `prod` at day `day` with the given findings. */
export function testScan(
  day: number,
  findings: readonly Finding[],
  extra: Partial<ScanInput> = {},
): ScanInput {
  return {
    cluster: { name: 'prod', server: 'https://127.0.0.1:6443' },
    time: T0 + day * DAY,
    source: 'cluster',
    sourceDetail: 'https://127.0.0.1:6443',
    palisadeVersion: '0.1.0',
    kubernetesVersion: '1.33.1',
    resources: 10,
    inputErrors: 0,
    findings,
    scores: [
      {
        framework: 'cis-1.10',
        score: 100 - findings.length,
        passed: 5,
        failed: findings.length,
        applicable: 5 + findings.length,
      },
      { framework: 'nsa-cisa-1.2', score: 90, passed: 9, failed: 1, applicable: 10 },
    ],
    ...extra,
  };
}
