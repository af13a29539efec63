/**
 * The webhook's HTTPS server (node:https + fastify + pino + prom-client).
 *
 * POST /validate and /mutate are answered by a plain `node:https` handler: the body is
 * collected into one buffer of its declared length (a body declared over the limit is refused
 * before it is read), decided, counted in plain counters that the metrics read when scraped,
 * logged, and answered with the serialised review. Everything else (the probes, /metrics, 404s)
 * goes through fastify, which a review would otherwise cost some 15 µs of CPU.
 *
 * Endpoints: POST /validate and /mutate (AdmissionReview in, AdmissionReview out), GET
 * /healthz (process up), /readyz (serving and not shutting down), /metrics (Prometheus).
 * HTTPS only. The certificate and key files are polled and swapped into the listening
 * server's secure context when they change; open connections keep the context they started
 * with, so nothing is dropped. A pair that does not load is logged and the old one kept.
 * With a client CA, /validate and /mutate require a client certificate it signed (and one
 * of the allowed common names); the probes stay open because kubelets present none.
 * Bad input answers 4xx with a JSON reason; any failure inside one request answers 500
 * for that request only.
 */
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createSecureContext, type TLSSocket } from 'node:tls';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import { pino, type Logger } from 'pino';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { HttpError } from '../core/index.js';
import type { CompiledAdmissionConfig, Mode } from './config.js';
import { decideBody } from './inline.js';
import { DecisionLog, DecisionRing, shouldLog } from './decision-log.js';
import { reviewHead, undecidedAnswer, type UndecidedReason } from './overload.js';
import type { ReviewPool } from './pool.js';
import type { PolicyDecision, PolicyPhase } from './ports.js';
import type { StageMeter } from './stages.js';
import type { WorkerOutcome } from './pool-protocol.js';

/** TLS material for the server, as file paths (so it can be reloaded). */
export interface AdmissionTlsOptions {
  certFile: string;
  keyFile: string;
  /** CA of the API server's client certificate; enables client verification. */
  clientCAFile?: string;
  /** Allowed client common names; any certificate signed by the CA when empty. */
  clientNames?: readonly string[];
  /** Poll interval for certificate changes (default 2000 ms). */
  reloadIntervalMs?: number;
}

/** Options of `startAdmissionServer`. */
export interface AdmissionServerOptions {
  config: CompiledAdmissionConfig;
  tls: AdmissionTlsOptions;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Largest body accepted (default 3 MiB). */
  maxBodyBytes?: number;
  logger?: Logger;
  decisionLog?: DecisionLog;
  clock?: () => Date;
  /** Collect Node process metrics too (default true). */
  processMetrics?: boolean;
  /** Called after each certificate reload attempt. */
  onTlsReload?: (outcome: { ok: boolean; error?: string }) => void;
  /**
   * Evaluation worker threads (`startReviewPool`): reviews are decided there, off the event
   * loop, with a deadline. Without a pool they are decided on the main thread with `config`
   * (tests with in-memory ports). The server closes the pool when it closes.
   */
  pool?: ReviewPool;
  /** What a review cut at its deadline or shed from a full queue gets (default: `config.failurePolicy`). */
  overloadFailurePolicy?: 'Fail' | 'Ignore';
  /**
   * Decide the reviews whose bodies arrived in one turn of the event loop together, then write
   * their answers together (default true), rather than each between other connections' TLS
   * work.
   */
  batchReviews?: boolean;
  /** Accounts the CPU of each stage of a review (the benchmark's accounting; off by default). */
  stages?: StageMeter;
}

/** A running webhook server. */
export interface AdmissionServer {
  /** `https://host:port`. */
  url: string;
  port: number;
  decisions: DecisionRing;
  metrics: Registry;
  /** Re-reads the certificate files now; resolves to whether the new pair was taken. */
  reloadTls(): Promise<boolean>;
  /** Stops accepting, finishes in-flight requests, closes the decision log. */
  close(): Promise<void>;
  /** The underlying fastify instance, for `inject` in tests. */
  app: FastifyInstance;
}

interface TlsMaterial {
  key: Buffer;
  cert: Buffer;
  ca?: Buffer;
}

