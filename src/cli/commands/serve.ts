/**
 * `palisade serve`: the dashboard over a history store. With `--demo`, the demo cluster is
 * scanned into a store first (a temporary one unless `--db` names one) and is what the RBAC
 * and network pages analyse; otherwise those pages analyse the objects of the latest recorded
 * scan when they can be read again (manifests still on disk, or a snapshot file).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InputError, UsageError, type Inventory } from '../../core/index.js';
import { openStore, type Store } from '../../store/index.js';
import type { OidcOptions, ServerInputs, TokenEntry } from '../../server/index.js';
import type { CliIO } from '../io.js';
import { listenForStop } from '../stop.js';
import { loadInventorySource, loadSnapshotSource } from './cluster-source.js';
import { openCliStore, scanInputOf } from './record.js';
import type { ScanAssessment } from './scan.js';

/** Options of `palisade serve`, as parsed from the command line. */
export interface ServeOptions {
  db?: string;
  listen: string;
  tokenFile?: string;
  oidcIssuer?: string;
  oidcClientId?: string;
  oidcAdminGroup?: string;
  tlsCert?: string;
  tlsKey?: string;
  noAuth: boolean;
  demo: boolean;
  uiDir?: string;
  quiet: boolean;
  /** The API server's audit log (JSON lines): the RBAC page lists the rights no call used. */
  auditLog?: string;
}

/** The largest audit log read for the unused-rights list (it is held in memory as calls). */
const MAX_AUDIT_LOG_BYTES = 256 * 1024 * 1024;

/** Reads and parses `--audit-log` before the server starts: a missing or oversized file is an input error. */
async function readAuditCalls(file: string, io: CliIO): Promise<NonNullable<ServerInputs['audit']>> {
  const full = path.resolve(io.cwd, file);
  const { stat, readFile } = await import('node:fs/promises');
  const st = await stat(full).catch(() => undefined);
  if (!st?.isFile()) throw new InputError(`--audit-log ${file}: no such file`);
  if (st.size > MAX_AUDIT_LOG_BYTES)
    throw new InputError(
      `--audit-log ${file}: larger than ${MAX_AUDIT_LOG_BYTES / 1048576} MiB; give a shorter window (e.g. the last days)`,
    );
  const { parseAuditLog } = await import('../../rbac/index.js');
  const log = parseAuditLog(await readFile(full, 'utf8'));
  if (log.issues.length > 0)
    io.stderr.write(
      `palisade: ${file}: ${log.issues.length} line(s) not used, first at line ${log.issues[0]?.line ?? 0}: ${log.issues[0]?.message ?? ''}\n`,
    );
  if (log.calls.length === 0) throw new InputError(`--audit-log ${file}: no API calls in it`);
  return { file, calls: log.calls };
}

/** Test hooks: stop without a signal, learn the URL. */
export interface ServeDeps {
  signal?: AbortSignal;
  onListening?: (url: string) => void;
  now?: () => Date;
}

const DAY = 86_400_000;

/** The package's root folder (where `examples/` and `dist/` live), from this file's place. */
function packageRoot(): string {
  // src/cli/commands/serve.ts and dist/cli/commands/serve.js are both three levels down.
  return path.resolve(import.meta.dirname, '../../..');
}

/** `host:port` split; IPv6 hosts in brackets. */
export function parseListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  if (i < 0) throw new UsageError(`--listen must be HOST:PORT (got "${listen}")`);
  let host = listen.slice(0, i);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const portText = listen.slice(i + 1);
  const port = Number(portText);
  if (host === '' || !/^\d{1,5}$/.test(portText) || port > 65535)
    throw new UsageError(`--listen must be HOST:PORT with a port 0-65535 (got "${listen}")`);
  return { host, port };
}

