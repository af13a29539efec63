import type { Command } from 'commander';
import type { ClusterSourceOptions } from './cluster-source.js';

/** Adds the live-cluster and snapshot options to `palisade scan`. */
export function addClusterScanOptions(scan: Command): Command {
  return scan
    .option('--cluster', 'scan the live cluster of the kubeconfig context instead of files')
    .option('--context <name>', 'kubeconfig context for --cluster (default: the current context)')
    .option('--kubeconfig <file>', 'kubeconfig file for --cluster (default: $KUBECONFIG or ~/.kube/config)')
    .option('-A, --all-namespaces', 'with --cluster: every namespace (the default without -n)')
    .option('--snapshot <file>', 'scan a snapshot written by `palisade snapshot save` instead of files')
    .addHelpText(
      'after',
      `
Live cluster and snapshots:
  $ palisade scan --cluster
  $ palisade scan --cluster --context prod -n shop --fail-on critical
  $ palisade scan --cluster --kubeconfig ~/.kube/lab.yaml -A -o sarif=cluster.sarif
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
  };
}
