/**
 * Keeps a copy of a cluster's objects current with list+watch: one informer
 * (@kubernetes/client-node's ListWatch) per resource type found by discovery. Each lists once
 * (paged, through the scan's transport with its timeouts), then watches from the list's
 * resourceVersion; a 410 Gone (the version was compacted away) makes it list again, and the
 * informer turns the difference into adds, updates and deletes, so nothing is lost or counted
 * twice. A failed watch is resumed from the last version seen after a pause. Secret values
 * and managed fields are dropped as objects arrive.
 */
import http from 'node:http';
import https from 'node:https';
import { createInterface } from 'node:readline';
import type { KubeConfig, KubernetesListObject, KubernetesObject, ListWatch } from '@kubernetes/client-node';
import { InputError, trimEndChars, type KubeObject } from '../core/index.js';
import {
  collectionPath,
  connectCluster,
  loadKubeconfig,
  readCluster,
  redact,
  sanitizeObject,
  type ApiResourceType,
  type ClusterConnection,
  type LiveClusterFacts,
} from '../load/index.js';
import type { ObjectChange } from './posture.js';

/**
 * Types not watched: they change all the time and no control reads them (core and
 * events.k8s.io Events, coordination Leases).
 */
const UNWATCHED = new Set(['/events', 'events.k8s.io/events', 'coordination.k8s.io/leases']);

/** Options of {@link ClusterWatch.open}. */
export interface ClusterWatchOptions {
  kubeconfig?: string;
  context?: string;
  /** Per list request (default 60 s). */
  requestTimeoutMs?: number;
  /** The server ends each watch after this long; it is then resumed (default 300 s). */
  watchTimeoutSeconds?: number;
  /** Pause before a failed watch is resumed (default 2000 ms). */
  restartDelayMs?: number;
  onChange(change: ObjectChange): void;
  /** A type was listed again after its first list (410 Gone or a failed resume). */
  onRelist?(type: string): void;
  onError?(message: string): void;
}

interface TypeWatch {
  type: ApiResourceType;
  name: string;
  informer: ListWatch<KubernetesObject>;
  lists: number;
  /** A list succeeded at least once. */
  listed?: boolean;
  unwatchable?: boolean;
}

function typeName(t: ApiResourceType): string {
  return `${t.group}/${t.resource}`;
}

function errorText(e: unknown): string {
  if (e instanceof Error) return e.message.split('\n')[0] ?? e.message;
  if (typeof e === 'object' && e !== null && 'message' in e) return String(e.message);
  return String(e);
}

/** The headers client-node put in request options (credentials), as an object. */
function headersOf(options: https.RequestOptions): http.OutgoingHttpHeaders {
  const h = options.headers;
  return h !== undefined && !Array.isArray(h) ? (h as http.OutgoingHttpHeaders) : {};
}

/** Milliseconds without a byte on a watch after which it is given up and resumed. */
function idleLimitMs(watchTimeoutSeconds: number): number {
  return (watchTimeoutSeconds + 30) * 1000;
}

/** Opens watches over HTTPS with a connect timeout and an idle limit (client-node's have neither). */
async function boundedWatchClass(): Promise<
  new (
    kc: KubeConfig,
    connectTimeoutMs: number,
    timeoutSeconds: number,
  ) => InstanceType<typeof import('@kubernetes/client-node').Watch>
