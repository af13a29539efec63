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
  /** Per-request timeout in milliseconds (default 60 s). */
  timeoutMs?: number;
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
  const timeoutMs = options.timeoutMs ?? 60_000;

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

  const once = (pathAndQuery: string, accept: string): Promise<HttpReply> =>
    new Promise((resolve, reject) => {
      const req = (secure ? https : http).request(
        {
          protocol: url.protocol,
          hostname: url.hostname.replace(/^\[|\]$/g, ''),
          port: url.port,
          method: 'GET',
          path: basePath + pathAndQuery,
          agent,
          headers: { ...headers, Accept: accept },
          ...(base.auth !== undefined ? { auth: base.auth } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
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
      req.setTimeout(timeoutMs, () => {
        req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
      });
      req.on('error', reject);
      req.end();
    });

  return {
    server,
    context: kc.getCurrentContext(),
    transport: {
      async get(pathAndQuery, accept = 'application/json') {
        const reply = await once(pathAndQuery, accept);
        if (reply.status !== 401) return reply;
        // Tokens from exec plugins and auth providers expire: refresh once, then give up.
        const fresh: https.RequestOptions = {};
        await kc.applyToHTTPSOptions(fresh);
        headers = { ...(fresh.headers as Record<string, string> | undefined) };
        return once(pathAndQuery, accept);
      },
    },
    close() {
      agent.destroy();
    },
  };
}
