import { InputError, type KubeObject } from '../core/index.js';
import {
  backoff,
  connectCluster,
  type ClusterRetry,
  type ClusterTransport,
  type HttpReply,
} from '../load/index.js';

/** Where to apply: a kubeconfig file (default: $KUBECONFIG or ~/.kube/config) and a context in it. */
export interface ApplyOptions {
  kubeconfig?: string;
  context?: string;
  /** Per-request timeout in milliseconds (`--request-timeout`; default 60 s, 0: none). */
  requestTimeoutMs?: number;
  /** Told before each retry (the CLI says so on stderr). */
  onRetry?: (retry: ClusterRetry) => void;
  /** Waits between retries; injectable so tests do not wait. */
  sleep?: (ms: number) => Promise<void>;
}

/** What happened to one object. */
export interface AppliedObject {
  kind: string;
  name: string;
  namespace?: string;
  action: 'created' | 'replaced';
}

const MAX_ATTEMPTS = 3;

function describe(o: KubeObject): string {
  const ns = o.metadata?.namespace;
  return `${o.kind}/${ns !== undefined ? `${ns}/` : ''}${o.metadata?.name ?? '?'}`;
}

function statusMessage(reply: HttpReply): string {
  try {
    const s = JSON.parse(reply.body) as { message?: unknown };
    if (typeof s.message === 'string' && s.message !== '') return s.message;
  } catch {
    // Not a Status object.
  }
  return `HTTP ${reply.status}`;
}

/** A resource type's collection path and scope, found by discovery of its group version. */
interface ResourceInfo {
  root: string;
  resource: string;
  namespaced: boolean;
}

/**
 * Creates each object, or replaces it (with the stored resourceVersion) when it exists, in
 * order, over the same transport as the cluster reader: connect and request timeouts, bounded
 * retries of idempotent requests on 429, 5xx and dropped connections. An unreadable kubeconfig,
 * an unreachable server, a refusal (401/403) or an invalid object is an InputError naming the
 * object; messages never quote the kubeconfig.
 */
export async function applyObjects(
  objects: readonly KubeObject[],
  options: ApplyOptions = {},
): Promise<AppliedObject[]> {
  const connection = await connectCluster({
    ...(options.kubeconfig !== undefined ? { kubeconfig: options.kubeconfig } : {}),
    ...(options.context !== undefined ? { context: options.context } : {}),
    ...(options.requestTimeoutMs !== undefined ? { timeoutMs: options.requestTimeoutMs } : {}),
    maxSockets: 2,
  });
  const { server, context, transport } = connection;
  if (options.kubeconfig === undefined && server === 'http://localhost:8080')
    throw new InputError(
      'no kubeconfig found: set KUBECONFIG or pass --kubeconfig FILE (and --context NAME)',
    );
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));

  const call = async (
    t: ClusterTransport,
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    body?: unknown,
  ): Promise<HttpReply> => {
    for (let attempt = 1; ; attempt++) {
      let reply: HttpReply | undefined;
      let failure: unknown;
      try {
        reply =
          method === 'GET'
            ? await t.get(path)
            : await (t.send ?? (() => Promise.reject(new Error('transport cannot send'))))(
                method,
                path,
                body,
              );
      } catch (e) {
        failure = e;
      }
      const code =
        typeof failure === 'object' && failure !== null && 'code' in failure
          ? String(failure.code)
          : undefined;
      // A create is only retried when the server says it did not take it (429).
      const again =
        attempt < MAX_ATTEMPTS &&
        (reply
          ? reply.status === 429 || (method !== 'POST' && (reply.status === 503 || reply.status === 504))
          : method !== 'POST' && (code === 'ECONNRESET' || code === 'EPIPE'));
      if (!again) {
        if (reply) return reply;
        throw new InputError(
          `cannot reach the API server ${server} (context "${context}"): ${failure instanceof Error ? failure.message : String(failure)}`,
        );
      }
      const delayMs = backoff(attempt, 250, 5000);
      options.onRetry?.({
        path: `${method} ${path}`,
        reason: reply ? `HTTP ${reply.status}` : failure instanceof Error ? failure.message : String(failure),
        delayMs,
        attempt: attempt + 1,
        maxAttempts: MAX_ATTEMPTS,
      });
      await sleep(delayMs);
    }
  };

  const discovered = new Map<string, ResourceInfo[]>();
  const infoOf = async (o: KubeObject): Promise<ResourceInfo> => {
    const root = o.apiVersion.includes('/') ? `/apis/${o.apiVersion}` : `/api/${o.apiVersion}`;
    let list = discovered.get(root);
    if (!list) {
      const reply = await call(transport, 'GET', root);
      if (reply.status !== 200)
        throw new InputError(`cannot discover ${o.apiVersion} on ${server}: ${statusMessage(reply)}`);
      let doc: { resources?: { name?: unknown; kind?: unknown; namespaced?: unknown }[] };
      try {
        doc = JSON.parse(reply.body) as typeof doc;
      } catch {
        throw new InputError(`cannot discover ${o.apiVersion} on ${server}: the answer is not JSON`);
      }
      list = (doc.resources ?? []).flatMap((r) =>
        typeof r.name === 'string' && !r.name.includes('/') && typeof r.kind === 'string'
          ? [{ root, resource: r.name, namespaced: r.namespaced === true, kind: r.kind }]
          : [],
      );
      discovered.set(root, list);
    }
    const found = (list as (ResourceInfo & { kind?: string })[]).find((r) => r.kind === o.kind);
    if (!found) throw new InputError(`the API server ${server} does not serve ${o.kind} in ${o.apiVersion}`);
    return found;
  };

  const done: AppliedObject[] = [];
  try {
    for (const o of objects) {
      const meta = o.metadata ?? {};
      const name = meta.name ?? '';
      const info = await infoOf(o);
      const collection = `${info.root}${info.namespaced && meta.namespace !== undefined ? `/namespaces/${encodeURIComponent(meta.namespace)}` : ''}/${info.resource}`;
      const item = `${collection}/${encodeURIComponent(name)}`;
      const refuse = (verb: string, reply: HttpReply): never => {
        const why =
          reply.status === 401
            ? 'not authenticated'
            : reply.status === 403
              ? 'forbidden'
              : `HTTP ${reply.status}`;
        throw new InputError(`cannot ${verb} ${describe(o)} on ${server}: ${why}: ${statusMessage(reply)}`);
      };
      const read = await call(transport, 'GET', item);
      if (read.status !== 200 && read.status !== 404) refuse('read', read);
      const existing =
        read.status === 200
          ? (JSON.parse(read.body) as { metadata?: { resourceVersion?: string } })
          : undefined;
      if (existing) {
        const rv = existing.metadata?.resourceVersion;
        const body = { ...o, metadata: { ...meta, ...(rv !== undefined ? { resourceVersion: rv } : {}) } };
        const put = await call(transport, 'PUT', item, body);
        if (put.status < 200 || put.status >= 300) refuse('replace', put);
      } else {
        const post = await call(transport, 'POST', collection, o);
        if (post.status < 200 || post.status >= 300) refuse('create', post);
      }
      done.push({
        kind: o.kind,
        name,
        ...(meta.namespace !== undefined ? { namespace: meta.namespace } : {}),
        action: existing ? 'replaced' : 'created',
      });
    }
  } finally {
    connection.close();
  }
  return done;
}
