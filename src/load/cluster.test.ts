import { describe, expect, it } from 'vitest';
import type { ClusterTransport, HttpReply } from './cluster-http.js';
import {
  backoff,
  collectionPath,
  readCluster,
  sanitizeObject,
  typesFromAggregated,
  typesFromResourceList,
  type ApiResourceType,
} from './cluster.js';

interface FakeType extends ApiResourceType {
  objects: Record<string, unknown>[];
}

/**
 * An in-memory API server speaking just enough of the protocol: aggregated or legacy
 * discovery, /version, paged lists with continue tokens, and scripted failures per path.
 */
class FakeApiServer implements ClusterTransport {
  readonly requests: string[] = [];
  /** Answers to give, in order, before the normal answer for a path (prefix match on the path without query). */
  readonly script = new Map<string, (HttpReply | Error)[]>();
  /** Paths always answered with this reply. */
  readonly fixed = new Map<string, HttpReply>();
  constructor(
    readonly types: FakeType[],
    readonly mode: 'aggregated' | 'legacy' = 'aggregated',
  ) {}

  get(pathAndQuery: string, accept = 'application/json'): Promise<HttpReply> {
    this.requests.push(pathAndQuery);
    const [path = '', query = ''] = pathAndQuery.split('?');
    const scripted = this.script.get(path)?.shift();
    if (scripted instanceof Error) return Promise.reject(scripted);
    if (scripted) return Promise.resolve(scripted);
    const fixed = this.fixed.get(path);
    if (fixed) return Promise.resolve(fixed);
    return Promise.resolve(this.answer(path, new URLSearchParams(query), accept));
  }

  private json(status: number, body: unknown): HttpReply {
    return { status, body: JSON.stringify(body) };
  }

  private groups(): Map<string, FakeType[]> {
    const m = new Map<string, FakeType[]>();
    for (const t of this.types) m.set(t.group, [...(m.get(t.group) ?? []), t]);
    return m;
  }

  private answer(path: string, query: URLSearchParams, accept: string): HttpReply {
    if (path === '/version') return this.json(200, { gitVersion: 'v1.37.2', platform: 'linux/amd64' });
    if (
      (path === '/api' || path === '/apis') &&
      this.mode === 'aggregated' &&
      accept.includes('apidiscovery')
    ) {
      const items = [...this.groups()]
        .filter(([g]) => (path === '/api') === (g === ''))
        .map(([g, ts]) => ({
          metadata: { name: g },
          versions: [
            {
              version: ts[0]?.version,
              resources: ts.map((t) => ({
                resource: t.resource,
                responseKind: { group: g, version: t.version, kind: t.kind },
                scope: t.namespaced ? 'Namespaced' : 'Cluster',
                verbs: ['get', 'list', 'watch'],
              })),
            },
          ],
        }));
      return this.json(200, { kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', items });
    }
    if (path === '/api') return this.json(200, { kind: 'APIVersions', versions: ['v1'] });
    if (path === '/apis') {
      return this.json(200, {
        kind: 'APIGroupList',
        groups: [...this.groups().keys()]
          .filter((g) => g !== '')
          .map((g) => {
            const version = this.groups().get(g)?.[0]?.version ?? 'v1';
            return { name: g, versions: [{ version }], preferredVersion: { version } };
          }),
      });
    }
    const groupDoc = /^\/(?:api\/([^/]+)|apis\/([^/]+)\/([^/]+))$/.exec(path);
    if (groupDoc) {
      const group = groupDoc[2] ?? '';
      const ts = this.groups().get(group) ?? [];
      return this.json(200, {
        kind: 'APIResourceList',
        resources: [
          ...ts.map((t) => ({
            name: t.resource,
            kind: t.kind,
            namespaced: t.namespaced,
            verbs: ['list', 'get'],
          })),
          { name: `${ts[0]?.resource}/status`, kind: ts[0]?.kind, namespaced: true, verbs: ['get', 'list'] },
          { name: 'tokenreviews', kind: 'TokenReview', namespaced: false, verbs: ['create'] },
        ],
      });
    }
    for (const t of this.types) {
      const all = collectionPath(t);
      const inNs = t.namespaced ? /\/namespaces\/([^/]+)\//.exec(path)?.[1] : undefined;
      if (path !== all && (inNs === undefined || path !== collectionPath(t, inNs))) {
        if (t.resource === 'namespaces' && path.startsWith(`${all}/`)) {
          const name = path.slice(all.length + 1);
          const o = t.objects.find((x) => (x.metadata as { name: string }).name === name);
          return o
            ? this.json(200, { apiVersion: 'v1', kind: 'Namespace', ...o })
            : this.json(404, { message: 'not found' });
        }
        continue;
      }
      const objects = t.objects.filter(
        (o) => inNs === undefined || (o.metadata as { namespace?: string }).namespace === inNs,
      );
      const limit = Number(query.get('limit') ?? objects.length);
      const start = Number(query.get('continue') ?? 0);
      const items = objects.slice(start, start + limit);
      const more = start + limit < objects.length;
      return this.json(200, {
        kind: `${t.kind}List`,
        metadata: { resourceVersion: '7', ...(more ? { continue: String(start + limit) } : {}) },
        items,
      });
    }
    return this.json(404, {
      kind: 'Status',
      message: `the server could not find the requested resource (${path})`,
    });
  }
}

const noSleep =
  (delays: number[] = []) =>
  (ms: number) => {
    delays.push(ms);
    return Promise.resolve();
  };

function pods(n: number, namespace = 'shop'): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({
    metadata: { name: `p${i}`, namespace, managedFields: [{ manager: 'kubectl' }] },
    spec: { containers: [{ name: 'c', image: 'nginx' }] },
  }));
}

