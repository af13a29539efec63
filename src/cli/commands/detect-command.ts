/** The `palisade detect` command tree; implementations are imported when a subcommand runs. */
import { Option, type Command } from 'commander';
import type { CliIO } from '../io.js';
import { addOutputOptions } from '../output.js';
import type { DetectCommonOptions } from './detect.js';

const RUN_HELP = `
Reads audit events (audit.k8s.io/v1 Event JSON lines, an EventList, EKS CloudWatch exports,
AKS diagnostic records, GKE Cloud Logging entries), network flows (Hubble, Calico) and
container runtime events (Falco JSON, Tetragon JSON), normalises them to one event shape and
prints the alerts of the built-in rules, your rules (--rules) and threat feeds (--feed).
Secret values in events never reach alerts.

Output (-o, repeatable, FORMAT=FILE writes to a file): table (default), json (one alert per
line: rule, severity, mitre, message, subject, target, time, evidence), yaml (one document per
alert), ecs (Elastic Common Schema lines), cef (ArcSight CEF lines), syslog (RFC 5424 lines),
slack (webhook bodies).

Replicas: with --from nats://HOST:PORT, events come from the JetStream stream that
\`detect serve --publish\` fills; every replica started with the same --consumer shares it, each
event judged by one replica and acknowledged after its alerts are written, so a replica that
dies leaves its events to the others (delivered again after 10 s).

Flows against NetworkPolicies: with --policies DIR (manifests holding NetworkPolicies, pods,
workloads and namespaces) or --cluster, every Hubble or Calico flow is matched to the workloads
at its ends and judged by the policies: an attempt they deny raises
network/denied-flow-attempted (medium; dropped, or no verdict in the export), one that went
through although they deny it raises network/denied-flow-observed (high: the policies in force
differ, or the network does not enforce them). At the end (and every --report-every while
following) the least-privilege report lists the workload pairs the policies allow that no flow
used: a table section, or one {"kind":"LeastPrivilegeReport",…} object with -o json.

Exit codes: 0 no alert at or above --fail-on, 1 such an alert, 2 usage or input error
(unreadable records are reported with file:line and the rest is judged).

Examples:
  $ palisade detect run /var/log/kubernetes/audit.log
  $ palisade detect run audit.log --follow -o json=alerts.jsonl
  $ palisade detect run audit.log hubble-flows.json falco.json --feed tor-exits.txt --feed misp.json
  $ palisade detect run audit.log --rules ./my-rules --approved-registry registry.example.com -o ecs
  $ kubectl logs -n falco ds/falco | palisade detect run - -o cef
  $ palisade detect run --from nats://nats.palisade:4222 -o json=alerts.jsonl   # one replica of many
  $ palisade detect run hubble-flows.jsonl --policies ./deploy --fail-on medium
  $ hubble observe -o json --follow | palisade detect run - --cluster --context prod -o json`;

const TEST_HELP = `
Runs the tests each rule carries (a raw input record, the expected verdict and the feed
indicators for that case): the built-in rules, plus the rules in the given files or
directories. Prints one line per failing case, then "N passed, N failed"; -o json or yaml
writes every case's result instead.

Exit codes: 0 all passed, 1 a case failed, 2 a rule file that does not read or compile.

Examples:
  $ palisade detect test
  $ palisade detect test ./my-rules -v
  $ palisade detect test ./my-rules -o json=rule-tests.json -o text`;

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

const SERVE_HELP = `
Point the API server's audit webhook backend here (--audit-webhook-config-file, batch mode):
each EventList POST is answered at once and its events are judged from a bounded queue, with
the rules, feeds and outputs of \`detect run\`. When the queue is full a batch is refused with
429 and Retry-After (the API server retries it) and counted in /metrics; nothing is dropped
silently. /healthz answers while events are being judged.

With --publish nats://HOST:PORT[/STREAM] the events are normalised and published to NATS
JetStream (each once: a message id per event) for \`detect run --from\` replicas to judge;
while the stream is unreachable the events stay queued (and the queue's bound brings 429s).

Exit codes: 0 stopped by SIGTERM or SIGINT, 2 usage error or a listen address, certificate,
rule file or feed that cannot be used.

Examples:
  $ palisade detect serve --listen 0.0.0.0:8444 --tls-cert tls.crt --tls-key tls.key -o json=alerts.jsonl
  $ palisade detect serve --listen 127.0.0.1:8444 --feed tor-exits.txt -o syslog
  $ palisade detect serve --listen 0.0.0.0:8444 --tls-cert tls.crt --tls-key tls.key --publish nats://nats:4222`;