async function readTls(tls: AdmissionTlsOptions): Promise<TlsMaterial> {
  const [key, cert, ca] = await Promise.all([
    readFile(tls.keyFile),
    readFile(tls.certFile),
    tls.clientCAFile !== undefined ? readFile(tls.clientCAFile) : Promise.resolve(undefined),
  ]);
  // Throws on a key that does not match the certificate, before anything is swapped.
  createSecureContext({ key, cert, ...(ca ? { ca } : {}) });
  return ca ? { key, cert, ca } : { key, cert };
}

async function fingerprint(tls: AdmissionTlsOptions): Promise<string> {
  const files = [tls.certFile, tls.keyFile, ...(tls.clientCAFile !== undefined ? [tls.clientCAFile] : [])];
  const stats = await Promise.all(files.map((f) => stat(f).catch(() => undefined)));
  return stats.map((s) => (s ? `${s.mtimeMs}:${s.size}:${s.ino}` : 'missing')).join('|');
}

/** Starts the webhook server and resolves once it listens. */
export async function startAdmissionServer(options: AdmissionServerOptions): Promise<AdmissionServer> {
  const logger = options.logger ?? pino({ base: { service: 'palisade-admission' } });
  const clock = options.clock ?? (() => new Date());
  const maxBodyBytes = options.maxBodyBytes ?? 3 * 1024 * 1024;
  const material = await readTls(options.tls);
  const verifyClients = options.tls.clientCAFile !== undefined;
  const clientNames = new Set(options.tls.clientNames ?? []);
  const decisionLog = options.decisionLog ?? new DecisionLog(new DecisionRing(1000));

  const registry = new Registry();
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'palisade_' });
  // The request path counts in plain maps, read when /metrics is scraped: prom-client hashes
  // and validates a label object per increment, a dozen times per denied review.
  const requestCounts = new Tally();
  const decisionCounts = new Tally();
  const violationCounts = new ModeTally();
  const undecidedCounts = new Tally();
  const fromTally = (tally: Tally, names: readonly string[]) =>
    function collect(this: Counter): void {
      this.reset();
      for (const [a, b, c, n] of tally.entries()) {
        const labels: Record<string, string> = {};
        [a, b, c].forEach((v, i) => {
          const name = names[i];
          if (name !== undefined) labels[name] = v;
        });
        this.inc(labels, n);
      }
    };
  new Counter({
    name: 'palisade_admission_requests_total',
    help: 'Admission HTTP requests by endpoint and status code.',
    labelNames: ['endpoint', 'code'] as const,
    registers: [registry],
    collect: fromTally(requestCounts, ['endpoint', 'code']),
  });
  new Counter({
    name: 'palisade_admission_decisions_total',
    help: 'Admission decisions by endpoint and result (allow, deny, warn, audit, exempt).',
    labelNames: ['endpoint', 'result', 'dry_run'] as const,
    registers: [registry],
    collect: fromTally(decisionCounts, ['endpoint', 'result', 'dry_run']),
  });
  new Counter({
    name: 'palisade_admission_violations_total',
    help: 'Violated controls and failed policies by id and mode.',
    labelNames: ['control', 'mode'] as const,
    registers: [registry],
    collect(this: Counter): void {
      this.reset();
      for (const [control, mode, n] of violationCounts.entries()) this.inc({ control, mode }, n);
    },
  });
  const latency = new Histogram({
    name: 'palisade_admission_request_duration_seconds',
    help: 'Time to decide an admission request.',
    labelNames: ['endpoint'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  const latencyOf = { validate: latency.labels('validate'), mutate: latency.labels('mutate') };
  new Counter({
    name: 'palisade_admission_undecided_total',
    help: 'Reviews answered per the failure policy without a decision: deadline, shed (queue full) or worker failure.',
    labelNames: ['endpoint', 'reason'] as const,
    registers: [registry],
    collect: fromTally(undecidedCounts, ['endpoint', 'reason']),
  });
  const pool = options.pool;
  const deadlineMs = pool?.deadlineMs ?? 0;
  new Gauge({
    name: 'palisade_admission_queued_reviews',
    help: 'Reviews waiting for an evaluation thread, the main thread queue included.',
    registers: [registry],
    collect() {
      this.set(pool?.queued() ?? 0);
    },
  });
  new Counter({
    name: 'palisade_admission_reviews_evaluated_total',
    help: 'Reviews by where they were evaluated: main (small enough to decide on the main thread), workers (sent to the worker threads, shed ones included), inline_over_budget (reached the inline CEL cost limit, then sent to the workers), main_queued (small, waited in the main thread queue for a later turn; shed ones included).',
    labelNames: ['where'] as const,
    registers: [registry],
    collect() {
      const d = pool?.decided();
      if (!d) return;
      this.reset();
      this.inc({ where: 'main' }, d.inline);
      this.inc({ where: 'workers' }, d.workers);
      this.inc({ where: 'inline_over_budget' }, d.inlineOverBudget);
      this.inc({ where: 'main_queued' }, d.queued);
    },
  });
  new Counter({
    name: 'palisade_admission_inline_suspensions_total',
    help: 'Times a decision on the main thread took longer than its bound, so that every review went to the workers for a while.',
    registers: [registry],
    collect() {
      const d = pool?.decided();
      if (!d) return;
      this.reset();
      this.inc(d.inlineSuspensions);
    },
  });
  const overloadFailurePolicy = options.overloadFailurePolicy ?? options.config.failurePolicy;
  const reloads = new Counter({
    name: 'palisade_admission_tls_reloads_total',
    help: 'Certificate reloads by result.',
    labelNames: ['result'] as const,
    registers: [registry],
  });

  const tlsOptions = {
    key: material.key,
    cert: material.cert,
    ...(material.ca ? { ca: material.ca, requestCert: true, rejectUnauthorized: false } : {}),
    minVersion: 'TLSv1.2' as const,
  };
  let closing = false;
  const meter = options.stages;

  const app = fastify({
    // Reviews never reach fastify: the server's own handler answers POST /validate and /mutate.
    serverFactory: (fastifyHandler) => {
      const server = createHttpsServer(tlsOptions, (req, res) => {
        const phase = req.method === 'POST' ? phaseOf(req.url ?? '') : undefined;
        if (phase === undefined) {
          fastifyHandler(req, res);
          return;
        }
        try {
          reviewRequest(req, res, phase);
        } catch (e) {
          failed(res, phase, e);
        }
      });
      server.keepAliveTimeout = 65_000;
      server.requestTimeout = 30_000;
      return server;
    },
    bodyLimit: maxBodyBytes,
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  }) as unknown as FastifyInstance<HttpsServer>;

  // Other POSTs (a 404 anyway) take any content type as bytes; nothing is parsed.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => {
    done(null, body);
  });

  app.setErrorHandler((error: FastifyError | HttpError, request, reply) => {
    const endpoint = endpointOf(request.url);
    if (error instanceof HttpError)
      return sendError(reply, endpoint, error.status, 'bad_request', error.message);
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return sendError(
        reply,
        endpoint,
        413,
        'payload_too_large',
        `request body exceeds ${maxBodyBytes} bytes`,
      );
    const status =
      typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500
        ? error.statusCode
        : 500;
    if (status === 500) request.log.error({ err: error, url: request.url }, 'admission request failed');
    return sendError(
      reply,
      endpoint,
      status,
      status === 500 ? 'internal_error' : 'bad_request',
      status === 500 ? 'internal error while deciding the request' : error.message,
    );
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 'other', 404, 'not_found', `no route ${request.method} ${request.url.slice(0, 200)}`),
  );

  function sendError(
    reply: FastifyReply,
    endpoint: string,
    status: number,
    error: string,
    message: string,
  ): FastifyReply {
    requestCounts.inc(endpoint, String(status));
    return reply.code(status).type('application/json').send({ error, message });
  }

  /** Answers a review request with an HTTP error and a JSON reason. */
  function reject(
    res: ServerResponse,
    phase: PolicyPhase,
    status: number,
    error: string,
    message: string,
    extra: Record<string, unknown> = {},
    close = false,
  ): void {
    requestCounts.inc(phase, String(status));
    const text = JSON.stringify({ error, message, ...extra });
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      ...(close ? { connection: 'close' } : {}),
    });
    res.end(text);
  }

  function failed(res: ServerResponse, phase: PolicyPhase, e: unknown): void {
    logger.error({ err: e, endpoint: phase }, 'admission request failed');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    reject(res, phase, 500, 'internal_error', 'internal error while deciding the request');
  }

  /** A review, from its headers to its answer: the request path every review takes. */
  function reviewRequest(req: IncomingMessage, res: ServerResponse, phase: PolicyPhase): void {
    meter?.begin();
    const started = performance.now();
    if (closing) {
      req.resume();
      reject(res, phase, 503, 'unavailable', 'the server is shutting down', {}, true);
      return;
    }
    if (verifyClients) {
      const socket = req.socket as unknown as TLSSocket;
      if (!socket.authorized) {
        req.resume();
        reject(
          res,
          phase,
          401,
          'unauthorized',
          'a client certificate signed by the configured CA is required',
        );
        return;
      }
      if (clientNames.size > 0) {
        const cn = socket.getPeerCertificate().subject?.CN;
        const name = Array.isArray(cn) ? cn[0] : cn;
        if (name === undefined || !clientNames.has(name)) {
          req.resume();
          reject(res, phase, 403, 'forbidden', `client certificate "${name ?? ''}" is not allowed`);
          return;
        }
      }
    }
    const tooLarge = (): void => {
      // Not read further: the connection closes after this answer.
      reject(res, phase, 413, 'payload_too_large', `request body exceeds ${maxBodyBytes} bytes`, {}, true);
    };
    const declared = req.headers['content-length'];
    const length = declared === undefined ? -1 : Number(declared);
    if (length > maxBodyBytes) {
      tooLarge();
      return;
    }
    // One buffer of the declared length (the HTTP parser delivers no more than that), or the
    // chunks when the length is not declared (chunked encoding).
    let body: Buffer | undefined = length > 0 ? Buffer.allocUnsafe(length) : undefined;
    let received = 0;
    const chunks: Buffer[] = [];
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      meter?.begin();
      if (body !== undefined && received + chunk.length <= body.length) chunk.copy(body, received);
      else chunks.push(chunk);
      received += chunk.length;
      if (received > maxBodyBytes) {
        refused = true;
        tooLarge();
      }
      meter?.end('body');
    });
    req.on('end', () => {
      if (refused) return;
      meter?.begin();
      try {
        if (body === undefined || received !== body.length)
          body = chunks.length === 1 && body === undefined ? chunks[0] : Buffer.concat(chunks, received);
        meter?.end('body');
        if (body === undefined || body.byteLength === 0) {
          reject(res, phase, 400, 'bad_request', 'body is not valid JSON: the body is empty');
          return;
        }
        if (!batch) {
          decideOne({ res, phase, body, started });
          return;
        }
        pending.push({ res, phase, body, started });
        schedule();
      } catch (e) {
        failed(res, phase, e);
      }
    });
    meter?.end('request');
  }

  /**
   * Reviews whose body has arrived, decided together after the turn of the event loop that
   * read them, in batches of at most `BATCH_MS` of deciding: each batch is answered before
   * the next is decided in a later turn, so a burst of reviews is answered as it is decided
   * rather than all at the end, and the other connections (the probes) wait one batch at most.
   */
  let pending: Pending[] = [];
  let scheduled = false;
  const batch = options.batchReviews ?? true;
  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
  };
  function flush(): void {
    scheduled = false;
    const from = performance.now();
    const decided: [Pending, Awaited<ReturnType<ReviewPool['review']>>][] = [];
    let n = 0;
    while (n < pending.length) {
      const p = pending[n++] as Pending;
      meter?.begin();
      try {
        const outcome = decideOutcome(p);
        if (outcome !== undefined) decided.push([p, outcome]);
      } catch (e) {
        failed(p.res, p.phase, e);
      }
      if (performance.now() - from >= BATCH_MS) break;
    }
    pending = n === pending.length ? [] : pending.slice(n);
    // The rest in a later turn, after these answers are written and other I/O is read.
    if (pending.length > 0) schedule();
    for (const [p, outcome] of decided) {
      meter?.begin();
      try {
        answer(p.res, p.phase, p.body, outcome, p.started);
      } catch (e) {
        failed(p.res, p.phase, e);
      }
    }
  }

  /** Decides a review: the outcome now, or undefined when a worker will answer it later. */
  function decideOutcome(p: Pending): Awaited<ReturnType<ReviewPool['review']>> | undefined {
    const outcome = pool
      ? pool.review(p.body, p.phase, meter)
      : decideBody(p.body, options.config, p.phase, meter);
    if (!(outcome instanceof Promise)) return outcome;
    outcome.then(
      (o) => {
        meter?.begin();
        answer(p.res, p.phase, p.body, o, p.started);
      },
      (e: unknown) => {
        failed(p.res, p.phase, e);
      },
    );
    return undefined;
  }

  function decideOne(p: Pending): void {
    const outcome = decideOutcome(p);
    if (outcome !== undefined) answer(p.res, p.phase, p.body, outcome, p.started);
  }

  function answer(
    res: ServerResponse,
    phase: PolicyPhase,
    body: Uint8Array,
    outcome: WorkerOutcome | Exclude<Awaited<ReturnType<ReviewPool['review']>>, WorkerOutcome>,
    started: number,
  ): void {
    switch (outcome.kind) {
      case 'invalid-json':
        reject(res, phase, 400, 'bad_request', `body is not valid JSON: ${outcome.message}`);
        return;
      case 'bad':
        reject(
          res,
          phase,
          400,
          'bad_request',
          outcome.problems.map((p) => (p.field ? `${p.field}: ${p.message}` : p.message)).join('; '),
          {
            reasons: outcome.problems,
            ...(outcome.uid !== undefined ? { uid: outcome.uid } : {}),
          },
        );
        return;
      case 'deadline':
        undecided(res, phase, body, 'deadline', `${deadlineMs} ms`);
        return;
      case 'shed':
        undecided(res, phase, body, 'shed', `${outcome.queued} reviews waiting`);
        return;
      case 'failed':
        logger.error({ error: outcome.message }, 'evaluation worker failed');
        undecided(res, phase, body, 'worker', outcome.message.slice(0, 200));
        return;
      case 'answer':
        break;
    }
    const r = outcome.record;
    decisionCounts.inc(phase, r.result, r.dryRun ? 'true' : 'false');
    for (const v of r.violations) violationCounts.inc(v.controlId, MODE_SLOT[v.mode]);
    for (const d of r.policyDecisions) violationCounts.inc(d.policy, ACTION_SLOT[d.action]);
    requestCounts.inc(phase, '200');
    latencyOf[phase].observe((performance.now() - started) / 1000);
    meter?.end('metrics');
    logger.info(
      {
        uid: r.uid,
        endpoint: phase,
        operation: r.operation,
        kind: r.kind,
        resource: r.resource,
        namespace: r.namespace,
        name: r.name,
        user: r.username,
        dryRun: r.dryRun,
        decision: r.result,
        violations: r.violations.length,
        policyDecisions: r.policyDecisions.length,
        errors: r.errors.length,
      },
      'admission decision',
    );
    meter?.end('log');
    // The clock is read only for a decision the log keeps (not for the allowed majority).
    if (shouldLog(r)) decisionLog.add(r, clock());
    meter?.end('decision-log');
    writeReview(res, outcome.review);
    if (meter) {
      meter.end('write');
      meter.reviews++;
    }
  }

  /** Answers a review that was not decided, per the failure policy, or 503 when its uid is unreadable. */
  function undecided(
    res: ServerResponse,
    phase: PolicyPhase,
    body: Uint8Array,
    reason: UndecidedReason,
    detail: string,
  ): void {
    undecidedCounts.inc(phase, reason);
    const head = reviewHead(body);
    logger.warn({ endpoint: phase, reason, detail, uid: head?.uid }, 'review not decided');
    if (!head) {
      reject(
        res,
        phase,
        503,
        reason === 'shed' ? 'overloaded' : 'not_decided',
        `the review was not decided (${reason}: ${detail}) and its uid could not be read cheaply`,
      );
      return;
    }
    requestCounts.inc(phase, '200');
    writeReview(res, JSON.stringify(undecidedAnswer(head, reason, overloadFailurePolicy, detail)));
  }

  app.get('/healthz', (_req, reply) => reply.type('text/plain').send('ok'));
  app.get('/readyz', (_req, reply) =>
    closing
      ? reply.code(503).send({ ready: false, reason: 'shutting down' })
      : reply.send({ ready: true, policies: options.config.policies.policies.length }),
  );
  app.get('/metrics', async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()));

  await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 8443, backlog: 4096 });
  const server = app.server;
  const bound = server.address();
  const port = bound !== null && typeof bound === 'object' ? bound.port : 0;

  let current = await fingerprint(options.tls);
  const reloadTls = async (): Promise<boolean> => {
    try {
      const next = await readTls(options.tls);
      server.setSecureContext({
        key: next.key,
        cert: next.cert,
        ...(next.ca ? { ca: next.ca } : {}),
        minVersion: 'TLSv1.2',
      });
      reloads.inc({ result: 'ok' });
      logger.info({ certFile: options.tls.certFile }, 'TLS certificate reloaded');
      options.onTlsReload?.({ ok: true });
      return true;
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      reloads.inc({ result: 'error' });
      logger.error(
        { certFile: options.tls.certFile, error },
        'TLS certificate reload failed; keeping the previous one',
      );
      options.onTlsReload?.({ ok: false, error });
      return false;
    }
  };
  let polling = false;
  const timer = setInterval(() => {
    if (polling) return;
    polling = true;
    void fingerprint(options.tls)
      .then(async (fp) => {
        if (fp === current) return;
        current = fp;
        await reloadTls();
      })
      .finally(() => {
        polling = false;
      });
  }, options.tls.reloadIntervalMs ?? 2000);
  timer.unref();

  const host = options.host ?? '127.0.0.1';
  return {
    url: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    decisions: decisionLog.ring,
    metrics: registry,
    reloadTls,
    app: app as unknown as FastifyInstance,
    close: async () => {
      closing = true;
      clearInterval(timer);
      await app.close();
      await pool?.close();
      await decisionLog.close();
    },
  };
}

