import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { InputError, UsageError } from '../../core/index.js';
import {
  NO_MATCHER,
  openDockerArchive,
  openOciLayout,
  openRegistryImage,
  parseImageReference,
  parsePlatform,
  readSbom,
  renderCycloneDx,
  renderSpdx,
  resolveRegistryCredentials,
  scanImage,
  type ImageScanResult,
  type ImageSource,
  type MatchPackages,
  type Platform,
  type RegistryCredentials,
} from '../../images/index.js';
import {
  IMPORT_HINT,
  matchPackages,
  openVulnDb,
  parseDuration,
  readVexFile,
  resolveVulnDbPath,
  vulnDbAgeWarning,
  type VexStatement,
} from '../../vulndb/index.js';
import type { CliIO } from '../io.js';
import { parseOutputs, renderData, type OutputFormats } from '../output.js';
import { palisadeVersion } from '../version.js';

/** Options of `palisade image scan`, as parsed from the command line. */
export interface ImageScanOptions {
  ref?: string;
  layout?: string;
  archive?: string;
  sbom?: string;
  output: string[];
  outputFile?: string;
  platform?: string;
  username?: string;
  passwordStdin: boolean;
  cacheDir?: string;
  registryCa?: string;
  plainHttp: boolean;
  quiet: boolean;
  /** The vulnerability matcher; by default the one of src/vulndb over the local database. */
  match?: MatchPackages;
  /** Database file (else $PALISADE_VULN_DB, else ~/.palisade/vulndb.sqlite). */
  vulnDb?: string;
  /** Look vulnerabilities up (default true); false lists packages only. */
  vulns?: boolean;
  ignoreUnfixed?: boolean;
  /** VEX files to apply. */
  vex?: string[];
  /** Warn when the database is older than this (default 7d). */
  maxDbAge?: string;
  /** Exit 1 when an unsuppressed vulnerability is at least this severe (default high). */
  failOn?: string;
  /** `--db PATH|URL`: record the result in the history store. */
  db?: string;
  /** The clock of the recorded time (tests). */
  now?: () => Date;
}

const SEVERITY_ORDER = ['unknown', 'none', 'low', 'medium', 'high', 'critical'];

/** The options that choose and apply the vulnerability database (shared with `scan --images`). */
export type VulnMatcherOptions = Pick<
  ImageScanOptions,
  'vulns' | 'vulnDb' | 'maxDbAge' | 'quiet' | 'vex' | 'ignoreUnfixed'
>;

/** An open matcher over the local vulnerability database. */
export interface VulnMatcher {
  match: MatchPackages;
  /** When the database was last imported into (ISO 8601), if ever. */
  updatedAt?: string;
  close: () => void;
}

/**
 * The matcher over the local vulnerability database, or undefined when lookups are off or only
 * SBOM formats are asked for. A missing database is an input error that says how to import one
 * (`noDbHint` ends the message: how to go on without one, where the command has a way).
 */
export async function vulnMatcher(
  options: VulnMatcherOptions,
  outputs: readonly { format: string }[],
  io: CliIO,
  noDbHint = ' (or --no-vulns to list packages only)',
): Promise<VulnMatcher | undefined> {
  if (options.vulns === false) return undefined;
  if (outputs.every((o) => o.format === 'cyclonedx' || o.format === 'spdx')) return undefined;
  const file = resolveVulnDbPath(options.vulnDb, io.env, io.cwd);
  try {
    await stat(file);
  } catch {
    throw new InputError(`no vulnerability database at ${file}; ${IMPORT_HINT}${noDbHint}`);
  }
  const maxAge = parseDuration(options.maxDbAge ?? '7d');
  if (maxAge === undefined)
    throw new UsageError(`--max-db-age ${options.maxDbAge ?? ''}: expected a duration such as 7d or 36h`);
  const vex: VexStatement[] = [];
  for (const f of options.vex ?? []) vex.push(...(await readVexFile(path.resolve(io.cwd, f))));
  const db = openVulnDb(file);
  const status = db.status();
  const warning = vulnDbAgeWarning(status, maxAge, new Date());
  if (warning !== undefined && !options.quiet) io.stderr.write(`palisade: warning: ${warning}\n`);
  return {
    match: (packages) =>
      Promise.resolve(
        matchPackages(db, packages, {
          ignoreUnfixed: options.ignoreUnfixed === true,
          ...(vex.length > 0 ? { vex } : {}),
        }).map((m) => ({
          id: m.id,
          aliases: m.ids.filter((i) => i !== m.id),
          package: m.package,
          severity: m.severity,
          ...(m.fixedVersions[0] !== undefined ? { fixedVersion: m.fixedVersions[0] } : {}),
          fixedVersions: m.fixedVersions,
          summary: m.summary,
          ...(m.cvssScore !== undefined ? { cvssScore: m.cvssScore } : {}),
          suppressed: m.suppressed,
          ...(m.vex !== undefined ? { vex: m.vex } : {}),
        })),
      ),
    ...(status.updatedAt !== undefined ? { updatedAt: status.updatedAt } : {}),
    close: () => {
      db.close();
    },
  };
}

