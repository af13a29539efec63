import { Inventory, refOf, type ClusterFacts, type KubeObject } from '../core/index.js';
import type { ClusterTransport, HttpReply } from './cluster-http.js';

/** One listable resource type found by discovery. */
export interface ApiResourceType {
  /** API group, `''` for the core group. */
  group: string;
  version: string;
  /** Plural resource name as in the URL (`deployments`). */
  resource: string;
  kind: string;
  namespaced: boolean;
}

/**
 * Why one scope of a cluster read failed: a resource type (optionally in one namespace), a
 * discovery group, or a cluster fact. The rest of the read goes on.
 */
export interface ClusterScopeError {
  /** Stable code: cluster_forbidden, cluster_unauthorized, cluster_not_found, cluster_unavailable, cluster_unreachable, cluster_request_failed, cluster_invalid_response. */
  code: string;
  /** The API path that failed, e.g. `/apis/apps/v1/namespaces/shop/deployments`. */
  scope: string;
  /** `resource.group` of the type (`deployments.apps`, `pods`), when the scope is one type. */
  resource?: string;
  namespace?: string;
  /** HTTP status, when the server answered. */
  status?: number;
  message: string;
}

/** How to read a cluster. */
export interface ReadClusterOptions {
  /** Only these namespaces (namespaced types are listed per namespace; see docs/live-cluster.md). Default: all. */
  namespaces?: readonly string[];
  /** Parallel list requests (default 8). */
  concurrency?: number;
  /** Objects per page (`limit`; default 500). */
  pageSize?: number;
  /** Attempts per request on 429, 5xx and connection errors (default 5). */
  maxAttempts?: number;
  /** First retry delay in milliseconds, doubled each attempt with jitter (default 250). */
  retryBaseMs?: number;
  /** Upper bound of one retry delay (default 10 s). */
  retryMaxMs?: number;
  /** Waits between retries; injectable so tests do not wait. */
  sleep?: (ms: number) => Promise<void>;
  /** Told before each retry (the CLI says so on stderr). */
  onRetry?: (retry: ClusterRetry) => void;
  /** Called as list tasks finish: tasks done, tasks total, objects read so far. */
  onProgress?: (done: number, total: number, objects: number) => void;
}

/** A retry about to happen: which request, why, after how long, and which attempt comes next. */
export interface ClusterRetry {
  path: string;
  reason: string;
  delayMs: number;
  attempt: number;
  maxAttempts: number;
}

/** A cluster read: the objects, the types discovered, what failed, and request counts. */
export interface ClusterReadResult {
  inventory: Inventory;
  types: ApiResourceType[];
  errors: ClusterScopeError[];
  stats: { requests: number; retries: number; objects: number; lists: number };
}

/** Facts read from the cluster (set on `inventory.facts`). */
export interface LiveClusterFacts extends ClusterFacts {
  kubernetesVersion?: string;
  platform?: string;
  nodes?: NodeFacts[];
  /** Flags of a kube-apiserver seen as a pod (kubeadm static pods in kube-system). */
  apiServerFlags?: string[];
  /** Which object the flags were read from, e.g. `Pod kube-system/kube-apiserver-cp1`. */
  apiServerFlagsSource?: string;
}

/** What a Node object tells about one node. */
export interface NodeFacts {
  name: string;
  kubeletVersion?: string;
  containerRuntimeVersion?: string;
  osImage?: string;
  kernelVersion?: string;
  architecture?: string;
  roles: string[];
}

const AGGREGATED_ACCEPT =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;q=0.9';

/**
 * Resource types skipped although listable, each because another listed type already holds
 * the same objects (listing both would count every object twice).
 */
export const DUPLICATE_TYPES: readonly { group: string; resource: string; sameAs: string }[] = [
  { group: 'events.k8s.io', resource: 'events', sameAs: 'core v1 events' },
];

/** Thrown inside the reader when a request ends in an error answer; turned into a ClusterScopeError. */
class RequestFailed extends Error {
  constructor(
    readonly code: string,
    readonly status: number | undefined,
    message: string,
  ) {
    super(message);
  }
}

function codeForStatus(status: number): string {
  if (status === 401) return 'cluster_unauthorized';
  if (status === 403) return 'cluster_forbidden';
  if (status === 404) return 'cluster_not_found';
  if (status === 429 || status >= 500) return 'cluster_unavailable';
  return 'cluster_request_failed';
}

