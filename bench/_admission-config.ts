/**
 * The configuration bench/admission.ts measures, shared by the server child and the in-process
 * decide() figure: PSS restricted enforced and 10 of the
 * example CEL policies (validating; the mutating ones only answer /mutate).
 */
import path from 'node:path';
import {
  compileAdmissionConfig,
  parseAdmissionConfig,
  type CompiledAdmissionConfig,
} from '../src/admission/index.js';
import { loadCelPolicies } from '../src/cli/commands/admission.js';

/** The example policy folders loaded, one validating policy each. */
export const BENCH_POLICY_DIRS: readonly string[] = [
  'audit-images',
  'no-default-namespace',
  'no-latest-tag',
  'registry-allowlist',
  'require-probes',
  'resource-limits',
  'replica-limit',
  'require-labels',
  'no-nodeport-services',
  'loadbalancer-source-ranges',
];

/** Compiles the benchmarked configuration. */
export async function benchAdmissionConfig(): Promise<CompiledAdmissionConfig> {
  const root = path.resolve(import.meta.dirname, '../examples/policies');
  const policies = await loadCelPolicies(
    BENCH_POLICY_DIRS.map((d) => path.join(root, d)),
    root,
  );
  if (policies.policies.length !== BENCH_POLICY_DIRS.length)
    throw new Error(`expected ${BENCH_POLICY_DIRS.length} policies, got ${policies.policies.join(', ')}`);
  const parsed = parseAdmissionConfig({
    apiVersion: 'palisade.dev/v1',
    kind: 'AdmissionConfiguration',
    defaults: { enforce: 'pss:restricted' },
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.error));
  const compiled = compileAdmissionConfig(parsed.value, { policies });
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.error));
  return compiled.value;
}
