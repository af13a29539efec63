/**
 * Loads and compiles the CEL policy files of a configuration into a PolicyEvaluator. The
 * server's main thread does it once at start (so a broken policy stops the start with every
 * problem listed) and each evaluation worker does it again for itself.
 */
import { InputError } from '../core/index.js';
import { celPolicyEvaluator } from './cel-evaluator.js';
import type { PolicyEvaluator } from './ports.js';

/** Loads CEL policies from files or folders; any load or compile error throws an InputError listing them all. */
export async function loadCelPolicies(paths: readonly string[], cwd: string): Promise<PolicyEvaluator> {
  const [{ loadFiles }, { compilePolicies }] = await Promise.all([
    import('../load/index.js'),
    import('../policy/index.js'),
  ]);
  const loaded = await loadFiles(paths, { cwd });
  const problems = loaded.inputErrors.map(
    (e) => `  ${e.file}${e.line !== undefined ? `:${e.line}` : ''}: ${e.message}`,
  );
  const { set, errors } = compilePolicies(loaded.inventory.resources);
  for (const e of errors)
    problems.push(
      `  ${e.file ?? '<policy>'}${e.line !== undefined ? `:${e.line}` : ''}: ${e.kind} ${e.policy}: ${e.path}: ${e.message}`,
    );
  if (problems.length > 0) throw new InputError(`CEL policies could not be loaded:\n${problems.join('\n')}`);
  if (set.validating.length === 0 && set.mutating.length === 0)
    throw new InputError(
      `no ValidatingAdmissionPolicy, MutatingAdmissionPolicy or CELPolicy in ${paths.join(', ')}`,
    );
  return celPolicyEvaluator(set);
}
