import path from 'node:path';
import { assembleSnapshot, writeSnapshot } from '../../load/index.js';
import { InputError } from '../../core/index.js';
import { systemErrorText, type CliIO } from '../io.js';
import { checkClusterOptions, loadClusterSource, type ClusterSourceOptions } from './cluster-source.js';

/** Runs `palisade snapshot save FILE`: 0 saved, 2 when some scopes could not be read (the file is still written). */
export async function runSnapshotSave(
  file: string,
  options: Omit<ClusterSourceOptions, 'cluster' | 'snapshot'>,
  io: CliIO,
): Promise<number> {
  checkClusterOptions([], { ...options, cluster: true });
  const source = await loadClusterSource({ ...options, cluster: true }, io);
  if (!source.read) throw new Error('a live read always has its result');
  const namespaces = options.namespace?.length ? { namespaces: [...options.namespace] } : {};
  const snapshot = assembleSnapshot(
    source.read,
    { server: source.server, context: source.context, ...namespaces },
    new Date(),
  );
  const target = path.resolve(io.cwd, file);
  let bytes: number;
  try {
    bytes = await writeSnapshot(target, snapshot);
  } catch (e) {
    throw new InputError(`cannot write ${file}: ${systemErrorText(e)}`);
  }
  for (const e of source.inputErrors) io.stderr.write(`palisade: ${e.file}: ${e.message}\n`);
  if (!options.quiet) {
    io.stderr.write(
      `Wrote snapshot of ${snapshot.objects.length} objects to ${file} (${Math.ceil(bytes / 1024)} KiB)\n`,
    );
  }
  return source.inputErrors.length > 0 ? 2 : 0;
}