/** The `--registry-ca` file's text, or undefined without the option; an unreadable file is an input error. */
export async function readRegistryCa(file: string | undefined, io: CliIO): Promise<string | undefined> {
  if (file === undefined) return undefined;
  try {
    return await readFile(path.resolve(io.cwd, file), 'utf8');
  } catch {
    throw new InputError(`${file}: cannot read the CA file`);
  }
}

/** The formats of `image scan`: the table, the scan result as JSON or YAML, and two SBOMs. */
export const IMAGE_FORMATS: OutputFormats<'table' | 'json' | 'yaml' | 'cyclonedx' | 'spdx'> = {
  formats: ['table', 'json', 'yaml', 'cyclonedx', 'spdx'],
  default: 'table',
  aliases: { text: 'table' },
};

/** Renders the package table. */
export function renderPackageTable(result: ImageScanResult): string {
  const rows = result.packages.map((p) => [p.name, p.version, p.ecosystem, p.location.path]);
  const header = ['NAME', 'VERSION', 'ECOSYSTEM', 'LOCATION'];
  const widths = header.map((h, i) =>
    Math.min(60, Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length))),
  );
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const lines = [
    `${result.name}${result.manifestDigest !== undefined ? ` (${result.manifestDigest})` : ''}`,
    result.distro?.prettyName !== undefined ? `OS: ${result.distro.prettyName}` : 'OS: unknown',
    `${result.packages.length} packages, ${result.findings.filter((f) => f.suppressed !== true).length} vulnerabilities${result.findings.some((f) => f.suppressed === true) ? ` (${result.findings.filter((f) => f.suppressed === true).length} suppressed by VEX)` : ''}`,
    '',
    line(header),
    ...rows.map(line),
  ];
  if (result.findings.length > 0) {
    lines.push('', 'VULNERABILITY        SEVERITY  PACKAGE                        INSTALLED        FIXED IN');
    const sorted = [...result.findings].sort(
      (a, b) =>
        SEVERITY_ORDER.indexOf(b.severity ?? 'unknown') - SEVERITY_ORDER.indexOf(a.severity ?? 'unknown') ||
        a.id.localeCompare(b.id),
    );
    for (const f of sorted)
      lines.push(
        `${f.id.padEnd(20)} ${(f.severity ?? 'unknown').padEnd(9)} ${f.package.name.padEnd(30)} ${f.package.version.padEnd(16)} ${f.fixedVersion ?? '(no fix)'}${
          f.suppressed === true ? `  suppressed by VEX: ${f.vex?.justification ?? f.vex?.status ?? ''}` : ''
        }`,
      );
  }
  for (const s of result.skipped)
    lines.push(`note: ${s.path} in layer ${s.layerDigest} not read: ${s.reason}`);
  return `${lines.join('\n')}\n`;
}

async function readPassword(io: CliIO): Promise<string> {
  const raw = (await io.readStdin()).toString('utf8');
  const password = raw.replace(/\r?\n$/, '');
  if (password === '') throw new UsageError('--password-stdin: standard input is empty');
  return password;
}

/** The registry login flags of `image scan` and `scan --images`. */
export interface RegistryLoginFlags {
  username?: string | undefined;
  passwordStdin?: boolean | undefined;
}

/**
 * The credentials `--username` and `--password-stdin` give (the password read from standard
 * input, never from a flag), or undefined when neither is given. One without the other is a
 * usage error. Messages name the flags only, never the password.
 */
export async function readLoginFlags(
  flags: RegistryLoginFlags,
  io: CliIO,
): Promise<RegistryCredentials | undefined> {
  if (flags.username !== undefined) {
    if (flags.passwordStdin !== true)
      throw new UsageError('--username needs --password-stdin (passwords are never taken as flags)');
    if (flags.username === '') throw new UsageError('--username must not be empty');
    return { kind: 'basic', username: flags.username, password: await readPassword(io) };
  }
  if (flags.passwordStdin === true) throw new UsageError('--password-stdin needs --username');
  return undefined;
}

async function openSource(
  options: ImageScanOptions,
  io: CliIO,
  platform: Platform | undefined,
): Promise<ImageSource> {
  if (options.layout !== undefined)
    return openOciLayout(path.resolve(io.cwd, options.layout), platform !== undefined ? { platform } : {});
  if (options.archive !== undefined)
    return openDockerArchive(
      path.resolve(io.cwd, options.archive),
      platform !== undefined ? { platform } : {},
    );
  const ref = parseImageReference(options.ref ?? '');
  const credentials =
    (await readLoginFlags(options, io)) ?? (await resolveRegistryCredentials(ref.registry, { ...io.env }));
  const ca = await readRegistryCa(options.registryCa, io);
  return openRegistryImage(ref, {
    ...(credentials !== undefined ? { credentials } : {}),
    ...(platform !== undefined ? { platform } : {}),
    ...(options.cacheDir !== undefined ? { cacheDir: path.resolve(io.cwd, options.cacheDir) } : {}),
    ...(ca !== undefined ? { ca } : {}),
    plainHttp: options.plainHttp,
  });
}

