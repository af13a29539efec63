import type { Command } from 'commander';
import type { CliIO } from '../io.js';

const WATCH_HELP = `
Watches repositories of OCI registries: every interval, lists each repository's tags (or the one
tag named), resolves them to digests, and scans each digest not scanned before, once: packages
and known vulnerabilities from the local database. Results go to the image verdict store
(default ~/.palisade/images.sqlite), the file the admission webhook's image rules read, so
images pushed to a watched repository are judged on their first Pod. With --db each scanned
image is also recorded in the history store (the dashboard's Images page). One line per scanned image
on stdout; registry errors on stderr (the watch goes on).

Registry credentials: ~/.docker/config.json (auths and credential helpers), else anonymous.

Exit codes (--once): 0 done, 2 usage error or nothing could be read.

Examples:
  $ palisade registry watch registry.example.com/shop/api registry.example.com/shop/web --interval 10m
  $ palisade registry watch 127.0.0.1:5000/team/tool:1.2 --once --registry-ca ca.pem
  $ palisade registry watch ghcr.io/acme/api --store /var/lib/palisade/images.sqlite --no-vulns
  $ palisade registry watch ghcr.io/acme/api --db postgres://palisade@db.internal/palisade`;

/** Registers `palisade registry watch`; the implementation loads on first use. */
export function registerRegistryCommand(program: Command, io: CliIO, setExit: (code: number) => void): void {
  const registry = program.command('registry').description('watch registries: scan new images once');
  registry
    .command('watch')
    .description('scan new tags and digests of repositories, once each, into the image verdict store')
    .argument('<repository...>', 'REGISTRY/REPO or REGISTRY/REPO:TAG')
    .option('--interval <duration>', 'time between cycles (e.g. 10m, 1h)', '10m')
    .option('--once', 'run one cycle and exit')
    .option('--store <file>', 'image verdict store (default ~/.palisade/images.sqlite)')
    .option(
      '--vuln-db <file>',
      'vulnerability database (default $PALISADE_VULN_DB or ~/.palisade/vulndb.sqlite)',
    )
    .option('--no-vulns', 'list packages only; do not look up vulnerabilities')
    .option('--platform <os/arch[/variant]>', 'platform to pick from multi-platform images')
    .option('--cache-dir <dir>', 'blob cache directory (default ~/.palisade/cache/blobs)')
    .option('--registry-ca <file>', 'PEM file of extra CA certificates to trust for registries')
    .option('--max-tags <n>', 'tags looked at per repository and cycle', '1000')
    .option(
      '--db <path-or-url>',
      'also record each scanned image in the history store: a SQLite file or postgres://… URL',
    )
    .option('-q, --quiet', 'print errors only')
    .addHelpText('after', WATCH_HELP)
    .action(async (repositories: string[], opts: Record<string, unknown>) => {
      const { runRegistryWatch } = await import('./registry.js');
      setExit(await runRegistryWatch(repositories, opts, io));
    });
}