function fakeCluster(mode: 'aggregated' | 'legacy' = 'aggregated'): FakeApiServer {
  return new FakeApiServer(
    [
      {
        group: '',
        version: 'v1',
        resource: 'pods',
        kind: 'Pod',
        namespaced: true,
        objects: [...pods(7), ...pods(2, 'pay')],
      },
      {
        group: '',
        version: 'v1',
        resource: 'namespaces',
        kind: 'Namespace',
        namespaced: false,
        objects: [{ metadata: { name: 'shop' } }, { metadata: { name: 'pay' } }],
      },
      {
        group: '',
        version: 'v1',
        resource: 'secrets',
        kind: 'Secret',
        namespaced: true,
        objects: [
          {
            metadata: {
              name: 'db',
              namespace: 'shop',
              annotations: {
                'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"password":"aHVudGVyMg=="}}',
              },
            },
            data: { password: 'aHVudGVyMg==', user: 'YWRtaW4=' },
          },
        ],
      },
      {
        group: 'apps',
        version: 'v1',
        resource: 'deployments',
        kind: 'Deployment',
        namespaced: true,
        objects: [{ metadata: { name: 'web', namespace: 'shop' } }],
      },
      {
        group: 'events.k8s.io',
        version: 'v1',
        resource: 'events',
        kind: 'Event',
        namespaced: true,
        objects: [],
      },
      {
        group: 'shop.example.com',
        version: 'v1beta1',
        resource: 'carts',
        kind: 'Cart',
        namespaced: true,
        objects: [{ metadata: { name: 'c1', namespace: 'pay' } }],
      },
      {
        group: 'rbac.authorization.k8s.io',
        version: 'v1',
        resource: 'clusterroles',
        kind: 'ClusterRole',
        namespaced: false,
        objects: [{ metadata: { name: 'view' } }],
      },
    ],
    mode,
  );
}

