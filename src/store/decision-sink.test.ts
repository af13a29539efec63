import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DecisionSink } from '../admission/decision-log.js';
import { storeDecisionSink } from './decision-sink.js';
import { openStore } from './open.js';

const dir = mkdtempSync(path.join(tmpdir(), 'palisade-sink-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const event = (i: number) => ({
  time: new Date(Date.now() - 10_000 + i).toISOString(),
  uid: `u${i}`,
  endpoint: 'validate',
  operation: 'CREATE',
  kind: 'Pod',
  resource: 'pods',
  namespace: 'shop',
  name: `p${i}`,
  username: 'alice',
  result: 'deny',
  patched: false,
  violations: [{ controlId: 'workload/no-privileged' }],
  policyDecisions: [],
  errors: [],
});

describe('storeDecisionSink', () => {
  it('writes buffered decisions in batches and on close', async () => {
    const store = await openStore({ kind: 'sqlite', file: path.join(dir, 'a.db') });
    // The webhook's decision log takes it as one of its sinks (checked by the compiler).
    const sink: DecisionSink & ReturnType<typeof storeDecisionSink> = storeDecisionSink(store, {
      batch: 2,
      flushMs: 60_000,
    });
    for (let i = 0; i < 5; i++) sink.record(event(i));
    await sink.close();
    expect((await store.listDecisions(0)).map((d) => d.uid)).toEqual(['u4', 'u3', 'u2', 'u1', 'u0']);
    expect(sink.dropped()).toBe(0);
    await store.close();
  });

  it('drops the oldest events beyond its bound and counts them', async () => {
    const store = await openStore({ kind: 'sqlite', file: path.join(dir, 'b.db') });
    const sink = storeDecisionSink(store, { maxBuffer: 2, batch: 100, flushMs: 60_000 });
    for (let i = 0; i < 5; i++) sink.record(event(i));
    await sink.close();
    expect(sink.dropped()).toBe(3);
    expect((await store.listDecisions(0)).map((d) => d.uid)).toEqual(['u4', 'u3']);
    await store.close();
  });

  it('counts events whose write failed and reports the error', async () => {
    const store = await openStore({ kind: 'sqlite', file: path.join(dir, 'c.db') });
    await store.close();
    const errors: Error[] = [];
    const sink = storeDecisionSink(store, { flushMs: 60_000, onError: (e) => errors.push(e) });
    sink.record(event(0));
    await sink.close();
    expect(sink.dropped()).toBe(1);
    expect(errors).toHaveLength(1);
  });
});
