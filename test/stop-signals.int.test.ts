/**
 * The long-running commands as real processes: each one, once it is running, stops on SIGTERM
 * with exit code 0 and no forced-exit line, i.e. it closed within the stop bound (a close that
 * overran it ends with exit 2 and "exiting" on stderr; see src/cli/stop.ts). `watch` needs a
 * cluster and is covered in test/watch.int.test.ts.
 */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { memoryIO } from '../src/cli/io.js';
import { stopsOnSigterm } from './harness/cli-process.js';
import { freePort } from './harness/ports.js';

describe('long-running commands stop on SIGTERM within the bound', () => {
  let dir: string;
  let env: Record<string, string>;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'palisade-stop-'));
    // A home of its own: no kubeconfig, no default stores of the machine.
    env = { HOME: dir };
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const clean = (r: { exit: number | NodeJS.Signals; stderr: string }): void => {
    expect(r.stderr).not.toMatch(/exiting|internal error/);
    expect(r.exit, r.stderr).toBe(0);
  };

  it('serve', async () => {
    const r = await stopsOnSigterm(
      ['serve', '--no-auth', '--listen', '127.0.0.1:0', '--db', path.join(dir, 'serve.db')],
      { on: 'stdout', text: 'Palisade dashboard: http://127.0.0.1:' },
      env,
    );
    clean(r);
  }, 90_000);

  it('admission serve', async () => {
    const certIo = memoryIO({ cwd: dir });
    expect(await main(['admission', 'cert', '--extra-name', '127.0.0.1'], certIo)).toBe(0);
    for (const [f, text] of certIo.files) writeFileSync(f, text);
    writeFileSync(
      path.join(dir, 'admission.yaml'),
      'apiVersion: palisade.dev/v1\nkind: AdmissionConfiguration\ndefaults:\n  warn: all\n',
    );
    const r = await stopsOnSigterm(
      [
        'admission',
        'serve',
        '--config',
        path.join(dir, 'admission.yaml'),
        '--listen',
        `127.0.0.1:${await freePort()}`,
        '--tls-cert-file',
        path.join(dir, 'tls.crt'),
        '--tls-key-file',
        path.join(dir, 'tls.key'),
      ],
      { on: 'stdout', text: 'admission webhook listening' },
      env,
    );
    clean(r);
    expect(r.stdout).toContain('shutting down');
  }, 90_000);

  it('detect serve', async () => {
    const r = await stopsOnSigterm(
      ['detect', 'serve', '--listen', '127.0.0.1:0'],
      { on: 'stderr', text: 'audit webhook backend on' },
      env,
    );
    clean(r);
    expect(r.stderr).toMatch(/detect: 0 events judged/);
  }, 90_000);

  it('detect run --follow', async () => {
    const file = path.join(dir, 'audit.jsonl');
    writeFileSync(file, '');
    const event = {
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      auditID: 'stop-1',
      stage: 'ResponseComplete',
      stageTimestamp: '2026-12-07T09:00:00Z',
      verb: 'create',
      user: { username: 'alice@example.com', groups: ['system:authenticated'] },
      sourceIPs: ['10.0.0.7'],
      objectRef: { resource: 'pods', subresource: 'exec', namespace: 'shop', name: 'web-1' },
      requestURI: '/api/v1/namespaces/shop/pods/web-1/exec?command=sh',
      responseStatus: { code: 101 },
    };
    // The alert on stdout shows the follow loop is running (so the stop listener is in place).
    let appender: NodeJS.Timeout | undefined;
    const r = await stopsOnSigterm(
      ['detect', 'run', '--follow', file],
      { on: 'stdout', text: 'pod-exec' },
      env,
      () => {
        // Appended until seen: the child reads from the end of the file once it is following.
        appender = setInterval(() => {
          appendFileSync(file, `${JSON.stringify(event)}\n`);
        }, 500);
      },
    );
    clearInterval(appender);
    clean(r);
    expect(r.stderr).toMatch(/events judged/);
  }, 90_000);

  it('registry watch', async () => {
    // A registry that refuses connections: each cycle fails fast, and the watch goes on.
    const port = await freePort();
    const r = await stopsOnSigterm(
      [
        'registry',
        'watch',
        `127.0.0.1:${port}/shop/web`,
        '--no-vulns',
        '--interval',
        '1h',
        '--store',
        path.join(dir, 'verdicts.sqlite'),
        '--cache-dir',
        path.join(dir, 'cache'),
      ],
      { on: 'stderr', text: `127.0.0.1:${port}/shop/web` },
      env,
    );
    clean(r);
  }, 90_000);
});
