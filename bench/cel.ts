/**
 * CEL policy evaluation speed: the 16-policy PSS-equivalent set of
 * examples/policies/pss-restricted on one pod, as one admission request each, against the
 * native controls evaluated on the same pod in this process. Also compares the two CEL
 * engines considered in docs/decisions/cel-engine.md on typical admission expressions.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { celEnv, isCelError, parse as bufParse, plan as bufPlan } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import { Inventory, refOf, type KubeObject } from '../src/core/index.js';
import { evaluateControls } from '../src/controls/index.js';
import { pssControls } from '../src/controls/pss/index.js';
import { parseManifests } from '../src/load/index.js';
import { compilePolicies, createAttributes, createCelEngine, evaluateRequest } from '../src/policy/index.js';

// The native baseline: the built-in Pod Security Standards checks at restricted, the same
// ground the 16-policy CEL set covers.
const NATIVE = pssControls('restricted', 'latest');

const POD: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' } },
  spec: {
    securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } },
    initContainers: [
      {
        name: 'migrate',
        image: 'registry.example.com/migrate:3.1',
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
      },
    ],
    containers: [
      {
        name: 'app',
        image: 'registry.example.com/web:1.4.2',
        ports: [{ containerPort: 8080 }],
        resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
      },
      {
        name: 'proxy',
        image: 'registry.example.com/envoy:1.31',
        securityContext: {
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] },
        },
      },
    ],
    volumes: [
      { name: 'cache', emptyDir: {} },
      { name: 'config', configMap: { name: 'web' } },
    ],
  },
};

/** Runs `fn` repeatedly for about `ms` milliseconds; returns calls per second (median of 5 rounds). Used for the engine comparison. */
function rate(fn: () => void, ms = 300): number {
  const rounds: number[] = [];
  for (let r = 0; r < 5; r++) {
    let n = 0;
    const start = performance.now();
    let now = start;
    while (now - start < ms) {
      for (let i = 0; i < 50; i++) fn();
      n += 50;
      now = performance.now();
    }
    rounds.push(n / ((now - start) / 1000));
  }
  rounds.sort((a, b) => a - b);
  return rounds[2] ?? 0;
}

const EXPRESSIONS = [
  "object.spec.containers.all(c, !c.image.endsWith(':latest'))",
  "object.metadata.labels['app'] == 'web' && object.metadata.namespace != 'default'",
  'object.spec.containers.all(c, has(c.securityContext) && c.securityContext.allowPrivilegeEscalation == false)',
  "object.spec.containers.exists(c, c.name == 'proxy') && size(object.spec.volumes) <= 5",
];

function compareEngines(): void {
  const ours = createCelEngine();
  const jsonPod = JSON.parse(JSON.stringify(POD)) as unknown;
  const celPod = { object: toBig(jsonPod) };
  const env = celEnv({ funcs: strings });
  console.log('engine comparison on typical admission expressions (evaluations/s, parse once):');
  for (const expr of EXPRESSIONS) {
    const c = ours.compile(expr);
    if (!c.ok) throw new Error(c.error);
    const program = c.value;
    const a = rate(() => {
      program.evaluate(celPod, { remaining: 1e9 });
    }, 150);
    const planned = bufPlan(env, bufParse(expr));
    const check = planned({ object: jsonPod } as never);
    if (isCelError(check)) throw new Error(`@bufbuild/cel: ${check.message}`);
    const b = rate(() => {
      planned({ object: jsonPod } as never);
    }, 150);
    console.log(
      `  ${expr.slice(0, 70).padEnd(70)}  cel-js compiled ${Math.round(a).toString().padStart(8)}  bufbuild ${Math.round(b).toString().padStart(8)}  (${(a / b).toFixed(1)}x)`,
    );
  }
}

function toBig(v: unknown): unknown {
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (Array.isArray(v)) return v.map(toBig);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toBig(x)]));
  return v;
}

