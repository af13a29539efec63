import path from 'node:path';
import type { Command } from 'commander';
import {
  checkResources,
  connectCluster,
  parseRequestTimeout,
  readCluster,
  readSnapshot,
  type ClusterReadResult,
  type ClusterRetry,
  type ClusterScopeError,
  type ReadClusterOptions,
} from '../../load/index.js';
import { InputError, Inventory, UsageError, type InputIssue } from '../../core/index.js';
import type { CliIO } from '../io.js';
import { REQUEST_TIMEOUT_HELP } from './cluster-options.js';
import { progressReporter } from '../progress.js';

/** The live-cluster options of `palisade scan` and `palisade snapshot save`. */
export interface ClusterSourceOptions {
  cluster?: boolean;
  context?: string;
  kubeconfig?: string;
  allNamespaces?: boolean;
  namespace?: string[];
  snapshot?: string;
  quiet?: boolean;
  /** Parallel list requests (default 8). */
  concurrency?: number;
  /** `--request-timeout` as given (`30s`, `2m`, `0`). */
  requestTimeout?: string;
}

/** Milliseconds of a `--request-timeout` value; a malformed one is a usage error. */
export function requestTimeoutMs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseRequestTimeout(value);
  if (ms === undefined)
    throw new UsageError(`--request-timeout must be a duration such as 30s, 2m or 0 (got "${value}")`);
  return ms;
}

/** Writes a retry notice on stderr (not with -q): which request, why, and when it is tried again. */
export function retryNotice(
  io: CliIO,
  server: string,
  quiet: boolean | undefined,
): (r: ClusterRetry) => void {
  return (r) => {
    if (quiet) return;
    io.stderr.write(
      `palisade: ${r.path.split('?')[0] ?? r.path} on ${server}: ${r.reason}; retrying in ${(r.delayMs / 1000).toFixed(1)} s (attempt ${r.attempt} of ${r.maxAttempts})\n`,
    );
  };
}

/** Objects read from a cluster or a snapshot, with the scopes that failed as input issues. */
export interface ClusterSource {
  inventory: Inventory;
  inputErrors: InputIssue[];
  read?: ClusterReadResult;
  server: string;
  context: string;
}

/** Formats a failed scope as an input issue: the API path stands where a file would. */
export function scopeIssue(e: ClusterScopeError): InputIssue {
  return { file: `cluster:${e.scope}`, message: `${e.message} (${e.code})` };
}

/** Rejects option combinations that make no sense, before anything is read. */
export function checkClusterOptions(paths: readonly string[], o: ClusterSourceOptions): void {
  const clusterOnly = [
    ['--context', o.context],
    ['--kubeconfig', o.kubeconfig],
    ['-A/--all-namespaces', o.allNamespaces ? true : undefined],
    ['--request-timeout', o.requestTimeout],
  ].filter(([, v]) => v !== undefined);
  if (o.cluster && o.snapshot !== undefined)
    throw new UsageError('--cluster and --snapshot cannot be used together');
  if ((o.cluster || o.snapshot !== undefined) && paths.length > 0) {
    throw new UsageError(
      `paths cannot be given with ${o.cluster ? '--cluster' : '--snapshot'} (got ${paths.join(' ')})`,
    );
  }
  if (!o.cluster && clusterOnly.length > 0) {
    throw new UsageError(`${clusterOnly.map(([n]) => String(n)).join(', ')} only apply with --cluster`);
  }
  if (o.allNamespaces && (o.namespace?.length ?? 0) > 0) {
    throw new UsageError('-n/--namespace and -A/--all-namespaces cannot be used together');
  }
}

