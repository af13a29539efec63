import type { Command } from 'commander';
import type { ClusterSourceOptions } from './cluster-source.js';

/** The help line of `--request-timeout`, the same on every command that talks to a cluster. */
export const REQUEST_TIMEOUT_HELP =
  'time limit of each request to the API server, as kubectl: 30s, 2m, 0 for none (default 60s; connecting has its own 10s)';

/** Adds the live-cluster and snapshot options to `palisade scan`. */
export function addClusterScanOptions(scan: Command): Command {
  return scan
    .option('--cluster', 'scan the live cluster of the kubeconfig context instead of files')
    .option('--context <name>', 'kubeconfig context for --cluster (default: the current context)')
    .option('--kubeconfig <file>', 'kubeconfig file for --cluster (default: $KUBECONFIG or ~/.kube/config)')
    .option('-A, --all-namespaces', 'with --cluster: every namespace (the default without -n)')
    .option('--snapshot <file>', 'scan a snapshot written by `palisade snapshot save` instead of files')
    .option('--request-timeout <duration>', REQUEST_TIMEOUT_HELP)
    .addHelpText(
      'after',
      `
Live cluster and snapshots:
  $ palisade scan --cluster
  $ palisade scan --cluster --context prod -n shop --fail-on critical
  $ palisade scan --cluster --kubeconfig ~/.kube/lab.yaml -A -o sarif=cluster.sarif
  $ palisade scan --cluster --request-timeout 2m
  $ palisade scan --snapshot prod.snapshot.json.gz -o html --output-file prod.html`,
    );
}

/** Picks the live-cluster options out of commander's parsed options. */
export function clusterScanOptions(
  opts: Record<string, unknown>,
): Omit<ClusterSourceOptions, 'namespace' | 'quiet'> {
  return {
    ...(opts.cluster === true ? { cluster: true } : {}),
    ...(typeof opts.context === 'string' ? { context: opts.context } : {}),
    ...(typeof opts.kubeconfig === 'string' ? { kubeconfig: opts.kubeconfig } : {}),
    ...(opts.allNamespaces === true ? { allNamespaces: true } : {}),
    ...(typeof opts.snapshot === 'string' ? { snapshot: opts.snapshot } : {}),
    ...(typeof opts.requestTimeout === 'string' ? { requestTimeout: opts.requestTimeout } : {}),
  };
}