describe('readCluster', () => {
  it.each(['aggregated', 'legacy'] as const)(
    'discovers every listable type, CRDs included, with %s discovery',
    async (mode) => {
      const server = fakeCluster(mode);
      const result = await readCluster(server, { sleep: noSleep() });
      expect(result.types.map((t) => `${t.resource}.${t.group || 'core'}`).sort()).toEqual([
        'carts.shop.example.com',
        'clusterroles.rbac.authorization.k8s.io',
        'deployments.apps',
        'namespaces.core',
        'pods.core',
        'secrets.core',
      ]);
      expect(result.errors).toEqual([]);
      expect(result.inventory.size).toBe(9 + 2 + 1 + 1 + 1 + 1);
      expect(result.inventory.get('Cart', 'pay', 'c1')?.object.apiVersion).toBe('shop.example.com/v1beta1');
      expect(result.inventory.facts.kubernetesVersion).toBe('v1.37.2');
    },
  );

  it.each([
    [1, 9],
    [3, 3],
    [500, 1],
  ])('pages lists with limit=%i (%i requests for the pods)', async (pageSize, requests) => {
    const server = fakeCluster();
    const result = await readCluster(server, { pageSize, sleep: noSleep() });
    expect(result.inventory.byKind('Pod')).toHaveLength(9);
    expect(server.requests.filter((r) => r.startsWith('/api/v1/pods?'))).toHaveLength(requests);
    expect(server.requests.filter((r) => r.startsWith('/api/v1/pods?'))[0]).toBe(
      `/api/v1/pods?limit=${pageSize}`,
    );
  });

  it('sets apiVersion and kind on list items and drops managedFields', async () => {
    const result = await readCluster(fakeCluster(), { sleep: noSleep() });
    const pod = result.inventory.get('Pod', 'shop', 'p0');
    expect(pod?.object.apiVersion).toBe('v1');
    expect(pod?.object.kind).toBe('Pod');
    expect(pod?.object.metadata).not.toHaveProperty('managedFields');
  });

  it('never keeps Secret values, only their keys', async () => {
    const result = await readCluster(fakeCluster(), { sleep: noSleep() });
    const secret = result.inventory.get('Secret', 'shop', 'db')?.object;
    expect(secret?.data).toEqual({ password: '', user: '' });
    expect(JSON.stringify(result.inventory.resources)).not.toContain('aHVudGVyMg==');
  });

  it('turns a forbidden type into a per-scope error and reads the rest', async () => {
    const server = fakeCluster();
    server.fixed.set('/api/v1/secrets', {
      status: 403,
      body: JSON.stringify({
        kind: 'Status',
        message: 'secrets is forbidden: User "limited" cannot list resource "secrets"',
        code: 403,
      }),
    });
    const result = await readCluster(server, { sleep: noSleep() });
    expect(result.errors).toEqual([
      {
        code: 'cluster_forbidden',
        scope: '/api/v1/secrets',
        resource: 'secrets',
        status: 403,
        message: 'secrets is forbidden: User "limited" cannot list resource "secrets"',
      },
    ]);
    expect(result.inventory.byKind('Secret')).toHaveLength(0);
    expect(result.inventory.byKind('Pod')).toHaveLength(9);
  });

  it.each([
    ['429 with Retry-After', { status: 429, body: '{}', retryAfterSeconds: 2 }, 2000],
    ['503', { status: 503, body: 'unavailable' }, undefined],
    ['a reset connection', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), undefined],
  ])('retries after %s', async (_name, failure, expectedDelay) => {
    const server = fakeCluster();
    server.script.set('/apis/apps/v1/deployments', [failure, failure]);
    const delays: number[] = [];
    const result = await readCluster(server, { sleep: noSleep(delays), retryBaseMs: 100 });
    expect(result.errors).toEqual([]);
    expect(result.inventory.byKind('Deployment')).toHaveLength(1);
    expect(result.stats.retries).toBe(2);
    if (expectedDelay !== undefined) expect(delays).toEqual([expectedDelay, expectedDelay]);
    else {
      expect(delays[0]).toBeGreaterThanOrEqual(50);
      expect(delays[0]).toBeLessThanOrEqual(100);
      expect(delays[1]).toBeGreaterThanOrEqual(100);
      expect(delays[1]).toBeLessThanOrEqual(200);
    }
  });

  it('gives up after maxAttempts and reports the type as unavailable', async () => {
    const server = fakeCluster();
    server.fixed.set('/apis/apps/v1/deployments', { status: 503, body: '{"message":"etcd leader changed"}' });
    const result = await readCluster(server, { sleep: noSleep(), maxAttempts: 3 });
    expect(result.errors.map((e) => [e.code, e.scope, e.message])).toEqual([
      ['cluster_unavailable', '/apis/apps/v1/deployments', 'etcd leader changed'],
    ]);
    expect(server.requests.filter((r) => r.startsWith('/apis/apps/v1/deployments'))).toHaveLength(3);
  });

  it('starts a list over once when its continue token expired (410)', async () => {
    const server = fakeCluster();
    // First page fine, second page 410, then the fresh list succeeds.
    server.script.set('/api/v1/pods', []);
    const original = server.get.bind(server);
    let pages = 0;
    server.get = (p, a) => {
      if (p.startsWith('/api/v1/pods?') && p.includes('continue=') && pages++ === 0) {
        server.requests.push(p);
        return Promise.resolve({ status: 410, body: '{"message":"continue token expired"}' });
      }
      return original(p, a);
    };
    const result = await readCluster(server, { sleep: noSleep(), pageSize: 4 });
    expect(result.errors).toEqual([]);
    expect(result.inventory.byKind('Pod').map((r) => r.ref.name)).toHaveLength(9);
  });

  it('reads only the given namespaces, and their Namespace objects', async () => {
    const server = fakeCluster();
    const result = await readCluster(server, { namespaces: ['pay'], sleep: noSleep() });
    expect(
      result.inventory.resources.map((r) => `${r.ref.kind} ${r.ref.namespace ?? ''}/${r.ref.name}`).sort(),
    ).toEqual(['Cart pay/c1', 'Namespace /pay', 'Pod pay/p0', 'Pod pay/p1']);
    expect(server.requests).toContain('/api/v1/namespaces/pay/pods?limit=500');
    expect(server.requests.some((r) => r.startsWith('/apis/rbac.authorization.k8s.io/v1/clusterroles'))).toBe(
      false,
    );
  });

  it('keeps at most `concurrency` lists in flight', async () => {
    const server = fakeCluster();
    let inFlight = 0;
    let peak = 0;
    const transport: ClusterTransport = {
      async get(p, a) {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setImmediate(r));
        inFlight--;
        return server.get(p, a);
      },
    };
    await readCluster(transport, { concurrency: 2, sleep: noSleep() });
    expect(peak).toBeLessThanOrEqual(2);
    expect(peak).toBe(2);
  });

  it('reports progress per finished list', async () => {
    const calls: [number, number][] = [];
    await readCluster(fakeCluster(), { sleep: noSleep(), onProgress: (d, t) => calls.push([d, t]) });
    expect(calls[0]).toEqual([0, 6]);
    expect(calls.at(-1)).toEqual([6, 6]);
  });

  it('reads node facts and the flags of a kube-apiserver static pod', async () => {
    const server = fakeCluster();
    server.types.push({
      group: '',
      version: 'v1',
      resource: 'nodes',
      kind: 'Node',
      namespaced: false,
      objects: [
        {
          metadata: { name: 'cp1', labels: { 'node-role.kubernetes.io/control-plane': '' } },
          status: { nodeInfo: { kubeletVersion: 'v1.37.2', osImage: 'Debian', architecture: 'amd64' } },
        },
      ],
    });
    server.types[0]?.objects.push({
      metadata: {
        name: 'kube-apiserver-cp1',
        namespace: 'kube-system',
        labels: { component: 'kube-apiserver' },
      },
      spec: {
        containers: [
          {
            name: 'kube-apiserver',
            command: ['kube-apiserver', '--anonymous-auth=false', '--profiling=false'],
          },
        ],
      },
    });
    const { inventory } = await readCluster(server, { sleep: noSleep() });
    expect(inventory.facts).toMatchObject({
      nodes: [
        {
          name: 'cp1',
          kubeletVersion: 'v1.37.2',
          osImage: 'Debian',
          architecture: 'amd64',
          roles: ['control-plane'],
        },
      ],
      apiServerFlags: ['--anonymous-auth=false', '--profiling=false'],
      apiServerFlagsSource: 'Pod kube-system/kube-apiserver-cp1',
    });
  });
});