function statusMessage(reply: HttpReply): string {
  try {
    const s = JSON.parse(reply.body) as { message?: unknown };
    if (typeof s.message === 'string' && s.message !== '') return s.message;
  } catch {
    // Not a Status object; fall through to the raw text.
  }
  const text = reply.body.trim().slice(0, 300);
  return text === '' ? `HTTP ${reply.status}` : `HTTP ${reply.status}: ${text}`;
}

function retryable(status: number): boolean {
  return status === 429 || status === 500 || status === 502 || status === 503 || status === 504;
}

// A dropped connection is worth another try. A refused connection or a timeout is not: the
// server is not there or the user's --request-timeout has passed, and retrying would only make
// the user wait (a closed port once took 12.5 s of silent retries).
const RETRYABLE_SOCKET_ERRORS = new Set([
  'ECONNRESET',
  'EPIPE',
  'EAI_AGAIN',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
]);

function socketCode(e: unknown): string | undefined {
  if (typeof e === 'object' && e !== null && 'code' in e) {
    const c = e.code;
    return typeof c === 'string' ? c : undefined;
  }
  return undefined;
}

/** Path of a type's collection, cluster-wide or in one namespace. */
export function collectionPath(t: ApiResourceType, namespace?: string): string {
  const root = t.group === '' ? `/api/${t.version}` : `/apis/${t.group}/${t.version}`;
  return namespace !== undefined && t.namespaced
    ? `${root}/namespaces/${encodeURIComponent(namespace)}/${t.resource}`
    : `${root}/${t.resource}`;
}

function apiVersionOf(t: ApiResourceType): string {
  return t.group === '' ? t.version : `${t.group}/${t.version}`;
}

function typeName(t: ApiResourceType): string {
  return t.group === '' ? t.resource : `${t.resource}.${t.group}`;
}

/**
 * Removes what must never reach a report or a log: a Secret's values (keys are kept, each value
 * replaced by an empty string, including the copy in the last-applied annotation) and, on every
 * object, managedFields (large and useless for assessment).
 */
export function sanitizeObject(obj: KubeObject): KubeObject {
  const meta = obj.metadata;
  if (meta && 'managedFields' in meta) delete meta.managedFields;
  if (obj.kind !== 'Secret' || (obj.apiVersion !== 'v1' && obj.apiVersion !== '')) return obj;
  for (const field of ['data', 'stringData']) {
    const values = obj[field];
    if (values !== null && typeof values === 'object' && !Array.isArray(values)) {
      obj[field] = Object.fromEntries(Object.keys(values).map((k) => [k, '']));
    }
  }
  const annotations = meta?.annotations;
  if (annotations && 'kubectl.kubernetes.io/last-applied-configuration' in annotations) {
    annotations['kubectl.kubernetes.io/last-applied-configuration'] =
      '(removed by palisade: held Secret values)';
  }
  return obj;
}

/** Runs tasks with at most `limit` in flight. */
async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

interface Requester {
  getJson(path: string, accept?: string): Promise<unknown>;
  stats: { requests: number; retries: number };
}

function requester(transport: ClusterTransport, options: ReadClusterOptions): Requester {
  const maxAttempts = options.maxAttempts ?? 5;
  const baseMs = options.retryBaseMs ?? 250;
  const maxMs = options.retryMaxMs ?? 10_000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const stats = { requests: 0, retries: 0 };
  return {
    stats,
    async getJson(path, accept) {
      for (let attempt = 1; ; attempt++) {
        stats.requests++;
        let reply: HttpReply;
        try {
          reply = await transport.get(path, accept);
        } catch (e) {
          const code = socketCode(e);
          const message = e instanceof Error ? e.message : String(e);
          if (attempt < maxAttempts && code !== undefined && RETRYABLE_SOCKET_ERRORS.has(code)) {
            stats.retries++;
            const delayMs = backoff(attempt, baseMs, maxMs);
            options.onRetry?.({ path, reason: message, delayMs, attempt: attempt + 1, maxAttempts });
            await sleep(delayMs);
            continue;
          }
          throw new RequestFailed(
            code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ETIMEDOUT'
              ? 'cluster_unreachable'
              : 'cluster_request_failed',
            undefined,
            `request failed: ${message}`,
          );
        }
        if (reply.status >= 200 && reply.status < 300) {
          try {
            return JSON.parse(reply.body) as unknown;
          } catch {
            throw new RequestFailed('cluster_invalid_response', reply.status, 'the answer is not JSON');
          }
        }
        if (retryable(reply.status) && attempt < maxAttempts) {
          stats.retries++;
          const hinted = reply.retryAfterSeconds !== undefined ? reply.retryAfterSeconds * 1000 : undefined;
          const delayMs = Math.min(maxMs, hinted ?? backoff(attempt, baseMs, maxMs));
          options.onRetry?.({
            path,
            reason: `HTTP ${reply.status}`,
            delayMs,
            attempt: attempt + 1,
            maxAttempts,
          });
          await sleep(delayMs);
          continue;
        }
        throw new RequestFailed(codeForStatus(reply.status), reply.status, statusMessage(reply));
      }
    },
  };
}