> {
  const { Watch } = await import('@kubernetes/client-node');
  return class BoundedWatch extends Watch {
    constructor(
      kc: KubeConfig,
      private readonly connectTimeoutMs: number,
      private readonly timeoutSeconds: number,
    ) {
      super(kc);
    }

    override async watch(
      path: string,
      queryParams: Record<string, string | number | boolean | undefined>,
      callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
      done: (err: unknown) => void,
    ): Promise<AbortController> {
      const cluster = this.config.getCurrentCluster();
      if (!cluster) throw new Error('no current cluster in the kubeconfig');
      const url = new URL(trimEndChars(cluster.server, '/') + path);
      url.searchParams.set('watch', 'true');
      url.searchParams.set('allowWatchBookmarks', 'true');
      url.searchParams.set('timeoutSeconds', String(this.timeoutSeconds));
      for (const [k, v] of Object.entries(queryParams))
        if (v !== undefined) url.searchParams.set(k, String(v));
      const options: https.RequestOptions = {};
      await this.config.applyToHTTPSOptions(options);
      const controller = new AbortController();
      let finished = false;
      const finish = (err: unknown): void => {
        if (finished) return;
        finished = true;
        controller.abort();
        done(err);
      };
      const client = url.protocol === 'https:' ? https : http;
      return new Promise((resolve) => {
        const req = client.request(url, {
          ...options,
          method: 'GET',
          headers: { ...headersOf(options), Accept: 'application/json' },
          signal: controller.signal,
          timeout: this.connectTimeoutMs,
        });
        req.on('timeout', () => {
          req.destroy(new Error('the API server did not answer in time'));
        });
        req.on('error', (e) => {
          finish(controller.signal.aborted ? null : e);
          resolve(controller);
        });
        req.on('response', (res) => {
          if (res.statusCode !== 200) {
            res.resume();
            finish(
              Object.assign(new Error(`watch ${path}: HTTP ${res.statusCode ?? 0}`), {
                statusCode: res.statusCode,
              }),
            );
            resolve(controller);
            return;
          }
          // Bookmarks arrive about once a minute; silence past the server's own timeout means
          // the connection is gone.
          req.setTimeout(idleLimitMs(this.timeoutSeconds));
          const lines = createInterface({ input: res, crlfDelay: Infinity });
          // readline passes the response's errors on; they are handled on `res` below.
          lines.on('error', () => undefined);
          lines.on('line', (line) => {
            let event: { type?: unknown; object?: unknown };
            try {
              event = JSON.parse(line) as { type?: unknown; object?: unknown };
            } catch {
              return;
            }
            if (typeof event.type !== 'string') return;
            // Secret values never reach the informer's cache.
            if (event.object !== null && typeof event.object === 'object')
              sanitizeObject(event.object as KubeObject);
            callback(event.type, event.object, event);
          });
          res.on('error', (e) => {
            finish(controller.signal.aborted ? null : e);
          });
          res.on('close', () => {
            finish(null);
          });
          resolve(controller);
        });
        req.end();
      });
    }
  };
}

/** A running list+watch of every type of one cluster. */
export class ClusterWatch {
  private suspended = false;
  private stopped = false;
  private timers = new Set<NodeJS.Timeout>();
  /** Lists after the first one of a type. */
  relists = 0;
  /** When the last change arrived (milliseconds since the epoch), 0 before any. */
  lastEventAt = 0;

  private constructor(
    readonly server: string,
    readonly context: string,
    readonly facts: LiveClusterFacts,
    private readonly connection: ClusterConnection,
    private readonly kc: KubeConfig,
    private readonly watches: TypeWatch[],
    private readonly options: ClusterWatchOptions,
  ) {}

  /** Resource types being watched, as `group/resource`. */
  get types(): string[] {
    return this.watches.map((w) => w.name);
  }

