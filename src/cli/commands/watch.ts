/**
 * `palisade watch`: keeps one or several clusters' posture current (list+watch), records it in
 * the history store, and optionally writes PolicyReports and serves Prometheus metrics.
 *
 * Per cluster: the informers' first lists give a full evaluation, recorded as a new scan
 * (source `watch`). Changes are collected per object (the last change of an object wins, so
 * the queue is bounded by the cluster's size), debounced, and applied to the posture; the
 * findings they open, change or close update that scan in place (`Store.updateScan`). Every
 * `--interval` the whole posture is evaluated again from the informers' caches and recorded
 * as a new scan: a safety net, and the history's points in time.
 */
import http from 'node:http';
import { Counter, Gauge, Registry } from 'prom-client';
import { InputError, UsageError, type Finding } from '../../core/index.js';
import { parseRequestTimeout } from '../../load/index.js';
import { selectFrameworks, type ControlSet } from '../../frameworks/index.js';
import { findingNamespace, type Store } from '../../store/index.js';
import {
  buildPolicyReports,
  ClusterWatch,
  objectKey,
  Posture,
  REPORT_LABEL,
  reportPath,
  type ObjectChange,
  type PostureDelta,
} from '../../watch/index.js';
import { refOf } from '../../core/index.js';
import type { CliIO } from '../io.js';
import { listenForStop } from '../stop.js';
import { palisadeVersion } from '../version.js';
import { openCliStore, rbacGrantRows, reachabilityRows } from './record.js';
import { requestTimeoutMs } from './cluster-source.js';

/** Options of `palisade watch`, as parsed from the command line. */
export interface WatchOptions {
  context: string[];
  kubeconfig?: string;
  /** Full rescan period (`10m`). */
  interval?: string;
  /** Quiet time after a change before it is evaluated (`250ms`). */
  debounce?: string;
  db?: string;
  retainScans?: number;
  retainDays?: number;
  policyReport?: boolean;
  metricsListen?: string;
  framework?: string[];
  requestTimeout?: string;
  quiet?: boolean;
}

/** What tests and embedders can hook into. */
export interface WatchDeps {
  /** Stops the watch (instead of SIGTERM/SIGINT). */
  signal?: AbortSignal;
  /** Called once every cluster is watched and recorded. */
  onReady?(info: { metricsUrl?: string; clusters: WatchedCluster[] }): void;
  /** Called after each batch of changes or rescan is recorded. */
  onUpdate?(info: { cluster: string; scanId: number; delta: PostureDelta; rescan: boolean }): void;
}

/** One watched cluster, as tests see it. */
export interface WatchedCluster {
  name: string;
  watch: ClusterWatch;
  posture: Posture;
}

/** Changes are applied at the latest this long after the first of a burst. */
const MAX_DEBOUNCE_MS = 2000;
/** Namespaces given a score series in the metrics (label count stays bounded). */
const MAX_METRIC_NAMESPACES = 500;

function duration(flag: string, value: string, min: number): number {
  const ms = parseRequestTimeout(value);
  if (ms === undefined || ms < min)
    throw new UsageError(
      `${flag} must be a duration such as 250ms, 30s or 10m, at least ${min} ms (got "${value}")`,
    );
  return ms;
}

