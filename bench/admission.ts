/**
 * Admission webhook throughput: the real Palisade server (PSS restricted enforced and 10
 * example CEL policies from examples/policies, JSON logs, metrics, decision log) against a bare Node HTTPS server that
 * answers a fixed AdmissionReview, both in their own process, driven in this run by
 * autocannon with 50 connections over keep-alive TLS with the same AdmissionReview, in
 * alternating rounds (median reported) because the machine may be shared. A third server,
 * the bare one busy for a fixed BUDGET_US µs on each review, shows what throughput and p99 the
 * machine allows a webhook whose work per review costs that much; a fourth, Fastify answering
 * the fixed review, what the HTTP framework alone costs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import {
  createWebhookCertificates,
  decide,
  httpsRequest as request,
  podOf,
  reviewOf,
  type CompiledAdmissionConfig,
} from '../src/admission/index.js';
import { BENCH_POLICY_DIRS, benchAdmissionConfig } from './_admission-config.js';

const CONNECTIONS = 50;
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
const ROUNDS = 3;
const WARMUP_S = 2;
/** Busy time per review of the budget server, µs (`BENCH_BUDGET_US`). */
const BUDGET_US = Number(process.env.BENCH_BUDGET_US ?? 20);

interface Figures {
  rps: number;
  /** Server CPU time (user + system) per answered review, µs. */
  cpuPerReview: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

interface Server {
  child: ChildProcess;
  url: string;
  /** The server process's CPU time so far (user + system), µs. */
  cpu(): Promise<number>;
}

function startChild(
  mode: 'palisade' | 'bare' | 'budget' | 'fastify',
  cert: string,
  key: string,
): Promise<Server> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(import.meta.dirname, '_admission-server.ts'),
      mode,
      cert,
      key,
      String(BUDGET_US),
    ],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (line) => waiting.shift()?.(line.trim()));
  const next = (): Promise<string> => new Promise((resolve) => waiting.push(resolve));
  const cpu = async (): Promise<number> => {
    const answer = next();
    child.stdin?.write('cpu\n');
    const [, user, system] = (await answer).split(' ');
    return Number(user) + Number(system);
  };
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      reject(new Error(`${mode} server exited with ${String(code)}`));
    });
    void next().then((url) => {
      resolve({ child, url, cpu });
    });
  });
}

