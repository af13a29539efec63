/**
 * Child process of bench/admission.ts: starts either the real Palisade webhook server or a
 * bare Node HTTPS server that answers one fixed AdmissionReview, then prints its URL.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import https from 'node:https';
import { pino } from 'pino';
import { startAdmissionServer } from '../src/admission/index.js';
import { benchAdmissionConfig } from './_admission-config.js';

const [mode, certFile, keyFile] = process.argv.slice(2);
if ((mode !== 'palisade' && mode !== 'bare') || certFile === undefined || keyFile === undefined) {
  console.error('usage: _admission-server.ts palisade|bare CERT KEY');
  process.exit(2);
}

// The bench asks for this process's CPU time (user and system, µs) with a "cpu" line on stdin.
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() !== 'cpu') return;
  const u = process.cpuUsage();
  console.log(`cpu ${u.user} ${u.system}`);
});

if (mode === 'bare') {
  const answer = JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    response: { uid: '705ab4f5-6393-11e8-b7cc-42010a800002', allowed: true },
  });
  const server = https.createServer(
    { cert: readFileSync(certFile), key: readFileSync(keyFile) },
    (req, res) => {
      // Read the whole body, as any webhook must, then answer the fixed review.
      req.on('data', () => undefined);
      req.on('end', () => {
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
