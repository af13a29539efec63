import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { watchCycle, type WatchPorts } from './registry-watch.js';
import { VerdictStore } from './verdict-store.js';

const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;

describe('registry watch cycle', () => {
  let dir: string;
  let store: VerdictStore;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'palisade-watch-'));
    store = VerdictStore.openForWrite(path.join(dir, 'images.sqlite'));
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function ports(tags: Record<string, string>, calls: string[]): WatchPorts {
    return {
      listTags: (repo) => {
        calls.push(`list ${repo}`);
        if (repo.includes('missing')) return Promise.reject(new Error('registry r.io: manifest not found'));
        return Promise.resolve(Object.keys(tags));
      },
      resolve: (ref) => {
        const tag = ref.slice(ref.lastIndexOf(':') + 1);
        const d = tags[tag];
        return d === undefined ? Promise.reject(new Error(`no tag ${tag}`)) : Promise.resolve(d);
      },
      scan: (_ref, digest) => {
        calls.push(`scan ${digest}`);
        return Promise.resolve({ packages: 2, findings: [] });
      },
    };
  }

  it('scans each new digest once, records every tag, and skips known digests next cycle', async () => {
    const calls: string[] = [];
    const p = ports({ v1: A, latest: A, v2: B }, calls);
    const first = await watchCycle(['r.io/shop/app'], p, store);
    expect(first.map((r) => [r.ref, r.outcome])).toEqual([
      ['r.io/shop/app:v1', 'scanned'],
      ['r.io/shop/app:latest', 'known'],
      ['r.io/shop/app:v2', 'scanned'],
    ]);
    expect(calls).toEqual(['list r.io/shop/app', `scan ${A}`, `scan ${B}`]);
    expect(store.digestOf('r.io/shop/app:latest')).toBe(A);
    expect(store.scanOf(B)?.packages).toBe(2);
    const second = await watchCycle(['r.io/shop/app'], p, store);
    expect(second.every((r) => r.outcome === 'known')).toBe(true);
    expect(calls.filter((c) => c.startsWith('scan'))).toHaveLength(2);
  });

  it('a named tag is the only one looked at; a failing repository is a result, not the end', async () => {
    const calls: string[] = [];
    const results = await watchCycle(
      ['r.io/missing/repo', 'r.io:5000/shop/app:v2'],
      ports({ v1: A, v2: B }, calls),
      store,
    );
    expect(results.map((r) => [r.ref, r.outcome])).toEqual([
      ['r.io/missing/repo', 'failed'],
      ['r.io:5000/shop/app:v2', 'scanned'],
    ]);
    expect(results[0]?.message).toContain('manifest not found');
    expect(calls).toEqual(['list r.io/missing/repo', `scan ${B}`]);
  });
});