async function drive(server: Server, body: string, seconds: number): Promise<Figures> {
  const url = server.url;
  const cpuBefore = await server.cpu();
  const result = await autocannon({
    url: `${url}/validate`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections: CONNECTIONS,
    duration: seconds,
  });
  const cpuUsed = (await server.cpu()) - cpuBefore;
  return {
    rps: result.requests.average,
    cpuPerReview: cpuUsed / Math.max(1, result.requests.total),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

/** Latency of the pure decision alone (parse + controls + response), in this process. */
function decideLatency(body: string, config: CompiledAdmissionConfig): { p50: number; p99: number } {
  const times: number[] = [];
  for (let i = 0; i < 20_000; i++) {
    const t = performance.now();
    const r = decide(JSON.parse(body), config);
    JSON.stringify(r.ok ? r.review : r.problems);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return {
    p50: times[Math.floor(times.length * 0.5)] ?? 0,
    p99: times[Math.floor(times.length * 0.99)] ?? 0,
  };
}

/** The round with the median throughput (its latencies come with it). */
function medianRound(rounds: Figures[]): Figures {
  const sorted = [...rounds].sort((x, y) => x.rps - y.rps);
  const mid = sorted[Math.floor(sorted.length / 2)];
  if (!mid) throw new Error('no rounds');
  return {
    ...mid,
    errors: rounds.reduce((a, r) => a + r.errors, 0),
    non2xx: rounds.reduce((a, r) => a + r.non2xx, 0),
  };
}

export async function run(): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-bench-admission-'));
  const children: ChildProcess[] = [];
  try {
    const certs = await createWebhookCertificates({
      service: 'palisade',
      namespace: 'palisade-system',
      extraNames: ['127.0.0.1'],
    });
    const cert = path.join(dir, 'tls.crt');
    const key = path.join(dir, 'tls.key');
    writeFileSync(cert, certs.serving.cert);
    writeFileSync(key, certs.serving.key);
    // A Pod that fails PSS restricted and several CEL policies: the
    // slowest path (deny + warnings), with every pod policy evaluated.
    const body = JSON.stringify(
      reviewOf(
        podOf('api', { namespace: 'shop', privileged: true, root: true, image: 'nginx', limits: false }),
        {
          namespace: 'shop',
        },
      ),
    );

    const bare = await startChild('bare', cert, key);
    children.push(bare.child);
    const palisade = await startChild('palisade', cert, key);
    children.push(palisade.child);
    const budget = await startChild('budget', cert, key);
    children.push(budget.child);
    const framework = await startChild('fastify', cert, key);
    children.push(framework.child);

    const check = await request(`${palisade.url}/validate`, { ca: certs.ca.cert, body });
    const answer = check.json as { response?: { allowed?: boolean; warnings?: string[] } };
    if (check.status !== 200 || answer.response?.allowed !== false)
      throw new Error(`palisade did not deny the sample: ${check.status} ${check.text.slice(0, 300)}`);
    const message =
      (check.json as { response: { status?: { message?: string } } }).response.status?.message ?? '';
    const policiesDenying = BENCH_POLICY_DIRS.filter((p) => message.includes(`policy ${p}`));
    if (!message.includes('pss/privileged') || policiesDenying.length === 0)
      throw new Error(`the sample was not denied by both PSS and CEL policies: ${message.slice(0, 300)}`);

    await drive(bare, body, WARMUP_S);
    await drive(palisade, body, WARMUP_S);
    await drive(budget, body, WARMUP_S);
    await drive(framework, body, WARMUP_S);
    // Alternate the servers and keep the median round of each: the machine is shared.
    const bareRounds: Figures[] = [];
    const palisadeRounds: Figures[] = [];
    const budgetRounds: Figures[] = [];
    const frameworkRounds: Figures[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      bareRounds.push(await drive(bare, body, DURATION_S));
      palisadeRounds.push(await drive(palisade, body, DURATION_S));
      budgetRounds.push(await drive(budget, body, DURATION_S));
      frameworkRounds.push(await drive(framework, body, DURATION_S));
    }
    const b = medianRound(bareRounds);
    const p = medianRound(palisadeRounds);
    const g = medianRound(budgetRounds);
    const fw = medianRound(frameworkRounds);
    const ratio = p.rps / b.rps;
    const pure = decideLatency(body, await benchAdmissionConfig());

    console.log(
      `request: ${body.length} bytes (privileged root Pod, untagged image, no limits), ${CONNECTIONS} connections, ${ROUNDS} alternating rounds of ${DURATION_S} s each, median round`,
    );
    console.log(
      `enforce pss:restricted (${answer.response.warnings?.length ?? 0} warnings per answer), ${BENCH_POLICY_DIRS.length} CEL policies from examples/policies (denying: ${policiesDenying.join(', ')})`,
    );
    console.log(
      `palisade: ${p.rps.toFixed(0)} reviews/s  p50 ${p.p50} ms  p99 ${p.p99} ms  server CPU ${p.cpuPerReview.toFixed(0)} µs/review  errors ${p.errors}  non-2xx ${p.non2xx}`,
    );
    console.log(
      `bare:     ${b.rps.toFixed(0)} reviews/s  p50 ${b.p50} ms  p99 ${b.p99} ms  server CPU ${b.cpuPerReview.toFixed(0)} µs/review  errors ${b.errors}  non-2xx ${b.non2xx}`,
    );
    console.log(
      `bare + ${BUDGET_US} µs busy per review: ${g.rps.toFixed(0)} reviews/s  p50 ${g.p50} ms  p99 ${g.p99} ms  server CPU ${g.cpuPerReview.toFixed(0)} µs/review  ratio to bare ${(g.rps / b.rps).toFixed(2)}  errors ${g.errors}  non-2xx ${g.non2xx}`,
    );
    console.log(
      `fastify, fixed answer: ${fw.rps.toFixed(0)} reviews/s  p50 ${fw.p50} ms  p99 ${fw.p99} ms  server CPU ${fw.cpuPerReview.toFixed(0)} µs/review  ratio to bare ${(fw.rps / b.rps).toFixed(2)}  errors ${fw.errors}  non-2xx ${fw.non2xx}`,
    );
    console.log(
      `decide() alone (JSON.parse + decide + JSON.stringify, 20,000 runs): p50 ${(pure.p50 * 1000).toFixed(0)} µs  p99 ${(pure.p99 * 1000).toFixed(0)} µs`,
    );
    console.log(
      `throughput ratio palisade/bare: ${ratio.toFixed(2)} (target >= 0.5); p99 target <= 5 ms; server CPU per review palisade/bare: ${(p.cpuPerReview / b.cpuPerReview).toFixed(2)}`,
    );
    console.log(
      `machine: ${os.cpus().length} cores, load average ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
    return `bench admission: rps=${p.rps.toFixed(0)} p50_ms=${p.p50} p99_ms=${p.p99} bare_rps=${b.rps.toFixed(0)} ratio_to_bare=${ratio.toFixed(2)} cpu_us_per_review=${p.cpuPerReview.toFixed(0)} bare_cpu_us_per_review=${b.cpuPerReview.toFixed(0)}`;
  } finally {
    for (const c of children) c.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}