  /** Connects, discovers the types and starts their informers; resolves once each has listed. */
  static async open(options: ClusterWatchOptions): Promise<ClusterWatch> {
    const connection = await connectCluster({
      ...(options.kubeconfig !== undefined ? { kubeconfig: options.kubeconfig } : {}),
      ...(options.context !== undefined ? { context: options.context } : {}),
      ...(options.requestTimeoutMs !== undefined ? { timeoutMs: options.requestTimeoutMs } : {}),
      maxSockets: 8,
    });
    try {
      // Discovery and the version only: no namespace is named, so nothing is listed.
      const probe = await readCluster(connection.transport, { namespaces: [] });
      if (probe.types.length === 0)
        throw new InputError(
          `no resource type could be discovered on ${connection.server}: ${probe.errors[0]?.message ?? 'discovery answered nothing'}`,
        );
      const client = await import('@kubernetes/client-node');
      const kc = new client.KubeConfig();
      const { secrets } = loadKubeconfig(kc, options.kubeconfig);
      kc.setCurrentContext(connection.context);
      const Bounded = await boundedWatchClass();
      const watcher = new Bounded(kc, 10_000, options.watchTimeoutSeconds ?? 300);
      const watches: TypeWatch[] = [];
      const cw = new ClusterWatch(
        connection.server,
        connection.context,
        probe.inventory.facts,
        connection,
        kc,
        watches,
        options,
      );
      for (const type of probe.types) {
        const name = typeName(type);
        if (UNWATCHED.has(name)) continue;
        const entry: TypeWatch = {
          type,
          name,
          lists: 0,
          informer: new client.ListWatch<KubernetesObject>(
            collectionPath(type),
            watcher,
            () => {
              entry.lists++;
              if (entry.lists > 1) {
                cw.relists++;
                options.onRelist?.(name);
              }
              return cw.list(type).then((list) => {
                entry.listed = true;
                return list;
              });
            },
            false,
          ),
        };
        watches.push(entry);
        cw.wire(entry, secrets);
      }
      await cw.startAll();
      return cw;
    } catch (e) {
      connection.close();
      throw e;
    }
  }

