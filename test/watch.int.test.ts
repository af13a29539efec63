/**
 * `palisade watch` against a real kube-apiserver: findings follow creates, changes and deletes
 * within 2 s; a watch resumed from a compacted resourceVersion (410 Gone) lists again without
 * losing or doubling findings; PolicyReports appear and shrink as findings close.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryIO } from '../src/cli/io.js';
import { runWatch, type WatchedCluster } from '../src/cli/commands/watch.js';
import { openStore, type Store } from '../src/store/index.js';
import {
  eventually,
  requireHarnessOrSkip,
  restClient,
  startCluster,
  type RestCall,
  type TestCluster,
} from './harness/index.js';
import { stopsOnSigterm } from './harness/cli-process.js';

const gate = requireHarnessOrSkip();
const CRDS = path.resolve(import.meta.dirname, '../deploy/helm/palisade/crds');

function deployment(name: string, namespace: string, privileged: boolean): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            { name: 'app', image: 'registry.example.com/app:1.2.3', securityContext: { privileged } },
          ],
        },
      },
    },
  };
}

describe.skipIf(!gate.run)('palisade watch against a real kube-apiserver', () => {
  let cluster: TestCluster;
  let rest: { call: RestCall; close: () => void };
  let tmp: string;
  let store: Store;
  let watched: WatchedCluster;
  let metricsUrl = '';
  const abort = new AbortController();
  let running: Promise<number>;
  const io = memoryIO({ cwd: process.cwd() });

  const call = async (method: string, p: string, body?: unknown): Promise<Record<string, unknown>> => {
    const r = await rest.call(method, p, body);
    if (r.status >= 300)
      throw new Error(`${method} ${p}: HTTP ${r.status} ${JSON.stringify(r.json).slice(0, 300)}`);
    return r.json;
  };
  /** Open findings of one control on Deployments in the watch's current scan, by object name. */
  const open = async (control: string): Promise<string[]> => {
    const [latest] = await store.listScans({ limit: 1 });
    if (!latest) return [];
    return (await store.scanFindings(latest.id))
      .filter((f) => f.controlId === control && f.kind === 'Deployment' && f.resolvedAt === undefined)
      .map((f) => `${f.namespace}/${f.name}`)
      .sort();
  };
  const report = async (ns: string): Promise<{ fail: number; names: string[] } | undefined> => {
    const r = await rest.call('GET', `/apis/wgpolicyk8s.io/v1alpha2/namespaces/${ns}/policyreports/palisade`);
    if (r.status === 404) return undefined;
    const results = (r.json.results ?? []) as { policy: string; resources: { name: string }[] }[];
    return {
      fail: (r.json.summary as { fail: number }).fail,
      names: results
        .filter((x) => x.policy === 'workload/no-privileged')
        .map((x) => x.resources[0]?.name ?? '')
        .sort(),
    };
  };

  beforeAll(async () => {
    // No watch cache and compaction every second: a watch resumed from an old version gets 410.
    cluster = await startCluster({ extraFlags: ['--watch-cache=false', '--etcd-compaction-interval=1s'] });
    rest = restClient(cluster, cluster.admin);
    tmp = mkdtempSync(path.join(os.tmpdir(), 'palisade-watch-'));
    for (const file of ['wgpolicyk8s.io_policyreports.yaml', 'wgpolicyk8s.io_clusterpolicyreports.yaml'])
      await call(
        'POST',
        '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
        parse(readFileSync(path.join(CRDS, file), 'utf8')),
      );
    await eventually(async () => call('GET', '/apis/wgpolicyk8s.io/v1alpha2/policyreports'));
    await call('POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'shop' },
    });
    await call('POST', '/apis/apps/v1/namespaces/shop/deployments', deployment('web', 'shop', true));
    await call('POST', '/apis/apps/v1/namespaces/shop/deployments', deployment('api', 'shop', false));

    const db = path.join(tmp, 'watch.db');
    let ready!: () => void;
    const started = new Promise<void>((resolve) => {
      ready = resolve;
    });
    running = runWatch(
      {
        context: [],
        kubeconfig: cluster.admin.kubeconfig,
        db,
        policyReport: true,
        metricsListen: '127.0.0.1:0',
        debounce: '100ms',
        quiet: true,
      },
      io,
      {
        signal: abort.signal,
        onReady(info) {
          watched = info.clusters[0] as WatchedCluster;
          metricsUrl = info.metricsUrl ?? '';
          ready();
        },
      },
    );
    await Promise.race([started, running.then(() => Promise.reject(new Error(`watch ended: ${io.err()}`)))]);
    store = await openStore({ kind: 'sqlite', file: db });
  }, 120_000);

  afterAll(async () => {
    abort.abort();
    await running?.catch(() => undefined);
    await store?.close();
    rest?.close();
    await cluster?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }, 60_000);

  it('records the first full read as a scan of source watch', async () => {
    const [scan] = await store.listScans();
    expect(scan).toMatchObject({ source: 'watch' });
    expect(scan?.resources).toBeGreaterThan(0);
    expect(await open('workload/no-privileged')).toEqual(['shop/web']);
    expect(await report('shop')).toMatchObject({ names: ['web'] });
  });

  it('follows creates, changes and deletes within 2 s', async () => {
    await call('POST', '/apis/apps/v1/namespaces/shop/deployments', deployment('db', 'shop', true));
    await eventually(
      async () => {
        expect(await open('workload/no-privileged')).toEqual(['shop/db', 'shop/web']);
      },
      2000,
      50,
    );
    await call('PUT', '/apis/apps/v1/namespaces/shop/deployments/web', deployment('web', 'shop', false));
    await eventually(
      async () => {
        expect(await open('workload/no-privileged')).toEqual(['shop/db']);
      },
      2000,
      50,
    );
    await call('DELETE', '/apis/apps/v1/namespaces/shop/deployments/db');
    await eventually(
      async () => {
        expect(await open('workload/no-privileged')).toEqual([]);
      },
      2000,
      50,
    );
    // The scan's counts follow its links.
    const [scan] = await store.listScans({ limit: 1 });
    expect(scan?.findings).toBe(
      (await store.scanFindings(scan?.id ?? 0)).filter((f) => !f.suppressed).length,
    );
  });

  it('PolicyReports shrink as findings close', async () => {
    await call('POST', '/apis/apps/v1/namespaces/shop/deployments', deployment('cache', 'shop', true));
    const grown = await eventually(
      async () => {
        const r = await report('shop');
        expect(r?.names).toEqual(['cache']);
        return r;
      },
      5000,
      50,
    );
    await call('DELETE', '/apis/apps/v1/namespaces/shop/deployments/cache');
    await eventually(
      async () => {
        const r = await report('shop');
        expect(r?.names).toEqual([]);
        expect(r?.fail).toBeLessThan(grown?.fail ?? 0);
      },
      5000,
      50,
    );
  });

  it('relists after 410 Gone without losing or doubling findings', async () => {
    const relistsBefore = watched.watch.relists;
    const list = await call('GET', '/apis/apps/v1/namespaces/shop/deployments');
    const rv = (list.metadata as { resourceVersion: string }).resourceVersion;
    await watched.watch.suspend();
    // Missed while the watch is down: one object appears, one changes, one goes.
    await call('POST', '/apis/apps/v1/namespaces/shop/deployments', deployment('ghost', 'shop', true));
    await call('PUT', '/apis/apps/v1/namespaces/shop/deployments/api', deployment('api', 'shop', true));
    await call('DELETE', '/apis/apps/v1/namespaces/shop/deployments/web');
    // Until etcd has compacted past the version the watch will resume from.
    await eventually(
      async () => {
        const r = await rest.call(
          'GET',
          `/apis/apps/v1/namespaces/shop/deployments?watch=1&resourceVersion=${rv}&timeoutSeconds=1`,
        );
        const text = JSON.stringify(r.json);
        if (r.status !== 410 && !text.includes('410')) throw new Error('not compacted yet');
      },
      30_000,
      500,
    );
    await watched.watch.resume();
    await eventually(
      async () => {
        expect(watched.watch.relists).toBeGreaterThan(relistsBefore);
        expect(await open('workload/no-privileged')).toEqual(['shop/api', 'shop/ghost']);
      },
      10_000,
      100,
    );
    const names = watched.posture
      .findings()
      .filter((f) => f.controlId === 'workload/no-privileged')
      .map((f) => f.resource.name)
      .sort();
    expect(names).toEqual(['api', 'ghost']);
    const metrics = await (await fetch(metricsUrl)).text();
    expect(metrics).toMatch(/palisade_watch_relists_total\{cluster="[^"]+"\} [1-9]/);
    expect(metrics).toMatch(/palisade_score\{cluster="[^"]+",framework="[^"]+",namespace="shop"\} \d/);
    expect(metrics).toMatch(/palisade_open_findings\{cluster="[^"]+",severity="high"\} [1-9]/);
  });

  it('stops on SIGTERM as a process, exit 0 within the stop bound', async () => {
    const r = await stopsOnSigterm(
      [
        'watch',
        '--kubeconfig',
        cluster.admin.kubeconfig,
        '--db',
        path.join(tmp, 'process.db'),
        '--metrics-listen',
        '127.0.0.1:0',
      ],
      { on: 'stderr', text: 'palisade: metrics on' },
      { HOME: tmp },
    );
    expect(r.stderr).not.toMatch(/exiting|internal error/);
    expect(r.exit, r.stderr).toBe(0);
  }, 90_000);
});
