import type { Command } from 'commander';
import type { CliIO } from '../io.js';
import { REQUEST_TIMEOUT_HELP } from './cluster-options.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Registers `palisade watch`; the implementation is imported when it runs. */
export function registerWatchCommand(program: Command, io: CliIO, setExit: (code: number) => void): void {
  program
    .command('watch')
    .description("keep clusters' posture current with list+watch, recorded in the history store")
    .option(
      '--context <name>',
      'kubeconfig context to watch (repeatable; default: the current one)',
      collect,
      [],
    )
    .option('--kubeconfig <file>', 'kubeconfig file (default $KUBECONFIG or ~/.kube/config)')
    .option('--interval <duration>', 'full rescan and new scan record this often (default 10m, at least 10s)')
    .option(
      '--debounce <duration>',
      'quiet time before a burst of changes is evaluated (default 250ms; at most 2s wait)',
    )
    .option(
      '--db <path-or-url>',
      'history store: a SQLite file or postgres://… URL (default $PALISADE_DB or ~/.palisade/palisade.db)',
    )
    .option('--retain-scans <n>', 'scans kept per cluster in the store (default 1000)', Number)
    .option('--retain-days <n>', 'scans older than this many days are deleted (default 400)', Number)
    .option(
      '--policy-report',
      'write wgpolicyk8s.io/v1alpha2 PolicyReports (one per namespace) and a ClusterPolicyReport',
    )
    .option('--metrics-listen <host:port>', 'serve Prometheus metrics on http://HOST:PORT/metrics')
    .option(
      '--framework <list>',
      'frameworks to score: cis, nsa, mitre, pss:<level>, all (repeatable)',
      collect,
      [],
    )
    .option('--request-timeout <duration>', REQUEST_TIMEOUT_HELP)
    .option('-q, --quiet', 'no progress or warnings on stderr')
    .addHelpText(
      'after',
      `
The first full read of each cluster is recorded as a scan (source "watch"); later changes
update that scan's findings in place within about a second, and every --interval the posture
is evaluated again and recorded as a new scan. Stop with Ctrl-C or SIGTERM.

Exit codes: 0 stopped by Ctrl-C or SIGTERM, 2 usage error or a store or cluster that cannot be
read.

Examples:
  $ palisade watch --context prod
  $ palisade watch --context prod --context staging --interval 30m --db postgres://palisade@db/palisade
  $ palisade watch --policy-report --metrics-listen 127.0.0.1:9090
  $ palisade history --cluster prod          # what watch recorded`,
    )
    .action(async (opts: Record<string, unknown>) => {
      const { runWatch } = await import('./watch.js');
      const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
      const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
      const options = {
        context: opts.context as string[],
        framework: opts.framework as string[],
        policyReport: opts.policyReport === true,
        quiet: opts.quiet === true,
      };
      const extra: Record<string, string | number> = {};
      for (const k of [
        'kubeconfig',
        'interval',
        'debounce',
        'db',
        'metricsListen',
        'requestTimeout',
      ] as const) {
        const v = str(opts[k]);
        if (v !== undefined) extra[k] = v;
      }
      for (const k of ['retainScans', 'retainDays'] as const) {
        const v = num(opts[k]);
        if (v !== undefined) extra[k] = v;
      }
      setExit(await runWatch({ ...options, ...extra }, io));
    });
}
