/**
 * Read-only access to a node's filesystem mounted at a root directory (a DaemonSet's hostPath
 * `/host`, a chroot, a test fixture). Paths are the node's own absolute paths; `lstat`
 * describes links themselves, as `stat` without `-L` does.
 */
import { constants } from 'node:fs';
import { lstat, open, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';

/**
 * Largest file `localNodeFs` reads: far above any config file, manifest, kubeconfig or
 * certificate bundle a node holds; a larger file is refused before it is read.
 */
export const MAX_NODE_FILE_BYTES = 1024 * 1024;

/** Why a node file was refused before it was read (too large, not a regular file). */
class NodeFileRefused extends Error {}

function kindOf(s: {
  isDirectory(): boolean;
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
}): string {
  if (s.isDirectory()) return 'directory';
  if (s.isFIFO()) return 'named pipe';
  if (s.isCharacterDevice()) return 'character device';
  if (s.isBlockDevice()) return 'block device';
  if (s.isSocket()) return 'socket';
  return 'special file';
}

/**
 * Reads a regular file of at most `limit` bytes. Opened without blocking (a named pipe with no
 * writer would wait forever) and checked on the open descriptor, so neither a FIFO, a device
 * (`/dev/zero` never ends) nor a directory is read, and a file that grows while it is read is
 * still cut off past the bound.
 */
async function readBounded(file: string, limit: number): Promise<string> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const s = await handle.stat();
    if (!s.isFile()) throw new NodeFileRefused(`not a regular file (${kindOf(s)}), not read`);
    if (s.size > limit) throw new NodeFileRefused(`larger than ${limit} bytes, not read`);
    const buf = Buffer.alloc(limit + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buf, length, buf.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > limit) throw new NodeFileRefused(`larger than ${limit} bytes, not read`);
    }
    return buf.toString('utf8', 0, length);
  } finally {
    await handle.close();
  }
}

/** What lstat reports about one path. */
export interface NodeStat {
  type: 'file' | 'directory' | 'symlink' | 'other';
  /** Permission bits including setuid, setgid and sticky. */
  mode: number;
  uid: number;
  gid: number;
}

/** A node's filesystem; every method returns undefined for a path that does not exist. */
export interface NodeFs {
  /** Directory the node's `/` is mounted at, shown in messages. */
  readonly root: string;
  readFile(nodePath: string): Promise<string | undefined>;
  lstat(nodePath: string): Promise<NodeStat | undefined>;
  /** Entry names of a directory, sorted. */
  readdir(nodePath: string): Promise<string[] | undefined>;
  /** The target of a symbolic link, as written in the link (resolved by the caller inside the root). */
  readlink?(nodePath: string): Promise<string | undefined>;
}

function isMissing(e: unknown): boolean {
  const code = (e as { code?: string }).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * The node filesystem mounted at `root` on this machine. `readFile` refuses (throws) a path
 * that is not a regular file or is larger than `maxFileBytes`.
 */
export function localNodeFs(root: string, options: { maxFileBytes?: number } = {}): NodeFs {
  const maxFileBytes = options.maxFileBytes ?? MAX_NODE_FILE_BYTES;
  const abs = path.resolve(root);
  const hostPath = (p: string): string => path.join(abs, path.posix.normalize(`/${p}`));
  return {
    root: abs,
    async readFile(p) {
      try {
        return await readBounded(hostPath(p), maxFileBytes);
      } catch (e) {
        if (isMissing(e)) return undefined;
        throw e;
      }
    },
    async lstat(p) {
      try {
        const s = await lstat(hostPath(p));
        const type = s.isSymbolicLink()
          ? 'symlink'
          : s.isDirectory()
            ? 'directory'
            : s.isFile()
              ? 'file'
              : 'other';
        return { type, mode: s.mode & 0o7777, uid: s.uid, gid: s.gid };
      } catch (e) {
        if (isMissing(e)) return undefined;
        throw e;
      }
    },
    async readdir(p) {
      try {
        return (await readdir(hostPath(p))).sort();
      } catch (e) {
        if (isMissing(e)) return undefined;
        throw e;
      }
    },
    async readlink(p) {
      try {
        return await readlink(hostPath(p));
      } catch (e) {
        if (isMissing(e) || (e as { code?: string }).code === 'EINVAL') return undefined;
        throw e;
      }
    },
  };
}
