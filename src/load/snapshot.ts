import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { z } from 'zod';
import { err, ok, Inventory, refOf, type KubeObject, type Result } from '../core/index.js';
import type { ApiResourceType, ClusterReadResult, ClusterScopeError, LiveClusterFacts } from './cluster.js';

/**
 * A cluster read kept for offline analysis (`palisade snapshot save`, `palisade scan --snapshot`).
 * Stored as gzip-compressed JSON. Secret values are never in it: objects are stored as the
 * cluster reader sanitised them.
 */
export interface ClusterSnapshot {
  apiVersion: 'palisade.dev/v1';
  kind: 'ClusterSnapshot';
  /** ISO time the cluster was read. */
  createdAt: string;
  source: { server: string; context: string; namespaces?: string[] };
  facts: LiveClusterFacts;
  types: ApiResourceType[];
  errors: ClusterScopeError[];
  objects: KubeObject[];
}

/** What the scan needs back from a snapshot. */
export interface LoadedSnapshot {
  snapshot: ClusterSnapshot;
  inventory: Inventory;
}

const SNAPSHOT_SCHEMA = z.object({
  apiVersion: z.literal('palisade.dev/v1'),
  kind: z.literal('ClusterSnapshot'),
  createdAt: z.string(),
  source: z.object({
    server: z.string(),
    context: z.string(),
    namespaces: z.array(z.string()).optional(),
  }),
  facts: z.record(z.string(), z.unknown()),
  types: z.array(
    z.object({
      group: z.string(),
      version: z.string(),
      resource: z.string(),
      kind: z.string(),
      namespaced: z.boolean(),
    }),
  ),
  errors: z.array(
    z.object({
      code: z.string(),
      scope: z.string(),
      resource: z.string().optional(),
      namespace: z.string().optional(),
      status: z.number().optional(),
      message: z.string(),
    }),
  ),
  objects: z.array(
    z.looseObject({
      apiVersion: z.string().min(1),
      kind: z.string().min(1),
      metadata: z.record(z.string(), z.unknown()).optional(),
    }),
  ),
});

/** Builds the snapshot of a cluster read (pure). */
export function assembleSnapshot(
  read: ClusterReadResult,
  source: ClusterSnapshot['source'],
  createdAt: Date,
): ClusterSnapshot {
  return {
    apiVersion: 'palisade.dev/v1',
    kind: 'ClusterSnapshot',
    createdAt: createdAt.toISOString(),
    source,
    facts: read.inventory.facts,
    types: read.types,
    errors: read.errors,
    objects: read.inventory.resources.map((r) => r.object),
  };
}

/** Serialises a snapshot as gzip JSON. */
export function encodeSnapshot(snapshot: ClusterSnapshot): Buffer {
  return gzipSync(JSON.stringify(snapshot), { level: 6 });
}

/** Parses gzip JSON (plain JSON is accepted too) into a snapshot and its inventory; a broken file is an error with the first problem's field path. */
export function decodeSnapshot(data: Buffer): Result<LoadedSnapshot, string> {
  let text: string;
  try {
    text = data[0] === 0x1f && data[1] === 0x8b ? gunzipSync(data).toString('utf8') : data.toString('utf8');
  } catch (e) {
    return err(`not a gzip file: ${e instanceof Error ? e.message : String(e)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return err(`not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const parsed = SNAPSHOT_SCHEMA.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue?.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('') ?? '';
    return err(
      `not a palisade.dev/v1 ClusterSnapshot: ${at.replace(/^\./, '') || '(root)'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  const snapshot = parsed.data as ClusterSnapshot;
  const inventory = new Inventory();
  for (const o of snapshot.objects) inventory.add({ object: o, ref: refOf(o) });
  inventory.facts = { ...snapshot.facts };
  return ok({ snapshot, inventory });
}

/** Writes a snapshot file (gzip JSON), creating its folder. */
export async function writeSnapshot(file: string, snapshot: ClusterSnapshot): Promise<number> {
  const data = encodeSnapshot(snapshot);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, data);
  return data.length;
}

/** Reads a snapshot file; unreadable or invalid files are an error message naming the file. */
export async function readSnapshot(file: string): Promise<Result<LoadedSnapshot, string>> {
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (e) {
    return err(`${file}: cannot read: ${e instanceof Error ? e.message : String(e)}`);
  }
  const decoded = decodeSnapshot(data);
  return decoded.ok ? decoded : err(`${file}: ${decoded.error}`);
}
