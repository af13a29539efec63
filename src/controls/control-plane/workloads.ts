/**
 * CIS checks on the control-plane components an inventory shows as objects: the kube-system
 * static pods of a live cluster, a snapshot or a manifest directory, and kube-proxy's
 * DaemonSet. The same flag (and config) checks as `palisade node scan`, reported as findings
 * on the object whose command line fails them; file checks need the node and are left out.
 */
import type { Finding, Resource } from '../../core/index.js';
import { toFinding } from '../engine.js';
import { evaluateBenchmark, type CheckResult } from './assemble.js';
import { CIS_1_10 } from './cis-1.10/index.js';
import type { ComponentFacts } from './facts.js';
import { checkMessage, controlIdOf, severityOf } from './findings.js';
import type { Benchmark, ComponentName } from './types.js';

/** Labels that identify a component's pods: kubeadm's `component`, kube-proxy's `k8s-app`. */
export const COMPONENT_POD_LABELS: readonly {
  component: ComponentName;
  label: string;
  value: string;
  container: string;
}[] = [
  { component: 'apiserver', label: 'component', value: 'kube-apiserver', container: 'kube-apiserver' },
  {
    component: 'controllermanager',
    label: 'component',
    value: 'kube-controller-manager',
    container: 'kube-controller-manager',
  },
  { component: 'scheduler', label: 'component', value: 'kube-scheduler', container: 'kube-scheduler' },
  { component: 'etcd', label: 'component', value: 'etcd', container: 'etcd' },
  { component: 'proxy', label: 'k8s-app', value: 'kube-proxy', container: 'kube-proxy' },
];

/** A component's workload (a static Pod, kube-proxy's DaemonSet) with what its checks read. */
export interface ComponentWorkload {
  resource: Resource;
  component: ComponentName;
  facts: ComponentFacts;
  /** Field path of each of `facts.args` in the object. */
  argPaths: readonly string[];
  /** Field path of the command line, where a missing flag would be added. */
  commandPath: string;
}

/** What the checks of one workload gave. */
export interface ComponentWorkloadResult {
  workload: ComponentWorkload;
  results: CheckResult[];
}

/** The index in `args` of the last occurrence of a flag (`--x=v`, or `--x v`). */
function flagIndex(args: readonly string[], flag: string): number {
  for (let i = args.length - 1; i >= 0; i--) {
    const a = args[i] ?? '';
    if (a === flag || a.startsWith(`${flag}=`)) return i;
  }
  return -1;
}

/** The field path a failed check points at: the failing flag, else the command line. */
function fieldPathOf(r: CheckResult, w: ComponentWorkload): string {
  for (const e of r.evidence) {
    if (e.pass !== false || e.source !== 'flag' || !e.found) continue;
    const i = flagIndex(w.facts.args, e.name);
    const p = i >= 0 ? w.argPaths[i] : undefined;
    if (p !== undefined) return p;
  }
  return w.commandPath;
}

/** Runs the benchmark's flag checks of each workload's component on its command line. */
export function evaluateComponentWorkloads(
  workloads: readonly ComponentWorkload[],
  benchmark: Benchmark = CIS_1_10,
): ComponentWorkloadResult[] {
  return workloads.map((workload) => {
    const checks = benchmark.checks.filter(
      (c) => c.audit?.kind === 'flags' && c.audit.component === workload.component,
    );
    const result = evaluateBenchmark(
      { ...benchmark, checks },
      { components: { [workload.component]: workload.facts }, files: {}, issues: [] },
    );
    return { workload, results: result.results };
  });
}

/** Findings for the failed checks, on the workload at the failing flag (warnings are not findings). */
export function componentWorkloadFindings(evaluated: readonly ComponentWorkloadResult[]): Finding[] {
  const out: Finding[] = [];
  for (const { workload, results } of evaluated)
    for (const r of results) {
      if (r.status !== 'fail') continue;
      const control = {
        id: controlIdOf(r),
        title: r.text,
        severity: severityOf(r),
        category: 'control-plane',
        appliesTo: {},
        rationale: `${r.benchmark} ${r.id} (${r.group.id} ${r.group.title})`,
        remediation: r.remediation,
        frameworks: [{ id: r.benchmark, control: r.id }],
      };
      out.push(
        toFinding(control, workload.resource, { message: checkMessage(r), path: fieldPathOf(r, workload) }),
      );
    }
  return out;
}
