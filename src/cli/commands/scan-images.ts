/**
 * `palisade scan --images`: the registry and database side of looking inside the images the
 * scanned workloads run. Opens the vulnerability database before anything is read (a missing
 * one fails fast, exit 2), builds the registry ports with the options of `image scan`
 * (credentials from `--username`/`--password-stdin` for the `--auth-registry` host, else from
 * the docker config; `--platform`, `--registry-ca`, `--cache-dir`, `--plain-http`), and runs
 * the pure flow of src/images/workload-scan.ts.
 */
import path from 'node:path';
import { InputError, isSeverity, UsageError, type Resource, type Severity } from '../../core/index.js';
import {
  collectWorkloadImages,
  formatImageReference,
  IMAGE_CONTROLS,
  openRegistryImage,
  parseImageReference,
  parsePlatform,
  RegistryClient,
  resolveRegistryCredentials,
  scanImage,
  scanWorkloadImages,
  type ImageReference,
  type Platform,
  type RegistryCredentials,
  type RegistryOptions,
  type WorkloadImagePorts,
  type WorkloadImageScan,
} from '../../images/index.js';
import type { ReportControl } from '../../report/index.js';
import type { CliIO } from '../io.js';
import { parseDuration } from '../../vulndb/index.js';
import { readLoginFlags, readRegistryCa, vulnMatcher, type VulnMatcher } from './image.js';

/** The `scan` options that concern images. */
export interface ScanImagesOptions {
  /** `--vuln-db FILE` (else $PALISADE_VULN_DB, else ~/.palisade/vulndb.sqlite). */
  vulnDb?: string;
  /** `--severity`: vulnerabilities below it are not counted (default info: every one). */
  severity?: string;
  /** `--unscanned-severity`: severity of `image/not-scanned` findings (default info). */
  unscannedSeverity?: string;
  platform?: string;
  registryCa?: string;
  cacheDir?: string;
  plainHttp?: boolean;
  ignoreUnfixed?: boolean;
  vex?: string[];
  maxDbAge?: string;
  /** `--image-concurrency`: images pulled and scanned at once (default 2). */
  imageConcurrency?: number;
  /** `--registry-timeout`: time limit of each registry request (default 60s; connecting at most 10s). */
  registryTimeout?: string;
  /** `--username`: with `--password-stdin`, credentials for the `--auth-registry` host only. */
  username?: string;
  passwordStdin?: boolean;
  /** `--auth-registry`: the registry host the `--username` credentials are sent to. */
  authRegistry?: string;
  quiet?: boolean;
}

/** A workload image scan ready to run: database open, registry options read. */
export interface PreparedImageScan {
  /** Report metadata of the image controls. */
  controls: ReportControl[];
  run(resources: readonly Resource[]): Promise<WorkloadImageScan & { vulnDbTime?: number }>;
  close(): void;
}

/** Errors that say the registry's host did not answer at all (not a refusal or a missing image). */
const UNREACHABLE = /timed out|ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ECONNRESET/;

function severityOption(flag: string, value: string | undefined): Severity {
  const v = value ?? 'info';
  if (!isSeverity(v))
    throw new UsageError(`${flag} must be one of critical, high, medium, low or info (got "${v}")`);
  return v;
}

const DOCKER_HUB = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** The registry host `--auth-registry` names, as image references spell it (lower case). */
function authRegistryHost(text: string): string {
  const host = text.trim().toLowerCase();
  if (DOCKER_HUB.has(host)) return 'docker.io';
  let registry: string | undefined;
  try {
    registry = parseImageReference(`${host}/palisade`).registry;
  } catch {
    registry = undefined;
  }
  if (registry !== host)
    throw new UsageError(
      `--auth-registry ${JSON.stringify(text)}: expected a registry host such as registry.example.com or 127.0.0.1:5000`,
    );
  return host;
}

