import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { createCertificateAuthority, createServiceAccountKeys, type CertificateAuthority } from './pki.js';
import { harnessStatus } from './status.js';
import { freePort } from './ports.js';

/** A client-certificate identity on a test cluster. */
export interface ClusterUser {
  username: string;
  groups: string[];
  /** Path of a kubeconfig that authenticates as this user with a client certificate. */
  kubeconfig: string;
  certPem: string;
  keyPem: string;
}

/** A ServiceAccount's identity: username `system:serviceaccount:NS:NAME`, token in the kubeconfig. */
export interface ServiceAccountUser {
  username: string;
  groups: string[];
  kubeconfig: string;
  token: string;
}

/** How to start a test cluster. */
export interface StartClusterOptions {
  /** Extra kube-apiserver flags, e.g. ['--enable-admission-plugins=...']; a flag given here replaces the harness default of the same name. */
  extraFlags?: string[];
  /** URL of an audit webhook backend (the harness writes the webhook kubeconfig). */
  auditWebhookUrl?: string;
  /** Seconds to wait for /readyz (default 90: a cold start on a loaded 2-core machine is slow). */
  readyTimeoutSeconds?: number;
}

/** A running kube-apiserver with its embedded etcd. */
export interface TestCluster {
  /** https://127.0.0.1:PORT */
  server: string;
  /** PEM of the CA that signed the serving cert (and client certs). */
  caPem: string;
  /** Temp dir of this cluster (removed by stop()). */
  dir: string;
  /** system:masters admin. */
  admin: ClusterUser;
  /** A user with no RBAC grants beyond the defaults ("limited"), groups ["developers"]. */
  limited: ClusterUser;
  /** Path of a kubeconfig with contexts `admin` (current) and `limited`. */
  kubeconfig: string;
  /** Path of the JSON-lines audit log (audit.k8s.io/v1 Events, level RequestResponse for most). */
  auditLogPath: string;
  /** Path of the API server's own log (stdout and stderr). */
  logPath: string;
  /** Creates a client-cert user with any name and groups. */
  user(username: string, groups?: string[]): Promise<ClusterUser>;
  /**
   * A ServiceAccount identity authenticated with a real bound token (TokenRequest API): the
   * namespace and the ServiceAccount are created when missing.
   */
  serviceAccount(namespace: string, name: string): Promise<ServiceAccountUser>;
  /** The flags the API server was started with (for control-plane checks). */
  apiServerFlags: string[];
  /** Stops the API server and etcd, removes dir. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Admission plugins the harness enables on top of the release defaults. ServiceAccount is
 * disabled instead: without a controller manager no `default` ServiceAccount is ever created,
 * and that plugin would refuse every pod.
 */
export const HARNESS_ADMISSION_PLUGINS = [
  'NamespaceLifecycle',
  'LimitRanger',
  'DefaultStorageClass',
  'PodSecurity',
  'MutatingAdmissionPolicy',
  'MutatingAdmissionWebhook',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionWebhook',
  'ResourceQuota',
];

const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  # Secret and ConfigMap payloads stay out of the log.
  - level: Metadata
    resources:
      - group: ""
        resources: ["secrets", "configmaps"]
  - level: None
    nonResourceURLs: ["/readyz*", "/livez*", "/healthz*"]
  - level: RequestResponse
`;

interface KubeconfigUser {
  name: string;
  certPem: string;
  keyPem: string;
}

function b64(s: string): string {
  return Buffer.from(s).toString('base64');
}

/** Renders a kubeconfig (JSON is valid YAML) with one context per user; the first is current. */
export function renderKubeconfig(server: string, caPem: string, users: readonly KubeconfigUser[]): string {
  return `${JSON.stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'harness', cluster: { server, 'certificate-authority-data': b64(caPem) } }],
      users: users.map((u) => ({
        name: u.name,
        user: { 'client-certificate-data': b64(u.certPem), 'client-key-data': b64(u.keyPem) },
      })),
      contexts: users.map((u) => ({ name: u.name, context: { cluster: 'harness', user: u.name } })),
      'current-context': users[0]?.name ?? '',
    },
    null,
    2,
  )}\n`;
}

async function distinctFreePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

function flagName(flag: string): string {
  const eq = flag.indexOf('=');
  return eq < 0 ? flag : flag.slice(0, eq);
}

/** Merges flags: a later flag with the same name replaces an earlier one, keeping its position. */
export function mergeFlags(base: readonly string[], extra: readonly string[]): string[] {
  const out = [...base];
  for (const f of extra) {
    const i = out.findIndex((b) => flagName(b) === flagName(f));
    if (i >= 0) out[i] = f;
    else out.push(f);
  }
  return out;
}

/** The last lines of the server log that say something: etcd's client reconnect chatter is left out. */
function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter(
        (l) =>
          !l.includes('grpc: addrConn.createTransport') && !l.includes('use of closed network connection'),
      )
      .slice(-lines)
      .join('\n');
  } catch {
    return '(no log)';
  }
}

/** GETs a path with the admin identity; resolves with the status code (0 on a connection error). */
function probe(server: string, caPem: string, user: KubeconfigUser, pathName: string): Promise<number> {
  return new Promise((resolve) => {
    const req = https.get(
      `${server}${pathName}`,
      { ca: caPem, cert: user.certPem, key: user.keyPem, timeout: 5000 },
      (res) => {
        res.resume();
        res.on('end', () => {
          resolve(res.statusCode ?? 0);
        });
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => {
      resolve(0);
    });
  });
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort when a test process exits without calling stop(): never leave a server behind.
  process.on('exit', () => {
    for (const child of running) killGroup(child, 'SIGKILL');
  });
}

/** Starts a real kube-apiserver with an embedded etcd on free loopback ports; resolves once /readyz answers 200. */
export async function startCluster(options: StartClusterOptions = {}): Promise<TestCluster> {
  const status = harnessStatus();
  if (!status.ok) throw new Error(`cannot start a test cluster: ${status.reason}`);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'palisade-harness-'));
  try {
    return await startIn(dir, status.binary, options);
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

async function startIn(dir: string, binary: string, options: StartClusterOptions): Promise<TestCluster> {
  const ca = await createCertificateAuthority();
  const serving = await ca.issueServer(
    ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc'],
    ['127.0.0.1', '10.0.0.1'],
  );
  const sa = createServiceAccountKeys();
  const file = (name: string): string => path.join(dir, name);
  await mkdir(file('etcd'), { mode: 0o700 });
  await mkdir(file('users'));
  await Promise.all([
    writeFile(file('ca.crt'), ca.certPem),
    writeFile(file('serving.crt'), serving.certPem),
    writeFile(file('serving.key'), serving.keyPem, { mode: 0o600 }),
    writeFile(file('sa.pub'), sa.publicPem),
    writeFile(file('sa.key'), sa.privatePem, { mode: 0o600 }),
    writeFile(file('audit-policy.yaml'), AUDIT_POLICY),
  ]);
  const adminCert = await ca.issueClient('admin', ['system:masters']);

  let lastError: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    // Ports are picked free and then handed over; another process can take one in between,
    // so a start that fails is retried on new ports.
    const [securePort, etcdClientPort, etcdPeerPort] = await distinctFreePorts(3);
    if (securePort === undefined || etcdClientPort === undefined || etcdPeerPort === undefined) {
      throw new Error('no free loopback ports');
    }
    try {
      return await launch({
        dir,
        binary,
        options,
        ca,
        adminCert,
        ports: { securePort, etcdClientPort, etcdPeerPort },
        attempt,
      });
    } catch (e) {
      lastError = e;
      if (!(e instanceof PortClash)) throw e;
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}

class PortClash extends Error {}

interface LaunchInput {
  dir: string;
  binary: string;
  options: StartClusterOptions;
  ca: CertificateAuthority;
  adminCert: { certPem: string; keyPem: string };
  ports: { securePort: number; etcdClientPort: number; etcdPeerPort: number };
  attempt: number;
}

async function launch(input: LaunchInput): Promise<TestCluster> {
  const { dir, binary, options, ca, adminCert, ports } = input;
  const file = (name: string): string => path.join(dir, name);
  const server = `https://127.0.0.1:${ports.securePort}`;
  const auditLogPath = file('audit.log');
  const logPath = file(`apiserver-${input.attempt}.log`);
  await rm(file('etcd'), { recursive: true, force: true });
  await mkdir(file('etcd'), { mode: 0o700 });

  const baseFlags = [
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    // The kubernetes Service's endpoints may not be a loopback address; nothing here needs them.
    '--endpoint-reconciler-type=none',
    `--secure-port=${ports.securePort}`,
    `--cert-dir=${file('certs')}`,
    `--tls-cert-file=${file('serving.crt')}`,
    `--tls-private-key-file=${file('serving.key')}`,
    `--client-ca-file=${file('ca.crt')}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${file('sa.pub')}`,
    `--service-account-signing-key-file=${file('sa.key')}`,
    '--service-cluster-ip-range=10.0.0.0/16',
    '--authorization-mode=Node,RBAC',
    `--enable-admission-plugins=${HARNESS_ADMISSION_PLUGINS.join(',')}`,
    '--disable-admission-plugins=ServiceAccount',
    '--allow-privileged=true',
    `--audit-policy-file=${file('audit-policy.yaml')}`,
    `--audit-log-path=${auditLogPath}`,
    '--audit-log-maxage=1',
    '--profiling=false',
  ];
  if (options.auditWebhookUrl !== undefined) {
    await writeFile(
      file('audit-webhook.kubeconfig'),
      `${JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'audit', cluster: { server: options.auditWebhookUrl } }],
        users: [{ name: 'apiserver', user: {} }],
        contexts: [{ name: 'audit', context: { cluster: 'audit', user: 'apiserver' } }],
        'current-context': 'audit',
      })}\n`,
    );
    baseFlags.push(
      `--audit-webhook-config-file=${file('audit-webhook.kubeconfig')}`,
      '--audit-webhook-mode=batch',
      '--audit-webhook-batch-max-wait=1s',
    );
  }
  const apiServerFlags = mergeFlags(baseFlags, options.extraFlags ?? []);

  const log = openSync(logPath, 'a');
  const child = spawn(
    binary,
    [
      '--etcd-dir',
      file('etcd'),
      '--etcd-client-port',
      String(ports.etcdClientPort),
      '--etcd-peer-port',
      String(ports.etcdPeerPort),
      '--exit-on-stdin-eof',
      '--',
      ...apiServerFlags,
    ],
    // Its own process group, so stop() ends it and anything it started; stdin is a pipe
    // whose end (this process going away) makes the harness exit by itself.
    { detached: true, stdio: ['pipe', log, log] },
  );
  closeSync(log);
  running.add(child);
  installExitHook();
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exitPromise = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      running.delete(child);
      resolve();
    });
  });
  child.on('error', () => undefined);

  let stopping: Promise<void> | undefined;
  const stopProcess = async (): Promise<void> => {
    if (exited) return;
    killGroup(child, 'SIGTERM');
    const timer = setTimeout(() => {
      killGroup(child, 'SIGKILL');
    }, 10_000);
    await exitPromise;
    clearTimeout(timer);
    // The group may hold stragglers; they get no grace period.
    killGroup(child, 'SIGKILL');
  };

  const admin: KubeconfigUser = { name: 'admin', ...adminCert };
  const deadline = Date.now() + (options.readyTimeoutSeconds ?? 90) * 1000;
  for (;;) {
    if (exited) {
      const logText = tail(logPath);
      const clash = /address already in use/i.test(logText);
      const message = `kube-apiserver exited before it was ready (code ${exited.code}, signal ${exited.signal}); last log lines:\n${logText}`;
      throw clash ? new PortClash(message) : new Error(message);
    }
    const code = await probe(server, ca.certPem, admin, '/readyz');
    if (code === 200) break;
    if (Date.now() > deadline) {
      await stopProcess();
      throw new Error(
        `kube-apiserver was not ready within ${options.readyTimeoutSeconds ?? 90}s; last log lines:\n${tail(logPath)}`,
      );
    }
    // Poll, do not sleep for a fixed start-up time: the loop ends as soon as /readyz says so.
    await new Promise((r) => setTimeout(r, 150));
  }

  const makeUser = async (username: string, groups: string[] = []): Promise<ClusterUser> => {
    const pair =
      username === 'admin' && groups.length === 1 && groups[0] === 'system:masters'
        ? adminCert
        : await ca.issueClient(username, groups);
    const safe = username.replace(/[^A-Za-z0-9_.-]/g, '_');
    const kubeconfig = path.join(
      dir,
      'users',
      `${safe}-${Math.random().toString(36).slice(2, 8)}.kubeconfig`,
    );
    await writeFile(kubeconfig, renderKubeconfig(server, ca.certPem, [{ name: safe, ...pair }]), {
      mode: 0o600,
    });
    return { username, groups: [...groups], kubeconfig, certPem: pair.certPem, keyPem: pair.keyPem };
  };
  const kubeconfig = file('kubeconfig');
  let adminUser: ClusterUser;
  let limitedUser: ClusterUser;
  try {
    adminUser = await makeUser('admin', ['system:masters']);
    limitedUser = await makeUser('limited', ['developers']);
    await writeFile(
      kubeconfig,
      renderKubeconfig(server, ca.certPem, [
        { name: 'admin', certPem: adminUser.certPem, keyPem: adminUser.keyPem },
        { name: 'limited', certPem: limitedUser.certPem, keyPem: limitedUser.keyPem },
      ]),
      { mode: 0o600 },
    );
  } catch (e) {
    await stopProcess();
    throw e;
  }

  const adminRequest = (
    method: string,
    pathName: string,
    body: unknown,
  ): Promise<{ status: number; json: unknown }> =>
    new Promise((resolve, reject) => {
      const data = JSON.stringify(body);
      const req = https.request(
        `${server}${pathName}`,
        {
          method,
          ca: ca.certPem,
          cert: adminCert.certPem,
          key: adminCert.keyPem,
          headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try {
              json = JSON.parse(text);
            } catch {
              json = text;
            }
            resolve({ status: res.statusCode ?? 0, json });
          });
        },
      );
      req.on('error', reject);
      req.end(data);
    });
  const createIfMissing = async (pathName: string, body: unknown): Promise<void> => {
    const r = await adminRequest('POST', pathName, body);
    if (r.status !== 201 && r.status !== 409)
      throw new Error(`POST ${pathName}: ${r.status} ${JSON.stringify(r.json)}`);
  };
  const serviceAccount = async (namespace: string, name: string): Promise<ServiceAccountUser> => {
    await createIfMissing('/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: namespace },
    });
    await createIfMissing(`/api/v1/namespaces/${namespace}/serviceaccounts`, {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name },
    });
    const r = await adminRequest('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: 3600 },
    });
    const token = (r.json as { status?: { token?: string } }).status?.token;
    if (r.status !== 201 || token === undefined)
      throw new Error(`TokenRequest for ${namespace}/${name}: ${r.status} ${JSON.stringify(r.json)}`);
    const kubeconfig = path.join(dir, 'users', `sa-${namespace}-${name}.kubeconfig`);
    const config = JSON.parse(renderKubeconfig(server, ca.certPem, [])) as Record<string, unknown>;
    config.users = [{ name: 'sa', user: { token } }];
    config.contexts = [{ name: 'sa', context: { cluster: 'harness', user: 'sa' } }];
    config['current-context'] = 'sa';
    await writeFile(kubeconfig, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
    return {
      username: `system:serviceaccount:${namespace}:${name}`,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
      kubeconfig,
      token,
    };
  };

  return {
    server,
    caPem: ca.certPem,
    dir,
    admin: adminUser,
    limited: limitedUser,
    kubeconfig,
    auditLogPath,
    logPath,
    // --etcd-servers is added by the harness binary itself; it is listed so checks see every flag.
    apiServerFlags: [`--etcd-servers=http://127.0.0.1:${ports.etcdClientPort}`, ...apiServerFlags],
    user: makeUser,
    serviceAccount,
    stop() {
      // A second call waits for the first one to finish, so nobody exits with the dir half removed.
      stopping ??= stopProcess().then(() => rm(dir, { recursive: true, force: true }));
      return stopping;
    },
  };
}

/**
 * Polls `check` until it resolves without throwing, or rethrows its last error after
 * `timeoutMs`. For state the API server applies asynchronously (RBAC bindings reach the
 * authorizer's cache, webhook configurations reach the admission chain, CRDs get served).
 */
export async function eventually<T>(
  check: () => Promise<T>,
  timeoutMs = 20_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() > deadline) throw e;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
