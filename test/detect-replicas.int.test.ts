/**
 * Detection past one machine, against a real nats-server: `detect serve --publish` puts the
 * normalised audit stream on JetStream, two `detect run --from` replicas share it as one
 * consumer group, one replica is killed with SIGKILL mid-stream, and every event is judged:
 * nothing lost, and each alert once by its identity (rule + first evidence event).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { requireNatsOrSkip, startNats, type TestNats } from './harness/nats.js';
import { freePort } from './harness/ports.js';

const BIN = path.join(import.meta.dirname, '..', 'src', 'cli', 'bin.ts');
const EVENTS = 3000;

function cli(args: string[]): {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | NodeJS.Signals>;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', BIN, ...args], {
    // tsx resolves from the working directory: run from the repository, files are absolute.
    cwd: path.join(import.meta.dirname, '..'),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (b: Buffer) => (err += b.toString('utf8')));
  const exited = new Promise<number | NodeJS.Signals>((resolve) =>
    child.once('exit', (code, signal) => {
      resolve(signal ?? code ?? -1);
    }),
  );
  return { child, stderr: () => err, exited };
}

/** An exec into a distinct pod per event: each event is its own `pod-exec` alert. */
function execEvent(i: number): Record<string, unknown> {
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    auditID: `replica-${i}`,
    stage: 'ResponseComplete',
    stageTimestamp: new Date(Date.UTC(2026, 11, 7, 9) + i * 1000).toISOString(),
    verb: 'create',
    user: { username: `user-${i % 40}@example.com`, groups: ['system:authenticated'] },
    sourceIPs: ['10.0.0.7'],
    objectRef: { resource: 'pods', subresource: 'exec', namespace: 'shop', name: `web-${i}` },
    requestURI: `/api/v1/namespaces/shop/pods/web-${i}/exec?command=sh&container=web`,
    responseStatus: { code: 101 },
  };
}

async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function alertKeys(file: string): string[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const a = JSON.parse(l) as { rule: string; evidence: string[] };
      return `${a.rule}:${a.evidence[0] ?? ''}`;
    });
}

const gate = requireNatsOrSkip();

describe.skipIf(!gate.run)('detect over NATS JetStream (replicas)', () => {
  let nats: TestNats;
  let dir: string;
  const children: ChildProcess[] = [];
  if (!gate.run) console.log(`skipped: ${gate.reason ?? ''}`);

  beforeAll(async () => {
    nats = await startNats();
    dir = mkdtempSync(path.join(tmpdir(), 'palisade-replicas-'));
  }, 30_000);

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('publishes each event once, and replicas judge every event when one of them is killed', async () => {
    const port = await freePort();
    const serve = cli(['detect', 'serve', '--listen', `127.0.0.1:${port}`, '--publish', nats.url]);
    children.push(serve.child);
    const base = `http://127.0.0.1:${port}`;
    await until(
      'detect serve to listen',
      async () => (await fetch(`${base}/healthz`).catch(() => undefined))?.ok === true,
      60_000,
    );
    // The API server's batches (400 events), the first one sent twice as a retry would be.
    const batches: Record<string, unknown>[][] = [];
    for (let i = 0; i < EVENTS; i += 400)
      batches.push(Array.from({ length: Math.min(400, EVENTS - i) }, (_, k) => execEvent(i + k)));
    const firstBatch = batches[0] ?? [];
    for (const items of [firstBatch, ...batches]) {
      const r = await fetch(`${base}/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items }),
        signal: AbortSignal.timeout(10_000),
      });
      expect(r.status).toBe(200);
    }
    const nc = await connect({ servers: nats.url, timeout: 5000 });
    const jsm = await jetstreamManager(nc);
    await until(
      'every event on the stream',
      async () => (await jsm.streams.info('PALISADE_EVENTS')).state.messages >= EVENTS,
      60_000,
    );
    serve.child.kill('SIGTERM');
    expect(await serve.exited).toBe(0);
    // The retried batch was stored once: JetStream deduplicated it by event id.
    expect((await jsm.streams.info('PALISADE_EVENTS')).state.messages).toBe(EVENTS);
    await nc.close();

    const fileA = path.join(dir, 'a.jsonl');
    const fileB = path.join(dir, 'b.jsonl');
    const replica = (file: string) =>
      cli([
        'detect',
        'run',
        '--from',
        nats.url,
        '--ack-wait',
        '2s',
        '--idle-exit',
        '6s',
        '-o',
        `json=${file}`,
        '--fail-on',
        'none',
      ]);
    const a = replica(fileA);
    const b = replica(fileB);
    children.push(a.child, b.child);
    // Kill replica A once it has judged part of the stream, while events are still flowing.
    await until('replica A to judge some events', () => alertKeys(fileA).length >= 200, 120_000).catch(
      (e: unknown) => {
        throw new Error(`${String(e)}; A: ${a.stderr()}; B: ${b.stderr()}`);
      },
    );
    a.child.kill('SIGKILL');
    expect(await a.exited).toBe('SIGKILL');
    expect(await b.exited).toBe(0);

    const keysA = alertKeys(fileA);
    const keysB = alertKeys(fileB);
    const all = [...keysA, ...keysB];
    const distinct = new Set(all);
    const expected = Array.from({ length: EVENTS }, (_, i) => `pod-exec:replica-${i}`);
    // Nothing lost: every event's alert was raised by one replica or the other.
    expect(expected.filter((k) => !distinct.has(k))).toEqual([]);
    expect(distinct.size).toBe(EVENTS);
    // Both replicas took part, and A stopped before the end.
    expect(keysA.length).toBeGreaterThan(0);
    expect(keysA.length).toBeLessThan(EVENTS);
    expect(keysB.length).toBeGreaterThan(0);
    // Twice only for a batch A had written but not yet had acknowledged when it died.
    const twice = all.length - distinct.size;
    console.log(
      `replicas: A judged ${keysA.length} before SIGKILL, B ${keysB.length}; ${EVENTS} distinct alerts, ${twice} written twice; B: ${b.stderr().trim()}`,
    );
    expect(twice).toBeLessThanOrEqual(200);
  }, 300_000);
});
