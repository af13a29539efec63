import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { it } from 'vitest';
import { createCertificateAuthority } from './pki.js';
import { inCI } from './status.js';

const REGISTRY_BIN = '/usr/bin/docker-registry';

/** A running docker-registry on 127.0.0.1 with TLS and htpasswd authentication. */
export interface TestRegistry {
  /** `127.0.0.1:PORT`. */
  host: string;
  username: string;
  password: string;
  /** PEM of the CA that signed the registry's certificate. */
  caPem: string;
  /** Directory holding ca.crt, for skopeo's --dest-cert-dir / --src-cert-dir. */
  certDir: string;
  /** Pushes an OCI layout (`DIR:TAG`) to `REPO:TAG`; `all` copies every platform of an index. */
  push(layoutRef: string, target: string, all?: boolean): void;
  stop(): Promise<void>;
}

/** Whether the real registry and skopeo are here, and why not. */
export function requireRegistryOrSkip(): { run: boolean; reason?: string } {
  const missing = [REGISTRY_BIN, '/usr/bin/skopeo'].filter((b) => !existsSync(b));
  if (missing.length === 0) return { run: true };
  const reason = `registry tests need ${missing.join(' and ')} (Debian packages docker-registry, skopeo)`;
  if (inCI()) {
    it('has docker-registry and skopeo (required under CI=true)', () => {
      throw new Error(reason);
    });
  }
  return { run: false, reason };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

/**
 * Starts Debian's docker-registry in a temporary directory: a fresh CA and serving certificate
 * for 127.0.0.1, one htpasswd user (bcrypt), filesystem storage. Resolves once the registry
 * logs that it listens; rejects with its output if it exits first or does not start in 20 s.
 */
export async function startTestRegistry(): Promise<TestRegistry> {
  const dir = await mkdtemp(path.join(tmpdir(), 'palisade-registry-'));
  const ca = await createCertificateAuthority('palisade-registry-test-ca');
  const serving = await ca.issueServer(['localhost'], ['127.0.0.1']);
  const certDir = path.join(dir, 'certs');
  await mkdir(certDir);
  await writeFile(path.join(certDir, 'ca.crt'), ca.certPem);
  await writeFile(path.join(dir, 'server.crt'), serving.certPem);
  await writeFile(path.join(dir, 'server.key'), serving.keyPem);
  const username = 'palisade';
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  await writeFile(path.join(dir, 'htpasswd'), `${username}:${bcrypt.hashSync(password, 8)}\n`);
  const port = await freePort();
  const config = [
    'version: 0.1',
    'log:',
    '  level: info',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${path.join(dir, 'data')}`,
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '  tls:',
    `    certificate: ${path.join(dir, 'server.crt')}`,
    `    key: ${path.join(dir, 'server.key')}`,
    'auth:',
    '  htpasswd:',
    '    realm: palisade-test',
    `    path: ${path.join(dir, 'htpasswd')}`,
    '',
  ].join('\n');
  await writeFile(path.join(dir, 'config.yml'), config);
  const child: ChildProcess = spawn(REGISTRY_BIN, ['serve', path.join(dir, 'config.yml')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`docker-registry did not start within 20 s:\n${output.slice(-2000)}`));
    }, 20_000);
    const onData = (c: Buffer): void => {
      output += c.toString('utf8');
      if (output.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`docker-registry exited (${code ?? 'signal'}):\n${output.slice(-2000)}`));
    });
  });
  const host = `127.0.0.1:${port}`;
  return {
    host,
    username,
    password,
    caPem: ca.certPem,
    certDir,
    push(layoutRef, target, all = false) {
      const r = spawnSync(
        'skopeo',
        [
          'copy',
          ...(all ? ['--all'] : []),
          '--dest-cert-dir',
          certDir,
          '--dest-creds',
          `${username}:${password}`,
          `oci:${layoutRef}`,
          `docker://${host}/${target}`,
        ],
        { encoding: 'utf8', timeout: 120_000 },
      );
      if (r.status !== 0) throw new Error(`skopeo copy failed: ${r.stderr}`);
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
