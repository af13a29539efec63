/**
 * Entry points for command lines seen elsewhere than on a node's disk: the kube-system static
 * pods of a live cluster, or the flags a test harness started its API server with.
 */
import { evaluateBenchmark, type BenchmarkResult } from './assemble.js';
import { CIS_1_10 } from './cis-1.10/index.js';
import type { ConfigValue } from './config-value.js';
import type { ComponentFacts } from './facts.js';
import type { Benchmark, ComponentName } from './types.js';

/** Options for evaluating one component's command line. */
export interface ComponentFlagsOptions {
  /** Where the flags were seen (shown as the evidence's source); default `<flags>`. */
  source?: string;
  benchmark?: Benchmark;
  env?: readonly { name: string; value: string }[];
  /** The component's decoded config (e.g. a kubelet's `/configz` `kubeletconfig`). */
  config?: { path: string; value: ConfigValue };
}

function withoutBinary(args: readonly string[]): string[] {
  // A command line may start with the binary (a pod's `command`); flags start with `-`.
  const first = args[0];
  return first !== undefined && !first.startsWith('-') ? args.slice(1) : [...args];
}

/**
 * Evaluates the benchmark checks that read one component's flags (and config, when given);
 * checks on files and other components are left out.
 */
export function evaluateComponentFlags(
  component: ComponentName,
  args: readonly string[],
  options: ComponentFlagsOptions = {},
): BenchmarkResult {
  const benchmark = options.benchmark ?? CIS_1_10;
  const facts: ComponentFacts = {
    source: options.source ?? '<flags>',
    args: withoutBinary(args),
    ...(options.env ? { env: options.env } : {}),
    ...(options.config ? { config: options.config } : {}),
  };
  const checks = benchmark.checks.filter((c) => c.audit?.kind === 'flags' && c.audit.component === component);
  return evaluateBenchmark(
    { ...benchmark, checks },
    { components: { [component]: facts }, files: {}, issues: [] },
  );
}

/**
 * Evaluates the CIS API server checks (1.2.x, 3.2.1) on a kube-apiserver command line, e.g.
 * the `command` of the kube-system/kube-apiserver static pod or a harness's own flags.
 */
export function evaluateApiServerFlags(
  flags: readonly string[],
  options: ComponentFlagsOptions = {},
): BenchmarkResult {
  return evaluateComponentFlags('apiserver', flags, options);
}
