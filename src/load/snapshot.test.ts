import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Inventory, refOf, type KubeObject } from '../core/index.js';
import type { ClusterReadResult } from './cluster.js';
import { assembleSnapshot, decodeSnapshot, encodeSnapshot } from './snapshot.js';

function readResult(objects: KubeObject[]): ClusterReadResult {
  const inventory = new Inventory();
  for (const o of objects) inventory.add({ object: o, ref: refOf(o) });
  inventory.facts = { kubernetesVersion: 'v1.37.2', apiServerFlags: ['--anonymous-auth=false'] };
  return {
    inventory,
    types: [{ group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true }],
    errors: [
      {
        code: 'cluster_forbidden',
        scope: '/api/v1/secrets',
        resource: 'secrets',
        status: 403,
        message: 'no',
      },
    ],
    stats: { requests: 3, retries: 0, objects: objects.length, lists: 1 },
  };
}

const POD: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'shop' },
  spec: {},
};

describe('snapshots', () => {
  it('round-trips objects, facts and scope errors through gzip JSON', () => {
    const snap = assembleSnapshot(
      readResult([POD]),
      { server: 'https://127.0.0.1:6443', context: 'admin' },
      new Date(0),
    );
    const data = encodeSnapshot(snap);
    expect([data[0], data[1]]).toEqual([0x1f, 0x8b]);
    const back = decodeSnapshot(data);
    if (!back.ok) throw new Error(back.error);
    expect(back.value.snapshot).toEqual(snap);
    expect(back.value.inventory.get('Pod', 'shop', 'p')?.object).toEqual(POD);
    expect(back.value.inventory.facts).toEqual({
      kubernetesVersion: 'v1.37.2',
      apiServerFlags: ['--anonymous-auth=false'],
    });
    expect(back.value.snapshot.createdAt).toBe('1970-01-01T00:00:00.000Z');
  });

  it('accepts plain JSON too', () => {
    const snap = assembleSnapshot(readResult([POD]), { server: 's', context: 'c' }, new Date(0));
    expect(decodeSnapshot(Buffer.from(JSON.stringify(snap))).ok).toBe(true);
  });

  it.each([
    ['a truncated gzip', gzipSync('{}').subarray(0, 8), /^not a gzip file/],
    ['not JSON', Buffer.from('hello'), /^not JSON/],
    [
      'another kind',
      Buffer.from(JSON.stringify({ apiVersion: 'palisade.dev/v1', kind: 'ScanReport' })),
      /^not a palisade.dev\/v1 ClusterSnapshot: kind/,
    ],
  ])('rejects %s', (_name, data, message) => {
    const r = decodeSnapshot(data);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(message);
  });

  it('names the first bad object by its index', () => {
    const snap = assembleSnapshot(readResult([POD]), { server: 's', context: 'c' }, new Date(0));
    const broken = { ...snap, objects: [POD, { apiVersion: 'v1', metadata: {} }] };
    const r = decodeSnapshot(Buffer.from(JSON.stringify(broken)));
    expect(r.ok ? '' : r.error).toMatch(/^not a palisade.dev\/v1 ClusterSnapshot: objects\[1\]\.kind: /);
  });
});
