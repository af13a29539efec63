/**
 * The live source of namespace labels: an informer over Namespaces (@kubernetes/client-node:
 * one list, then a watch from its resourceVersion; a 410 Gone makes it list again). Label
 * changes reach the webhook within the watch's latency, never a call per request. When the
 * watch fails (the API server restarts, a network error) it is restarted after a pause, and
 * the objects known so far stay in use meanwhile.
 */
import type { KubeObject } from '../core/index.js';
import { InputError } from '../core/index.js';
import type { NamespaceChange, NamespaceSource } from './pool.js';

/** Options of `watchNamespaces`. */
export interface NamespaceWatchOptions {
  /** Default: $KUBECONFIG, ~/.kube/config, or the pod's service account in a cluster. */
  kubeconfig?: string;
  context?: string;
  /** Pause before a failed watch is started again (default 2000 ms). */
  restartDelayMs?: number;
  /** First list must succeed within this time (default 15000 ms). */
  startTimeoutMs?: number;
  onError?: (message: string) => void;
}

/** A running watch: a NamespaceSource that can be stopped. */
export interface NamespaceWatch extends NamespaceSource {
  stop(): Promise<void>;
}

/** Keeps only what admission reads of a Namespace (no managedFields). */
function trimmed(o: KubeObject): KubeObject {
  const { managedFields: _m, ...metadata } = (o.metadata ?? {}) as Record<string, unknown>;
  return { ...o, apiVersion: 'v1', kind: 'Namespace', metadata };
}

/** Lists and watches Namespaces; resolves after the first list, or fails with an InputError. */
export async function watchNamespaces(options: NamespaceWatchOptions = {}): Promise<NamespaceWatch> {
  const { KubeConfig, CoreV1Api, makeInformer } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  try {
    if (options.kubeconfig !== undefined) kc.loadFromFile(options.kubeconfig);
    else kc.loadFromDefault();
    if (options.context !== undefined) kc.setCurrentContext(options.context);
  } catch (e) {
    throw new InputError(`cannot load the kubeconfig: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (kc.getCurrentCluster() === null)
    throw new InputError(
      'no cluster in the kubeconfig: set --kubeconfig/--context, or namespaceLabels: config',
    );
  const core = kc.makeApiClient(CoreV1Api);
  const informer = makeInformer(kc, '/api/v1/namespaces', () => core.listNamespace());
  const objects = new Map<string, KubeObject>();
  const listeners = new Set<(change: NamespaceChange) => void>();
  const emit = (change: NamespaceChange): void => {
    for (const l of listeners) l(change);
  };
  const upsert = (o: { metadata?: { name?: string } }): void => {
    const name = o.metadata?.name;
    if (name === undefined) return;
    const object = trimmed(o as KubeObject);
    objects.set(name, object);
    emit({ type: 'set', object });
  };
  informer.on('add', upsert);
  informer.on('update', upsert);
  informer.on('delete', (o) => {
    const name = o.metadata?.name;
    if (name === undefined) return;
    objects.delete(name);
    emit({ type: 'delete', name });
  });
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const restartDelay = options.restartDelayMs ?? 2000;
  let started = false;
  let firstError: unknown;
  informer.on('error', (err: unknown) => {
    if (stopped) return;
    if (!started) {
      firstError ??= err;
      return;
    }
    options.onError?.(`namespace watch failed: ${errorText(err)}; restarting in ${restartDelay} ms`);
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (!stopped) void informer.start().catch(() => undefined);
    }, restartDelay);
    timer.unref();
  });

  const timeoutMs = options.startTimeoutMs ?? 15_000;
  let startTimer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      informer.start(),
      new Promise<never>((_, reject) => {
        startTimer = setTimeout(() => {
          reject(new Error(`no answer within ${timeoutMs} ms`));
        }, timeoutMs);
      }),
    ]);
    if (firstError !== undefined)
      throw firstError instanceof Error ? firstError : new Error(errorText(firstError));
    started = true;
  } catch (e) {
    stopped = true;
    await informer.stop().catch(() => undefined);
    throw new InputError(`cannot list namespaces: ${errorText(e)}`);
  } finally {
    clearTimeout(startTimer);
  }
  return {
    get: (name) => objects.get(name),
    list: () => [...objects.values()],
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      listeners.clear();
      await informer.stop();
    },
  };
}

function errorText(e: unknown): string {
  if (e instanceof Error) return e.message.split('\n')[0] ?? e.message;
  return String(e);
}
