/**
 * Admission webhook throughput: the real Palisade server (PSS restricted enforced and 10
 * example CEL policies from examples/policies, JSON logs, metrics, decision log; deciding small
 * reviews on its main thread as `palisade admission serve` does by default, and the same server
 * sending every review to its worker threads, `evaluation.inlineMaxBytes: 0`) against the
 * floor: a bare Node HTTPS server that reads the body, JSON.parses it and writes the very bytes
 * of Palisade's answer to that review, so the ratio measures only the decision and the request
 * path. All in their own process, driven in this run by autocannon with 50 connections over
 * keep-alive TLS with the same AdmissionReview, in alternating rounds (median reported)
 * because the machine may be shared. Kept from before: the bare server answering a fixed
 * review without parsing, that one busy for BUDGET_US µs per review (what the machine allows a
 * webhook whose work costs that much), and Fastify answering the fixed review (the HTTP
 * framework alone). Last, 1,000 connections for 10 s against Palisade: client timeouts,
 * errors and answers that are not a well-formed AdmissionReview for the request
 * (`BENCH_ADMISSION=many` runs that case alone).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
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
import { ADMISSION_NODE_OPTIONS } from '../src/admission/install.js';
import { STAGES, type Stage } from '../src/admission/stages.js';
import { BENCH_POLICY_DIRS, benchAdmissionConfig } from './_admission-config.js';
import { compileForBench } from './_compiled.js';

const CONNECTIONS = 50;
/**
 * How a server child is started: the sources transpiled as they ship (bench/_compiled.ts), or
 * through tsx with `BENCH_TSX=1` (its name-keeping helper costs a closure-heavy path CPU), or both
 * side by side in the stage table with `BENCH_TSX=both`. `BENCH_BASELINE_SRC=DIR` adds a column for the
 * same server over DIR/src (another version, e.g. `git archive main src | tar -x -C DIR`).
 */
const BENCH_SERVER_FILES = ['bench/_admission-server.ts', 'bench/_admission-config.ts'];
const TSX_SCRIPT = ['--import', 'tsx', path.join(import.meta.dirname, '_admission-server.ts')];
let serverScript: readonly string[] = TSX_SCRIPT;
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
const ROUNDS = 3;
/** Rounds of the stage accounts: even, so that each server runs as often early as late. */
const STAGE_ROUNDS = 4;

/**
 * The order of the servers in a round: reversed every other round. In a fixed order the server
 * driven last came out 10–20% cheaper in four paired runs out of four, whichever it was (the
 * tsx-run sources included), so a paired comparison needs each position taken by both sides.
 */
function roundOrder(count: number, round: number): number[] {
  const order = Array.from({ length: count }, (_, i) => i);
  return round % 2 === 0 ? order : order.reverse();
}
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
  /** Reviews decided on the main thread and by the workers so far (0 0 for the other servers). */
  where(): Promise<{ inline: number; workers: number }>;
  /** The server process's peak resident set size so far, KiB. */
  maxRss(): Promise<number>;
  /** Connections accepted, handshakes, connections whose first review was answered (palisade servers). */
  conns(): Promise<{ accepted: number; handshakes: number; answered: number }>;
  /** CPU and wall µs per review of each stage since the last call (BENCH_STAGES=1 servers). */
  stages(): Promise<Partial<Record<Stage, { cpuUs: number; wallUs: number }>>>;
}

