import https from 'node:https';
import http from 'node:http';
import { InputError, trimEndChars } from '../core/index.js';
import { loadKubeconfig, redact } from './kubeconfig.js';

/** One HTTP answer from the API server; the body is the raw text. */
export interface HttpReply {
  status: number;
  body: string;
  /** Seconds from a `Retry-After` header, when the server sent one. */
  retryAfterSeconds?: number;
}

/**
 * How the cluster reader talks to an API server: GET a path (with query) and get the status
 * and body back. Connection failures reject with an Error whose `code` is the socket error.
 */
export interface ClusterTransport {
  get(pathAndQuery: string, accept?: string): Promise<HttpReply>;
  /** Any other method, with a JSON body (create and replace for `admission install --apply`). */
  send?(method: 'POST' | 'PUT', pathAndQuery: string, body: unknown): Promise<HttpReply>;
}

/** A transport bound to one kubeconfig context, plus where it points. */
export interface ClusterConnection {
  transport: ClusterTransport;
  /** API server URL from the kubeconfig. */
  server: string;
  /** Name of the kubeconfig context in use. */
  context: string;
  /** Closes idle keep-alive connections. */
  close(): void;
}

/** Where to find the cluster: a kubeconfig file (default: $KUBECONFIG or ~/.kube/config) and a context in it. */
export interface ConnectClusterOptions {
  kubeconfig?: string;
  context?: string;
  /** Parallel connections to keep open (the reader's concurrency). */
  maxSockets?: number;
  /** Per-request timeout in milliseconds, from sending to the last byte (default 60 s; 0: none). */
  timeoutMs?: number;
  /** Time to establish the TCP connection (and TLS), in milliseconds (default 10 s or the request timeout if shorter). */
  connectTimeoutMs?: number;
}

/** Default of `--request-timeout`: one minute per request. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/**
 * Parses `--request-timeout` as kubectl does: a number with a unit (`500ms`, `30s`, `2m`,
 * `1h`), a bare number of seconds, or `0` for no per-request limit (connecting still has one).
 */
