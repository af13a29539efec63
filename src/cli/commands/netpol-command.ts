import { Option, type Command } from 'commander';
import { UsageError } from '../../core/index.js';
import { addInventorySourceOptions } from './cluster-source.js';
import type { CliIO } from '../io.js';

const MATRIX_HELP = `
Prints every allowed connection between workloads (and external address ranges derived from
ipBlocks) in np-guard's connlist notation: "src => dst : conns", where conns is
"All Connections" or protocols with ports and ranges, e.g. "TCP 80,8000-8090,UDP 53".

Exit codes: 0 done, 2 usage or input error (the matrix of the readable objects is still printed).

Examples:
  $ palisade netpol matrix ./deploy
  $ palisade netpol matrix ./deploy -n payments -o csv
  $ palisade netpol matrix ./deploy -o html --output-file reachability.html
  $ palisade netpol matrix ./deploy --granularity pod -o json`;

const QUERY_HELP = `
Explains whether one connection is allowed: for the source's egress and the destination's
ingress, whether it is isolated, which policies select it, and which of their rules match.
A peer is ns/name (a workload or, with --granularity pod, a pod), ns/name[Kind], or an IP address.

Exit codes: 0 allowed, 1 denied, 2 usage or input error.

Examples:
  $ palisade netpol query ./deploy --from shop/frontend --to pay/payments-db --port 5432
  $ palisade netpol query ./deploy --from 203.0.113.7 --to shop/frontend --port tcp/443
  $ palisade netpol query ./deploy --from shop/cart --to kube-system/coredns --port udp/53 -o json`;

const GENERATE_HELP = `
Reads observed flows (Cilium Hubble JSON export, Calico flow logs, or a simple CSV/JSON with
src,dst,port,protocol[,time]), maps them to the workloads of the manifests, and writes
least-privilege NetworkPolicies: one per workload allowing exactly its observed traffic, plus
a default deny per namespace.

--staged replays the flows against existing + generated policies and reports observed flows that
would be blocked (exit 1 if any) and currently allowed in-cluster paths that would close.

Exit codes: 0 done, 1 with --staged when an observed flow would be blocked, 2 usage or input error.

Examples:
  $ hubble observe -o json --since 24h > flows.json
  $ palisade netpol generate ./deploy --flows flows.json > policies.yaml
  $ palisade netpol generate ./deploy --flows calico-flows.log --since 2026-11-30T00:00:00Z
  $ palisade netpol generate ./deploy --flows flows.csv --staged --output-file policies.yaml
  $ palisade netpol generate ./deploy --flows flows.json -n shop -o json=shop-policies.json`;

const FLOWS_HELP = `
Aggregates observed flows (Cilium Hubble JSON, Calico flow logs, or a simple CSV/JSON with
src,dst,port,protocol[,time]) to workloads: who actually talked to whom, on which ports, how
often. Inputs are told apart by content: flow exports first, then the manifests (directories,
.yaml files) or --cluster/--snapshot. Peers the flows show that the manifests lack (the cluster
DNS, an agent) appear under their namespace and name.

--against-policy judges every observed pair by the current NetworkPolicies (allowed, denied,
partly denied: breakage) and lists the pairs the policies allow that no flow used (the
least-privilege gap).

Exit codes: 0 done, 1 with --against-policy when an observed pair is denied, 2 usage or input error.

Examples:
  $ palisade netpol flows flows.json
  $ palisade netpol flows flows.json ./deploy --against-policy
  $ palisade netpol flows hubble.json --cluster --against-policy -n shop
  $ palisade netpol flows flows.csv ./deploy --against-policy -o html=traffic.html -o json=traffic.json`;

const DIFF_HELP = `
Compares the allowed connections of two versions of the manifests and flags new exposure
("frontend can now reach payments-db on TCP 5432"), attributed to the policy rule that opened it.

Exit codes: 0 done, 1 new exposure with --fail-on-new-exposure, 2 usage or input error.

Examples:
  $ palisade netpol diff base/ head/
  $ palisade netpol diff base/ head/ --fail-on-new-exposure -o sarif --output-file netpol.sarif`;

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** The repeatable `-o FORMAT[=FILE]` option, as `scan` has it. */
function outputOption(formats: string): [string, string, typeof collect, string[]] {
  return [
    '-o, --output <format[=file]>',
    `output format, repeatable: ${formats}; FORMAT=FILE writes to a file`,
    collect,
    [],
  ];
}

/** -n and -A exclude each other. */
function checkNamespaceOptions(opts: Record<string, unknown>): void {
  if (opts.allNamespaces === true && ((opts.namespace as string[] | undefined) ?? []).length > 0)
    throw new UsageError('-n/--namespace and -A/--all-namespaces cannot be used together');
}