/** Exponential backoff with full jitter in its upper half: base·2^(n-1), halved at random. */
export function backoff(attempt: number, baseMs: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function listable(verbs: unknown): boolean {
  return asArray(verbs).includes('list');
}

/** Reads the types of an aggregated discovery document (apidiscovery.k8s.io/v2 APIGroupDiscoveryList). */
export function typesFromAggregated(
  doc: unknown,
  scopeErrors: ClusterScopeError[],
  scope: string,
): ApiResourceType[] {
  const out: ApiResourceType[] = [];
  for (const g of asArray(asRecord(doc)?.items)) {
    const group = str(asRecord(asRecord(g)?.metadata)?.name) ?? '';
    // Versions are listed in order of preference; the first fresh one is used.
    const versions = asArray(asRecord(g)?.versions).map(asRecord);
    const fresh = versions.find((v) => v && v.freshness !== 'Stale');
    if (!fresh) {
      if (versions.length > 0) {
        scopeErrors.push({
          code: 'cluster_unavailable',
          scope: `${scope} (group ${group || 'core'})`,
          message: `discovery of API group ${group || 'core'} is stale: its server did not answer`,
        });
      }
      continue;
    }
    const version = str(fresh.version) ?? '';
    for (const r of asArray(fresh.resources).map(asRecord)) {
      if (!r || !listable(r.verbs)) continue;
      const kind = str(asRecord(r.responseKind)?.kind);
      const resource = str(r.resource);
      if (!kind || !resource) continue;
      out.push({ group, version, resource, kind, namespaced: r.scope === 'Namespaced' });
    }
  }
  return out;
}

/** Reads the types of a legacy APIResourceList (`/api/v1`, `/apis/apps/v1`). */
export function typesFromResourceList(doc: unknown, group: string, version: string): ApiResourceType[] {
  const out: ApiResourceType[] = [];
  for (const r of asArray(asRecord(doc)?.resources).map(asRecord)) {
    const resource = str(r?.name);
    const kind = str(r?.kind);
    // Subresources (`pods/log`) are not collections.
    if (!r || !resource || !kind || resource.includes('/') || !listable(r.verbs)) continue;
    out.push({ group, version, resource, kind, namespaced: r.namespaced === true });
  }
  return out;
}

function toScopeError(e: unknown, scope: string, t?: ApiResourceType, namespace?: string): ClusterScopeError {
  const base: ClusterScopeError =
    e instanceof RequestFailed
      ? { code: e.code, scope, message: e.message, ...(e.status !== undefined ? { status: e.status } : {}) }
      : { code: 'cluster_request_failed', scope, message: e instanceof Error ? e.message : String(e) };
  if (t) base.resource = typeName(t);
  if (namespace !== undefined) base.namespace = namespace;
  return base;
}

/** Finds every listable resource type, built-in and custom (CRDs, aggregated APIs). */
export async function discoverTypes(
  http: Requester,
  errors: ClusterScopeError[],
  concurrency: number,
): Promise<ApiResourceType[]> {
  const types: ApiResourceType[] = [];
  // Aggregated discovery answers for all groups in two requests; older servers get the legacy walk.
  for (const root of ['/api', '/apis']) {
    let doc: unknown;
    try {
      doc = await http.getJson(root, AGGREGATED_ACCEPT);
    } catch (e) {
      errors.push(toScopeError(e, root));
      // A server that cannot be reached at /api cannot at /apis either: one timeout, not two.
      if (e instanceof RequestFailed && e.code === 'cluster_unreachable') break;
      continue;
    }
    if (asRecord(doc)?.kind === 'APIGroupDiscoveryList') {
      types.push(...typesFromAggregated(doc, errors, root));
      continue;
    }
    const groupVersions: { group: string; version: string }[] =
      root === '/api'
        ? asArray(asRecord(doc)?.versions)
            .filter((v): v is string => typeof v === 'string')
            .slice(0, 1)
            .map((version) => ({ group: '', version }))
        : asArray(asRecord(doc)?.groups).flatMap((g) => {
            const group = str(asRecord(g)?.name);
            const preferred = str(asRecord(asRecord(g)?.preferredVersion)?.version);
            const first = str(asRecord(asArray(asRecord(g)?.versions)[0])?.version);
            const version = preferred ?? first;
            return group && version ? [{ group, version }] : [];
          });
    const found = new Map<string, ApiResourceType[]>();
    await pool(groupVersions, concurrency, async ({ group, version }) => {
      const path = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
      try {
        found.set(path, typesFromResourceList(await http.getJson(path), group, version));
      } catch (e) {
        errors.push(toScopeError(e, path));
      }
    });
    for (const { group, version } of groupVersions) {
      types.push(...(found.get(group === '' ? `/api/${version}` : `/apis/${group}/${version}`) ?? []));
    }
  }
  return types.filter((t) => !DUPLICATE_TYPES.some((d) => d.group === t.group && d.resource === t.resource));
}

interface ListTask {
  type: ApiResourceType;
  namespace?: string;
  /** Read one object by name instead of listing (the Namespace objects of `-n`). */
  name?: string;
}

function planTasks(types: readonly ApiResourceType[], namespaces: readonly string[] | undefined): ListTask[] {
  if (namespaces === undefined) return types.map((type) => ({ type }));
  const tasks: ListTask[] = [];
  for (const type of types) {
    if (type.namespaced) for (const namespace of namespaces) tasks.push({ type, namespace });
    else if (type.group === '' && type.resource === 'namespaces') {
      for (const name of namespaces) tasks.push({ type, name });
    }
  }
  return tasks;
}

/**
 * Reads every listable object of a cluster into an inventory: discovery of all types (CRDs
 * included), paged lists (`limit`/`continue`) run with bounded concurrency, retries with
 * backoff on 429, 5xx and dropped connections. A type that is forbidden or keeps failing
 * becomes a ClusterScopeError and the rest of the read completes. Secret values are dropped as
 * each page arrives (see sanitizeObject).
 */
export async function readCluster(
  transport: ClusterTransport,
  options: ReadClusterOptions = {},
): Promise<ClusterReadResult> {
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const pageSize = Math.max(1, options.pageSize ?? 500);
  const http = requester(transport, options);
  const errors: ClusterScopeError[] = [];
  const inventory = new Inventory();
  const facts: LiveClusterFacts = {};

  const [types] = await Promise.all([
    discoverTypes(http, errors, concurrency),
    http.getJson('/version').then(
      (v) => {
        const version = str(asRecord(v)?.gitVersion);
        const platform = str(asRecord(v)?.platform);
        if (version !== undefined) facts.kubernetesVersion = version;
        if (platform !== undefined) facts.platform = platform;
      },
      (e: unknown) => {
        errors.push(toScopeError(e, '/version'));
      },
    ),
  ]);

  const tasks = planTasks(types, options.namespaces);
  const results: KubeObject[][] = tasks.map(() => []);
  let done = 0;
  let objects = 0;
  let lists = 0;
  options.onProgress?.(0, tasks.length, 0);
  await pool(
    tasks.map((task, i) => ({ task, i })),
    concurrency,
    async ({ task, i }) => {
      const apiVersion = apiVersionOf(task.type);
      const scope =
        collectionPath(task.type, task.namespace) + (task.name !== undefined ? `/${task.name}` : '');
      const out = results[i] as KubeObject[];
      try {
        if (task.name !== undefined) {
          const obj = asRecord(await http.getJson(scope));
          if (obj) out.push(sanitizeObject({ ...obj, apiVersion, kind: task.type.kind }));
        } else {
          await listAll(http, scope, pageSize, apiVersion, task.type.kind, out, () => lists++);
        }
      } catch (e) {
        out.length = 0;
        errors.push(toScopeError(e, scope, task.type, task.namespace));
      }
      done++;
      objects += out.length;
      options.onProgress?.(done, tasks.length, objects);
    },
  );

  // Added in discovery order, whatever order the lists finished in, and by namespace and name
  // within a type (etcd lists are in that order already; computed ones such as
  // componentstatuses are not): reports are deterministic.
  for (const list of results) {
    const refs = list.map((obj) => ({ object: obj, ref: refOf(obj) }));
    refs.sort(
      (a, b) =>
        compareKeys(a.ref.namespace ?? '', b.ref.namespace ?? '') || compareKeys(a.ref.name, b.ref.name),
    );
    for (const r of refs) inventory.add(r);
  }
  Object.assign(facts, factsFromInventory(inventory));
  inventory.facts = facts;
  errors.sort((a, b) => (a.scope < b.scope ? -1 : a.scope > b.scope ? 1 : 0));
  return {
    inventory,
    types,
    errors,
    stats: { requests: http.stats.requests, retries: http.stats.retries, objects: inventory.size, lists },
  };
}

async function listAll(
  http: Requester,
  path: string,
  pageSize: number,
  apiVersion: string,
  kind: string,
  out: KubeObject[],
  countPage: () => void,
): Promise<void> {
  let token: string | undefined;
  let restarted = false;
  for (;;) {
    const query = `?limit=${pageSize}${token !== undefined ? `&continue=${encodeURIComponent(token)}` : ''}`;
    let page: Record<string, unknown> | undefined;
    try {
      page = asRecord(await http.getJson(path + query));
    } catch (e) {
      // 410 Gone: the continue token outlived etcd's compaction. Start over once, consistently.
      if (e instanceof RequestFailed && e.status === 410 && token !== undefined && !restarted) {
        restarted = true;
        token = undefined;
        out.length = 0;
        continue;
      }
      throw e;
    }
    countPage();
    if (!page || !Array.isArray(page.items)) {
      throw new RequestFailed('cluster_invalid_response', 200, `${path}: the answer is not a list`);
    }
    for (const item of page.items) {
      const o = asRecord(item);
      // List items carry no apiVersion/kind; the type they were listed as is theirs.
      if (o) out.push(sanitizeObject({ ...o, apiVersion, kind }));
    }
    const next = str(asRecord(page.metadata)?.continue);
    if (next === undefined || next === '') return;
    token = next;
  }
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Cluster facts that the objects themselves tell: nodes and a visible kube-apiserver's flags. */
export function factsFromInventory(inventory: Inventory): LiveClusterFacts {
  const facts: LiveClusterFacts = {};
  const nodes: NodeFacts[] = [];
  for (const r of inventory.byKind('Node')) {
    const info = asRecord(asRecord(r.object.status)?.nodeInfo) ?? {};
    const node: NodeFacts = {
      name: r.ref.name,
      roles: Object.keys(r.object.metadata?.labels ?? {})
        .filter((l) => l.startsWith('node-role.kubernetes.io/'))
        .map((l) => l.slice('node-role.kubernetes.io/'.length))
        .sort(),
    };
    for (const k of [
      'kubeletVersion',
      'containerRuntimeVersion',
      'osImage',
      'kernelVersion',
      'architecture',
    ] as const) {
      const v = str(info[k]);
      if (v !== undefined) node[k] = v;
    }
    nodes.push(node);
  }
  if (nodes.length > 0) facts.nodes = nodes.sort((a, b) => (a.name < b.name ? -1 : 1));

  // kubeadm runs the API server as a static pod labelled component=kube-apiserver in kube-system.
  const apiServerPod = inventory
    .inNamespace('kube-system')
    .filter((r) => r.ref.kind === 'Pod' && r.object.metadata?.labels?.component === 'kube-apiserver')
    .sort((a, b) => (a.ref.name < b.ref.name ? -1 : 1))[0];
  if (apiServerPod) {
    const containers = asArray(asRecord(apiServerPod.object.spec)?.containers).map(asRecord);
    const c = containers.find((x) => str(x?.name) === 'kube-apiserver') ?? containers[0];
    const argv = [...asArray(c?.command), ...asArray(c?.args)].filter(
      (a): a is string => typeof a === 'string',
    );
    facts.apiServerFlags = argv.filter((a) => a.startsWith('--'));
    facts.apiServerFlagsSource = `Pod kube-system/${apiServerPod.ref.name}`;
  }
  return facts;
}
