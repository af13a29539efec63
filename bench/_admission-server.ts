/**
 * Child process of bench/admission.ts: starts the real Palisade webhook server (`palisade`:
 * as `palisade admission serve` runs it: small reviews decided on the main thread, the others
 * in worker threads; `workers`: every review sent to the worker threads), the floor (`floor
 * ANSWER_FILE`: a bare Node HTTPS server that reads the body, JSON.parses it and writes the
 * precomputed bytes of Palisade's answer to that review), a bare Node HTTPS server that
 * answers one fixed AdmissionReview without parsing, that bare server spending a fixed time of
 * busy work on each review before it answers (`budget US`: what the machine allows a webhook
 * that does US µs of work per review), or a Fastify HTTPS server (the framework the Palisade
 * server is built on) that parses the review and answers the same fixed one, then prints its
 * URL.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import https from 'node:https';
import type { Server as NetServer } from 'node:net';
import fastify from 'fastify';
import { pino } from 'pino';
import { startAdmissionServer, startReviewPool } from '../src/admission/index.js';
import { StageMeter } from '../src/admission/stages.js';
import { benchAdmissionConfig, benchAdmissionFile } from './_admission-config.js';

const MODES = ['palisade', 'workers', 'floor', 'bare', 'budget', 'fastify'] as const;
const [mode, certFile, keyFile, budgetArg, answerFile] = process.argv.slice(2);
const budgetUs = Number(budgetArg ?? 0);
if (
  !(MODES as readonly (string | undefined)[]).includes(mode) ||
  certFile === undefined ||
  keyFile === undefined ||
  !(budgetUs >= 0) ||
  (mode === 'floor' && answerFile === undefined)
) {
  console.error(`usage: _admission-server.ts ${MODES.join('|')} CERT KEY [BUDGET_US [ANSWER_FILE]]`);
  process.exit(2);
}

/** Keeps the thread busy for `us` microseconds, as a decision of that cost would. */
function busy(us: number): void {
  const until = performance.now() + us / 1000;
  while (performance.now() < until) {
    // spin
  }
}

// BENCH_STAGES=1: the CPU of each stage of a review is counted (src/admission/stages.ts).
const meter = process.env.BENCH_STAGES === '1' ? new StageMeter() : undefined;
/** The palisade server's connection counts (`conns` on stdin). */
let connections: ConnectionCounts | undefined;

let decided: (() => { inline: number; workers: number }) | undefined;

// The bench asks for this process's CPU time (user and system, µs) with a "cpu" line on stdin,
// for the stage counters per review since the last ask with "stages", and for the connection
// counts of the palisade server with "conns".
createInterface({ input: process.stdin }).on('line', (line) => {
  const command = line.trim();
  if (command === 'cpu') {
    const u = process.cpuUsage();
    // and the peak resident set size, KiB.
    console.log(`cpu ${u.user} ${u.system} ${process.resourceUsage().maxRSS}`);
  } else if (command === 'where') {
    // Reviews decided on the main thread and in the workers so far (palisade servers).
    const d = decided?.();
    console.log(`where ${d?.inline ?? 0} ${d?.workers ?? 0}`);
  } else if (command === 'stages') {
    console.log(`stages ${JSON.stringify(meter?.perReview() ?? {})}`);
    meter?.reset();
  } else if (command === 'conns') {
    console.log(`conns ${JSON.stringify(connections ?? {})}`);
  }
});