/** Runs `palisade image scan`; returns the exit code. */
export async function runImageScan(options: ImageScanOptions, io: CliIO): Promise<number> {
  const given = [options.ref, options.layout, options.archive, options.sbom].filter(
    (s) => s !== undefined && s !== '',
  );
  if (given.length !== 1)
    throw new UsageError(
      given.length === 0
        ? 'name one image: REF, --layout DIR, --archive FILE or --sbom FILE'
        : 'name exactly one of REF, --layout, --archive and --sbom',
    );
  const outputs = parseOutputs(options.output, options.outputFile, IMAGE_FORMATS);
  let platform: Platform | undefined;
  if (options.platform !== undefined) {
    platform = parsePlatform(options.platform);
    if (platform === undefined)
      throw new UsageError(`--platform ${JSON.stringify(options.platform)}: expected os/arch[/variant]`);
  }
  const progress = !options.quiet && io.stderr.isTTY === true;
  const failOn = options.failOn ?? 'high';
  if (failOn !== 'none' && !SEVERITY_ORDER.includes(failOn))
    throw new UsageError(`--fail-on ${failOn}: expected critical, high, medium, low or none`);
  const matcher = options.match === undefined ? await vulnMatcher(options, outputs, io) : undefined;
  const match = options.match ?? matcher?.match ?? NO_MATCHER;
  const checked = options.match !== undefined || matcher !== undefined;
  // A wrong --db fails before the image is read, not after minutes of pulling layers.
  const store =
    options.db !== undefined ? await (await import('./record.js')).openCliStore(options.db, io) : undefined;
  let sbomText: string | undefined;
  try {
    let result: ImageScanResult;
    if (options.sbom !== undefined) {
      const file = path.resolve(io.cwd, options.sbom);
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch {
        throw new InputError(`${options.sbom}: cannot read the file`);
      }
      sbomText = text;
      const sbom = readSbom(text, options.sbom);
      if (sbom.packages.length === 0 && sbom.unusable === 0)
        throw new InputError(`${options.sbom}: the SBOM lists no packages`);
      if (sbom.unusable > 0 && !options.quiet)
        io.stderr.write(
          `palisade: ${options.sbom}: ${sbom.unusable} components without a package URL cannot be matched\n`,
        );
      result = {
        name: sbom.name ?? options.sbom,
        config: {},
        layers: [],
        packages: sbom.packages,
        skipped: [],
        findings: await match(sbom.packages),
      };
    } else {
      const source = await openSource(options, io, platform);
      try {
        result = await scanImage(source, {
          match,
          ...(progress
            ? {
                onLayer: (i: number, digest: string, bytes: number) => {
                  io.stderr.write(
                    `layer ${i + 1}/${source.layers.length} ${digest.slice(0, 19)} ${(bytes / 1048576).toFixed(1)} MiB\n`,
                  );
                },
              }
            : {}),
        });
      } finally {
        await source.close();
      }
    }

    const tool = { name: 'palisade', version: palisadeVersion() };
    for (const out of outputs) {
      const text =
        out.format === 'table'
          ? renderPackageTable(result)
          : out.format === 'json' || out.format === 'yaml'
            ? renderData(out.format, result)
            : out.format === 'cyclonedx'
              ? `${renderCycloneDx(result, tool)}\n`
              : renderSpdx(result, tool);
      if (out.file === undefined) io.stdout.write(text);
      else {
        await io.writeFile(path.resolve(io.cwd, out.file), text);
        if (!options.quiet) io.stderr.write(`Wrote ${out.format} to ${out.file}\n`);
      }
    }
    if (store !== undefined) {
      const { imageResultInput, recordedDigest } = await import('./image-record.js');
      const vulnDbTime = matcher?.updatedAt !== undefined ? Date.parse(matcher.updatedAt) : undefined;
      const digest = recordedDigest(result, sbomText);
      const id = await store.recordImageResult(
        imageResultInput(result, {
          ref: options.ref ?? result.name,
          digest,
          scannedAt: (options.now ?? (() => new Date()))().getTime(),
          ...(vulnDbTime !== undefined && Number.isFinite(vulnDbTime) ? { vulnDbTime } : {}),
          source:
            options.sbom !== undefined
              ? 'sbom'
              : options.layout !== undefined
                ? 'layout'
                : options.archive !== undefined
                  ? 'archive'
                  : 'registry',
        }),
      );
      if (!options.quiet) io.stderr.write(`Recorded image result ${id} of ${digest}\n`);
    }
    if (
      !checked &&
      !options.quiet &&
      outputs.some((o) => o.format === 'table' || o.format === 'json' || o.format === 'yaml')
    )
      io.stderr.write('palisade: vulnerabilities not checked (--no-vulns)\n');
    const worst = result.findings
      .filter((f) => f.suppressed !== true)
      .reduce((w, f) => Math.max(w, SEVERITY_ORDER.indexOf(f.severity ?? 'unknown')), -1);
    return failOn !== 'none' && worst >= SEVERITY_ORDER.indexOf(failOn) ? 1 : 0;
  } finally {
    matcher?.close();
    await store?.close();
  }
}