function startChild(
  mode: 'palisade' | 'workers' | 'floor' | 'bare' | 'budget' | 'fastify',
  cert: string,
  key: string,
  answerFile = '',
  stages = false,
  env: Record<string, string> = {},
  script: readonly string[] = serverScript,
): Promise<Server> {
  const child = spawn(
    process.execPath,
    [
      // BENCH_CPU_PROF=DIR: each server writes a V8 CPU profile there when stopped
      // (summarise with `npx tsx bench/_cpu-profile-summary.ts FILE`).
      ...(process.env.BENCH_CPU_PROF !== undefined
        ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.BENCH_CPU_PROF, mode)}`]
        : []),
      // Every server runs with the Node options the webhook is deployed with.
      ...ADMISSION_NODE_OPTIONS.split(' '),
      // BENCH_NODE_FLAGS: V8/Node flags for every server, e.g. --max-semi-space-size=16 (the last wins).
      ...(process.env.BENCH_NODE_FLAGS?.split(' ').filter((f) => f !== '') ?? []),
      ...script,
      mode,
      cert,
      key,
      String(BUDGET_US),
      answerFile,
    ],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, ...(stages ? { BENCH_STAGES: '1' } : {}), ...env },
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
  const maxRss = async (): Promise<number> => {
    const answer = next();
    child.stdin?.write('cpu\n');
    return Number((await answer).split(' ')[3]);
  };
  const where = async (): Promise<{ inline: number; workers: number }> => {
    const answer = next();
    child.stdin?.write('where\n');
    const [, inline, workers] = (await answer).split(' ');
    return { inline: Number(inline), workers: Number(workers) };
  };
  const stagesOf = async (): Promise<Partial<Record<Stage, { cpuUs: number; wallUs: number }>>> => {
    const answer = next();
    child.stdin?.write('stages\n');
    return JSON.parse((await answer).slice('stages '.length)) as Partial<
      Record<Stage, { cpuUs: number; wallUs: number }>
    >;
  };
  const conns = async (): Promise<{ accepted: number; handshakes: number; answered: number }> => {
    const answer = next();
    child.stdin?.write('conns\n');
    const c = JSON.parse((await answer).slice('conns '.length)) as Partial<
      Record<'accepted' | 'handshakes' | 'answered', number>
    >;
    return { accepted: c.accepted ?? 0, handshakes: c.handshakes ?? 0, answered: c.answered ?? 0 };
  };
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      reject(new Error(`${mode} server exited with ${String(code)}`));
    });
    void next().then((url) => {
      resolve({ child, url, cpu, maxRss, where, conns, stages: stagesOf });
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

/** 1,000 connections for 10 s: does every client get a well-formed answer before its 10 s timeout? */
async function manyConnections(
  server: Server,
  body: string,
): Promise<{
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  timeouts: number;
  errors: number;
  non2xx: number;
  mismatches: number;
  undecided: number;
}> {
  const uid = (JSON.parse(body) as { request: { uid: string } }).request.uid;
  let undecided = 0;
  const result = await autocannon({
    url: `${server.url}/validate`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections: 1000,
    duration: 10,
    timeout: 10,
    verifyBody: (text) => {
      try {
        const r = JSON.parse(String(text)) as {
          kind?: unknown;
          response?: { uid?: unknown; allowed?: unknown; warnings?: unknown; status?: { reason?: unknown } };
        };
        const ok =
          r.kind === 'AdmissionReview' && r.response?.uid === uid && typeof r.response.allowed === 'boolean';
        const reason = r.response?.status?.reason;
        if (ok && (reason === 'Timeout' || reason === 'ServiceUnavailable')) undecided++;
        return ok;
      } catch {
        return false;
      }
    },
  });
  return {
    requests: result.requests.total,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    timeouts: result.timeouts,
    errors: result.errors,
    non2xx: result.non2xx,
    mismatches: result.mismatches,
    undecided,
  };
}

/** What the 1,000-connection case measured, and with which client. */
type Many = Awaited<ReturnType<typeof manyConnections>> & {
  client: 'wrk' | 'autocannon';
  /** Of the 1,000 connections: accepted by the server, TLS handshakes done, first review answered. */
  accepted: number;
  handshakes: number;
  served: number;
};

/** Whether `wrk` (a load generator in C, far cheaper per connection than a Node client) is installed. */
function hasWrk(): boolean {
  return spawnSync('wrk', ['-v'], { stdio: 'ignore' }).error === undefined;
}

/**
 * The 1,000-connection case driven by wrk (one thread, 1,000 connections, 10 s, 10 s timeout).
 * A Lua `response` callback checks every answer as the Node client's verifyBody does: status
 * 200, an AdmissionReview whose response carries the request's uid and an `allowed`, and
 * counts those answered per the failure policy.
 */
async function manyConnectionsWrk(
  server: Server,
  body: string,
  dir: string,
): Promise<Omit<Many, 'accepted' | 'handshakes' | 'served'>> {
  const uid = (JSON.parse(body) as { request: { uid: string } }).request.uid;
  if (body.includes(']==]') || !/^[\w.-]+$/.test(uid))
    throw new Error('the sample does not fit the Lua script');
  const script = path.join(dir, 'many.lua');
  writeFileSync(
    script,
    [
      'wrk.method = "POST"',
      `wrk.body = [==[${body}]==]`,
      'wrk.headers["Content-Type"] = "application/json"',
      'local threads = {}',
      'function setup(thread) table.insert(threads, thread) end',
      'function init(args) bad = 0; undecided = 0 end',
      'function response(status, headers, body)',
      '  local ok = status == 200 and body:find(\'"kind":"AdmissionReview"\', 1, true)',
      `    and body:find('"response":{"uid":"${uid}"', 1, true)`,
      '    and (body:find(\'"allowed":true\', 1, true) or body:find(\'"allowed":false\', 1, true))',
      '  if not ok then bad = bad + 1 end',
      '  if body:find(\'"reason":"Timeout"\', 1, true) or body:find(\'"reason":"ServiceUnavailable"\', 1, true)',
      '    or body:find("admitted unchecked", 1, true) then undecided = undecided + 1 end',
      'end',
      'function done(summary, latency, requests)',
      '  local b, u = 0, 0',
      '  for _, t in ipairs(threads) do b = b + t:get("bad"); u = u + t:get("undecided") end',
      '  local e = summary.errors',
      '  io.write(string.format("wrk-result %d %d %d %d %d %d %d %d %d %d\\n", summary.requests, summary.duration,',
      '    e.timeout, e.connect + e.read + e.write, e.status, b, u,',
      '    latency:percentile(50), latency:percentile(99), latency.max))',
      'end',
      '',
    ].join('\n'),
  );
  const child = spawn(
    'wrk',
    ['-t', '1', '-c', '1000', '-d', '10s', '--timeout', '10s', '-s', script, `${server.url}/validate`],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  const line = out.split('\n').find((l) => l.startsWith('wrk-result '));
  if (code !== 0 || line === undefined)
    throw new Error(`wrk failed (exit ${String(code)}): ${out.slice(-500)}`);
  const [requests, durationUs, timeouts, errors, status, bad, undecided, p50, p99] = line
    .split(' ')
    .slice(1)
    .map(Number) as [number, number, number, number, number, number, number, number, number];
  return {
    client: 'wrk',
    requests,
    rps: requests / (durationUs / 1e6),
    p50: Math.round(p50 / 1000),
    p99: Math.round(p99 / 1000),
    timeouts,
    errors,
    non2xx: status,
    mismatches: bad,
    undecided,
  };
}

/** The 1,000-connection case with wrk when it is installed, else with autocannon. */
async function manyCase(server: Server, body: string, dir: string): Promise<Many> {
  const before = await server.conns();
  const result =
    process.env.BENCH_MANY_CLIENT !== 'autocannon' && hasWrk()
      ? await manyConnectionsWrk(server, body, dir)
      : { client: 'autocannon' as const, ...(await manyConnections(server, body)) };
  const after = await server.conns();
  return {
    ...result,
    accepted: after.accepted - before.accepted,
    handshakes: after.handshakes - before.handshakes,
    served: after.answered - before.answered,
  };
}

function manyLine(many: Many): string {
  return `1000 connections (${many.client}), 10 s, 10 s client timeout: ${many.requests} answers  ${many.rps.toFixed(0)} reviews/s  p50 ${many.p50} ms  p99 ${many.p99} ms  timeouts ${many.timeouts}  errors ${many.errors}  non-2xx ${many.non2xx}  not a well-formed answer ${many.mismatches}  answered per failure policy (shed or deadline) ${many.undecided}; server side: ${many.accepted} connections accepted, ${many.handshakes} handshakes, ${many.served} connections answered (${Math.max(0, 1000 - many.served)} never)`;
}

/**
 * BENCH_ADMISSION=stages: the server as it runs (small reviews on the main thread), the same
 * deciding and answering each review as its body arrives instead of per turn of the event
 * loop (BENCH_BATCH=0), the same sending every review to its workers, and the floor, each counting
 * the CPU of every stage of a review (src/admission/stages.ts), in alternating rounds; prints
 * µs per review by stage, the process's CPU per review, and what lies outside the stages
 * (TLS and HTTP before the handler, the event loop, garbage collection, other threads).
 */
async function stageAccounts(
  cert: string,
  key: string,
  ca: string,
  body: string,
  dir: string,
  children: ChildProcess[],
): Promise<string> {
  const inline = await startChild('palisade', cert, key, '', true);
  children.push(inline.child);
  const palisade = await startChild('workers', cert, key, '', true);
  children.push(palisade.child);
  const unbatched = await startChild('palisade', cert, key, '', true, { BENCH_BATCH: '0' });
  children.push(unbatched.child);
  const check = await request(`${inline.url}/validate`, { ca, body });
  const answerFile = path.join(dir, 'answer.json');
  writeFileSync(answerFile, check.text);
  const floor = await startChild('floor', cert, key, answerFile, true);
  children.push(floor.child);
  const servers: [string, Server][] = [
    ['floor', floor],
    ['palisade', inline],
    ['one-by-one', unbatched],
    ['workers', palisade],
  ];
  const variant = process.env.BENCH_STAGE_VARIANT;
  const baseline = process.env.BENCH_BASELINE_SRC;
  if (variant !== undefined || baseline !== undefined) servers.splice(2, 2);
  if (variant !== undefined) {
    // A paired A/B: the server as it runs against the same with these Node flags, alone with
    // the floor (the one-by-one and workers columns left out, for a quicker run).
    const flagged = await startChild('palisade', cert, key, '', true, {}, [
      ...variant.split(' ').filter((f) => f !== ''),
      ...serverScript,
    ]);
    children.push(flagged.child);
    servers.push(['variant', flagged]);
  }
  if (baseline !== undefined) {
    // The same bench server over another checkout's src/ (the version before a change).
    const script = compileForBench(path.join(dir, 'baseline'), BENCH_SERVER_FILES, path.resolve(baseline));
    const flags = process.env.BENCH_BASELINE_FLAGS?.split(' ').filter((f) => f !== '') ?? [];
    const before = await startChild('palisade', cert, key, '', true, {}, [...flags, script]);
    children.push(before.child);
    servers.push(['baseline', before]);
  }
  if (process.env.BENCH_TSX === 'both') {
    // The same server run through tsx, as `npm run bench` ran it before.
    const tsx = await startChild('palisade', cert, key, '', true, {}, TSX_SCRIPT);
    children.push(tsx.child);
    servers.push(['tsx', tsx]);
  }
  for (const [, server] of servers) {
    await drive(server, body, WARMUP_S);
    await server.stages();
  }
  const sums = servers.map(() => ({ cpu: 0, rounds: 0, stages: new Map<Stage, number>() }));
  for (let round = 0; round < STAGE_ROUNDS; round++)
    for (const i of roundOrder(servers.length, round)) {
      const server = servers[i]?.[1];
      if (!server) continue;
      const figures = await drive(server, body, DURATION_S);
      const stages = await server.stages();
      const sum = sums[i];
      if (!sum) continue;
      sum.cpu += figures.cpuPerReview;
      sum.rounds++;
      for (const s of STAGES) sum.stages.set(s, (sum.stages.get(s) ?? 0) + (stages[s]?.cpuUs ?? 0));
    }
  const per = sums.map((s) => ({
    cpu: s.cpu / s.rounds,
    stages: new Map([...s.stages].map(([k, v]) => [k, v / s.rounds])),
  }));
  console.log(`CPU µs per review by stage (${STAGE_ROUNDS} alternating rounds of ${DURATION_S} s, mean):`);
  console.log(`${'stage'.padEnd(14)}${servers.map(([n]) => n.padStart(12)).join('')}`);
  for (const s of STAGES)
    console.log(`${s.padEnd(14)}${per.map((p) => (p.stages.get(s) ?? 0).toFixed(1).padStart(12)).join('')}`);
  const inStages = per.map((p) => [...p.stages.values()].reduce((a, b) => a + b, 0));
  console.log(`${'sum of stages'.padEnd(14)}${inStages.map((v) => v.toFixed(1).padStart(12)).join('')}`);
  console.log(
    `${'outside'.padEnd(14)}${per.map((p, i) => (p.cpu - (inStages[i] ?? 0)).toFixed(1).padStart(12)).join('')}`,
  );
  console.log(`${'process'.padEnd(14)}${per.map((p) => p.cpu.toFixed(1).padStart(12)).join('')}`);
  // Under a loaded machine a late main thread sends small reviews to the workers (dearer):
  // the share that went there explains a high figure.
  const where = await Promise.all(servers.map(([, server]) => server.where()));
  console.log(
    `${'to workers %'.padEnd(14)}${where.map((w) => ((100 * w.workers) / Math.max(1, w.inline + w.workers)).toFixed(1).padStart(12)).join('')}`,
  );
  const rss = await Promise.all(servers.map(([, server]) => server.maxRss()));
  console.log(`${'peak RSS MiB'.padEnd(14)}${rss.map((k) => (k / 1024).toFixed(0).padStart(12)).join('')}`);
  const [f, n] = per;
  const figure = (name: string): string => {
    const entry = servers.findIndex(([s]) => s === name);
    return entry === -1
      ? ''
      : ` ${name.replaceAll('-', '_')}_cpu_us_per_review=${per[entry]?.cpu.toFixed(0)}`;
  };
  return `bench admission: stages floor_cpu_us_per_review=${f?.cpu.toFixed(0)} cpu_us_per_review=${n?.cpu.toFixed(0)}${['one-by-one', 'workers', 'variant', 'baseline', 'tsx'].map(figure).join('')} inline_outside_us=${((n?.cpu ?? 0) - (inStages[1] ?? 0)).toFixed(0)} floor_outside_us=${((f?.cpu ?? 0) - (inStages[0] ?? 0)).toFixed(0)}`;
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
    if (process.env.BENCH_TSX !== '1')
      serverScript = [compileForBench(path.join(dir, 'compiled'), BENCH_SERVER_FILES)];
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

    if (process.env.BENCH_ADMISSION === 'stages')
      return await stageAccounts(cert, key, certs.ca.cert, body, dir, children);
    if (process.env.BENCH_ADMISSION === 'many') {
      // Only the 1,000-connection case, against the real server.
      const palisade = await startChild('palisade', cert, key);
      children.push(palisade.child);
      await drive(palisade, body, WARMUP_S);
      const result = await manyCase(palisade, body, dir);
      console.log(manyLine(result));
      console.log(
        `machine: ${os.cpus().length} cores, load average ${os
          .loadavg()
          .map((l) => l.toFixed(1))
          .join(' ')}`,
      );
      return `bench admission: connections=1000 client=${result.client} served=${result.served} unanswered_connections=${Math.max(0, 1000 - result.served)} answers=${result.requests} p50_ms=${result.p50} p99_ms=${result.p99} timeouts=${result.timeouts} errors=${result.errors} not_well_formed=${result.mismatches + result.non2xx} undecided=${result.undecided}`;
    }
    const bare = await startChild('bare', cert, key);
    children.push(bare.child);
    const palisade = await startChild('palisade', cert, key);
    children.push(palisade.child);
    const workers = await startChild('workers', cert, key);
    children.push(workers.child);
    const budget = await startChild('budget', cert, key);
    children.push(budget.child);
    const framework = await startChild('fastify', cert, key);
    children.push(framework.child);

    const check = await request(`${palisade.url}/validate`, { ca: certs.ca.cert, body });
    const workersCheck = await request(`${workers.url}/validate`, { ca: certs.ca.cert, body });
    if (workersCheck.text !== check.text) throw new Error('the two palisade servers answer differently');
    // The floor writes exactly these bytes.
    const answerFile = path.join(dir, 'answer.json');
    writeFileSync(answerFile, check.text);
    const floor = await startChild('floor', cert, key, answerFile);
    children.push(floor.child);
    const answer = check.json as { response?: { allowed?: boolean; warnings?: string[] } };
    if (check.status !== 200 || answer.response?.allowed !== false)
      throw new Error(`palisade did not deny the sample: ${check.status} ${check.text.slice(0, 300)}`);
    const message =
      (check.json as { response: { status?: { message?: string } } }).response.status?.message ?? '';
    const policiesDenying = BENCH_POLICY_DIRS.filter((p) => message.includes(`policy ${p}`));
    if (!message.includes('pss/privileged') || policiesDenying.length === 0)
      throw new Error(`the sample was not denied by both PSS and CEL policies: ${message.slice(0, 300)}`);

    const servers = [floor, palisade, workers, bare, budget, framework];
    for (const server of servers) await drive(server, body, WARMUP_S);
    // Alternate the servers and keep the median round of each: the machine is shared.
    const rounds = servers.map((): Figures[] => []);
    for (let round = 0; round < ROUNDS; round++)
      for (const i of roundOrder(servers.length, round)) {
        const server = servers[i];
        if (server) rounds[i]?.push(await drive(server, body, DURATION_S));
      }
    const [f, p, pw, b, g, fw] = rounds.map(medianRound) as [
      Figures,
      Figures,
      Figures,
      Figures,
      Figures,
      Figures,
    ];
    const ratio = p.rps / f.rps;
    const many = await manyCase(palisade, body, dir);
    const pure = decideLatency(body, await benchAdmissionConfig());

    console.log(
      `request: ${body.length} bytes (privileged root Pod, untagged image, no limits), ${CONNECTIONS} connections, ${ROUNDS} alternating rounds of ${DURATION_S} s each, median round`,
    );
    console.log(
      `enforce pss:restricted (${answer.response.warnings?.length ?? 0} warnings per answer), ${BENCH_POLICY_DIRS.length} CEL policies from examples/policies (denying: ${policiesDenying.join(', ')})`,
    );
    const line = (name: string, x: Figures): string =>
      `${name}: ${x.rps.toFixed(0)} reviews/s  p50 ${x.p50} ms  p99 ${x.p99} ms  server CPU ${x.cpuPerReview.toFixed(0)} µs/review  errors ${x.errors}  non-2xx ${x.non2xx}`;
    console.log(line('palisade (small reviews on the main thread)', p));
    console.log(line('palisade, every review to the workers    ', pw));
    console.log(`${line('floor (parse + precomputed answer)', f)}  answer ${check.text.length} bytes`);
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
      `decide() alone, this process (JSON.parse + decide + JSON.stringify, 20,000 runs): p50 ${(pure.p50 * 1000).toFixed(0)} µs  p99 ${(pure.p99 * 1000).toFixed(0)} µs`,
    );
    console.log(
      `throughput ratio palisade/floor: ${ratio.toFixed(2)} (target >= 0.5); every review to the workers ${(pw.rps / f.rps).toFixed(2)}; p99 ${p.p99} ms (target <= 5 ms); server CPU per review palisade/floor: ${(p.cpuPerReview / f.cpuPerReview).toFixed(2)} (target <= 2), every review to the workers ${(pw.cpuPerReview / f.cpuPerReview).toFixed(2)}; palisade/bare ${(p.rps / b.rps).toFixed(2)}`,
    );
    console.log(manyLine(many));
    console.log(
      `machine: ${os.cpus().length} cores, load average ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
    return `bench admission: rps=${p.rps.toFixed(0)} p50_ms=${p.p50} p99_ms=${p.p99} floor_rps=${f.rps.toFixed(0)} ratio_to_floor=${ratio.toFixed(2)} cpu_us_per_review=${p.cpuPerReview.toFixed(0)} floor_cpu_us_per_review=${f.cpuPerReview.toFixed(0)} bare_rps=${b.rps.toFixed(0)} ratio_to_bare=${(p.rps / b.rps).toFixed(2)} bare_cpu_us_per_review=${b.cpuPerReview.toFixed(0)} workers_rps=${pw.rps.toFixed(0)} workers_cpu_us_per_review=${pw.cpuPerReview.toFixed(0)} many_client=${many.client} timeouts=${many.timeouts} not_well_formed=${many.mismatches + many.non2xx}`;
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.filter((c) => c.exitCode === null).map((c) => once(c, 'exit')));
    rmSync(dir, { recursive: true, force: true });
  }
}
