import path from 'node:path';
import type { StoreTarget } from './types.js';

/**
 * Picks the store from `--db`, then `PALISADE_DB`, then `~/.palisade/palisade.db` (pure: the
 * home directory and working directory are arguments). A value starting with `postgres://` or
 * `postgresql://` is a PostgreSQL URL; anything else is a SQLite file path.
 */
export function resolveStoreTarget(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  home: string,
  cwd: string,
): StoreTarget {
  const value =
    flag ?? (env.PALISADE_DB !== undefined && env.PALISADE_DB !== '' ? env.PALISADE_DB : undefined);
  if (value === undefined) return { kind: 'sqlite', file: path.join(home, '.palisade', 'palisade.db') };
  if (/^postgres(ql)?:\/\//i.test(value)) return { kind: 'postgres', url: value };
  return { kind: 'sqlite', file: path.resolve(cwd, value) };
}

/** Names a store for messages without its password. */
export function describeStoreTarget(target: StoreTarget): string {
  if (target.kind === 'sqlite') return target.file;
  try {
    const u = new URL(target.url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://<unparsable URL>';
  }
}

/** A reference to a stored scan: an id, or the newest scan minus `back`. */
export type ScanRef = { kind: 'id'; id: number } | { kind: 'latest'; back: number };

/** Parses `42`, `latest` or `latest~N`; undefined when the text is none of them. */
export function parseScanRef(text: string): ScanRef | undefined {
  if (/^[1-9][0-9]{0,14}$/.test(text)) return { kind: 'id', id: Number(text) };
  if (text === 'latest') return { kind: 'latest', back: 0 };
  const m = /^latest~([0-9]{1,6})$/.exec(text);
  return m?.[1] !== undefined ? { kind: 'latest', back: Number(m[1]) } : undefined;
}
