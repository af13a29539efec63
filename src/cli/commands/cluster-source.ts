import type { Command } from 'commander';
import {
  checkResources,
  connectCluster,
  readCluster,
  readSnapshot,
  type ClusterReadResult,
  type ClusterScopeError,
  type ReadClusterOptions,
} from '../../load/index.js';
import { InputError, Inventory, UsageError, type InputIssue } from '../../core/index.js';
import type { CliIO } from '../io.js';
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
  const connection = await connectCluster({
    ...(o.kubeconfig !== undefined ? { kubeconfig: o.kubeconfig } : {}),
    ...(o.context !== undefined ? { context: o.context } : {}),
    maxSockets: concurrency,
  });
  const progress = progressReporter(o.quiet ? { write: () => undefined } : io.stderr, 'Reading cluster');
  const options: ReadClusterOptions = {
    concurrency,
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
  const path = await import('node:path');
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
    quiet: opts.quiet === true,
  };
  checkClusterOptions(paths, o);
  if (o.snapshot !== undefined) return loadSnapshotSource(o.snapshot, io);
  if (o.cluster) return loadClusterSource(o, io);
  const { loadFiles } = await import('../../load/index.js');
  return loadFiles(paths.length > 0 ? paths : ['.'], { cwd: io.cwd, readStdin: () => io.readStdin() });
}

/** Adds `--cluster`, `--context`, `--kubeconfig` and `--snapshot` to a command that reads objects. */
export function addInventorySourceOptions(cmd: Command): Command {
  return cmd
    .option('--cluster', 'read the live cluster of the kubeconfig context (every namespace) instead of files')
    .option('--context <name>', 'kubeconfig context for --cluster (default: the current context)')
    .option('--kubeconfig <file>', 'kubeconfig file for --cluster (default: $KUBECONFIG or ~/.kube/config)')
    .option('--snapshot <file>', 'read a snapshot written by `palisade snapshot save` instead of files');
}
