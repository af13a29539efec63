/**
 * The configuration bench/admission.ts measures, shared by the server child and the in-process
 * decide() figure: PSS restricted enforced and 10 of the
 * example CEL policies (validating; the mutating ones only answer /mutate).
 */
import path from 'node:path';
import {
  compileAdmissionConfig,
  parseAdmissionConfig,
  loadCelPolicies,
  type AdmissionConfig,
  type CompiledAdmissionConfig,
} from '../src/admission/index.js';

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

const ROOT = path.resolve(import.meta.dirname, '../examples/policies');

/** The benchmarked configuration file, as `palisade admission serve` reads it (policies by absolute path). */
export function benchAdmissionFile(): AdmissionConfig {
  const parsed = parseAdmissionConfig({
    apiVersion: 'palisade.dev/v1',
    kind: 'AdmissionConfiguration',
    defaults: { enforce: 'pss:restricted' },
    namespaceSource: 'config',
    policies: BENCH_POLICY_DIRS.map((d) => path.join(ROOT, d)),
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.error));
  return parsed.value;
}

/** Compiles the benchmarked configuration. */
export async function benchAdmissionConfig(): Promise<CompiledAdmissionConfig> {
  const file = benchAdmissionFile();
  const policies = await loadCelPolicies(file.policies, ROOT);
  if (policies.policies.length !== BENCH_POLICY_DIRS.length)
    throw new Error(`expected ${BENCH_POLICY_DIRS.length} policies, got ${policies.policies.join(', ')}`);
  const compiled = compileAdmissionConfig(file, { policies });
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.error));
  return compiled.value;
}