/** Reads and checks the image options and opens the vulnerability database. */
export async function prepareImageScan(options: ScanImagesOptions, io: CliIO): Promise<PreparedImageScan> {
  const severity = severityOption('--severity', options.severity);
  const notScannedSeverity = severityOption('--unscanned-severity', options.unscannedSeverity);
  const concurrency = options.imageConcurrency ?? 2;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 16)
    throw new UsageError(`--image-concurrency must be a whole number from 1 to 16 (got ${concurrency})`);
  let timeoutMs: number | undefined;
  if (options.registryTimeout !== undefined) {
    timeoutMs = parseDuration(options.registryTimeout);
    if (timeoutMs === undefined || timeoutMs < 100 || timeoutMs > 3_600_000)
      throw new UsageError(
        `--registry-timeout ${options.registryTimeout}: expected a duration from 100ms to 1h, such as 30s`,
      );
  }
  let platform: Platform | undefined;
  if (options.platform !== undefined) {
    platform = parsePlatform(options.platform);
    if (platform === undefined)
      throw new UsageError(`--platform ${JSON.stringify(options.platform)}: expected os/arch[/variant]`);
  }
  const ca = await readRegistryCa(options.registryCa, io);
  // Credentials given on the command line go to one named registry: workloads pull from many
  // (Docker Hub, a vendor's), and a password for one of them must not reach the others.
  if (options.username !== undefined && options.authRegistry === undefined)
    throw new UsageError(
      '--username with --images needs --auth-registry HOST: the credentials are sent to that registry only (the others use the docker config)',
    );
  if (options.authRegistry !== undefined && options.username === undefined)
    throw new UsageError('--auth-registry needs --username and --password-stdin');
  const loginHost = options.authRegistry !== undefined ? authRegistryHost(options.authRegistry) : undefined;
  const login = await readLoginFlags(options, io);
  let matcher: VulnMatcher | undefined;
  try {
    matcher = await vulnMatcher(
      {
        quiet: options.quiet === true,
        ...(options.vulnDb !== undefined ? { vulnDb: options.vulnDb } : {}),
        ...(options.maxDbAge !== undefined ? { maxDbAge: options.maxDbAge } : {}),
        ...(options.vex !== undefined ? { vex: options.vex } : {}),
        ignoreUnfixed: options.ignoreUnfixed === true,
      },
      [{ format: 'json' }],
      io,
      '',
    );
  } catch (e) {
    // The same words as `image scan`; with --images a missing database is a usage error.
    if (e instanceof InputError && e.message.startsWith('no vulnerability database'))
      throw new UsageError(`${e.message} (--images needs one)`);
    throw e;
  }
  if (matcher === undefined) throw new Error('vulnerability lookups are always on with --images');
  const { match, close } = matcher;
  const env = { ...io.env };
  const credentials = new Map<string, Promise<RegistryCredentials | undefined>>();
  const optionsFor = async (registry: string): Promise<RegistryOptions> => {
    let creds = credentials.get(registry);
    if (creds === undefined) {
      creds =
        login !== undefined && registry.toLowerCase() === loginHost
          ? Promise.resolve(login)
          : resolveRegistryCredentials(registry, env);
      credentials.set(registry, creds);
    }
    const c = await creds;
    return {
      ...(c !== undefined ? { credentials: c } : {}),
      ...(platform !== undefined ? { platform } : {}),
      ...(ca !== undefined ? { ca } : {}),
      ...(options.cacheDir !== undefined ? { cacheDir: path.resolve(io.cwd, options.cacheDir) } : {}),
      ...(options.plainHttp === true ? { plainHttp: true } : {}),
      ...(timeoutMs !== undefined
        ? { requestTimeoutMs: timeoutMs, connectTimeoutMs: Math.min(timeoutMs, 10_000) }
        : {}),
    };
  };
  // Progress on a terminal: images done, and the layer being read (pulls can take minutes).
  // References reach here parsed, so the line holds no control characters from the manifests.
  const tty = options.quiet !== true && io.stderr.isTTY === true;
  const counts = { done: 0, total: 0 };
  const status = (detail: string): void => {
    if (tty) io.stderr.write(`\r\x1b[2KScanning images ${counts.done}/${counts.total}: ${detail}`);
  };
  // A registry that did not answer once is not asked again in this scan: fifty images on a
  // host that drops packets would otherwise each wait out the connect timeout.
  const unreachable = new Map<string, string>();
  const reaching = async <T>(registry: string, call: () => Promise<T>): Promise<T> => {
    const earlier = unreachable.get(registry);
    if (earlier !== undefined) throw new InputError(`not tried: ${earlier} (earlier in this scan)`);
    try {
      return await call();
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      if (UNREACHABLE.test(message)) unreachable.set(registry, message);
      throw e;
    }
  };
  const ports: WorkloadImagePorts = {
    resolve: (ref: ImageReference) =>
      reaching(ref.registry, async () => {
        const client = new RegistryClient(ref, await optionsFor(ref.registry));
        try {
          return (await client.getManifest(ref.tag ?? 'latest')).digest;
        } finally {
          await client.close();
        }
      }),
    scan: (ref: ImageReference) =>
      reaching(ref.registry, async () => {
        const source = await openRegistryImage(ref, await optionsFor(ref.registry));
        try {
          return await scanImage(source, {
            match,
            ...(tty
              ? {
                  onLayer: (i: number, _digest: string, bytes: number) => {
                    status(
                      `${formatImageReference(ref)} layer ${i + 1}/${source.layers.length} ${(bytes / 1048576).toFixed(1)} MiB`,
                    );
                  },
                }
              : {}),
          });
        } finally {
          await source.close();
        }
      }),
  };
  const updatedAt = matcher.updatedAt;
  const vulnDbTime = updatedAt !== undefined ? Date.parse(updatedAt) : undefined;
  return {
    async run(resources) {
      const uses = collectWorkloadImages(resources);
      const result = await scanWorkloadImages(uses, ports, {
        severity,
        notScannedSeverity,
        concurrency,
        onProgress: (done, total) => {
          counts.done = done;
          counts.total = total;
          status('');
        },
      });
      if (tty) io.stderr.write('\r\x1b[2K');
      if (options.quiet !== true && result.summary.notScanned.length > 0)
        io.stderr.write(
          `palisade: warning: ${result.summary.notScanned.length} image reference(s) could not be scanned (image/not-scanned findings)\n`,
        );
      return {
        ...result,
        ...(vulnDbTime !== undefined && !Number.isNaN(vulnDbTime) ? { vulnDbTime } : {}),
      };
    },
    controls: Object.values(IMAGE_CONTROLS).map((c) => ({
      ...c,
      frameworks: c.frameworks.map((f) => ({ ...f })),
    })),
    close,
  };
}
