import type { Command } from 'commander';
import type { CliIO } from '../io.js';
import { REQUEST_TIMEOUT_HELP } from './cluster-options.js';

const SNAPSHOT_SAVE_HELP = `
Reads every listable object of the cluster (built-in types and CRDs) plus cluster facts
(Kubernetes version, nodes, kube-apiserver flags seen in kube-system) and writes them as one
gzip-compressed JSON file. Secret values are never written: only their keys and metadata.
Scan it later, offline, with \`palisade scan --snapshot FILE\`.

Exit codes: 0 saved, 2 usage error, cluster unreachable, or some scopes could not be read
(the file is still written; the failed scopes are listed and kept in the file).

Examples:
  $ palisade snapshot save prod.snapshot.json.gz
  $ palisade snapshot save --context staging -n shop -n payments shop.snapshot.json.gz
  $ palisade scan --snapshot prod.snapshot.json.gz -o html --output-file prod.html`;

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Registers `palisade snapshot save`; the implementation is imported when it runs. */
export function registerSnapshotCommand(program: Command, io: CliIO, setExit: (code: number) => void): void {
  const snapshot = program.command('snapshot').description('save a cluster read for offline analysis');
  snapshot
    .command('save')
    .description('read a live cluster and save it as a gzip JSON snapshot')
    .argument('<file>', 'snapshot file to write (gzip JSON)')
    .option('--context <name>', 'kubeconfig context (default: the current context)')
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG or ~/.kube/config)')
    .option(
      '-n, --namespace <namespace>',
      'only this namespace (repeatable); default: all namespaces',
      collect,
      [],
    )
    .option('-A, --all-namespaces', 'every namespace (the default)')
    .option('-q, --quiet', 'no progress or status lines on stderr')
    .option('--request-timeout <duration>', REQUEST_TIMEOUT_HELP)
    .addHelpText('after', SNAPSHOT_SAVE_HELP)
    .action(async (file: string, opts: Record<string, unknown>) => {
      const { runSnapshotSave } = await import('./snapshot.js');
      setExit(
        await runSnapshotSave(
          file,
          {
            ...(typeof opts.context === 'string' ? { context: opts.context } : {}),
            ...(typeof opts.kubeconfig === 'string' ? { kubeconfig: opts.kubeconfig } : {}),
            namespace: opts.namespace as string[],
            allNamespaces: opts.allNamespaces === true,
            quiet: opts.quiet === true,
            ...(typeof opts.requestTimeout === 'string' ? { requestTimeout: opts.requestTimeout } : {}),
          },
          io,
        ),
      );
    });
}