  /**
   * Sends one request with a JSON body (server-side apply, delete, list) under the request
   * timeout; returns the status and the parsed body (undefined when not JSON).
   */
  async request(
    method: 'GET' | 'PATCH' | 'DELETE',
    path: string,
    body?: unknown,
    contentType = 'application/apply-patch+yaml',
  ): Promise<{ status: number; body: unknown }> {
    const options: https.RequestOptions = {};
    await this.kc.applyToHTTPSOptions(options);
    const url = new URL(this.server + path);
    const client = url.protocol === 'https:' ? https : http;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const timeoutMs = this.options.requestTimeoutMs ?? 60_000;
    return new Promise((resolve, reject) => {
      const req = client.request(url, {
        ...options,
        method,
        headers: {
          ...headersOf(options),
          Accept: 'application/json',
          ...(payload !== undefined
            ? { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(payload) }
            : {}),
        },
        timeout: Math.min(10_000, timeoutMs),
      });
      const deadline = setTimeout(() => {
        req.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      req.on('timeout', () => {
        req.destroy(new Error(`${method} ${path}: the API server did not answer in time`));
      });
      req.on('error', (e) => {
        clearTimeout(deadline);
        reject(e);
      });
      req.on('response', (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('error', (e) => {
          clearTimeout(deadline);
          reject(e);
        });
        res.on('end', () => {
          clearTimeout(deadline);
          let parsed: unknown;
          try {
            parsed = JSON.parse(Buffer.concat(parts).toString('utf8'));
          } catch {
            parsed = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      });
      req.end(payload);
    });
  }

  /** Every object known now (the informers' caches). */
  objects(): KubeObject[] {
    return this.watches.flatMap((w) => w.informer.list() as unknown as KubeObject[]);
  }

  /** Drops every watch connection and keeps them closed until {@link resume} (a network loss). */
  async suspend(): Promise<void> {
    this.suspended = true;
    await Promise.all(this.watches.map((w) => w.informer.stop()));
  }

  /** Resumes every watch from the last version seen (a 410 then makes it list again). */
  async resume(): Promise<void> {
    this.suspended = false;
    await Promise.all(this.watches.map((w) => this.restart(w)));
  }

  /** Stops every watch and closes the connections. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.all(this.watches.map((w) => w.informer.stop()));
    this.connection.close();
  }

  private wire(w: TypeWatch, secrets: readonly string[]): void {
    const apiVersion = w.type.group === '' ? w.type.version : `${w.type.group}/${w.type.version}`;
    const emit = (type: ObjectChange['type'], o: KubernetesObject): void => {
      if (this.stopped) return;
      this.lastEventAt = Date.now();
      const object = sanitizeObject({
        ...(o as KubeObject),
        apiVersion,
        kind: w.type.kind,
      });
      this.options.onChange({ type, object });
    };
    w.informer.on('add', (o) => {
      emit('upsert', o);
    });
    w.informer.on('update', (o) => {
      emit('upsert', o);
    });
    w.informer.on('delete', (o) => {
      emit('delete', o);
    });
    w.informer.on('error', (err: unknown) => {
      if (this.stopped || this.suspended || w.unwatchable) return;
      const status = (err as { statusCode?: unknown } | null)?.statusCode;
      if (status === 405 || status === 404 || status === 403) {
        // Not watchable, gone, or not granted (least-privilege RBAC leaves some types out,
        // Secrets by default): said once, not retried. What was listed before stays known.
        w.unwatchable = true;
        this.options.onError?.(
          `${w.name} is not watched (HTTP ${String(status)}${status === 403 ? ': forbidden' : ''})`,
        );
        return;
      }
      const delay = this.options.restartDelayMs ?? 2000;
      this.options.onError?.(
        `watch of ${w.name} failed: ${redact(errorText(err), secrets)}; resuming in ${delay} ms`,
      );
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        void this.restart(w);
      }, delay);
      timer.unref();
      this.timers.add(timer);
    });
  }

  private async restart(w: TypeWatch): Promise<void> {
    if (this.stopped || this.suspended || w.unwatchable) return;
    await w.informer.start().catch((e: unknown) => {
      this.options.onError?.(`watch of ${w.name} failed: ${errorText(e)}`);
    });
  }

  private async startAll(): Promise<void> {
    const failures: string[] = [];
    // A few types at a time: the first lists are the heavy part.
    const queue = [...this.watches];
    const worker = async (): Promise<void> => {
      for (let w = queue.shift(); w; w = queue.shift()) {
        await w.informer.start().catch((e: unknown) => {
          failures.push(`${w.name}: ${errorText(e)}`);
        });
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    if (!this.watches.some((w) => w.listed === true))
      throw new InputError(
        `could not list any resource type on ${this.server}${failures[0] ? `: ${failures[0]}` : ''}`,
      );
  }

  /** Lists one type completely (paged); the result's resourceVersion is where the watch starts. */
  private async list(type: ApiResourceType): Promise<KubernetesListObject<KubernetesObject>> {
    const path = collectionPath(type);
    const apiVersion = type.group === '' ? type.version : `${type.group}/${type.version}`;
    const items: KubernetesObject[] = [];
    let token: string | undefined;
    let resourceVersion = '';
    for (let page = 0; ; page++) {
      const query = `?limit=500${token !== undefined ? `&continue=${encodeURIComponent(token)}` : ''}`;
      const reply = await this.connection.transport.get(path + query);
      if (reply.status === 410 && token !== undefined) {
        // The continue token outlived compaction: start the list over.
        token = undefined;
        items.length = 0;
        continue;
      }
      if (reply.status !== 200)
        throw Object.assign(new Error(`list ${path}: HTTP ${reply.status}`), { statusCode: reply.status });
      const doc = JSON.parse(reply.body) as {
        items?: unknown;
        metadata?: { resourceVersion?: string; continue?: string };
      };
      if (!Array.isArray(doc.items)) throw new Error(`list ${path}: the answer is not a list`);
      if (page === 0 || token === undefined) resourceVersion = doc.metadata?.resourceVersion ?? '';
      for (const item of doc.items as KubeObject[])
        items.push(sanitizeObject({ ...item, apiVersion, kind: type.kind }) as KubernetesObject);
      const next = doc.metadata?.continue;
      if (next === undefined || next === '') break;
      token = next;
    }
    // ListWatch reads only `metadata.resourceVersion` of the list; a plain object carries it.
    // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment -- see above
    return { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion }, items };
  }
}
