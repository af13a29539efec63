/**
 * Child process of bench/admission.ts: starts the real Palisade webhook server, a bare Node
 * HTTPS server that answers one fixed AdmissionReview, or that bare server spending a fixed
 * time of busy work on each review before it answers (`budget US`: what the machine allows a
 * webhook that does US µs of work per review), or a Fastify HTTPS server (the framework the
 * Palisade server is built on) that parses the review and answers the same fixed one, then
 * prints its URL.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import https from 'node:https';
import fastify from 'fastify';
import { pino } from 'pino';
import { startAdmissionServer } from '../src/admission/index.js';
import { benchAdmissionConfig } from './_admission-config.js';

const [mode, certFile, keyFile, budgetArg] = process.argv.slice(2);
const budgetUs = Number(budgetArg ?? 0);
if (
  (mode !== 'palisade' && mode !== 'bare' && mode !== 'budget' && mode !== 'fastify') ||
  certFile === undefined ||
  keyFile === undefined ||
  !(budgetUs >= 0)
) {
  console.error('usage: _admission-server.ts palisade|bare|budget|fastify CERT KEY [BUDGET_US]');
  process.exit(2);
}

/** Keeps the thread busy for `us` microseconds, as a decision of that cost would. */
function busy(us: number): void {
  const until = performance.now() + us / 1000;
  while (performance.now() < until) {
    // spin
  }
}

// The bench asks for this process's CPU time (user and system, µs) with a "cpu" line on stdin.
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() !== 'cpu') return;
  const u = process.cpuUsage();
  console.log(`cpu ${u.user} ${u.system}`);
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
} else if (mode === 'bare' || mode === 'budget') {
  const server = https.createServer(
    { cert: readFileSync(certFile), key: readFileSync(keyFile) },
    (req, res) => {
      // Read the whole body, as any webhook must, then answer the fixed review.
      req.on('data', () => undefined);
      req.on('end', () => {
        if (mode === 'budget') busy(budgetUs);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(answer);
      });
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
  const server = await startAdmissionServer({
    config,
    tls: { certFile, keyFile },
    port: 0,
    // Real JSON logging of every decision, to /dev/null so the terminal is not the bottleneck.
    logger: pino(
      { base: { service: 'palisade-admission' } },
      pino.destination({ dest: '/dev/null', sync: false }),
    ),
  });
  console.log(server.url);
}