/** Whether a listen host only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

async function readText(io: CliIO, file: string, what: string): Promise<string> {
  try {
    return await readFile(path.resolve(io.cwd, file), 'utf8');
  } catch (e) {
    const code = typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : '';
    throw new InputError(`${file}: cannot read ${what}${code ? ` (${code})` : ''}; check the path`);
  }
}

/** Scans the demo cluster (yesterday's state without `ops/`, then today's whole) into a store. */
async function recordDemo(store: Store, io: CliIO, now: Date): Promise<Inventory> {
  const { assessScan } = await import('./scan.js');
  const silent: CliIO = { ...io, stderr: { write: () => undefined }, stdout: { write: () => undefined } };
  const demo = path.join(packageRoot(), 'examples/demo-cluster');
  if (!existsSync(demo)) throw new InputError(`${demo}: the demo cluster is missing from this installation`);
  const dirs = ['checkout', 'cluster', 'data', 'monitoring', 'storefront'].map((d) => path.join(demo, d));
  const record = async (paths: string[], time: number): Promise<ScanAssessment> => {
    const a = await assessScan(paths, { quiet: true, framework: [] }, silent);
    await store.recordScan(scanInputOf(paths, a, { dbCluster: 'demo', cwd: io.cwd, time }));
    return a;
  };
  await record(dirs, now.getTime() - DAY);
  return (await record([demo], now.getTime())).inventory;
}

/** The objects of the latest scan, read again when that is possible (manifests or a snapshot). */
function latestScanInputs(store: Store, io: CliIO): () => Promise<ServerInputs | undefined> {
  let cached: { id: number; inputs: ServerInputs | undefined } | undefined;
  return async () => {
    const [latest] = await store.listScans({ limit: 1 });
    if (!latest) return undefined;
    if (cached?.id === latest.id) return cached.inputs;
    let inputs: ServerInputs | undefined;
    try {
      if (latest.source === 'snapshot') {
        const loaded = await loadSnapshotSource(latest.sourceDetail, {
          ...io,
          stderr: { write: () => undefined },
        });
        inputs = {
          key: `scan:${latest.id}`,
          source: `snapshot ${latest.sourceDetail}`,
          inventory: loaded.inventory,
        };
      } else if (latest.source === 'manifests' && latest.cluster.startsWith('manifests:')) {
        const paths = latest.cluster.slice('manifests:'.length).split(',');
        if (paths.every((p) => p !== 'stdin' && existsSync(p))) {
          const loaded = await loadInventorySource(
            paths,
            { quiet: true },
            { ...io, stderr: { write: () => undefined } },
          );
          inputs = {
            key: `scan:${latest.id}`,
            source: `manifests ${paths.join(' ')}`,
            inventory: loaded.inventory,
          };
        }
      }
    } catch {
      inputs = undefined;
    }
    cached = { id: latest.id, inputs };
    return inputs;
  };
}

