import { Option, type Command } from 'commander';
import type { CliIO } from '../io.js';

const NODE_SCAN_HELP = `
Reads a node's filesystem mounted at --root (kubeadm static pod manifests, the kubelet's
systemd unit, flags and config file, and the mode and owner of the benchmark's files) and
evaluates the CIS Kubernetes Benchmark checks of sections 1-4 for kube-apiserver,
kube-controller-manager, kube-scheduler, etcd and the kubelet. Components that are not on
the node are skipped. Every result names its benchmark id, the evidence (flag value with its
manifest line, file mode or owner) and the remediation.

Statuses: pass, fail (scored check failed), warn (manual or unscored check not passed),
error (a file could not be read), skip (not applicable on this node).
Exit codes: 0 nothing at or above --fail-on, 1 otherwise, 2 usage or input error.

Formats: table and json are the node report; sarif, junit, html, csv and yaml render
the failed checks as findings.

Examples:
  $ palisade node scan --root /host
  $ palisade node scan --root /host -o json > cis-node.json
  $ palisade node scan --root / --benchmark cis-1.10 -o table -o sarif=cis.sarif
  $ palisade node scan --root /host --section master --section etcd --fail-on warn
  # As a Job on every node: mount the host's / read-only at /host (hostPath), run as root.`;

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Registers `palisade node scan`; the implementation is imported when the command runs. */
export function registerNodeCommand(program: Command, io: CliIO, setExit: (code: number) => void): void {
  const node = program.command('node').description("assess a node's control plane and kubelet configuration");
  node
    .command('scan')
    .description('evaluate CIS Kubernetes Benchmark sections 1-4 on a node filesystem')
    .requiredOption('--root <dir>', "directory where the node's / is mounted (e.g. /host)")
    .addOption(
      new Option('--benchmark <name>', 'benchmark to evaluate').default('cis-1.10').choices(['cis-1.10']),
    )
    .option(
      '-o, --output <format[=file]>',
      'output format, repeatable (table, json, yaml, sarif, junit, html, csv); FORMAT=FILE writes to a file',
      collect,
      [],
    )
    .addOption(
      new Option(
        '--section <section>',
        'only this benchmark section: master, etcd, controlplane or node (repeatable)',
      )
        .argParser(collect)
        .default([]),
    )
    .addOption(
      new Option('--fail-on <status>', 'exit 1 when a check has this status or worse')
        .default('fail')
        .choices(['fail', 'warn', 'none']),
    )
    .option('-q, --quiet', 'no status lines on stderr')
    .addHelpText('after', NODE_SCAN_HELP)
    .action(async (opts: Record<string, unknown>) => {
      const { runNodeScan } = await import('./node.js');
      setExit(
        await runNodeScan(
          {
            root: String(opts.root),
            benchmark: String(opts.benchmark),
            output: opts.output as string[],
            sections: opts.section as string[],
            failOn: String(opts.failOn),
            quiet: opts.quiet === true,
          },
          io,
        ),
      );
    });
}
