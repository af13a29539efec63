/** The registry test server without the vitest gate, so benches can load it too. */
import { spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate, createPrivateKey, randomBytes, sign } from 'node:crypto';
import { createServer as createHttpsServer, type Server } from 'node:https';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { createCertificateAuthority } from './pki.js';
import { freePort } from './ports.js';

/** Debian's docker-registry binary. */
export const REGISTRY_BIN = '/usr/bin/docker-registry';

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
  push(layoutRef: string, target: string, all?: boolean): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts Debian's docker-registry in a temporary directory: a fresh CA and serving certificate
 * for 127.0.0.1, one htpasswd user (bcrypt), filesystem storage. Resolves once the registry
 * logs that it listens; rejects with its output if it exits first or does not start in 20 s.
 */
export async function startTestRegistry(
  options: { auth?: 'htpasswd' | 'token' } = {},
): Promise<TestRegistry> {
  const auth = options.auth ?? 'htpasswd';
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
  let tokenServer: Server | undefined;
  let authConfig: string[];
  if (auth === 'token') {
    const signer = await ca.issueServer(['palisade-token-signer'], []);
    await writeFile(path.join(dir, 'root.pem'), ca.certPem);
    tokenServer = await startTokenServer(serving, signer, username, password);
    const address = tokenServer.address();
    const tokenPort = typeof address === 'object' && address !== null ? address.port : 0;
    authConfig = [
      'auth:',
      '  token:',
      `    realm: https://127.0.0.1:${tokenPort}/token`,
      '    service: palisade-test-registry',
      '    issuer: palisade-test-issuer',
      `    rootcertbundle: ${path.join(dir, 'root.pem')}`,
    ];
  } else {
    authConfig = [
      'auth:',
      '  htpasswd:',
      '    realm: palisade-test',
      `    path: ${path.join(dir, 'htpasswd')}`,
    ];
  }
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
    ...authConfig,
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
    // Asynchronous: the token service answers from this process while skopeo runs.
    async push(layoutRef, target, all = false) {
      const args = [
        'copy',
        ...(all ? ['--all'] : []),
        '--dest-cert-dir',
        certDir,
        '--dest-creds',
        `${username}:${password}`,
        `oci:${layoutRef}`,
        `docker://${host}/${target}`,
      ];
      const skopeo = spawn('skopeo', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 });
      let stderr = '';
      skopeo.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
      const code = await new Promise<number | null>((resolve) => skopeo.once('close', resolve));
      if (code !== 0) throw new Error(`skopeo copy failed: ${stderr}`);
    },
    async stop() {
      tokenServer?.closeAllConnections();
      if (tokenServer !== undefined) {
        const server = tokenServer;
        await new Promise((resolve) => {
          server.close(resolve);
        });
      }
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/**
 * A token service as the registry's token authentication expects: checks basic credentials
 * (none gives an anonymous token granting nothing), answers a JWT signed ES256 with the signer's
 * certificate in x5c, granting the requested repository actions to the one user.
 */
async function startTokenServer(
  serving: { certPem: string; keyPem: string },
  signer: { certPem: string; keyPem: string },
  username: string,
  password: string,
): Promise<Server> {
  const key = createPrivateKey(signer.keyPem);
  const der = new X509Certificate(signer.certPem).raw;
  const server = createHttpsServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const header = req.headers.authorization ?? '';
    let user: string | undefined;
    if (header.startsWith('Basic ')) {
      const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
      if (decoded !== `${username}:${password}`) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"invalid credentials"}');
        return;
      }
      user = username;
    }
    const access = url.searchParams.getAll('scope').flatMap((scope) => {
      const [type, name, actions] = scope.split(':');
      return user !== undefined && type === 'repository' && name !== undefined
        ? [{ type, name, actions: (actions ?? '').split(',').filter((a) => a === 'pull' || a === 'push') }]
        : [];
    });
    const now = Math.floor(Date.now() / 1000);
    const head = base64url(JSON.stringify({ typ: 'JWT', alg: 'ES256', x5c: [der.toString('base64')] }));
    const claims = base64url(
      JSON.stringify({
        iss: 'palisade-test-issuer',
        sub: user ?? '',
        aud: url.searchParams.get('service') ?? '',
        exp: now + 300,
        nbf: now - 10,
        iat: now,
        jti: randomBytes(8).toString('hex'),
        access,
      }),
    );
    const signature = sign('sha256', Buffer.from(`${head}.${claims}`), { key, dsaEncoding: 'ieee-p1363' });
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ token: `${head}.${claims}.${base64url(signature)}` }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}
