import { Option, type Command } from 'commander';
import type { CliIO } from '../io.js';
import { addOutputOptions } from '../output.js';

const SCAN_HELP = `
Looks inside an image: streams its layers (never extracting them), applies whiteouts, and lists
the packages it holds (dpkg, apk, npm, Python) with package URLs and the layer and path each came
from. Output is a table (alias text), JSON or YAML (the same data), or an SBOM (CycloneDX 1.6 or SPDX 2.3 JSON). An SBOM written by
Palisade, Syft or another tool can be read back with --sbom instead of an image.

Sources (exactly one):
  REF                 an image in an OCI registry: [registry/]repo[:tag][@sha256:…]
  --layout DIR[:TAG]  an OCI image layout on disk (skopeo copy … oci:DIR:TAG)
  --archive FILE      a docker save / podman save archive (plain or gzip)
  --sbom FILE         a CycloneDX, SPDX or Syft JSON SBOM

Registry credentials: --username with --password-stdin, else ~/.docker/config.json (auths and
credential helpers), else anonymous. Blobs are cached by digest under ~/.palisade/cache/blobs.

With --db the result (counts by severity, every vulnerability with its location and VEX
suppression) is recorded in the history store, where the dashboard's Images page reads it.

Exit codes: 0 done, nothing at or above --fail-on; 1 an unsuppressed vulnerability at or above
--fail-on; 2 usage or input error (unreadable image, unsafe layer, refused login).

Examples:
  $ palisade image scan debian:bookworm
  $ palisade image scan ghcr.io/acme/api@sha256:4b1c… -o cyclonedx=api.cdx.json -o table
  $ palisade image scan --layout ./oci:v1 -o spdx=sbom.spdx.json
  $ docker save shop:1.4 -o shop.tar && palisade image scan --archive shop.tar -o json
  $ palisade image scan registry.local:5000/shop:1.4 --platform linux/arm64
  $ echo "$TOKEN" | palisade image scan registry.local/shop:1.4 --username ci --password-stdin
  $ palisade image scan --sbom sbom.cdx.json -o table
  $ palisade image scan debian:bookworm -o yaml --output-file debian.yaml
  $ palisade image scan registry.local:5000/shop:1.4 --db ~/.palisade/palisade.db -q`;

/** Registers `palisade image` and its subcommands; implementations load on first use. */
export function registerImageCommand(program: Command, io: CliIO, setExit: (code: number) => void): void {
  const image = program.command('image').description('look inside container images: packages, SBOMs');
  const scan = image
    .command('scan')
    .description('list the packages inside an image and write SBOMs')
    .argument('[ref]', 'image reference in a registry')
    .option('--layout <dir[:tag]>', 'read an OCI image layout directory')
    .option('--archive <file>', 'read a docker save / podman save archive')
    .option('--sbom <file>', 'read packages from a CycloneDX, SPDX or Syft JSON SBOM')
    .option('--platform <os/arch[/variant]>', 'platform to pick from a multi-platform image')
    .option('--username <user>', 'registry user name (with --password-stdin)')
    .option('--password-stdin', 'read the registry password or token from standard input')
    .option('--cache-dir <dir>', 'blob cache directory (default ~/.palisade/cache/blobs)')
    .option('--registry-ca <file>', 'PEM file of extra CA certificates to trust for the registry')
    .option('--plain-http', 'talk to the registry over http (loopback test registries only)')
    .option(
      '--vuln-db <file>',
      'vulnerability database (default $PALISADE_VULN_DB or ~/.palisade/vulndb.sqlite)',
    )
    .option('--no-vulns', 'list packages only; do not look up vulnerabilities')
    .option('--ignore-unfixed', 'leave out vulnerabilities no released version fixes')
    .option(
      '--vex <file>',
      'OpenVEX or CycloneDX VEX statements to apply (repeatable)',
      (v: string, p: string[]) => [...p, v],
      [],
    )
    .option('--max-db-age <duration>', 'warn when the database is older than this (e.g. 7d, 36h)', '7d')
    .addOption(
      new Option('--fail-on <severity>', 'exit 1 when an unsuppressed vulnerability is at least this severe')
        .default('high')
        .choices(['critical', 'high', 'medium', 'low', 'none']),
    )
    .option(
      '--db <path-or-url>',
      'record the result in the history store: a SQLite file or postgres://… URL (the dashboard lists it)',
    )
    .option('-q, --quiet', 'no progress on stderr')
    .addHelpText('after', SCAN_HELP);
  addOutputOptions(scan, {
    formats: ['table', 'json', 'yaml', 'cyclonedx', 'spdx'],
    default: 'table',
    aliases: { text: 'table' },
  }).action(async (ref: string | undefined, opts: Record<string, unknown>) => {
    const { runImageScan } = await import('./image.js');
    const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
    setExit(
      await runImageScan(
        {
          ...(ref !== undefined ? { ref } : {}),
          ...(str(opts.layout) !== undefined ? { layout: str(opts.layout) } : {}),
          ...(str(opts.archive) !== undefined ? { archive: str(opts.archive) } : {}),
          ...(str(opts.sbom) !== undefined ? { sbom: str(opts.sbom) } : {}),
          output: opts.output as string[],
          ...(str(opts.outputFile) !== undefined ? { outputFile: str(opts.outputFile) } : {}),
          ...(str(opts.platform) !== undefined ? { platform: str(opts.platform) } : {}),
          ...(str(opts.username) !== undefined ? { username: str(opts.username) } : {}),
          passwordStdin: opts.passwordStdin === true,
          ...(str(opts.cacheDir) !== undefined ? { cacheDir: str(opts.cacheDir) } : {}),
          ...(str(opts.registryCa) !== undefined ? { registryCa: str(opts.registryCa) } : {}),
          plainHttp: opts.plainHttp === true,
          quiet: opts.quiet === true,
          ...(str(opts.vulnDb) !== undefined ? { vulnDb: str(opts.vulnDb) } : {}),
          vulns: opts.vulns !== false,
          ignoreUnfixed: opts.ignoreUnfixed === true,
          vex: opts.vex as string[],
          maxDbAge: String(opts.maxDbAge),
          failOn: String(opts.failOn),
          ...(str(opts.db) !== undefined ? { db: str(opts.db) } : {}),
        } as import('./image.js').ImageScanOptions,
        io,
      ),
    );
  });
}