/** The review endpoint of a request path (the API server may add `?timeout=…`), or undefined. */
function phaseOf(url: string): PolicyPhase | undefined {
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  return path === '/validate' ? 'validate' : path === '/mutate' ? 'mutate' : undefined;
}

/** An answer of the request path: the serialised review, its length declared. */
function writeReview(res: ServerResponse, text: string): void {
  // A string, not a Buffer: Node sends the head and a string body in one write (the head
  // prepended), a Buffer body as a gathered write of two.
  res.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * Counts by up to three label values in nested maps: an increment builds no key. The values
 * are the configuration's (endpoints, results, control ids, modes), so the maps stay small.
 */
class Tally {
  private readonly counts = new Map<string, Map<string, Map<string, number>>>();

  inc(a: string, b: string, c = ''): void {
    let byB = this.counts.get(a);
    if (byB === undefined) this.counts.set(a, (byB = new Map<string, Map<string, number>>()));
    let byC = byB.get(b);
    if (byC === undefined) byB.set(b, (byC = new Map<string, number>()));
    byC.set(c, (byC.get(c) ?? 0) + 1);
  }

  *entries(): Generator<[string, string, string, number]> {
    for (const [a, byB] of this.counts)
      for (const [b, byC] of byB) for (const [c, n] of byC) yield [a, b, c, n];
  }
}

/** The `mode` label values of the violations counter, by slot. */
const MODE_LABELS = ['enforce', 'warn', 'audit', 'deny'] as const;
const MODE_SLOT: Readonly<Record<Mode, number>> = { enforce: 0, warn: 1, audit: 2 };
const ACTION_SLOT: Readonly<Record<PolicyDecision['action'], number>> = { Deny: 3, Warn: 1, Audit: 2 };

/**
 * Counts by control or policy id and mode: one map lookup per violation, the modes in a row of
 * slots (the ids are the configuration's, so the map stays small).
 */
class ModeTally {
  private readonly rows = new Map<string, number[]>();

  inc(id: string, slot: number): void {
    let row = this.rows.get(id);
    if (row === undefined) this.rows.set(id, (row = MODE_LABELS.map(() => 0)));
    row[slot] = (row[slot] ?? 0) + 1;
  }

  *entries(): Generator<[string, string, number]> {
    for (const [id, row] of this.rows)
      for (let i = 0; i < MODE_LABELS.length; i++) {
        const n = row[i] ?? 0;
        const label = MODE_LABELS[i];
        if (n > 0 && label !== undefined) yield [id, label, n];
      }
  }
}
/**
 * Milliseconds of deciding before the decided reviews are answered and the rest wait for the
 * next turn of the event loop (some fifty small reviews; the pool's turn bound is the same).
 * Smaller batches answer the first reviews of a burst sooner but not its last (the p99), and
 * cost throughput: 2 ms batches measured 242 against 176 µs of CPU per review.
 */
const BATCH_MS = 10;

/** A review whose body has arrived. */
interface Pending {
  res: ServerResponse;
  phase: PolicyPhase;
  body: Buffer;
  started: number;
}

function endpointOf(url: string): string {
  if (url.startsWith('/validate')) return 'validate';
  if (url.startsWith('/mutate')) return 'mutate';
  return 'other';
}
