/** `palisade registry watch`: scans new images of watched repositories into the verdict store. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError, UsageError } from '../../core/index.js';
import { parseImageReference } from '../../images/reference.js';
import { RegistryClient } from '../../images/registry.js';
import { watchCycle, type WatchResult } from '../../images/registry-watch.js';
import { parsePlatform } from '../../images/types.js';
import { defaultVerdictStorePath, VerdictStore } from '../../images/verdict-store.js';
import {
  IMPORT_HINT,
  openVulnDb,
  parseDuration,
  resolveVulnDbPath,
  type VulnDb,
} from '../../vulndb/index.js';
import type { CliIO } from '../io.js';
import { listenForStop, pauseUnlessStopped } from '../stop.js';
import { imagePorts } from './admission-images.js';
import { resolveRegistryCredentials } from '../../images/credentials.js';

/** Stops a running watch (tests; SIGINT and SIGTERM otherwise). */
export interface WatchDeps {
  signal?: AbortSignal;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function describe(r: WatchResult): string {
  const findings = r.findings ?? [];
  const bySeverity = new Map<string, number>();
  for (const f of findings) bySeverity.set(f.severity, (bySeverity.get(f.severity) ?? 0) + 1);
  const counts = [...bySeverity].map(([s, n]) => `${s} ${n}`).join(', ');
  return `scanned ${r.ref} ${r.digest ?? ''}: ${r.packages ?? 0} packages, ${findings.length} vulnerabilities${counts !== '' ? ` (${counts})` : ''}`;
}

/** Runs `palisade registry watch`; returns the exit code. */
export async function runRegistryWatch(
  repositories: readonly string[],
  opts: Record<string, unknown>,
  io: CliIO,
  deps: WatchDeps = {},
): Promise<number> {
  if (repositories.length === 0) throw new UsageError('name at least one REGISTRY/REPO to watch');
  for (const r of repositories) parseImageReference(r);
  const intervalMs = parseDuration(str(opts.interval) ?? '10m');
  if (intervalMs === undefined || intervalMs < 1000)
    throw new UsageError(
      `--interval ${str(opts.interval) ?? ''}: expected a duration of at least 1s, such as 10m`,
    );
  const maxTags = Number(str(opts.maxTags) ?? '1000');
  if (!Number.isInteger(maxTags) || maxTags < 1)
    throw new UsageError('--max-tags must be a positive integer');
  const env = { ...io.env };
  const platformText = str(opts.platform);
  const platform = platformText !== undefined ? parsePlatform(platformText) : undefined;
  if (platformText !== undefined && platform === undefined)
    throw new UsageError(`--platform ${platformText}: expected os/arch[/variant]`);
  let ca: string | undefined;
  const caFile = str(opts.registryCa);
  if (caFile !== undefined) {
    try {
      ca = await readFile(path.resolve(io.cwd, caFile), 'utf8');
    } catch {
      throw new InputError(`${caFile}: cannot read the CA file`);
    }
  }
  let db: VulnDb | undefined;
  if (opts.vulns !== false) {
    const file = resolveVulnDbPath(str(opts.vulnDb), io.env, io.cwd);
    try {
      db = openVulnDb(file);
    } catch {
      throw new InputError(`no vulnerability database at ${file}; ${IMPORT_HINT} (or --no-vulns)`);
    }
  }
  const dbFlag = str(opts.db);
  const history =
    dbFlag !== undefined ? await (await import('./record.js')).openCliStore(dbFlag, io) : undefined;
  let vulnDbTime: number | undefined;
  if (db) {
    const t = Date.parse(db.status().updatedAt ?? '');
    if (Number.isFinite(t)) vulnDbTime = t;
  }
  const recordImage = history ? (await import('./image-record.js')).watchResultInput : undefined;
  let recordFailures = 0;
  const cacheDir = str(opts.cacheDir);
  const store = VerdictStore.openForWrite(
    path.resolve(io.cwd, str(opts.store) ?? defaultVerdictStorePath(env)),
  );
  const ports = imagePorts({
    env,
    ...(ca !== undefined ? { ca } : {}),
    ...(platform ? { platform } : {}),
    ...(cacheDir !== undefined ? { cacheDir: path.resolve(io.cwd, cacheDir) } : {}),
    ...(db ? { db } : {}),
  });
  const listTags = async (repository: string): Promise<string[]> => {
    const ref = parseImageReference(repository);
    const credentials = await resolveRegistryCredentials(ref.registry, env);
    const client = new RegistryClient(ref, {
      ...(credentials ? { credentials } : {}),
      ...(ca !== undefined ? { ca } : {}),
    });
    try {
      return await client.listTags(maxTags);
    } finally {
      await client.close();
    }
  };
  const quiet = opts.quiet === true;
  // Writes to the history store, one at a time in scan order; awaited at the end of each cycle.
  let recording: Promise<void> = Promise.resolve();
  const onResult = (r: WatchResult): void => {
    if (r.outcome === 'scanned' && history && recordImage && r.digest !== undefined) {
      const input = recordImage({
        ref: r.ref,
        digest: r.digest,
        packages: r.packages ?? 0,
        findings: r.findings ?? [],
        scannedAt: Date.now(),
        vulnDbTime,
      });
      recording = recording
        .then(
          () => history.recordImageResult(input).then(() => undefined),
          () => undefined,
        )
        .catch((e: unknown) => {
          recordFailures++;
          io.stderr.write(
            `palisade: ${r.ref}: not recorded in the history store: ${e instanceof Error ? e.message : String(e)}\n`,
          );
        });
    }
    if (r.outcome === 'scanned' && !quiet) io.stdout.write(`${describe(r)}\n`);
    if (r.outcome === 'failed') io.stderr.write(`palisade: ${r.ref}: ${r.message ?? 'failed'}\n`);
  };
  const stop = listenForStop({ signal: deps.signal, processSignals: opts.once !== true, stderr: io.stderr });
  try {
    for (;;) {
      const results = await watchCycle(repositories, { ...ports, listTags }, store, { onResult, maxTags });
      await recording;
      if (opts.once === true) {
        const read = results.filter((r) => r.digest !== undefined).length;
        return read === 0 || recordFailures > 0 ? 2 : 0;
      }
      if (stop.signal.aborted) return 0;
      await pauseUnlessStopped(intervalMs, stop.signal);
      if (stop.signal.aborted) return 0;
    }
  } finally {
    try {
      store.close();
      db?.close();
      await history?.close();
    } finally {
      stop.dispose();
    }
  }
}