function splitListen(value: string): { host: string; port: number } {
  const i = value.lastIndexOf(':');
  const host = i < 0 ? '127.0.0.1' : value.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(i < 0 ? value : value.slice(i + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--metrics-listen must be HOST:PORT with a port 0-65535 (got "${value}")`);
  return { host: host === '' ? '0.0.0.0' : host, port };
}

interface Metrics {
  registry: Registry;
  relists: Counter;
  updates: Counter;
  lag: Gauge;
}

function buildMetrics(clusters: () => readonly ClusterRunner[], sets: readonly ControlSet[]): Metrics {
  const registry = new Registry();
  new Gauge({
    name: 'palisade_score',
    help: 'Framework score (0-100) of the cluster, and of each namespace (namespace="" is the whole cluster)',
    labelNames: ['cluster', 'framework', 'namespace'],
    registers: [registry],
    collect() {
      this.reset();
      for (const c of clusters()) {
        for (const s of c.posture.scores(sets))
          this.set({ cluster: c.label, framework: s.framework, namespace: '' }, s.score);
        for (const n of c.posture.namespaceScores(sets, MAX_METRIC_NAMESPACES))
          for (const s of n.scores)
            this.set({ cluster: c.label, framework: s.framework, namespace: n.namespace }, s.score);
      }
    },
  });
  new Gauge({
    name: 'palisade_open_findings',
    help: 'Open findings by severity',
    labelNames: ['cluster', 'severity'],
    registers: [registry],
    collect() {
      this.reset();
      for (const c of clusters())
        for (const [severity, n] of Object.entries(c.posture.bySeverity()))
          this.set({ cluster: c.label, severity }, n);
    },
  });
  new Gauge({
    name: 'palisade_watch_objects',
    help: 'Objects held by the watch',
    labelNames: ['cluster'],
    registers: [registry],
    collect() {
      this.reset();
      for (const c of clusters()) this.set({ cluster: c.label }, c.posture.size);
    },
  });
  return {
    registry,
    relists: new Counter({
      name: 'palisade_watch_relists_total',
      help: 'Lists of a resource type after its first (410 Gone or a failed resume)',
      labelNames: ['cluster'],
      registers: [registry],
    }),
    updates: new Counter({
      name: 'palisade_watch_updates_total',
      help: 'Batches of changes evaluated and recorded',
      labelNames: ['cluster'],
      registers: [registry],
    }),
    lag: new Gauge({
      name: 'palisade_watch_lag_seconds',
      help: 'Seconds from the first change of the last batch to its findings being recorded',
      labelNames: ['cluster'],
      registers: [registry],
    }),
  };
}

/** Writes and prunes the PolicyReports of one cluster (server-side apply, field manager palisade). */
class ReportWriter {
  private readonly written = new Set<string>();
  private lastError = '';

  constructor(
    private readonly watch: ClusterWatch,
    private readonly io: CliIO,
    private readonly quiet: boolean,
  ) {}

  /** Finds the reports a previous run left, so that they are pruned when nothing is open there. */
  async adopt(): Promise<void> {
    const selector = `?labelSelector=${encodeURIComponent(`${REPORT_LABEL}=palisade`)}`;
    for (const path of [
      '/apis/wgpolicyk8s.io/v1alpha2/policyreports',
      '/apis/wgpolicyk8s.io/v1alpha2/clusterpolicyreports',
    ]) {
      const reply = await this.watch.request('GET', path + selector).catch(() => undefined);
      const items = (reply?.body as { items?: { metadata?: { namespace?: string } }[] } | undefined)?.items;
      if (reply?.status !== 200 || !Array.isArray(items)) {
        this.warn(
          `cannot list PolicyReports (HTTP ${reply?.status ?? 0}); are the wgpolicyk8s.io CRDs installed?`,
        );
        continue;
      }
      for (const i of items) this.written.add(i.metadata?.namespace ?? '');
    }
  }

  /** Writes the reports of the given namespaces (all when undefined) from the open findings. */
  async sync(
    findings: readonly Finding[],
    namespaces: ReadonlySet<string> | undefined,
    time: number,
  ): Promise<void> {
    const relevant = namespaces
      ? findings.filter((f) => namespaces.has(findingNamespace(f.resource)))
      : findings;
    const reports = buildPolicyReports(relevant, { time });
    const targets = new Set<string>([...reports.keys()]);
    for (const ns of this.written) if (!namespaces || namespaces.has(ns)) targets.add(ns);
    for (const ns of targets) {
      const report = reports.get(ns);
      const path = reportPath(ns);
      try {
        if (report) {
          const reply = await this.watch.request('PATCH', `${path}?fieldManager=palisade&force=true`, report);
          if (reply.status >= 300) throw new Error(`HTTP ${reply.status}: ${statusMessage(reply.body)}`);
          this.written.add(ns);
        } else {
          const reply = await this.watch.request('DELETE', path);
          if (reply.status >= 300 && reply.status !== 404)
            throw new Error(`HTTP ${reply.status}: ${statusMessage(reply.body)}`);
          this.written.delete(ns);
        }
      } catch (e) {
        this.warn(
          `cannot write the PolicyReport of ${ns === '' ? 'the cluster' : `namespace ${ns}`}: ${e instanceof Error ? e.message : String(e)}`,
        );
      }
    }
  }

  private warn(message: string): void {
    // The same failure on every batch is said once.
    if (this.quiet || message === this.lastError) return;
    this.lastError = message;
    this.io.stderr.write(`palisade: warning: ${message}\n`);
  }
}

function statusMessage(body: unknown): string {
  const m = (body as { message?: unknown } | undefined)?.message;
  return typeof m === 'string' ? m : 'no message';
}

/** One cluster's watch, posture, store scan and reports, with changes applied in order. */
class ClusterRunner {
  private pending = new Map<string, ObjectChange>();
  private firstPendingAt = 0;
  private quietTimer: NodeJS.Timeout | undefined;
  private maxTimer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private scanId = 0;
  private ready = false;
  readonly posture: Posture;
  watch!: ClusterWatch;
  private reports: ReportWriter | undefined;

  constructor(
    readonly name: string,
    private readonly ctx: {
      options: WatchOptions;
      io: CliIO;
      store: Store;
      sets: readonly ControlSet[];
      controls: ConstructorParameters<typeof Posture>[0]['controls'];
      debounceMs: number;
      metrics: Metrics;
      deps: WatchDeps;
      fail(e: unknown): void;
    },
  ) {
    this.posture = new Posture({ controls: ctx.controls });
  }

  async open(): Promise<void> {
    const o = this.ctx.options;
    const quiet = o.quiet === true;
    const timeoutMs = requestTimeoutMs(o.requestTimeout);
    this.watch = await ClusterWatch.open({
      ...(o.kubeconfig !== undefined ? { kubeconfig: o.kubeconfig } : {}),
      ...(this.name !== '' ? { context: this.name } : {}),
      ...(timeoutMs !== undefined ? { requestTimeoutMs: timeoutMs } : {}),
      onChange: (c) => {
        this.onChange(c);
      },
      onRelist: () => {
        this.ctx.metrics.relists.inc({ cluster: this.label });
      },
      onError: (m) => {
        if (!quiet) this.ctx.io.stderr.write(`palisade: ${this.label}: ${m}\n`);
      },
    });
    if (o.policyReport) {
      this.reports = new ReportWriter(this.watch, this.ctx.io, quiet);
      await this.reports.adopt();
    }
    await this.rescan();
    this.ready = true;
  }

  /** The cluster's name in the store and the metrics: the context. */
  get label(): string {
    // Errors can be reported while ClusterWatch.open is still listing, before `watch` is set.
    const watch = this.watch as ClusterWatch | undefined;
    return watch?.context ?? (this.name !== '' ? this.name : 'current context');
  }

  private onChange(change: ObjectChange): void {
    if (!this.ready) return; // the first evaluation reads the informers' caches
    if (this.pending.size === 0) this.firstPendingAt = Date.now();
    this.pending.set(objectKey(refOf(change.object)), change);
    clearTimeout(this.quietTimer);
    this.quietTimer = setTimeout(() => {
      this.flush();
    }, this.ctx.debounceMs);
    this.maxTimer ??= setTimeout(() => {
      this.flush();
    }, MAX_DEBOUNCE_MS);
  }

  private flush(): void {
    clearTimeout(this.quietTimer);
    clearTimeout(this.maxTimer);
    this.quietTimer = this.maxTimer = undefined;
    if (this.pending.size === 0) return;
    const changes = [...this.pending.values()];
    const since = this.firstPendingAt;
    this.pending = new Map();
    this.enqueue(() => this.update(changes, since));
  }

  private enqueue(step: () => Promise<void>): void {
    this.chain = this.chain.then(step).catch((e: unknown) => {
      this.ctx.fail(e);
    });
  }

  /** Runs a full rescan after the queued work (the interval). */
  scheduleRescan(): void {
    this.enqueue(() => this.rescan());
  }

  /** Waits for queued work. */
  async drain(): Promise<void> {
    this.flush();
    await this.chain;
  }

  stopTimers(): void {
    clearTimeout(this.quietTimer);
    clearTimeout(this.maxTimer);
  }

  private async update(changes: ObjectChange[], since: number): Promise<void> {
    const delta = this.posture.apply(changes);
    const time = Date.now();
    if (delta.opened.length + delta.closed.length + delta.changed.length > 0 || changes.length > 0) {
      await this.ctx.store.updateScan(this.scanId, {
        time,
        upserts: [...delta.opened, ...delta.changed],
        closed: delta.closed,
        resources: this.posture.size,
        scores: this.posture.scores(this.ctx.sets),
      });
      if (this.reports) {
        const touched = new Set<string>();
        for (const f of [...delta.opened, ...delta.changed, ...delta.closed])
          touched.add(findingNamespace(f.resource));
        if (touched.size > 0) await this.reports.sync(this.posture.findings(), touched, time);
      }
    }
    this.ctx.metrics.updates.inc({ cluster: this.label });
    this.ctx.metrics.lag.set({ cluster: this.label }, (Date.now() - since) / 1000);
    this.ctx.deps.onUpdate?.({ cluster: this.label, scanId: this.scanId, delta, rescan: false });
  }

  private async rescan(): Promise<void> {
    // Pending changes are in the informers' caches already: the snapshot below includes them.
    this.pending = new Map();
    const now = new Date();
    const delta = this.posture.reset(this.watch.objects(), {
      ...this.watch.facts,
      scanDate: now.toISOString().slice(0, 10),
    });
    const recorded = await this.ctx.store.recordScan({
      cluster: { name: this.label, server: this.watch.server },
      time: now.getTime(),
      source: 'watch',
      sourceDetail: this.watch.server,
      palisadeVersion: palisadeVersion(),
      kubernetesVersion: this.watch.facts.kubernetesVersion,
      resources: this.posture.size,
      inputErrors: this.posture.errors,
      findings: this.posture.findings(),
      scores: this.posture.scores(this.ctx.sets),
      rbacGrants: rbacGrantRows(this.posture.inventory),
      reachability: reachabilityRows(this.posture.inventory),
    });
    this.scanId = recorded.id;
    if (this.reports) await this.reports.sync(this.posture.findings(), undefined, now.getTime());
    if (!this.ctx.options.quiet)
      this.ctx.io.stderr.write(
        `palisade: ${this.label}: scan ${recorded.id} recorded (${this.posture.size} objects, ${recorded.opened} new, ${recorded.resolved} resolved finding(s))\n`,
      );
    this.ctx.deps.onUpdate?.({ cluster: this.label, scanId: recorded.id, delta, rescan: true });
  }
}

/** Runs `palisade watch` until SIGTERM/SIGINT (or the signal); returns the exit code. */
export async function runWatch(options: WatchOptions, io: CliIO, deps: WatchDeps = {}): Promise<number> {
  const intervalMs = duration('--interval', options.interval ?? '10m', 10_000);
  const debounceMs = duration('--debounce', options.debounce ?? '250ms', 0);
  const listen = options.metricsListen !== undefined ? splitListen(options.metricsListen) : undefined;
  const selection = selectFrameworks(options.framework ?? []);
  if (!selection.ok) throw new UsageError(selection.error);
  for (const [flag, v] of [
    ['--retain-scans', options.retainScans],
    ['--retain-days', options.retainDays],
  ] as const)
    if (v !== undefined && (!Number.isInteger(v) || v < 1))
      throw new UsageError(`${flag} must be a whole number of at least 1 (got ${v})`);
  const contexts = options.context.length > 0 ? [...new Set(options.context)] : [''];

  const store = await openCliStore(options.db, io, {
    ...(options.retainScans !== undefined ? { maxScans: options.retainScans } : {}),
    ...(options.retainDays !== undefined ? { maxScanAgeDays: options.retainDays } : {}),
  });
  const runners: ClusterRunner[] = [];
  const metrics = buildMetrics(() => runners, selection.value.sets);
  let failure: Error | undefined;
  let wake: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => {
    wake = resolve;
  });
  const fail = (e: unknown): void => {
    failure ??= e instanceof Error ? e : new Error(typeof e === 'string' ? e : 'watch failed');
    wake();
  };
  let server: http.Server | undefined;
  let interval: NodeJS.Timeout | undefined;
  const stop = listenForStop({ signal: deps.signal, stderr: io.stderr });
  void stop.requested.then(wake);
  try {
    for (const context of contexts) {
      const runner = new ClusterRunner(context, {
        options,
        io,
        store,
        sets: selection.value.sets,
        controls: selection.value.controls,
        debounceMs,
        metrics,
        deps,
        fail,
      });
      await runner.open();
      runners.push(runner);
    }
    let metricsUrl: string | undefined;
    if (listen) {
      server = http.createServer((req, res) => {
        if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
          res.writeHead(404).end('not found\n');
          return;
        }
        metrics.registry.metrics().then(
          (text) => {
            res.writeHead(200, { 'Content-Type': metrics.registry.contentType }).end(text);
          },
          () => {
            res.writeHead(500).end('metrics failed\n');
          },
        );
      });
      server.requestTimeout = 10_000;
      server.headersTimeout = 5_000;
      const srv = server;
      await new Promise<void>((resolve, reject) => {
        srv.once('error', (e) => {
          reject(new InputError(`cannot listen on ${options.metricsListen ?? ''}: ${e.message}`));
        });
        srv.listen(listen.port, listen.host, () => {
          resolve();
        });
      });
      const addr = srv.address();
      if (addr && typeof addr === 'object')
        metricsUrl = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}/metrics`;
      if (!options.quiet) io.stderr.write(`palisade: metrics on ${metricsUrl ?? ''}\n`);
    }
    interval = setInterval(() => {
      for (const r of runners) r.scheduleRescan();
    }, intervalMs);
    deps.onReady?.({
      ...(metricsUrl !== undefined ? { metricsUrl } : {}),
      clusters: runners.map((r) => ({ name: r.label, watch: r.watch, posture: r.posture })),
    });
    await stopped;
  } finally {
    clearInterval(interval);
    for (const r of runners) r.stopTimers();
    await Promise.all(runners.map((r) => r.watch.stop()));
    await Promise.all(runners.map((r) => r.drain().catch(() => undefined)));
    await new Promise<void>((resolve) => {
      if (server)
        server.close(() => {
          resolve();
        });
      else resolve();
    });
    await store.close();
    stop.dispose();
  }
  if (failure !== undefined) throw failure;
  return 0;
}