const answer = JSON.stringify({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  response: { uid: '705ab4f5-6393-11e8-b7cc-42010a800002', allowed: true },
});
if (mode === 'fastify') {
  const app = fastify({ https: { cert: readFileSync(certFile), key: readFileSync(keyFile) } });
  // Fastify parses the JSON body before the handler runs, as it does for the real server.
  app.post('/validate', (_req, reply) => reply.type('application/json').send(answer));
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  console.log(url.replace('localhost', '127.0.0.1'));
} else if (mode === 'bare' || mode === 'budget' || mode === 'floor') {
  // The floor answers with the very bytes Palisade answers this review with.
  const floorAnswer = mode === 'floor' && answerFile !== undefined ? readFileSync(answerFile) : undefined;
  const server = https.createServer(
    { cert: readFileSync(certFile), key: readFileSync(keyFile) },
    (req, res) => {
      // Read the whole body, as any webhook must, then answer the fixed review.
      meter?.begin();
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => {
        meter?.begin();
        if (floorAnswer) chunks.push(c);
        meter?.end('body');
      });
      req.on('end', () => {
        meter?.begin();
        if (mode === 'budget') busy(budgetUs);
        const bytes = floorAnswer ? Buffer.concat(chunks) : undefined;
        meter?.end('body');
        if (bytes) JSON.parse(bytes.toString('utf8'));
        meter?.end('parse');
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(floorAnswer ?? answer);
        if (meter) {
          meter.end('write');
          meter.reviews++;
        }
      });
      meter?.end('request');
    },
  );
  server.keepAliveTimeout = 65_000;
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    if (address && typeof address === 'object') console.log(`https://127.0.0.1:${address.port}`);
  });
} else {
  // PSS restricted enforced and 10 example CEL policies.
  const config = await benchAdmissionConfig();
  const file = benchAdmissionFile();
  // `workers`: every review sent to the worker threads (evaluation.inlineMaxBytes 0).
  const inlineMaxBytes = mode === 'workers' ? 0 : file.evaluation.inlineMaxBytes;
  const threads = process.env.BENCH_THREADS !== undefined ? Number(process.env.BENCH_THREADS) : undefined;
  const pool = await startReviewPool({
    config: file,
    cwd: process.cwd(),
    ...(threads !== undefined ? { threads } : {}),
    deadlineMs: file.evaluation.deadlineMs,
    ...(file.evaluation.maxQueue !== undefined ? { maxQueue: file.evaluation.maxQueue } : {}),
    inline: {
      maxBytes: inlineMaxBytes,
      costLimit: file.evaluation.inlineCostLimit,
      // BENCH_MAX_PER_TURN / BENCH_MAX_TURN_MS: the main thread's slice per turn of its event loop.
      ...(process.env.BENCH_MAX_PER_TURN !== undefined
        ? { maxPerTurn: Number(process.env.BENCH_MAX_PER_TURN) }
        : {}),
      ...(process.env.BENCH_MAX_TURN_MS !== undefined
        ? { maxTurnMs: Number(process.env.BENCH_MAX_TURN_MS) }
        : {}),
    },
    policies: config.policies,
  });
  decided = () => pool.decided();
  const server = await startAdmissionServer({
    pool,
    config,
    tls: { certFile, keyFile },
    port: 0,
    ...(meter ? { stages: meter } : {}),
    ...(process.env.BENCH_BATCH === '0' ? { batchReviews: false } : {}),
    // Real JSON logging of every decision, to /dev/null so the terminal is not the bottleneck.
    logger: pino(
      { base: { service: 'palisade-admission' } },
      pino.destination({ dest: '/dev/null', sync: false }),
    ),
  });
  connections = countConnections(server.app.server);
  if (process.env.BENCH_TRACE === '1') trace(connections, () => JSON.stringify(pool.decided()));
  console.log(server.url);
}

/** Connections accepted, TLS handshakes completed, connections whose first review was answered, requests. */
interface ConnectionCounts {
  accepted: number;
  handshakes: number;
  answered: number;
  requests: number;
}

/** Counts a server's connections from its events (cumulated since the start). */
function countConnections(server: NetServer): ConnectionCounts {
  const counts: ConnectionCounts = { accepted: 0, handshakes: 0, answered: 0, requests: 0 };
  const seen = new WeakSet<object>();
  server.on('connection', () => {
    counts.accepted++;
  });
  server.on('secureConnection', () => {
    counts.handshakes++;
  });
  server.on('request', (req: { socket: object }, res: { once(event: 'finish', f: () => void): unknown }) => {
    counts.requests++;
    if (seen.has(req.socket)) return;
    seen.add(req.socket);
    res.once('finish', () => {
      counts.answered++;
    });
  });
  return counts;
}

/** BENCH_TRACE=1: the counts every second, to stderr, with `more`. */
function trace(counts: ConnectionCounts, more: () => string): void {
  const start = performance.now();
  setInterval(() => {
    const s = ((performance.now() - start) / 1000).toFixed(0);
    console.error(`trace t=${s}s ${JSON.stringify(counts)} ${more()}`);
  }, 1000).unref();
}

// Exit (rather than die) on SIGTERM, so `node --cpu-prof` writes its profile.
process.on('SIGTERM', () => {
  process.exit(0);
});