const LEARN_HELP = `
Counts, per identity (user, ServiceAccount, workload), what it does (verb, resource, namespace),
from where (source addresses), with which client, at which hours and to which peers, over the
events given (a training window, e.g. 14 days of audit log), and writes the baseline file.
\`detect run --baseline FILE\` then alerts on what an identity has never done, explained with the
counts ("first time ServiceAccount ci/bot listed secrets in payments; 0 of 14,210 of its events
in 14 days did"), and keeps the baseline up to date.

With --db the baselines live in the history store (one row per identity, SQLite or
PostgreSQL) instead of a file: \`detect run --db\` and \`detect serve --db\` read them at start,
score against them, and write the identities that changed back every --baseline-every (1m)
and at exit, so several replicas and restarts share one model. --baseline FILE, when given,
wins over the store.

Exit codes: 0 baseline written, 2 usage or input error (no events, an unreadable file).

Examples:
  $ palisade detect learn audit-2026-11-*.log --baseline baseline.json
  $ palisade detect run audit.log --baseline baseline.json --follow -o json
  $ palisade detect learn audit-2026-11-*.log --db palisade.db
  $ palisade detect serve --db postgres://palisade@db/palisade --listen 127.0.0.1:8444`;

/** Adds the options `detect run` and `detect serve` share. */
function addCommonOptions(cmd: Command): Command {
  return cmd
    .option(
      '-o, --output <format[=file]>',
      'table (alias text), json, yaml, ecs, cef, syslog, slack (repeatable, FORMAT=FILE writes to a file)',
      collect,
      [],
    )
    .option('--output-file <file>', 'write the first -o format without a file to this file')
    .option(
      '--db <path-or-url>',
      'also record the alerts in the history store: a SQLite file or postgres://… URL (the dashboard lists them); learned baselines (detect learn --db) are read from it and kept up to date there',
    )
    .option('--rules <file-or-dir>', 'also load these rule files (YAML or JSON, repeatable)', collect, [])
    .option('--no-builtin', 'do not load the built-in rules')
    .option(
      '--feed <file-or-url>',
      'threat-intelligence feed: list, CSV, MISP or STIX 2.1 (repeatable)',
      collect,
      [],
    )
    .option('--approved-registry <registry>', 'registry images may come from (repeatable)', collect, [])
    .option(
      '--trusted-subject <user-or-group>',
      'identity the "unusual subject" rules accept (repeatable)',
      collect,
      [],
    )
    .option('--trusted-network <cidr>', 'network system identities may act from (repeatable)', collect, [])
    .option(
      '--dedup <seconds>',
      'alerts of one rule, subject and target within this window are one alert',
      '600',
    )
    .addOption(
      new Option('--fail-on <severity>', 'exit 1 when an alert is at least this severe')
        .default('high')
        .choices(['critical', 'high', 'medium', 'low', 'info', 'none']),
    )
    .option(
      '--baseline <file>',
      'learned behaviour (from detect learn): alert on what an identity never did, and keep learning',
    )
    .option('--freeze-baseline', 'score against the baselines without updating them')
    .option(
      '--baseline-every <duration>',
      'with --db: write the baselines learned online to the store this often (default 1m; and at exit)',
    )
    .option('-q, --quiet', 'no summary on stderr');
}

/** The shared options as the implementation takes them. */
function commonOptions(opts: Record<string, unknown>): DetectCommonOptions {
  return {
    output: opts.output as string[],
    ...(typeof opts.outputFile === 'string' ? { outputFile: opts.outputFile } : {}),
    rules: opts.rules as string[],
    builtin: opts.builtin !== false,
    feeds: opts.feed as string[],
    approvedRegistries: opts.approvedRegistry as string[],
    trustedSubjects: opts.trustedSubject as string[],
    trustedNetworks: opts.trustedNetwork as string[],
    dedup: String(opts.dedup),
    failOn: String(opts.failOn),
    quiet: opts.quiet === true,
    ...(typeof opts.baseline === 'string' ? { baseline: opts.baseline } : {}),
    freezeBaseline: opts.freezeBaseline === true,
    ...(typeof opts.baselineEvery === 'string' ? { baselineEvery: opts.baselineEvery } : {}),
    sinks: opts.sink as string[],
    ...(typeof opts.db === 'string' ? { db: opts.db } : {}),
  };
}

