/**
 * The API server's audit webhook backend: accepts `audit.k8s.io` EventList POSTs, answers at
 * once, and judges the events off the request path from a bounded queue, a slice at a time so
 * health checks and new batches are never held up. A batch that does not fit is refused with
 * 429 and Retry-After (the API server's batching backend retries it), and counted: nothing is
 * dropped silently.
 */
import { readFile } from 'node:fs/promises';
import type { Server as HttpsServer } from 'node:https';
import fastify, { type FastifyInstance } from 'fastify';
import { Counter, Gauge, Registry } from 'prom-client';
import type { Alert, Detector } from './detector.js';
import type { DetectEvent } from './event.js';
import { normalizeRecord } from './normalize-runtime.js';

/** Options of `startAuditWebhook`. */
export interface AuditWebhookOptions {
  /** Judges events here; without it, `publish` must be given. */
  detector?: Detector;
  /**
   * Hands each slice of normalised events to a stream (NATS JetStream) instead of judging them
   * here. A failed publish is retried with backoff, the events kept and counted in the queue, so
   * a stream that is down fills the queue and the API server gets 429s: nothing is dropped.
   */
  publish?: (events: DetectEvent[]) => Promise<void>;
  /** Called when a publish failed (it will be retried). */
  onPublishError?: (message: string) => void;
  /** Called with each alert as it is raised. */
  onAlert: (alert: Alert) => void;
  /** Called for each record that could not be read. */
  onInputError?: (where: string, message: string) => void;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Certificate and key files; without them the server speaks plain HTTP (the CLI allows that on loopback only). */
  tls?: { certFile: string; keyFile: string };
  /** Events waiting to be judged at most (default 100,000). */
  queueCapacity?: number;
  /** Largest request body (default 16 MiB; the API server's default batch is at most 400 events). */
  maxBodyBytes?: number;
  /** Events judged per slice before the loop yields (default 500). */
  sliceSize?: number;
  /** Called when every event of a batch has been judged, with the batch's receipt time (ms since epoch). */
  onBatchJudged?: (receivedAt: number, events: number) => void;
}

/** A running audit webhook backend. */
export interface AuditWebhook {
  url: string;
  port: number;
  metrics: Registry;
  /** Events accepted and not yet judged. */
  queued(): number;
  /** Resolves when every accepted event has been judged. */
  drained(): Promise<void>;
  close(): Promise<void>;
  app: FastifyInstance;
}

