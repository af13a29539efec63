import { Command, CommanderError, Option } from 'commander';
import { InputError, UsageError } from '../core/index.js';
import { registerNodeCommand } from './commands/node-command.js';
import { registerPolicyCommand } from './commands/policy-command.js';
import { registerAdmissionCommand } from './commands/admission-command.js';
import { registerServeCommand } from './commands/serve-command.js';
import { neutralisingIO, processIO, type CliIO } from './io.js';
import { registerControlsCommand } from './commands/controls-command.js';
import { registerNetpolCommand } from './commands/netpol-command.js';
import { palisadeVersion } from './version.js';
import { addOutputOptions, parseOutputs, renderData, writeOutputs, type OutputFormats } from './output.js';

import { registerRbacCommand } from './commands/rbac-command.js';
import { addClusterScanOptions, clusterScanOptions } from './commands/cluster-options.js';
import { registerSnapshotCommand } from './commands/snapshot-command.js';
import { registerImageCommand } from './commands/image-command.js';
import { registerRegistryCommand } from './commands/registry-command.js';
import { registerDetectCommand } from './commands/detect-command.js';
import { registerDbCommand } from './commands/db-command.js';
import { registerHistoryCommand } from './commands/history-command.js';
import { registerDriftCommand } from './commands/drift-command.js';
import { registerWatchCommand } from './commands/watch-command.js';
import type { ScanOptions } from './commands/scan.js';

type ScanImageFlags = Pick<
  ScanOptions,
  | 'images'
  | 'vulnDb'
  | 'severity'
  | 'unscannedSeverity'
  | 'maxDbAge'
  | 'platform'
  | 'registryCa'
  | 'cacheDir'
  | 'ignoreUnfixed'
  | 'plainHttp'
  | 'vex'
  | 'imageConcurrency'
  | 'registryTimeout'
  | 'username'
  | 'passwordStdin'
  | 'authRegistry'
>;

const VERSION_FORMATS: OutputFormats<'table' | 'json' | 'yaml'> = {
  formats: ['table', 'json', 'yaml'],
  default: 'table',
  aliases: { text: 'table' },
};

const SCAN_HELP = `
Reads Kubernetes manifests (YAML or JSON, multi-document, Lists, Helm output) and reports
violated controls with the exact file:line:column of the offending field.

Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage or input error.

Examples:
  $ palisade scan ./deploy
  $ palisade scan ./deploy --fail-on critical -o sarif=palisade.sarif -o table
  $ helm template shop ./charts/shop | palisade scan -
  $ palisade scan k8s/ -n shop -n payments -o json > report.json
  $ palisade scan . -o html --output-file report.html --fail-on none
  $ palisade scan ./deploy --framework cis,nsa --config palisade.yaml
  $ palisade scan ./deploy --framework pss:restricted@v1.29
  $ palisade scan ./deploy --framework default,best-practices
  $ palisade scan ./deploy --framework none --policy ./policies
  $ palisade scan ./deploy --exceptions palisade-exceptions.yaml --scan-date 2026-12-01 -o sarif
  $ palisade scan --cluster --context prod --db ~/.palisade/palisade.db -q
  $ palisade scan --cluster --db postgres://palisade@db.internal/palisade --retain-scans 500
  $ palisade scan ./deploy --images --severity high --fail-on high
  $ palisade scan --cluster -n shop --images --registry-ca corp-ca.pem -o sarif=images.sarif
  $ echo "$TOKEN" | palisade scan ./deploy --images --auth-registry registry.example.com --username ci --password-stdin

Images (--images): every image the workloads run (init and ephemeral containers, CronJob
templates) is resolved to its digest, pulled once per digest with the credentials of
~/.docker/config.json ($DOCKER_CONFIG) or, for the --auth-registry host, of --username and
--password-stdin (never a password flag), and matched against the vulnerability database of
\`palisade db import\`. Each container gets one image/vulnerabilities finding at its image field;
an image that could not be pulled or scanned is an image/not-scanned finding, never a pass.

Frameworks (--framework, repeatable or comma-separated): default (every security control,
scored against CIS, NSA/CISA and MITRE ATT&CK per tactic), cis, nsa, mitre, best-practices
(reliability hygiene: probes, resource requests; opt-in), pss:<baseline|restricted>[@<version>|@latest],
all (default plus best-practices), none (no built-in control). Scores per framework appear
in every output format.`;