export function parseRequestTimeout(value: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  const ms = unit === 'ms' ? n : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : n * 3_600_000;
  return Number.isFinite(ms) ? Math.round(ms) : undefined;
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

/** An Error with a socket-style code, the step that failed and a message saying what to check. */
export function networkError(code: string, message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

/** Words for a socket error at a step: which host, what happened, what to check. */
export function describeNetworkError(e: unknown, hostPort: string, step: string): Error & { code: string } {
  const code =
    typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : 'EUNKNOWN';
  const message = e instanceof Error ? e.message : String(e);
  switch (code) {
    case 'ECONNREFUSED':
      return networkError(
        code,
        `connecting to ${hostPort}: connection refused (is the API server running, and is the server address of the kubeconfig right?)`,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return networkError(
        code,
        `resolving ${hostPort}: no such host (check the server address of the kubeconfig and DNS)`,
      );
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return networkError(
        code,
        `connecting to ${hostPort}: no route to the host (check the network, VPN or proxy)`,
      );
    case 'ECONNRESET':
      return networkError(code, `${step} on ${hostPort}: the connection was reset by the server or a proxy`);
    default:
      return networkError(code, `${step} on ${hostPort}: ${message}`);
  }
}

/**
 * Opens a connection described by a kubeconfig through @kubernetes/client-node, which resolves
 * the context, certificates, tokens, exec/auth-provider plugins and proxies; requests then go
 * over one keep-alive agent. An unknown context or file is an InputError.
 */
export async function connectCluster(options: ConnectClusterOptions = {}): Promise<ClusterConnection> {
  // Imported here so that file scans never load the Kubernetes client.
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  const { secrets } = loadKubeconfig(kc, options.kubeconfig);
  if (options.context !== undefined) {
    if (!kc.getContexts().some((c) => c.name === options.context)) {
      const known = kc
        .getContexts()
        .map((c) => c.name)
        .join(', ');
      throw new InputError(`kubeconfig has no context "${options.context}" (contexts: ${known || 'none'})`);
    }
    kc.setCurrentContext(options.context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new InputError(`kubeconfig context "${kc.getCurrentContext()}" names no cluster`);
  const server = trimEndChars(cluster.server, '/');
  const url = new URL(server);
  const secure = url.protocol === 'https:';
  const timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const connectTimeoutMs =
    options.connectTimeoutMs ??
    (timeoutMs > 0 ? Math.min(DEFAULT_CONNECT_TIMEOUT_MS, timeoutMs) : DEFAULT_CONNECT_TIMEOUT_MS);
  const hostPort = url.host;

  const base: https.RequestOptions = {};
  try {
    await kc.applyToHTTPSOptions(base);
  } catch (e) {
    // client-node falls back to http://localhost:8080 when no kubeconfig exists, then refuses
    // plain HTTP; either way the user has to point at a cluster.
    const noConfig = options.kubeconfig === undefined && server === 'http://localhost:8080';
    throw new InputError(
      noConfig
        ? 'no kubeconfig found: set KUBECONFIG or pass --kubeconfig FILE (and --context NAME)'
        : `cannot use kubeconfig context "${kc.getCurrentContext()}" (${server}): ${redact(e instanceof Error ? e.message : String(e), secrets)}`,
    );
  }
  const agentOptions = {
    keepAlive: true,
    maxSockets: options.maxSockets ?? 8,
    ...(base.ca !== undefined ? { ca: base.ca } : {}),
    ...(base.cert !== undefined ? { cert: base.cert } : {}),
    ...(base.key !== undefined ? { key: base.key } : {}),
    ...(base.rejectUnauthorized !== undefined ? { rejectUnauthorized: base.rejectUnauthorized } : {}),
    ...(base.servername !== undefined ? { servername: base.servername } : {}),
  };
  // A proxy in the kubeconfig makes client-node build a proxying agent; use that one then.
  const proxied = cluster.proxyUrl !== undefined && cluster.proxyUrl !== '';
  const agent = proxied
    ? (base.agent as http.Agent)
    : secure
      ? new https.Agent(agentOptions)
      : new http.Agent({ keepAlive: true, maxSockets: agentOptions.maxSockets });
  let headers = { ...(base.headers as Record<string, string> | undefined) };
  const basePath = trimEndChars(url.pathname, '/');

  const once = (method: string, pathAndQuery: string, accept: string, body?: string): Promise<HttpReply> =>
    new Promise((resolve, reject) => {
      const step = `${method} ${pathAndQuery.split('?')[0] ?? pathAndQuery}`;
      let settled = false;
      const timers: NodeJS.Timeout[] = [];
      const finish = (): void => {
        settled = true;
        for (const t of timers) clearTimeout(t);
      };
      const fail = (e: Error): void => {
        if (settled) return;
        finish();
        reject(e);
      };
      const req = (secure ? https : http).request(
        {
          protocol: url.protocol,
          hostname: url.hostname.replace(/^\[|\]$/g, ''),
          port: url.port,
          method,
          path: basePath + pathAndQuery,
          agent,
          headers: {
            ...headers,
            Accept: accept,
            ...(body !== undefined
              ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) }
              : {}),
          },
          ...(base.auth !== undefined ? { auth: base.auth } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (e) => {
            fail(describeNetworkError(e, hostPort, step));
          });
          res.on('end', () => {
            if (settled) return;
            finish();
            const reply: HttpReply = {
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString('utf8'),
            };
            const retryAfter = Number(res.headers['retry-after']);
            if (Number.isFinite(retryAfter) && retryAfter >= 0) reply.retryAfterSeconds = retryAfter;
            resolve(reply);
          });
        },
      );
      req.on('error', (e) => {
        fail(describeNetworkError(e, hostPort, step));
      });
      // Connecting has its own, shorter limit: a black-holed address fails in seconds, not minutes.
      req.on('socket', (socket) => {
        if (!socket.connecting) return;
        const t = setTimeout(() => {
          const e = networkError(
            'ETIMEDOUT',
            `connecting to ${hostPort}: no connection within ${seconds(connectTimeoutMs)} (check the server address of the kubeconfig, the network, VPN or proxy)`,
          );
          fail(e);
          req.destroy(e);
        }, connectTimeoutMs);
        timers.push(t);
        socket.once(secure ? 'secureConnect' : 'connect', () => {
          clearTimeout(t);
        });
      });
      // The whole request, from sending to the last byte of the answer, has one limit.
      if (timeoutMs > 0) {
        timers.push(
          setTimeout(() => {
            const e = networkError(
              'ETIMEDOUT',
              `${step} on ${hostPort}: no answer within ${seconds(timeoutMs)} (the server accepted the connection but did not respond; raise --request-timeout if it is only slow)`,
            );
            fail(e);
            req.destroy(e);
          }, timeoutMs),
        );
      }
      req.end(body);
    });

  const withRefresh = async (
    method: string,
    pathAndQuery: string,
    accept: string,
    body?: string,
  ): Promise<HttpReply> => {
    const reply = await once(method, pathAndQuery, accept, body);
    if (reply.status !== 401) return reply;
    // Tokens from exec plugins and auth providers expire: refresh once, then give up.
    const fresh: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(fresh);
    headers = { ...(fresh.headers as Record<string, string> | undefined) };
    return once(method, pathAndQuery, accept, body);
  };

  return {
    server,
    context: kc.getCurrentContext(),
    transport: {
      get: (pathAndQuery, accept = 'application/json') => withRefresh('GET', pathAndQuery, accept),
      send: (method, pathAndQuery, body) =>
        withRefresh(method, pathAndQuery, 'application/json', JSON.stringify(body)),
    },
    close() {
      agent.destroy();
    },
  };
}