/** Starts the audit webhook backend and resolves once it listens. */
export async function startAuditWebhook(options: AuditWebhookOptions): Promise<AuditWebhook> {
  const capacity = options.queueCapacity ?? 100_000;
  const slice = options.sliceSize ?? 500;
  const registry = new Registry();
  const received = new Counter({
    name: 'palisade_detect_events_received_total',
    help: 'Audit events accepted.',
    registers: [registry],
  });
  const rejected = new Counter({
    name: 'palisade_detect_batches_rejected_total',
    help: 'Batches refused with 429 because the queue was full (the sender retries them).',
    registers: [registry],
  });
  const alerts = new Counter({
    name: 'palisade_detect_alerts_total',
    help: 'Alerts raised, by rule and severity.',
    labelNames: ['rule', 'severity'] as const,
    registers: [registry],
  });
  const errors = new Counter({
    name: 'palisade_detect_input_errors_total',
    help: 'Records that could not be read.',
    registers: [registry],
  });
  const publishFailures = new Counter({
    name: 'palisade_detect_publish_failures_total',
    help: 'Publishes to the event stream that failed and were retried.',
    registers: [registry],
  });
  const depth = new Gauge({
    name: 'palisade_detect_queue_depth',
    help: 'Events waiting to be judged.',
    registers: [registry],
  });
  const lag = new Gauge({
    name: 'palisade_detect_lag_seconds',
    help: 'Age of the oldest waiting batch.',
    registers: [registry],
  });

  // A ring of batches: each batch keeps its receipt time for the lag figure.
  const queue: { items: unknown[]; at: number; next: number }[] = [];
  let size = 0;
  let running = false;
  let waiters: (() => void)[] = [];
  let seq = 0;

  if (options.detector === undefined && options.publish === undefined)
    throw new Error('the audit webhook needs a detector or a stream to publish to');

  const finish = (): void => {
    running = false;
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };

  // Publishing mode: a slice is taken off the queue, normalised and published; `size` keeps
  // counting it until the stream has stored it, so a stream that is down fills the queue.
  let backoffMs = 0;
  const pumpPublish = async (publish: (events: DetectEvent[]) => Promise<void>): Promise<void> => {
    while (queue.length > 0) {
      const events: DetectEvent[] = [];
      let taken = 0;
      const judged: { at: number; n: number }[] = [];
      while (queue.length > 0 && taken < slice) {
        const batch = queue[0];
        if (!batch) break;
        const item = batch.items[batch.next++];
        taken++;
        if (batch.next >= batch.items.length) {
          queue.shift();
          judged.push({ at: batch.at, n: batch.items.length });
        }
        const r = normalizeRecord(item, `webhook#${++seq}`);
        if (!r.ok) {
          errors.inc();
          options.onInputError?.(`webhook event #${seq}`, r.error);
        } else if (r.value !== undefined) events.push(r.value);
      }
      for (;;) {
        try {
          if (events.length > 0) await publish(events);
          backoffMs = 0;
          break;
        } catch (e) {
          publishFailures.inc();
          backoffMs = Math.min(10_000, backoffMs === 0 ? 250 : backoffMs * 2);
          options.onPublishError?.(
            `${e instanceof Error ? e.message : String(e)}; ${events.length} events kept, retrying in ${backoffMs} ms`,
          );
          await new Promise((resolve) => setTimeout(resolve, backoffMs));
        }
      }
      size -= taken;
      depth.set(size);
      for (const j of judged) options.onBatchJudged?.(j.at, j.n);
      lag.set(queue.length > 0 && queue[0] ? (Date.now() - queue[0].at) / 1000 : 0);
    }
    finish();
  };

  const pump = (): void => {
    if (options.publish !== undefined) {
      void pumpPublish(options.publish);
      return;
    }
    const detector = options.detector;
    if (detector === undefined) return;
    let n = 0;
    while (queue.length > 0 && n < slice) {
      const batch = queue[0];
      if (!batch) break;
      const item = batch.items[batch.next++];
      if (batch.next >= batch.items.length) {
        queue.shift();
        options.onBatchJudged?.(batch.at, batch.items.length);
      }
      size--;
      n++;
      const r = normalizeRecord(item, `webhook#${++seq}`);
      if (!r.ok) {
        errors.inc();
        options.onInputError?.(`webhook event #${seq}`, r.error);
        continue;
      }
      if (r.value === undefined) continue;
      for (const a of detector.process(r.value)) {
        alerts.inc({ rule: a.rule, severity: a.severity });
        options.onAlert(a);
      }
    }
    depth.set(size);
    lag.set(queue.length > 0 && queue[0] ? (Date.now() - queue[0].at) / 1000 : 0);
    if (queue.length > 0) setImmediate(pump);
    else finish();
  };

  const tls = options.tls
    ? { key: await readFile(options.tls.keyFile), cert: await readFile(options.tls.certFile) }
    : undefined;
  const app = (tls
    ? fastify({
        https: { ...tls, minVersion: 'TLSv1.2' },
        bodyLimit: options.maxBodyBytes ?? 16 * 1024 * 1024,
        requestTimeout: 30_000,
      })
    : fastify({
        bodyLimit: options.maxBodyBytes ?? 16 * 1024 * 1024,
        requestTimeout: 30_000,
      })) as unknown as FastifyInstance<HttpsServer>;

  app.get('/healthz', (_req, reply) => reply.send({ status: 'ok', queued: size }));
  app.get('/metrics', async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()));
  app.post('/*', async (req, reply) => {
    const body = req.body as { kind?: unknown; items?: unknown } | null;
    const items =
      body && body.kind === 'EventList'
        ? body.items
        : body && typeof body === 'object' && 'kind' in body
          ? [body]
          : undefined;
    if (!Array.isArray(items)) return reply.code(400).send({ error: 'expected an audit.k8s.io EventList' });
    if (size + items.length > capacity) {
      rejected.inc();
      return reply
        .code(429)
        .header('Retry-After', '1')
        .send({ error: `queue full (${size} of ${capacity} events waiting)` });
    }
    queue.push({ items, at: Date.now(), next: 0 });
    size += items.length;
    received.inc(items.length);
    depth.set(size);
    if (items.length === 0) queue.pop();
    if (!running && queue.length > 0) {
      running = true;
      setImmediate(pump);
    }
    return reply.code(200).send({});
  });

  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `${tls ? 'https' : 'http'}://${host}:${port}`,
    port,
    metrics: registry,
    queued: () => size,
    drained: () =>
      size === 0 && !running ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve)),
    close: async () => {
      await app.close();
    },
    app: app as unknown as FastifyInstance,
  };
}