/** Runs `palisade serve` until SIGINT/SIGTERM (or the signal); returns the exit code. */
export async function runServe(options: ServeOptions, io: CliIO, deps: ServeDeps = {}): Promise<number> {
  const { host, port } = parseListen(options.listen);
  const loopback = isLoopback(host);
  if (options.noAuth && !loopback)
    throw new UsageError(
      `--no-auth is only allowed when --listen is a loopback address (got ${host}); use --token-file or --oidc-issuer`,
    );
  if (options.noAuth && (options.tokenFile !== undefined || options.oidcIssuer !== undefined))
    throw new UsageError('--no-auth cannot be combined with --token-file or --oidc-issuer');
  if ((options.oidcIssuer === undefined) !== (options.oidcClientId === undefined))
    throw new UsageError('--oidc-issuer and --oidc-client-id go together');
  if ((options.tlsCert === undefined) !== (options.tlsKey === undefined))
    throw new UsageError('--tls-cert and --tls-key go together');
  if (!options.noAuth && options.tokenFile === undefined && options.oidcIssuer === undefined)
    throw new UsageError(
      'authentication is required: pass --token-file FILE (lines "TOKEN viewer|admin") or --oidc-issuer URL --oidc-client-id ID; on a loopback --listen, --no-auth serves without it',
    );

  const { buildServer, parseTokenFile } = await import('../../server/index.js');
  let tokens: TokenEntry[] | undefined;
  if (options.tokenFile !== undefined)
    tokens = parseTokenFile(await readText(io, options.tokenFile, 'the token file'), options.tokenFile);
  const tls =
    options.tlsCert !== undefined && options.tlsKey !== undefined
      ? {
          cert: await readText(io, options.tlsCert, 'the TLS certificate'),
          key: await readText(io, options.tlsKey, 'the TLS key'),
        }
      : undefined;
  const scheme = tls ? 'https' : 'http';
  const hostForUrl = host.includes(':') ? `[${host}]` : host;

  let tempDir: string | undefined;
  let store: Store;
  if (options.demo && options.db === undefined) {
    tempDir = await mkdtemp(path.join(tmpdir(), 'palisade-demo-'));
    store = await openStore({ kind: 'sqlite', file: path.join(tempDir, 'demo.db') });
  } else store = await openCliStore(options.db, io);

  let server: Awaited<ReturnType<typeof buildServer>> | undefined;
  const stop = listenForStop({ signal: deps.signal, stderr: io.stderr });
  try {
    const audit = options.auditLog !== undefined ? await readAuditCalls(options.auditLog, io) : undefined;
    let inputs: () => Promise<ServerInputs | undefined>;
    if (options.demo) {
      if (!options.quiet) io.stderr.write('Scanning the demo cluster into the store…\n');
      const inventory = await recordDemo(store, io, (deps.now ?? (() => new Date()))());
      const demoInputs: ServerInputs = {
        key: 'demo',
        source: 'demo cluster (examples/demo-cluster)',
        inventory,
      };
      inputs = () => Promise.resolve(demoInputs);
    } else inputs = latestScanInputs(store, io);
    if (audit) {
      const base = inputs;
      inputs = async () => {
        const i = await base();
        return i ? { ...i, audit } : undefined;
      };
    }

    let publicUrl = io.env.PALISADE_PUBLIC_URL;
    if (publicUrl?.endsWith('/')) publicUrl = publicUrl.slice(0, -1);
    let oidc: OidcOptions | undefined;
    if (options.oidcIssuer !== undefined && options.oidcClientId !== undefined) {
      oidc = {
        issuer: options.oidcIssuer,
        clientId: options.oidcClientId,
        clientSecret: io.env.PALISADE_OIDC_CLIENT_SECRET,
        // The redirect URI must be what the issuer has registered: the public URL when set.
        redirectUri: () => `${publicUrl ?? ''}/api/v1/auth/oidc/callback`,
        adminGroup: options.oidcAdminGroup,
      };
    }
    const uiDir = options.uiDir ?? path.join(packageRoot(), 'dist/ui');
    server = await buildServer({
      store,
      auth: options.noAuth
        ? { mode: 'none' }
        : { mode: 'required', ...(tokens ? { tokens } : {}), ...(oidc ? { oidc } : {}) },
      inputs,
      ...(existsSync(path.join(uiDir, 'index.html')) ? { staticDir: uiDir } : {}),
      ...(tls ? { tls } : {}),
    });
    let address: string;
    try {
      address = await server.listen({ host, port });
    } catch (e) {
      const code = typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : '';
      throw new InputError(
        `cannot listen on ${options.listen}${code ? ` (${code})` : ''}; pick another --listen`,
      );
    }
    const actualPort = new URL(address).port;
    const url = `${scheme}://${hostForUrl}:${actualPort}/`;
    publicUrl ??= url.slice(0, -1);
    io.stdout.write(
      `Palisade dashboard: ${url}${options.noAuth ? ' (no authentication, loopback only)' : ''}\n`,
    );
    if (!options.quiet) io.stderr.write('Press Ctrl-C to stop.\n');
    deps.onListening?.(url);
    await stop.requested;
  } finally {
    try {
      await server?.close();
      await store.close();
      if (tempDir !== undefined) await rm(tempDir, { recursive: true, force: true });
    } finally {
      stop.dispose();
    }
  }
  return 0;
}
