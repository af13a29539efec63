import { InputError, type KubeObject } from '../core/index.js';
import { loadKubeconfig, redact } from '../load/index.js';

/** Where to apply: a kubeconfig file (default: $KUBECONFIG or ~/.kube/config) and a context in it. */
export interface ApplyOptions {
  kubeconfig?: string;
  context?: string;
}

/** What happened to one object. */
export interface AppliedObject {
  kind: string;
  name: string;
  namespace?: string;
  action: 'created' | 'replaced';
}

interface ApiError {
  code?: number;
  body?: unknown;
  message?: string;
  cause?: { code?: string };
}

function describe(o: KubeObject): string {
  const ns = o.metadata?.namespace;
  return `${o.kind}/${ns !== undefined ? `${ns}/` : ''}${o.metadata?.name ?? '?'}`;
}

function statusMessage(e: ApiError): string {
  const body = typeof e.body === 'string' ? safeJson(e.body) : e.body;
  if (body !== null && typeof body === 'object' && 'message' in body && typeof body.message === 'string')
    return body.message;
  return e.message ?? 'no message';
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

/**
 * Creates each object, or replaces it (with the stored resourceVersion) when it exists, in
 * order, through @kubernetes/client-node. An unreadable kubeconfig, an unreachable server, a
 * refusal (401/403) or an invalid object is an InputError naming the object.
 */
export async function applyObjects(
  objects: readonly KubeObject[],
  options: ApplyOptions = {},
): Promise<AppliedObject[]> {
  // Loaded here so that printing the manifests never loads the Kubernetes client.
  const { KubeConfig, KubernetesObjectApi } = await import('@kubernetes/client-node');
  type Wire = import('@kubernetes/client-node').KubernetesObject;
  const kc = new KubeConfig();
  const { secrets } = loadKubeconfig(kc, options.kubeconfig);
  if (options.context !== undefined) {
    if (!kc.getContexts().some((c) => c.name === options.context))
      throw new InputError(
        `kubeconfig has no context "${options.context}" (contexts: ${kc
          .getContexts()
          .map((c) => c.name)
          .join(', ')})`,
      );
    kc.setCurrentContext(options.context);
  }
  const server = kc.getCurrentCluster()?.server;
  if (server === undefined)
    throw new InputError(`kubeconfig context "${kc.getCurrentContext()}" names no cluster`);
  if (options.kubeconfig === undefined && server === 'http://localhost:8080')
    throw new InputError(
      'no kubeconfig found: set KUBECONFIG or pass --kubeconfig FILE (and --context NAME)',
    );
  const api = KubernetesObjectApi.makeApiClient(kc);

  const fail = (o: KubeObject, verb: string, e: unknown): never => {
    const err = e as ApiError;
    if (typeof err.code === 'number') {
      const why =
        err.code === 401 ? 'not authenticated' : err.code === 403 ? 'forbidden' : `HTTP ${err.code}`;
      throw new InputError(
        `cannot ${verb} ${describe(o)} on ${server}: ${why}: ${redact(statusMessage(err), secrets)}`,
      );
    }
    const reason = redact(err.cause?.code ?? err.message ?? String(e), secrets);
    throw new InputError(
      `cannot reach the API server ${server} (context "${kc.getCurrentContext()}"): ${reason}`,
    );
  };

  const done: AppliedObject[] = [];
  for (const o of objects) {
    const meta = o.metadata ?? {};
    const ref = {
      apiVersion: o.apiVersion,
      kind: o.kind,
      metadata: {
        name: meta.name ?? '',
        ...(meta.namespace !== undefined ? { namespace: meta.namespace } : {}),
      },
    };
    let existing: { metadata?: { resourceVersion?: string } } | undefined;
    try {
      existing = await api.read(ref);
    } catch (e) {
      if ((e as ApiError).code !== 404) fail(o, 'read', e);
    }
    const row: AppliedObject = {
      kind: o.kind,
      name: meta.name ?? '',
      ...(meta.namespace !== undefined ? { namespace: meta.namespace } : {}),
      action: existing ? 'replaced' : 'created',
    };
    try {
      if (existing) {
        const rv = existing.metadata?.resourceVersion;
        const body = { ...o, metadata: { ...meta, ...(rv !== undefined ? { resourceVersion: rv } : {}) } };
        await api.replace(body as Wire);
      } else await api.create(o as Wire);
    } catch (e) {
      fail(o, existing ? 'replace' : 'create', e);
    }
    done.push(row);
  }
  return done;
}