/** Registers `palisade detect run`, `serve` and `test`. */
export function registerDetectCommand(program: Command, io: CliIO, setExit: (code: number) => void): void {
  const detect = program
    .command('detect')
    .description('detect threats in audit logs, network flows and runtime events');
  const run = detect
    .command('run')
    .description('judge recorded or followed events with rules and threat feeds, print alerts')
    .argument('[files...]', 'event files (JSON lines or JSON); - reads standard input')
    .option('--follow', 'keep reading files as they grow (and after rotation) until interrupted')
    .option(
      '--from <nats-url>',
      'judge the stream `detect serve --publish` writes (nats://HOST:PORT[/STREAM]); replicas share it',
    )
    .option('--consumer <name>', 'with --from: the durable consumer replicas share', 'palisade-detect')
    .option(
      '--idle-exit <duration>',
      'with --from: stop once the stream has had nothing new this long (5s, 2m)',
    )
    .option(
      '--ack-wait <duration>',
      'with --from, when the consumer is first created: how long a taken event waits for its acknowledgement before another replica gets it (default 10s)',
    )
    .option(
      '--policies <file-or-dir>',
      'judge flows against the NetworkPolicies (and pods, namespaces) of these manifests (repeatable)',
      collect,
      [],
    )
    .option('--cluster', "judge flows against the live cluster's NetworkPolicies")
    .option('--context <name>', 'kubeconfig context for --cluster (default: the current context)')
    .option('--kubeconfig <file>', 'kubeconfig file for --cluster (default: $KUBECONFIG or ~/.kube/config)')
    .option(
      '--report-every <duration>',
      'with --follow and --policies/--cluster: write the least-privilege report this often (default 10m)',
    );
  addCommonOptions(run)
    .addHelpText('after', RUN_HELP)
    .action(async (files: string[], opts: Record<string, unknown>) => {
      const { runDetect } = await import('./detect.js');
      setExit(
        await runDetect(
          files,
          {
            ...commonOptions(opts),
            follow: opts.follow === true,
            ...(typeof opts.from === 'string' ? { from: opts.from } : {}),
            ...(typeof opts.consumer === 'string' ? { consumer: opts.consumer } : {}),
            ...(typeof opts.idleExit === 'string' ? { idleExit: opts.idleExit } : {}),
            ...(typeof opts.ackWait === 'string' ? { ackWait: opts.ackWait } : {}),
            policies: opts.policies as string[],
            ...(opts.cluster === true ? { cluster: true } : {}),
            ...(typeof opts.context === 'string' ? { context: opts.context } : {}),
            ...(typeof opts.kubeconfig === 'string' ? { kubeconfig: opts.kubeconfig } : {}),
            ...(typeof opts.reportEvery === 'string' ? { reportEvery: opts.reportEvery } : {}),
          },
          io,
        ),
      );
    });
  const serve = detect
    .command('serve')
    .description("serve as the API server's audit webhook backend and judge events as they arrive")
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:8444')
    .option('--tls-cert <file>', 'serving certificate (PEM); required unless listening on loopback')
    .option('--tls-key <file>', 'key of the serving certificate (PEM)')
    .option(
      '--queue <events>',
      'events waiting to be judged at most; a batch that does not fit gets 429',
      '100000',
    )
    .option(
      '--publish <nats-url>',
      'publish the normalised events to NATS JetStream (nats://HOST:PORT[/STREAM]) for `detect run --from` replicas',
    );
  addCommonOptions(serve)
    .addHelpText('after', SERVE_HELP)
    .action(async (opts: Record<string, unknown>) => {
      const { runDetectServe } = await import('./detect.js');
      setExit(
        await runDetectServe(
          {
            ...commonOptions(opts),
            listen: String(opts.listen),
            ...(typeof opts.tlsCert === 'string' ? { tlsCert: opts.tlsCert } : {}),
            ...(typeof opts.tlsKey === 'string' ? { tlsKey: opts.tlsKey } : {}),
            queue: String(opts.queue),
            ...(typeof opts.publish === 'string' ? { publish: opts.publish } : {}),
          },
          io,
        ),
      );
    });
  detect
    .command('learn')
    .description('learn what each identity normally does from a training window of events')
    .argument('<files...>', 'event files of the training window (JSON lines or JSON); - reads standard input')
    .option('--baseline <file>', 'baseline file to create or extend')
    .option(
      '--db <path-or-url>',
      'keep the baselines in the history store instead: a SQLite file or postgres://… URL',
    )
    .option('-q, --quiet', 'no summary on stderr')
    .addHelpText('after', LEARN_HELP)
    .action(async (files: string[], opts: { baseline?: string; db?: string; quiet?: boolean }) => {
      const { runDetect } = await import('./detect.js');
      const { UsageError } = await import('../../core/index.js');
      if ((opts.baseline === undefined) === (opts.db === undefined))
        throw new UsageError(
          'detect learn writes the baselines to --baseline FILE or to --db STORE (one of them)',
        );
      setExit(
        await runDetect(
          files,
          {
            output: [],
            rules: [],
            builtin: true,
            feeds: [],
            approvedRegistries: [],
            trustedSubjects: [],
            trustedNetworks: [],
            dedup: '600',
            follow: false,
            failOn: 'none',
            quiet: opts.quiet === true,
            ...(opts.baseline !== undefined ? { baseline: opts.baseline } : {}),
            ...(opts.db !== undefined ? { db: opts.db } : {}),
            learnOnly: true,
          },
          io,
        ),
      );
    });
  const test = detect
    .command('test')
    .description('run the tests of the built-in rules and of your rule files')
    .argument('[paths...]', 'rule files or directories')
    .option('--no-builtin', 'only the given rule files')
    .option('-v, --verbose', 'print passing cases too')
    .addHelpText('after', TEST_HELP);
  addOutputOptions(test, {
    formats: ['table', 'json', 'yaml'],
    default: 'table',
    aliases: { text: 'table' },
  }).action(
    async (
      paths: string[],
      opts: { builtin?: boolean; verbose?: boolean; output?: string[]; outputFile?: string },
    ) => {
      const { runDetectTest } = await import('./detect.js');
      setExit(
        await runDetectTest(
          paths,
          {
            builtin: opts.builtin !== false,
            verbose: opts.verbose === true,
            output: opts.output ?? [],
            ...(opts.outputFile !== undefined ? { outputFile: opts.outputFile } : {}),
          },
          io,
        ),
      );
    },
  );
}