const FORMATS = 'table (alias text), json, yaml, sarif, junit, html, csv';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Picks the `--images` options out of commander's parsed options. */
function scanImageOptions(opts: Record<string, unknown>): ScanImageFlags {
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const out: ScanImageFlags = {};
  if (opts.images === true) out.images = true;
  const set = <K extends keyof ScanImageFlags>(key: K, value: ScanImageFlags[K] | undefined): void => {
    if (value !== undefined) out[key] = value;
  };
  set('vulnDb', str(opts.vulnDb));
  set('severity', str(opts.severity));
  set('unscannedSeverity', str(opts.unscannedSeverity));
  set('maxDbAge', str(opts.maxDbAge));
  set('platform', str(opts.platform));
  set('registryCa', str(opts.registryCa));
  set('cacheDir', str(opts.cacheDir));
  set('registryTimeout', str(opts.registryTimeout));
  set('username', str(opts.username));
  set('authRegistry', str(opts.authRegistry));
  if (opts.passwordStdin === true) out.passwordStdin = true;
  if (opts.ignoreUnfixed === true) out.ignoreUnfixed = true;
  if (opts.plainHttp === true) out.plainHttp = true;
  if (Array.isArray(opts.vex) && opts.vex.length > 0) out.vex = opts.vex.map(String);
  if (typeof opts.imageConcurrency === 'number') out.imageConcurrency = opts.imageConcurrency;
  return out;
}

