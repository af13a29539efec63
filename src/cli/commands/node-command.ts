import { Option, type Command } from 'commander';
import type { CliIO } from '../io.js';
import { addOutputOptions } from '../output.js';

const NODE_SCAN_HELP = `
Reads a node's filesystem mounted at --root (kubeadm static pod manifests, the kubelet's
systemd unit, flags and config file, and the mode and owner of the benchmark's files) and
evaluates the CIS Kubernetes Benchmark checks of sections 1-4 for kube-apiserver,
kube-controller-manager, kube-scheduler, etcd and the kubelet. Components that are not on
the node are skipped. Every result names its benchmark id, the evidence (flag value with its
manifest line, file mode or owner) and the remediation.

Beside the benchmark (whose verdicts stay as kube-bench defines them), Palisade's own node
controls are judged on the whole node:
  auth/no-anonymous-auth                  the API server or the kubelet accepts anonymous requests
  auth/control-plane-certificate-expiry   a certificate the control plane uses (flags such as
      --tls-cert-file, --kubelet-client-certificate, --etcd-certfile, --client-ca-file, the
      components' kubeconfigs, /etc/kubernetes/pki/*.crt) has expired or expires within
      warnDays (default 30; set it in --config under settings.<control id>.warnDays).
      A certificate that cannot be read is "could not check", never a pass; key material
      is never read into the report.

Statuses: pass, fail (scored check failed), warn (manual or unscored check not passed),
error (a file could not be read; "could not check"), skip (not applicable on this node).
Exit codes: 0 nothing at or above --fail-on, 1 otherwise (a failed or unchecked node control
counts unless --fail-on none), 2 usage or input error.

Formats: table (alias text), json and yaml are the node report; sarif, junit, html and csv
render the failed checks and controls as findings.

Examples:
  $ palisade node scan --root /host
  $ palisade node scan --root /host -o json > cis-node.json
  $ palisade node scan --root /host -o yaml --output-file cis-node.yaml
  $ palisade node scan --root / --benchmark cis-1.10 -o table -o sarif=cis.sarif
  $ palisade node scan --root /host --section master --section etcd --fail-on warn
  $ palisade node scan --root /host --config palisade.yaml --scan-date 2026-12-01
  # As a Job on every node: mount the host's / read-only at /host (hostPath), run as root.`;

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value !== undefined ? ({ [key]: value } as Record<K, string>) : {};
}

/** Registers `palisade node scan`; the implementation is imported when the command runs. */
export function registerNodeCommand(program: Command, io: CliIO, setExit: (code: number) => void): void {
  const node = program.command('node').description("assess a node's control plane and kubelet configuration");
  const scan = node
    .command('scan')
    .description('evaluate CIS Kubernetes Benchmark sections 1-4 on a node filesystem')
    .requiredOption('--root <dir>', "directory where the node's / is mounted (e.g. /host)")
    .addOption(
      new Option('--benchmark <name>', 'benchmark to evaluate').default('cis-1.10').choices(['cis-1.10']),
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
    .option('--scan-date <YYYY-MM-DD>', 'the date certificates are judged at (default today, UTC)')
    .option('--config <file>', 'palisade.dev/v1 Config whose settings tune the node controls (warnDays)')
    .option('-q, --quiet', 'no status lines on stderr')
    .addHelpText('after', NODE_SCAN_HELP);
  addOutputOptions(scan, {
    formats: ['table', 'json', 'yaml', 'sarif', 'junit', 'html', 'csv'],
    default: 'table',
    aliases: { text: 'table' },
  }).action(async (opts: Record<string, unknown>) => {
    const { runNodeScan } = await import('./node.js');
    setExit(
      await runNodeScan(
        {
          root: String(opts.root),
          benchmark: String(opts.benchmark),
          output: opts.output as string[],
          ...optional('outputFile', str(opts.outputFile)),
          ...optional('scanDate', str(opts.scanDate)),
          ...optional('config', str(opts.config)),
          sections: opts.section as string[],
          failOn: String(opts.failOn),
          quiet: opts.quiet === true,
        },
        io,
      ),
    );
  });
}
