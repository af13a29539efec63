/**
 * A throwaway NATS server with JetStream for tests and benches: Debian's `nats-server`, its
 * store in a temporary folder, listening on 127.0.0.1 on a free port, stopped and removed by
 * `stop()`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { it } from 'vitest';
import { inCI } from './status.js';
import { freePort } from './ports.js';

/** Where `nats-server` is: `PALISADE_NATS_SERVER`, else Debian's paths. */
export function natsServerBinary(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = env.PALISADE_NATS_SERVER
    ? [env.PALISADE_NATS_SERVER]
    : ['/usr/sbin/nats-server', '/usr/bin/nats-server'];
  return candidates.find((p) => existsSync(p));
}

/** Whether a suite that needs nats-server runs: skipped with a reason when absent, a failing test under CI=true. */
export function requireNatsOrSkip(): { run: boolean; reason?: string } {
  if (natsServerBinary()) return { run: true };
  const reason = 'nats-server not found (install Debian nats-server or set PALISADE_NATS_SERVER)';
  if (inCI())
    it('has nats-server (required under CI=true)', () => {
      throw new Error(`integration prerequisite missing: ${reason}`);
    });
  return { run: false, reason };
}

/** A running throwaway server. */
export interface TestNats {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** Resolves when the port accepts a connection; fails after `timeoutMs` with the server's log. */
async function waitForPort(
  port: number,
  child: ChildProcess,
  log: () => string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nats-server exited (${child.exitCode}): ${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = createConnection({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => {
        resolve(false);
      });
      s.setTimeout(500, () => {
        s.destroy();
        resolve(false);
      });
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nats-server did not listen within ${timeoutMs} ms: ${log()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Starts nats-server with JetStream on a free loopback port. */
export async function startNats(): Promise<TestNats> {
  const bin = natsServerBinary();
  if (!bin) throw new Error('nats-server not found');
  const dir = mkdtempSync(path.join(tmpdir(), 'palisade-nats-'));
  const port = await freePort();
  let log = '';
  const child = spawn(bin, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (b: Buffer): void => {
    log = (log + b.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  try {
    await waitForPort(port, child, () => log, 15_000);
  } catch (e) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise<void>((resolve) => {
          child.once('exit', () => {
            resolve();
          });
        });
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
