import { Option, type Command } from 'commander';
import type { CliIO } from '../io.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Registers `palisade drift`; the implementation is imported when it runs. */
export function registerDriftCommand(program: Command, io: CliIO, setExit: (code: number) => void): void {
  program
    .command('drift')
    .description(
      'compare two assessments: findings opened and closed, RBAC rights gained and lost, reachability',
    )
    .argument('<base>', 'scan id, latest, latest~N, a snapshot file, a directory of manifests, or live')
    .argument('<head>', 'scan id, latest, latest~N, a snapshot file, a directory of manifests, or live')
    .option(
      '--db <path-or-url>',
      'history store for scan ids: a SQLite file or postgres://… URL (default $PALISADE_DB or ~/.palisade/palisade.db)',
    )
    .option(
      '--cluster <name>',
      'cluster whose scans latest and latest~N name (needed when the store holds several)',
    )
    .addOption(
      new Option('--fail-on-new <severity>', 'exit 1 when a finding at least this severe opened')
        .default('none')
        .choices(['critical', 'high', 'medium', 'low', 'info', 'none']),
    )
    .option(
      '--framework <spec>',
      'controls for sides assessed on the fly (snapshot, directory): as scan --framework',
      collect,
      [],
    )
    .option(
      '-o, --output <format[=file]>',
      'output format, repeatable: table (alias text), json, yaml; FORMAT=FILE writes to a file',
      collect,
      [],
    )
    .option('--output-file <file>', 'write the one output that names no file to FILE')
    .option(
      '--audit-log <file>',
      'Kubernetes audit log (JSON lines): show who last wrote each changed object, and when',
    )
    .option('--context <name>', 'kubeconfig context of a live side (default: the current context)')
    .option('--kubeconfig <file>', 'kubeconfig of a live side (default: $KUBECONFIG or ~/.kube/config)')
    .option('--request-timeout <duration>', 'per request to the API server of a live side (default 30s)')
    .option('-q, --quiet', 'no status lines on stderr')
    .addHelpText(
      'after',
      `
A path that exists is read as a snapshot (a file) or manifests (a directory) and assessed on
the fly; \`live\` is the cluster of the kubeconfig context, read and assessed now (what runs
against what Git holds: \`drift live ./deploy\`); anything else is a scan in the store
(\`palisade history\` lists them). Findings
match by fingerprint (control + object + field path), so a moved line is not a change.
Suppressed findings count on neither side.

Exit codes: 0 compared, 1 a new finding at or above --fail-on-new, 2 usage or input error.

Examples:
  $ palisade drift latest~1 latest
  $ palisade drift latest ./deploy --fail-on-new high
  $ palisade drift live ./deploy --context prod --fail-on-new high
  $ palisade drift 12 prod-2026-12-01.snapshot.json.gz -o json=drift.json
  $ palisade drift latest~7 latest --cluster prod --db postgres://palisade@db.internal/palisade
  $ palisade drift latest~1 latest --audit-log /var/log/kubernetes/audit.log`,
    )
    .action(async (base: string, head: string, opts: Record<string, unknown>) => {
      const { runDrift } = await import('./drift.js');
      setExit(
        await runDrift(
          base,
          head,
          {
            ...(typeof opts.db === 'string' ? { db: opts.db } : {}),
            ...(typeof opts.cluster === 'string' ? { cluster: opts.cluster } : {}),
            ...(typeof opts.auditLog === 'string' ? { auditLog: opts.auditLog } : {}),
            ...(typeof opts.context === 'string' ? { context: opts.context } : {}),
            ...(typeof opts.kubeconfig === 'string' ? { kubeconfig: opts.kubeconfig } : {}),
            ...(typeof opts.requestTimeout === 'string' ? { requestTimeout: opts.requestTimeout } : {}),
            failOnNew: String(opts.failOnNew),
            framework: opts.framework as string[],
            output: opts.output as string[],
            ...(typeof opts.outputFile === 'string' ? { outputFile: opts.outputFile } : {}),
            quiet: opts.quiet === true,
          },
          io,
        ),
      );
    });
}