describe('discovery documents', () => {
  it('skips stale groups in aggregated discovery with a scope error', () => {
    const errors: { code: string; scope: string }[] = [];
    const types = typesFromAggregated(
      {
        items: [
          {
            metadata: { name: 'metrics.k8s.io' },
            versions: [{ version: 'v1beta1', freshness: 'Stale', resources: [] }],
          },
          {
            metadata: { name: 'apps' },
            versions: [
              {
                version: 'v1',
                resources: [
                  {
                    resource: 'deployments',
                    responseKind: { kind: 'Deployment' },
                    scope: 'Namespaced',
                    verbs: ['list'],
                  },
                ],
              },
            ],
          },
        ],
      },
      errors as never,
      '/apis',
    );
    expect(types).toEqual([
      { group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment', namespaced: true },
    ]);
    expect(errors.map((e) => e.code)).toEqual(['cluster_unavailable']);
  });

  it.each([
    ['pods', ['list'], true],
    ['pods/log', ['get', 'list'], false],
    ['bindings', ['create'], false],
  ])('legacy resource %s with verbs %j is listable: %s', (name, verbs, expected) => {
    expect(typesFromResourceList({ resources: [{ name, kind: 'X', verbs }] }, '', 'v1').length === 1).toBe(
      expected,
    );
  });
});

describe('sanitizeObject', () => {
  it.each([
    ['data', { data: { a: 'c2VjcmV0' } }, { data: { a: '' } }],
    ['stringData', { stringData: { a: 'secret' } }, { stringData: { a: '' } }],
  ])('blanks Secret %s values', (_f, fields, expected) => {
    const o = sanitizeObject({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      ...fields,
    });
    expect(o).toMatchObject(expected);
  });

  it('leaves ConfigMap values alone', () => {
    const o = sanitizeObject({ apiVersion: 'v1', kind: 'ConfigMap', data: { a: 'b' } });
    expect(o.data).toEqual({ a: 'b' });
  });
});

describe('backoff', () => {
  it.each([
    [1, 100, 50, 100],
    [3, 100, 200, 400],
    [10, 100, 2500, 5000],
  ])('attempt %i with base %i is within [%i, %i]', (attempt, base, lo, hi) => {
    const d = backoff(attempt, base, 5000);
    expect(d).toBeGreaterThanOrEqual(lo);
    expect(d).toBeLessThanOrEqual(hi);
  });
});

describe('readCluster ordering', () => {
  it('orders objects of a type by namespace and name whatever order the server used', async () => {
    const server = fakeCluster();
    server.types[0]?.objects.reverse();
    const { inventory } = await readCluster(server, { sleep: noSleep() });
    expect(inventory.byKind('Pod').map((r) => `${r.ref.namespace}/${r.ref.name}`)).toEqual([
      'pay/p0',
      'pay/p1',
      ...Array.from({ length: 7 }, (_, i) => `shop/p${i}`),
    ]);
  });
});
