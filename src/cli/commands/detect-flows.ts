/**
 * `detect run --policies …` / `--cluster`: flows judged against the NetworkPolicies of
 * manifests or of the live cluster (src/detect/flow-policy.ts), beside the detector; the
 * least-privilege report written at the end of a replay and on an interval while following.
 */
import { stringify as toYaml } from 'yaml';
import type { InputIssue } from '../../core/index.js';
import {
  FlowPolicyMonitor,
  formatLeastPrivilegeTable,
  type DetectEvent,
  type FlowJudgement,
  type LeastPrivilegeReport,
} from '../../detect/index.js';
import { parseFlowRecord } from '../../network/index.js';
import type { CliIO } from '../io.js';
import { loadInventorySource } from './cluster-source.js';

/** Where the policies come from. */
export interface FlowPolicySource {
  /** Manifest files or directories (NetworkPolicies, pods, workloads, namespaces). */
  policies: string[];
  cluster?: boolean;
  context?: string;
  kubeconfig?: string;
  quiet: boolean;
}

/** Flow judgement as the CLI runs it. */
export interface FlowJudging {
  readonly monitor: FlowPolicyMonitor;
  /** Judges the raw record of a flow event; undefined for a record that is no connection attempt. */
  judge(record: unknown, ev: DetectEvent, where: string): FlowJudgement | undefined;
  /** Flow records that could not be read as a connection attempt (no port, …). */
  readonly unread: () => number;
}

function located(e: InputIssue): string {
  return `${e.file}${e.line !== undefined ? `:${e.line}` : ''}`;
}

/**
 * Loads the inventory and builds the model once; undefined (with the problems on stderr)
 * when a manifest or a policy does not read, so that no flow is judged by half the policies.
 */
export async function setupFlowJudging(
  source: FlowPolicySource,
  dedupSeconds: number,
  io: CliIO,
): Promise<FlowJudging | undefined> {
  const loaded = await loadInventorySource(
    source.policies,
    {
      ...(source.cluster === true ? { cluster: true } : {}),
      ...(source.context !== undefined ? { context: source.context } : {}),
      ...(source.kubeconfig !== undefined ? { kubeconfig: source.kubeconfig } : {}),
      quiet: source.quiet,
    },
    io,
  );
  for (const e of loaded.inputErrors) io.stderr.write(`palisade: ${located(e)}: ${e.message}\n`);
  const monitor = new FlowPolicyMonitor(loaded.inventory, { dedupSeconds });
  for (const p of monitor.policyIssues)
    io.stderr.write(
      `palisade: ${p.file ?? 'NetworkPolicy'}${p.line !== undefined ? `:${p.line}` : ''}: NetworkPolicy ${p.resource.namespace ?? 'default'}/${p.resource.name} ${p.path}: ${p.message}; fix it to judge flows\n`,
    );
  if (loaded.inputErrors.length > 0 || monitor.policyIssues.length > 0) return undefined;
  let unread = 0;
  return {
    monitor,
    judge(record, ev, where) {
      const flow = parseFlowRecord(record, where);
      if (flow === undefined) return undefined;
      if (typeof flow === 'string') {
        unread++;
        return undefined;
      }
      return monitor.judge(flow, ev);
    },
    unread: () => unread,
  };
}

/** The report in an output format; undefined for the alert-only formats (ECS, CEF, syslog, Slack). */
export function renderLeastPrivilege(format: string, r: LeastPrivilegeReport): string | undefined {
  switch (format) {
    case 'json':
      return `${JSON.stringify(r)}\n`;
    case 'yaml':
      return `---\n${toYaml(r, { lineWidth: 0 }).trimEnd()}\n`;
    case 'table':
      return formatLeastPrivilegeTable(r);
    default:
      return undefined;
  }
}
