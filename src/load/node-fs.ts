/**
 * Read-only access to a node's filesystem mounted at a root directory (a DaemonSet's hostPath
 * `/host`, a chroot, a test fixture). Paths are the node's own absolute paths; `lstat`
 * describes links themselves, as `stat` without `-L` does.
 */
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';

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

/** The node filesystem mounted at `root` on this machine. */
export function localNodeFs(root: string): NodeFs {
  const abs = path.resolve(root);
  const hostPath = (p: string): string => path.join(abs, path.posix.normalize(`/${p}`));
  return {
    root: abs,
    async readFile(p) {
      try {
        return await readFile(hostPath(p), 'utf8');
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