export function run(): Promise<string> {
  const file = path.resolve(import.meta.dirname, '../examples/policies/pss-restricted/policies.yaml');
  const parsed = parseManifests(readFileSync(file, 'utf8'), 'policies.yaml');
  const { set, errors } = compilePolicies(parsed.resources);
  if (errors.length > 0) throw new Error(`policy errors: ${JSON.stringify(errors)}`);
  // The same policies through the interpreter (PALISADE_CEL=interpreter), the reference the
  // compiled closures replace, timed in the same rounds.
  const interpreted = compilePolicies(parsed.resources, {
    engine: createCelEngine({ mode: 'interpreter' }),
  }).set;
  const attrs = createAttributes(POD, null);
  const once = evaluateRequest(set, attrs, { mutate: false });
  if (!once.allowed || once.errors.length > 0)
    throw new Error(`the bench pod must pass: ${JSON.stringify(once.decisions)}`);

  const inventory = new Inventory();
  inventory.add({ object: POD, ref: refOf(POD) });

  // Warm both paths before measuring.
  for (let i = 0; i < 2000; i++) {
    evaluateRequest(set, attrs, { mutate: false });
    evaluateRequest(interpreted, attrs, { mutate: false });
    evaluateControls(inventory, NATIVE);
  }
  // Interleaved rounds, each side timed in CPU time (what other jobs on a shared machine
  // disturb least) and in wall time; the least time per request of each side is kept.
  const cel = { cpu: Infinity, wall: Infinity };
  const native = { cpu: Infinity, wall: Infinity };
  const interpreter = { cpu: Infinity, wall: Infinity };
  const timeRound = (fn: () => void, into: { cpu: number; wall: number }): void => {
    const n = 2000;
    const c = process.cpuUsage();
    const w = performance.now();
    for (let i = 0; i < n; i++) fn();
    const u = process.cpuUsage(c);
    into.wall = Math.min(into.wall, ((performance.now() - w) * 1000) / n);
    into.cpu = Math.min(into.cpu, (u.user + u.system) / n);
  };
  for (let round = 0; round < 25; round++) {
    timeRound(() => {
      evaluateRequest(set, attrs, { mutate: false });
    }, cel);
    timeRound(() => {
      evaluateControls(inventory, NATIVE);
    }, native);
    timeRound(() => {
      evaluateRequest(interpreted, attrs, { mutate: false });
    }, interpreter);
  }
  const celRate = 1e6 / cel.cpu;
  const ratio = cel.cpu / native.cpu;
  console.log(
    `CEL: ${set.validating.length} policies on one pod: ${cel.cpu.toFixed(1)} µs CPU per request (wall ${cel.wall.toFixed(1)} µs) = ${Math.round(celRate)} requests/s (${Math.round(celRate * set.validating.length)} policy evaluations/s)`,
  );
  console.log(
    `native: ${NATIVE.length} controls on the same pod: ${native.cpu.toFixed(1)} µs CPU (wall ${native.wall.toFixed(1)} µs) = ${Math.round(1e6 / native.cpu)} evaluations/s`,
  );
  const interpreterRatio = interpreter.cpu / native.cpu;
  console.log(
    `interpreted CEL (PALISADE_CEL=interpreter): ${interpreter.cpu.toFixed(1)} µs CPU per request (wall ${interpreter.wall.toFixed(1)} µs); compiled is ${(interpreter.cpu / cel.cpu).toFixed(2)}x faster`,
  );
  console.log(
    `ratio CEL/native time: ${ratio.toFixed(2)} in CPU, ${(cel.wall / native.wall).toFixed(2)} in wall (interpreted: ${interpreterRatio.toFixed(2)} in CPU; target <= 2); least of 25 interleaved rounds of 2,000 each`,
  );
  compareEngines();
  return Promise.resolve(
    `bench cel: evals_per_s=${Math.round(celRate)} ratio_to_native=${ratio.toFixed(2)} interpreter_ratio_to_native=${interpreterRatio.toFixed(2)}`,
  );
}
