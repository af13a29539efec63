/**
 * Baselines in the history store: `detect learn --db` writes them, `detect run --db` scores
 * against them and writes what it learned back (at exit, and on an interval while following).
 */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../store/index.js';
import { memoryIO } from '../io.js';
import { main } from '../main.js';
import { runDetect, runDetectServe } from './detect.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'palisade-detect-baselines-'));
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

function audit(user: string, verb: string, resource: string, ns: string, time: string): string {
  return JSON.stringify({
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    auditID: `${user}-${verb}-${resource}-${time}`,
    stage: 'ResponseComplete',
    stageTimestamp: time,
    verb,
    user: { username: user },
    sourceIPs: ['10.0.0.9'],
    objectRef: { resource, namespace: ns, name: 'x' },
    responseStatus: { code: 200 },
  });
}

const BOT = 'system:serviceaccount:ci:bot';
const training = Array.from({ length: 60 }, (_, i) =>
  audit(
    BOT,
    'get',
    'configmaps',
    'ci',
    new Date(Date.parse('2026-11-01T00:00:00Z') + i * 3_600_000).toISOString(),
  ),
).join('\n');
const odd = audit(BOT, 'list', 'secrets', 'payments', '2026-12-01T10:00:00Z');

async function baselines(db: string): Promise<{ identity: string; events: number }[]> {
  const store = await openStore({ kind: 'sqlite', file: db });
  try {
    return (await store.loadBaselines()).map((b) => ({ identity: b.identity, events: b.events }));
  } finally {
    await store.close();
  }
}

describe('detection baselines in the history store', () => {
  it('learns into the store, alerts on what an identity never did, and writes what it learned back', async () => {
    const db = path.join(tmp, 'learn.db');
    const train = path.join(tmp, 'train.jsonl');
    writeFileSync(train, `${training}\n`);
    const learn = memoryIO({ cwd: tmp });
    expect(await main(['detect', 'learn', train, '--db', db], learn)).toBe(0);
    expect(learn.err()).toContain('learned 60 events; baseline of 1 identities written to the history store');
    expect(await baselines(db)).toEqual([{ identity: BOT, events: 60 }]);

    const oddFile = path.join(tmp, 'odd.jsonl');
    writeFileSync(oddFile, `${odd}\n`);
    const run = memoryIO({ cwd: tmp });
    await main(['detect', 'run', oddFile, '--db', db, '-o', 'json', '--fail-on', 'none', '-q'], run);
    const anomaly = run
      .out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { rule: string; message: string })
      .find((a) => a.rule === 'anomalous-behaviour');
    expect(anomaly?.message).toMatch(
      /^ServiceAccount ci\/bot: first time it listed secrets in payments \(0 of 60/,
    );
    // Learned online and written back at exit: the same event is no longer new.
    expect(await baselines(db)).toEqual([{ identity: BOT, events: 61 }]);
    const again = memoryIO({ cwd: tmp });
    await main(['detect', 'run', oddFile, '--db', db, '-o', 'json', '--fail-on', 'none', '-q'], again);
    expect(again.out()).not.toContain('anomalous-behaviour');

    // --freeze-baseline scores without writing.
    await main(
      ['detect', 'run', oddFile, '--db', db, '--freeze-baseline', '-q', '--fail-on', 'none'],
      memoryIO({ cwd: tmp }),
    );
    expect(await baselines(db)).toEqual([{ identity: BOT, events: 62 }]);
  });

  it('scores nothing as anomalous when the store holds no baselines, and writes none', async () => {
    const db = path.join(tmp, 'empty.db');
    const oddFile = path.join(tmp, 'odd2.jsonl');
    writeFileSync(oddFile, `${odd}\n`);
    const run = memoryIO({ cwd: tmp });
    await main(['detect', 'run', oddFile, '--db', db, '-o', 'json', '--fail-on', 'none', '-q'], run);
    expect(run.out()).not.toContain('anomalous-behaviour');
    expect(await baselines(db)).toEqual([]);
  });

  it('refuses learn without a destination or with both', async () => {
    const train = path.join(tmp, 'train2.jsonl');
    writeFileSync(train, `${training}\n`);
    const none = memoryIO({ cwd: tmp });
    expect(await main(['detect', 'learn', train], none)).toBe(2);
    expect(none.err()).toContain('--baseline FILE or to --db STORE');
    const both = memoryIO({ cwd: tmp });
    expect(
      await main(
        ['detect', 'learn', train, '--db', path.join(tmp, 'b.db'), '--baseline', path.join(tmp, 'b.json')],
        both,
      ),
    ).toBe(2);
  });

  it('writes online updates on the interval while following', async () => {
    const db = path.join(tmp, 'follow.db');
    const train = path.join(tmp, 'train3.jsonl');
    writeFileSync(train, `${training}\n`);
    expect(await main(['detect', 'learn', train, '--db', db, '-q'], memoryIO({ cwd: tmp }))).toBe(0);
    const f = path.join(tmp, 'follow.jsonl');
    writeFileSync(f, '');
    const ac = new AbortController();
    const run = runDetect(
      [f],
      {
        output: ['json'],
        rules: [],
        builtin: true,
        feeds: [],
        approvedRegistries: [],
        trustedSubjects: [],
        trustedNetworks: [],
        dedup: '600',
        follow: true,
        failOn: 'none',
        quiet: true,
        signal: ac.signal,
        db,
        baselineEvery: '1s',
      },
      memoryIO({ cwd: tmp }),
    );
    appendFileSync(f, `${audit('alice@example.com', 'get', 'pods', 'shop', '2026-12-01T10:00:00Z')}\n`);
    let seen: { identity: string; events: number }[] = [];
    for (let i = 0; i < 100 && !seen.some((b) => b.identity === 'alice@example.com'); i++) {
      await new Promise((r) => setTimeout(r, 50));
      seen = await baselines(db);
    }
    // Written while the run still follows: the interval, not the exit, put it there.
    expect(seen).toContainEqual({ identity: 'alice@example.com', events: 1 });
    ac.abort();
    await run;
  });

  it('detect serve --db learns what the API server sends and writes it to the store when it stops', async () => {
    const db = path.join(tmp, 'serve.db');
    const train = path.join(tmp, 'train4.jsonl');
    writeFileSync(train, `${training}\n`);
    expect(await main(['detect', 'learn', train, '--db', db, '-q'], memoryIO({ cwd: tmp }))).toBe(0);
    const ac = new AbortController();
    let served: Promise<number> | undefined;
    const url = await new Promise<string>((resolve, reject) => {
      served = runDetectServe(
        {
          listen: '127.0.0.1:0',
          queue: '100',
          output: ['json'],
          rules: [],
          builtin: true,
          feeds: [],
          approvedRegistries: [],
          trustedSubjects: [],
          trustedNetworks: [],
          dedup: '600',
          failOn: 'none',
          quiet: true,
          db,
          onListening: resolve,
          signal: ac.signal,
        },
        memoryIO({ cwd: tmp }),
      );
      served.catch(reject);
    });
    const body = {
      kind: 'EventList',
      apiVersion: 'audit.k8s.io/v1',
      items: [JSON.parse(audit('bob@example.com', 'get', 'pods', 'shop', '2026-12-01T10:00:00Z')) as unknown],
    };
    const res = await fetch(`${url}/audit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    expect(res.status).toBe(200);
    ac.abort();
    expect(await served).toBe(0);
    expect(await baselines(db)).toEqual([
      { identity: BOT, events: 60 },
      { identity: 'bob@example.com', events: 1 },
    ]);
  });
});