/** Reads a live cluster (progress on a TTY); failures of single scopes are input issues, a cluster that cannot be reached at all is an InputError. */
export async function loadClusterSource(o: ClusterSourceOptions, io: CliIO): Promise<ClusterSource> {
  const concurrency = o.concurrency ?? 8;
  const timeoutMs = requestTimeoutMs(o.requestTimeout);
  const connection = await connectCluster({
    ...(o.kubeconfig !== undefined ? { kubeconfig: o.kubeconfig } : {}),
    ...(o.context !== undefined ? { context: o.context } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    maxSockets: concurrency,
  });
  const progress = progressReporter(o.quiet ? { write: () => undefined } : io.stderr, 'Reading cluster');
  const options: ReadClusterOptions = {
    concurrency,
    onRetry: retryNotice(io, connection.server, o.quiet),
    onProgress: (done, total) => {
      progress.update(done, total);
    },
  };
  if ((o.namespace?.length ?? 0) > 0) options.namespaces = o.namespace ?? [];
  let read: ClusterReadResult;
  try {
    read = await readCluster(connection.transport, options);
  } finally {
    progress.done();
    connection.close();
  }
  if (read.types.length === 0 && read.errors.length > 0) {
    const first = read.errors[0];
    throw new InputError(
      `cannot read cluster ${connection.server} (context ${connection.context}): ${first?.message ?? 'no API discovered'}`,
    );
  }
  if (!o.quiet) {
    io.stderr.write(
      `Read ${read.inventory.size} objects of ${read.types.length} types from ${connection.server} (context ${connection.context})${read.errors.length > 0 ? `; ${read.errors.length} scopes failed` : ''}\n`,
    );
  }
  return {
    inventory: read.inventory,
    inputErrors: read.errors.map(scopeIssue),
    read,
    server: connection.server,
    context: connection.context,
  };
}

/** Reads a snapshot file; the scopes that had failed when it was taken are input issues again. */
export async function loadSnapshotSource(file: string, io: CliIO): Promise<ClusterSource> {
  const loaded = await readSnapshot(path.resolve(io.cwd, file));
  if (!loaded.ok) throw new InputError(loaded.error);
  const { snapshot } = loaded.value;
  // A snapshot is a file anyone can edit: its objects are checked like manifests.
  const checked = checkResources(loaded.value.inventory.resources, file);
  let inventory = loaded.value.inventory;
  if (checked.issues.length > 0) {
    inventory = new Inventory();
    inventory.facts = loaded.value.inventory.facts;
    for (const r of checked.resources) inventory.add(r);
  }
  return {
    inventory,
    inputErrors: [...snapshot.errors.map(scopeIssue), ...checked.issues],
    server: snapshot.source.server,
    context: snapshot.source.context,
  };
}

/**
 * Reads the objects a command analyses from manifests (the paths), a live cluster
 * (`--cluster`, every namespace) or a snapshot (`--snapshot F`): one place, so `rbac` and
 * `netpol` read exactly what `scan` reads.
 */
export async function loadInventorySource(
  paths: readonly string[],
  opts: Record<string, unknown>,
  io: CliIO,
): Promise<{ inventory: Inventory; inputErrors: InputIssue[] }> {
  const o: ClusterSourceOptions = {
    ...(opts.cluster === true ? { cluster: true } : {}),
    ...(typeof opts.context === 'string' ? { context: opts.context } : {}),
    ...(typeof opts.kubeconfig === 'string' ? { kubeconfig: opts.kubeconfig } : {}),
    ...(typeof opts.snapshot === 'string' ? { snapshot: opts.snapshot } : {}),
    ...(typeof opts.requestTimeout === 'string' ? { requestTimeout: opts.requestTimeout } : {}),
    quiet: opts.quiet === true,
  };
  checkClusterOptions(paths, o);
  const snapshot =
    o.snapshot ?? (o.cluster ? undefined : await snapshotAmongPaths(paths, io, o.quiet === true));
  const loaded =
    snapshot !== undefined
      ? await loadSnapshotSource(snapshot, io)
      : o.cluster
        ? await loadClusterSource(o, io)
        : markSnapshots(
            await (
              await import('../../load/index.js')
            ).loadFiles(paths.length > 0 ? paths : ['.'], { cwd: io.cwd, readStdin: () => io.readStdin() }),
          );
  requireObjects(
    loaded,
    describeSource(paths, { ...o, ...(snapshot !== undefined ? { snapshot } : {}) }),
    io,
  );
  return loaded;
}

const SNAPSHOT_HEAD = /^\s*\{\s*"apiVersion"\s*:\s*"palisade\.dev\/v1"\s*,\s*"kind"\s*:\s*"ClusterSnapshot"/;

/** Whether a file starts as a snapshot does: gzip data, or JSON opening with the snapshot's apiVersion and kind. */
async function looksLikeSnapshot(file: string): Promise<boolean> {
  const { open } = await import('node:fs/promises');
  let handle;
  try {
    handle = await open(file, 'r');
    if (!(await handle.stat()).isFile()) return false;
    const head = Buffer.alloc(512);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    if (bytesRead >= 2 && head[0] === 0x1f && head[1] === 0x8b) return true;
    return SNAPSHOT_HEAD.test(head.subarray(0, bytesRead).toString('utf8'));
  } catch {
    // Unreadable: the manifest reader reports it with its path.
    return false;
  } finally {
    await handle?.close();
  }
}

/**
 * A snapshot passed as a path (`palisade scan prod.snapshot.json`, `--snapshot` forgotten) is
 * read as a snapshot when it is the only path, with a note; among other paths it is a usage
 * error. Scanning it as a manifest would check one object of an unknown kind and pass.
 */
export async function snapshotAmongPaths(
  paths: readonly string[],
  io: CliIO,
  quiet: boolean,
): Promise<string | undefined> {
  const snapshots: string[] = [];
  for (const p of paths)
    if (p !== '-' && (await looksLikeSnapshot(path.resolve(io.cwd, p)))) snapshots.push(p);
  const first = snapshots[0];
  if (first === undefined) return undefined;
  if (paths.length > 1)
    throw new UsageError(
      `${first} is a Palisade snapshot: scan it on its own with --snapshot ${first}, not among manifests`,
    );
  if (!quiet) io.stderr.write(`palisade: ${first} is a Palisade snapshot; reading it as with --snapshot\n`);
  return first;
}

/** Turns snapshot objects found among manifests (a reformatted snapshot file) into input errors. */
export function markSnapshots<T extends { inventory: Inventory; inputErrors: InputIssue[] }>(loaded: T): T {
  for (const r of loaded.inventory.resources) {
    if (r.ref.apiVersion === 'palisade.dev/v1' && r.ref.kind === 'ClusterSnapshot') {
      const file = r.source?.file ?? '<input>';
      loaded.inputErrors.push({
        file,
        message: `is a Palisade snapshot, not a manifest: use --snapshot ${file}`,
      });
    }
  }
  return loaded;
}

/** Where objects were to come from, for the message when none came. */
export function describeSource(paths: readonly string[], o: ClusterSourceOptions): string {
  if (o.snapshot !== undefined) return `the snapshot ${o.snapshot}`;
  if (o.cluster) return 'the cluster';
  const shown = (paths.length > 0 ? paths : ['.']).map((p) => (p === '-' ? 'standard input' : p));
  return shown.join(', ');
}

/**
 * Fails closed when nothing was read: no objects at all (empty standard input, a folder
 * without manifests, a cluster whose every list was refused) is an input error, never a clean
 * scan with perfect scores. The input errors that explain it go to stderr first.
 */
export function requireObjects(
  loaded: { inventory: Inventory; inputErrors: InputIssue[] },
  source: string,
  io: CliIO,
): void {
  if (loaded.inventory.size > 0) return;
  for (const e of loaded.inputErrors.slice(0, 20))
    io.stderr.write(`palisade: ${e.file}${e.line !== undefined ? `:${e.line}` : ''}: ${e.message}\n`);
  if (loaded.inputErrors.length > 20)
    io.stderr.write(`palisade: … and ${loaded.inputErrors.length - 20} more\n`);
  const hint =
    source === 'standard input'
      ? ' (did the command before the pipe print nothing?)'
      : source === 'the cluster'
        ? ' (every list failed or was forbidden: check the credentials and RBAC of the kubeconfig user)'
        : '';
  throw new InputError(`no Kubernetes objects in ${source}: nothing to scan${hint}`);
}

/** Adds `--cluster`, `--context`, `--kubeconfig` and `--snapshot` to a command that reads objects. */
export function addInventorySourceOptions(cmd: Command): Command {
  return cmd
    .option('--cluster', 'read the live cluster of the kubeconfig context (every namespace) instead of files')
    .option('--context <name>', 'kubeconfig context for --cluster (default: the current context)')
    .option('--kubeconfig <file>', 'kubeconfig file for --cluster (default: $KUBECONFIG or ~/.kube/config)')
    .option('--snapshot <file>', 'read a snapshot written by `palisade snapshot save` instead of files')
    .option('--request-timeout <duration>', REQUEST_TIMEOUT_HELP);
}