/** Builds the command tree; actions import their implementation lazily. */
export function buildProgram(io: CliIO, setExit: (code: number) => void): Command {
  const program = new Command('palisade')
    .description('Kubernetes cluster security from commit to runtime.')
    .version(palisadeVersion(), '-V, --version', 'print the version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (s) => {
        io.stdout.write(s);
      },
      writeErr: (s) => {
        io.stderr.write(s);
      },
    })
    .option('--debug', 'print the stack trace of an internal error (for bug reports)')
    .exitOverride();

  const scan = program
    .command('scan')
    .description('scan manifests for security weaknesses')
    .argument('[paths...]', 'files or directories to scan; - reads standard input', [])
    .addOption(
      new Option('--fail-on <severity>', 'exit 1 when a finding is at least this severe')
        .default('high')
        .choices(['critical', 'high', 'medium', 'low', 'info', 'none']),
    )
    .option(
      '-o, --output <format[=file]>',
      `output format, repeatable (${FORMATS}); FORMAT=FILE writes to a file`,
      collect,
      [],
    )
    .option('--output-file <file>', 'write the first -o format without a file to this file')
    .option('-n, --namespace <namespace>', 'only report objects in this namespace (repeatable)', collect, [])
    .option('-q, --quiet', 'no progress or status lines on stderr')
    .option('--ignore-input-errors', 'report input errors but do not let them set exit code 2')
    .option(
      '--framework <spec>',
      'controls to run: default, cis, nsa, mitre, best-practices, pss:<level>[@<version>], all, none (repeatable, comma-separated)',
      collect,
      [],
    )
    .option('--config <file>', 'palisade.dev/v1 Config file with per-control settings and kubernetesVersion')
    .option('--exceptions <file>', 'palisade.dev/v1 ExceptionList of accepted risks')
    .option(
      '--allow-annotation-exceptions',
      'honour palisade.dev/exception.<controlId> annotations on objects (off: anyone who edits a workload could exempt it)',
    )
    .option(
      '--scan-date <date>',
      'date (YYYY-MM-DD) exceptions and end-of-life dates are judged at; default today (UTC)',
    )
    .option('--policy <file-or-dir>', 'also evaluate these CEL admission policies (repeatable)', collect, [])
    .option('--no-policy-autogen', 'do not apply Pod policies to the pod templates of workloads')
    .option('--db <path-or-url>', 'record the scan in the history store: a SQLite file or postgres://… URL')
    .option(
      '--db-cluster <name>',
      'name the scan is recorded under (default: the context, or the scanned paths)',
    )
    .option('--retain-scans <n>', 'with --db: scans kept per cluster (default 1000)', Number)
    .option(
      '--retain-days <n>',
      'with --db: scans older than this many days are deleted (default 400)',
      Number,
    )
    .option('--images', 'also look inside every image the workloads run: known vulnerabilities per container')
    .option(
      '--vuln-db <file>',
      'with --images: vulnerability database (default $PALISADE_VULN_DB or ~/.palisade/vulndb.sqlite)',
    )
    .addOption(
      new Option(
        '--severity <severity>',
        'with --images: count vulnerabilities at least this severe (default info: all)',
      ).choices(['critical', 'high', 'medium', 'low', 'info']),
    )
    .addOption(
      new Option(
        '--unscanned-severity <severity>',
        'with --images: severity of image/not-scanned findings (default info)',
      ).choices(['critical', 'high', 'medium', 'low', 'info']),
    )
    .option('--ignore-unfixed', 'with --images: leave out vulnerabilities no released version fixes')
    .option(
      '--vex <file>',
      'with --images: OpenVEX or CycloneDX VEX statements to apply (repeatable)',
      collect,
      [],
    )
    .option(
      '--max-db-age <duration>',
      'with --images: warn when the database is older than this (default 7d)',
    )
    .option('--platform <os/arch[/variant]>', 'with --images: platform to pick from multi-platform images')
    .option(
      '--registry-ca <file>',
      'with --images: PEM file of extra CA certificates to trust for registries',
    )
    .option('--cache-dir <dir>', 'with --images: blob cache directory (default ~/.palisade/cache/blobs)')
    .option('--plain-http', 'with --images: talk to registries over http (loopback test registries only)')
    .option('--image-concurrency <n>', 'with --images: images pulled and scanned at once (default 2)', Number)
    .option(
      '--registry-timeout <duration>',
      'with --images: time limit of each registry request, e.g. 30s (default 60s; connecting at most 10s)',
    )
    .option(
      '--username <user>',
      'with --images: registry user name for --auth-registry (with --password-stdin)',
    )
    .option('--password-stdin', 'with --images: read the registry password or token from standard input')
    .option(
      '--auth-registry <host>',
      'with --images: the one registry --username and the password are sent to (e.g. registry.example.com:5000)',
    )
    .addHelpText('after', SCAN_HELP);
  addClusterScanOptions(scan).action(async (paths: string[], opts: Record<string, unknown>) => {
    const { runScan } = await import('./commands/scan.js');
    setExit(
      await runScan(
        paths,
        {
          failOn: String(opts.failOn),
          output: opts.output as string[],
          ...(typeof opts.outputFile === 'string' ? { outputFile: opts.outputFile } : {}),
          namespace: opts.namespace as string[],
          quiet: opts.quiet === true,
          ignoreInputErrors: opts.ignoreInputErrors === true,
          framework: opts.framework as string[],
          ...(typeof opts.config === 'string' ? { config: opts.config } : {}),
          ...(typeof opts.exceptions === 'string' ? { exceptions: opts.exceptions } : {}),
          allowAnnotationExceptions: opts.allowAnnotationExceptions === true,
          ...(typeof opts.scanDate === 'string' ? { scanDate: opts.scanDate } : {}),
          policy: opts.policy as string[],
          policyAutogen: opts.policyAutogen !== false,
          ...(typeof opts.db === 'string' ? { db: opts.db } : {}),
          ...(typeof opts.dbCluster === 'string' ? { dbCluster: opts.dbCluster } : {}),
          ...(typeof opts.retainScans === 'number' ? { retainScans: opts.retainScans } : {}),
          ...(typeof opts.retainDays === 'number' ? { retainDays: opts.retainDays } : {}),
          ...clusterScanOptions(opts),
          ...scanImageOptions(opts),
        },
        io,
      ),
    );
  });

  registerSnapshotCommand(program, io, setExit);
  registerHistoryCommand(program, io, setExit);
  registerDriftCommand(program, io, setExit);
  registerWatchCommand(program, io, setExit);

  registerControlsCommand(program, io, setExit);
  registerNetpolCommand(program, io, setExit);
  registerRbacCommand(program, io, setExit);
  registerPolicyCommand(program, io, setExit);

  registerAdmissionCommand(program, io, setExit);
  registerServeCommand(program, io, setExit);
  registerImageCommand(program, io, setExit);
  registerRegistryCommand(program, io, setExit);

  const version = program
    .command('version')
    .description('print the version of palisade and of the Node.js runtime')
    .addHelpText(
      'after',
      `
Exit codes: 0 done, 2 usage error.

Examples:
  $ palisade version
  $ palisade version -o json`,
    );
  addOutputOptions(version, {
    formats: ['table', 'json', 'yaml'],
    default: 'table',
    aliases: { text: 'table' },
  }).action(async (opts: Record<string, unknown>) => {
    const data = { palisade: palisadeVersion(), node: process.version };
    await writeOutputs(parseOutputs(opts.output, opts.outputFile, VERSION_FORMATS), io, (format) =>
      format === 'table' ? `palisade ${data.palisade} (node ${data.node})\n` : renderData(format, data),
    );
    setExit(0);
  });

  registerNodeCommand(program, io, setExit);
  registerDetectCommand(program, io, setExit);
  registerDbCommand(program, io, setExit);

  return program;
}

/** Exit code of an internal error (a bug): the message asks for a report, `--debug` adds the stack. */
export const EXIT_INTERNAL = 3;

/**
 * Runs the CLI with the given arguments (without `node` and the script) and returns the exit
 * code (docs/cli.md, "Exit codes"). The one place errors become exit codes: usage and input
 * errors are 2 with one line on stderr; anything else is a bug, exit 3, with its stack only
 * under `--debug` (or PALISADE_DEBUG=1).
 */
export async function main(argv: readonly string[], rawIO: CliIO = processIO()): Promise<number> {
  let code = 0;
  const io = neutralisingIO(rawIO);
  const program = buildProgram(io, (c) => (code = c));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit 0; every other commander error is a usage error.
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof UsageError || e instanceof InputError) {
      io.stderr.write(`palisade: ${e.message}\n`);
      return 2;
    }
    const debug = program.opts().debug === true || argv.includes('--debug') || io.env.PALISADE_DEBUG === '1';
    io.stderr.write(
      debug
        ? `palisade: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`
        : `palisade: internal error: ${e instanceof Error ? e.message : String(e)} (a bug: please report it; --debug prints the stack trace)\n`,
    );
    return EXIT_INTERNAL;
  }
}