/** Registers `palisade netpol` and its subcommands; implementations load on first use. */
export function registerNetpolCommand(program: Command, io: CliIO, setExit: (code: number) => void): void {
  const netpol = program
    .command('netpol')
    .description('NetworkPolicy reachability, generation from flows and change impact');

  const granularity = (): Option =>
    new Option('--granularity <level>', 'peers are workloads or single pods')
      .choices(['workload', 'pod'])
      .default('workload');

  addInventorySourceOptions(netpol.command('matrix'))
    .description('list every allowed connection (np-guard connlist notation)')
    .argument('[paths...]', 'files or directories; - reads standard input', [])
    .option(
      '-n, --namespace <namespace>',
      'only connections from or to this namespace (repeatable)',
      collect,
      [],
    )
    .option('-A, --all-namespaces', 'connections of every namespace (the default without -n)')
    .option(...outputOption('table (alias text), json, yaml, csv, dot, html'))
    .option('--output-file <file>', 'write the first -o format without a file to this file')
    .addOption(granularity())
    .option(
      '--ipblock-matches-pods',
      'ipBlocks also select the pods whose IPs (status.podIPs) they cover, as some network plugins do',
    )
    .option('-q, --quiet', 'no status lines on stderr')
    .addHelpText('after', MATRIX_HELP)
    .action(async (paths: string[], opts: Record<string, unknown>) => {
      checkNamespaceOptions(opts);
      const { runMatrix } = await import('./netpol.js');
      setExit(await runMatrix(paths, opts, io));
    });

  addInventorySourceOptions(netpol.command('flows'))
    .description('observed connections between workloads, and against what the policies allow')
    .argument('<inputs...>', 'flow exports (- reads standard input), then manifests (files or directories)')
    .addOption(
      new Option('--format <format>', 'flow format')
        .choices(['auto', 'hubble', 'calico', 'csv', 'json'])
        .default('auto'),
    )
    .option(
      '--against-policy',
      'mark each observed pair allowed/denied and list allowed pairs never observed',
    )
    .option(
      '--ipblock-matches-pods',
      'ipBlocks also select the pods whose IPs (status.podIPs) they cover, as some network plugins do',
    )
    .option('--since <time>', 'only flows at or after this ISO time')
    .option('--until <time>', 'only flows before this ISO time')
    .option('-n, --namespace <namespace>', 'only pairs from or to this namespace (repeatable)', collect, [])
    .option('-A, --all-namespaces', 'pairs of every namespace (the default without -n)')
    .option(...outputOption('table (alias text), json, yaml, csv, dot, html'))
    .option('--output-file <file>', 'write the first -o format without a file to this file')
    .option('-q, --quiet', 'no skipped-flow lines on stderr')
    .addHelpText('after', FLOWS_HELP)
    .action(async (paths: string[], opts: Record<string, unknown>) => {
      checkNamespaceOptions(opts);
      const { runFlows } = await import('./netpol.js');
      setExit(await runFlows(paths, opts, io));
    });

  addInventorySourceOptions(netpol.command('query'))
    .description('explain whether one connection is allowed and by which policies')
    .argument('[paths...]', 'files or directories; - reads standard input', [])
    .requiredOption('--from <peer>', 'source: ns/name, ns/name[Kind] or an IP address')
    .requiredOption('--to <peer>', 'destination: ns/name, ns/name[Kind] or an IP address')
    .option('--port <port>', 'port to ask about: 443, tcp/443, udp/53')
    .addOption(
      new Option('--protocol <protocol>', 'protocol when --port has none')
        .choices(['TCP', 'UDP', 'SCTP'])
        .default('TCP'),
    )
    .option(...outputOption('table (alias text), json, yaml'))
    .option('--output-file <file>', 'write the first -o format without a file to this file')
    .addOption(granularity())
    .option(
      '--ipblock-matches-pods',
      'ipBlocks also select the pods whose IPs (status.podIPs) they cover, as some network plugins do',
    )
    .addHelpText('after', QUERY_HELP)
    .action(async (paths: string[], opts: Record<string, unknown>) => {
      const { runQuery } = await import('./netpol.js');
      setExit(await runQuery(paths, opts, io));
    });

  netpol
    .command('generate')
    .description('write least-privilege NetworkPolicies from observed flows')
    .argument('[paths...]', 'manifests of the workloads (files or directories)', [])
    .requiredOption('--flows <file>', 'flow export (repeatable; - reads standard input)', collect, [])
    .addOption(
      new Option('--format <format>', 'flow format')
        .choices(['auto', 'hubble', 'calico', 'csv', 'json'])
        .default('auto'),
    )
    .option('--since <time>', 'only flows at or after this ISO time')
    .option('--until <time>', 'only flows before this ISO time')
    .option('--no-default-deny', 'do not add a default-deny policy per namespace')
    .option(
      '-n, --namespace <namespace>',
      'only write the policies of this namespace (repeatable); flows from other namespaces still shape them',
      collect,
      [],
    )
    .option('-A, --all-namespaces', 'policies for every namespace (the default without -n)')
    .option('--staged', 'replay the flows against existing + generated policies and report what would break')
    .option(...outputOption('of the policies: yaml (default), json'))
    .option('--output-file <file>', 'write the policies (the first -o format without a file) to this file')
    .option('-q, --quiet', 'no warnings on stderr')
    .addHelpText('after', GENERATE_HELP)
    .action(async (paths: string[], opts: Record<string, unknown>) => {
      checkNamespaceOptions(opts);
      const { runGenerate } = await import('./netpol.js');
      setExit(await runGenerate(paths, opts, io));
    });

  netpol
    .command('diff')
    .description('connections added, removed and changed between two versions of the manifests')
    .argument('<base>', 'base version (file or directory)')
    .argument('<head>', 'new version (file or directory)')
    .option(...outputOption('table (alias text), json, yaml, csv, sarif'))
    .option('--output-file <file>', 'write the first -o format without a file to this file')
    .option('--fail-on-new-exposure', 'exit 1 when the new version allows a connection the base did not')
    .addHelpText('after', DIFF_HELP)
    .action(async (base: string, head: string, opts: Record<string, unknown>) => {
      const { runDiff } = await import('./netpol.js');
      setExit(await runDiff(base, head, opts, io));
    });
}
