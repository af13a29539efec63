/**
 * Fuzz: mutated manifests through `palisade scan` in process (the command's own function on
 * real files). Structural mutations change the parsed objects of the demo cluster and the test
 * data (wrong types, nulls, deep nesting, huge numbers, odd strings, grafted subtrees, other
 * kinds and apiVersions) before they are written as YAML or JSON; byte-level mutations flip,
 * insert, delete and repeat bytes of the written text. Every run must end with exit 0, 1 or 2
 * and a parseable report; every input error names its file and line; no control fails to
 * evaluate (the loader's schema check hands the controls only the types they read).
 * The seed makes every run the same; set PALISADE_FUZZ_SEED to explore others.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import jsyaml from 'js-yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { memoryIO } from '../io.js';
import { main } from '../main.js';

const SEED = Number(process.env.PALISADE_FUZZ_SEED ?? 0x19f022);
const STRUCTURAL = Number(process.env.PALISADE_FUZZ_CASES ?? 5_000);
const BYTE_LEVEL = Math.ceil(STRUCTURAL / 4);
const PER_RUN = 250;

const REPO = path.resolve(import.meta.dirname, '../../..');
const SEED_PATHS = [
  'examples/demo-cluster',
  'src/cli/testdata/scan',
  'src/cli/testdata/exceptions/manifests.yaml',
  'src/cli/testdata/control-plane',
  'src/network/testdata',
];

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = mulberry32(SEED);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
const int = (n: number): number => Math.floor(rand() * n);

function manifestFiles(p: string): string[] {
  const abs = path.join(REPO, p);
  if (statSync(abs).isFile()) return [abs];
  return readdirSync(abs, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? manifestFiles(path.join(p, e.name))
      : /\.(ya?ml|json)$/.test(e.name) && e.name !== 'expected.json'
        ? [path.join(abs, e.name)]
        : [],
  );
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isObject(v: unknown): v is Record<string, Json> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Every Kubernetes object of the seed files, Lists expanded. */
function seedObjects(): Record<string, Json>[] {
  const out: Record<string, Json>[] = [];
  for (const file of SEED_PATHS.flatMap(manifestFiles)) {
    let docs: unknown[];
    try {
      docs = jsyaml.loadAll(readFileSync(file, 'utf8'));
    } catch {
      continue;
    }
    for (const d of docs) {
      if (!isObject(d) || typeof d.kind !== 'string') continue;
      if (Array.isArray(d.items)) out.push(...d.items.filter(isObject));
      else out.push(d);
    }
  }
  return out;
}

const KINDS: [string, string][] = [
  ['v1', 'Pod'],
  ['apps/v1', 'Deployment'],
  ['apps/v1', 'StatefulSet'],
  ['apps/v1', 'DaemonSet'],
  ['batch/v1', 'CronJob'],
  ['batch/v1', 'Job'],
  ['v1', 'Service'],
  ['v1', 'Secret'],
  ['v1', 'ConfigMap'],
  ['v1', 'Namespace'],
  ['v1', 'ServiceAccount'],
  ['v1', 'List'],
  ['rbac.authorization.k8s.io/v1', 'ClusterRole'],
  ['rbac.authorization.k8s.io/v1', 'RoleBinding'],
  ['networking.k8s.io/v1', 'NetworkPolicy'],
  ['networking.k8s.io/v1', 'Ingress'],
  ['v999/garbage', 'Pod'],
  ['example.com/v1', 'Widget'],
];

function nested(depth: number): Json {
  let v: Json = 'leaf';
  for (let i = 0; i < depth; i++) v = i % 2 === 0 ? [v] : { a: v };
  return v;
}

const ODD: (() => Json)[] = [
  () => 'x',
  () => '',
  () => ' ',
  () => '\u0000',
  () => '\u001b[31mred\u001b[0m',
  () => 'ünïcödé 日本 🙂',
  () => '\ud800',
  () => 'a'.repeat(int(20_000)),
  () => '*',
  () => '../../etc/passwd',
  () => '${HOME}',
  () => 'true',
  () => '0x10',
  () => 'In',
  () => '=cmd|" /C calc"!A0',
  () => 0,
  () => -1,
  () => 1.5,
  () => 2 ** 31,
  () => 2 ** 53 + 2,
  () => 1e308,
  () => -1e308,
  () => true,
  () => false,
  () => null,
  () => [],
  () => ({}),
  () => [null],
  () => [1, 'two', { three: 3 }],
  () => ({ a: { b: { c: null } } }),
  () => nested(1 + int(300)),
];

/** Every path of a value (objects and arrays), up to a depth. */
function paths(
  v: Json,
  prefix: (string | number)[] = [],
  out: (string | number)[][] = [],
): (string | number)[][] {
  if (prefix.length > 24) return out;
  if (Array.isArray(v)) {
    v.forEach((x, i) => {
      out.push([...prefix, i]);
      paths(x, [...prefix, i], out);
    });
  } else if (isObject(v)) {
    for (const k of Object.keys(v)) {
      out.push([...prefix, k]);
      paths(v[k] ?? null, [...prefix, k], out);
    }
  }
  return out;
}

function parentOf(
  root: Json,
  p: (string | number)[],
): { parent: Json[] | Record<string, Json>; key: string | number } {
  let cur: Json = root;
  for (const s of p.slice(0, -1)) cur = (cur as Record<string | number, Json>)[s] ?? null;
  return { parent: cur as Json[] | Record<string, Json>, key: p[p.length - 1] ?? '' };
}

function wrongTypeOf(v: Json): Json {
  if (typeof v === 'string') return pick([42, true, [v], { v }]);
  if (typeof v === 'number') return pick([String(v), [v], { v }, v > 0 ? -v : 1e300]);
  if (typeof v === 'boolean') return pick([String(v), v ? 1 : 0, [v]]);
  if (Array.isArray(v)) return pick(['x', {}, v.length, Object.fromEntries(v.map((x, i) => [String(i), x]))]);
  if (isObject(v)) return pick(['hello', [], 7, [v]]);
  return 'null-was-here';
}

/** One structural mutation, in place. */
function mutate(obj: Record<string, Json>): void {
  const op = int(10);
  if (op === 0) {
    const [apiVersion, kind] = pick(KINDS);
    obj.apiVersion = apiVersion;
    obj.kind = kind;
    return;
  }
  const all = paths(obj);
  if (all.length === 0) return;
  const p = pick(all);
  const { parent, key } = parentOf(obj, p);
  const target = parent as Record<string | number, Json>;
  const current = target[key] ?? null;
  switch (op) {
    case 1:
    case 2:
      target[key] = wrongTypeOf(current);
      break;
    case 3:
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      // A key removed the way a user would: the mapping without it.
      else Reflect.deleteProperty(parent, key);
      break;
    case 4: {
      // Graft another subtree of the object here (a spec where a string was, …).
      const other = pick(all);
      const from = parentOf(obj, other);
      target[key] = structuredClone((from.parent as Record<string | number, Json>)[from.key] ?? null);
      break;
    }
    case 5:
      if (Array.isArray(current) && current.length > 0) current.push(...current.slice(0, 3), null);
      else target[key] = [current, current];
      break;
    default:
      target[key] = pick(ODD)();
  }
}

function structuralCase(seeds: readonly Record<string, Json>[]): Buffer {
  const obj = structuredClone(pick(seeds));
  const n = 1 + int(4);
  for (let i = 0; i < n; i++) mutate(obj);
  if (rand() < 0.3) return Buffer.from(JSON.stringify(obj));
  try {
    return Buffer.from(jsyaml.dump(obj, { noRefs: true, lineWidth: -1 }));
  } catch {
    return Buffer.from(JSON.stringify(obj));
  }
}

const INSERTS = [
  '\t',
  ':',
  ': ',
  '- ',
  '&a ',
  '*a',
  '!!binary ',
  '|',
  '>',
  '{',
  '[',
  '"',
  "'",
  '#',
  '\n---\n',
  '\n',
  '\u0000',
  '%YAML 1.1\n',
  '<<: *a\n',
  '? ',
];

function byteCase(seeds: readonly Record<string, Json>[]): Buffer {
  let b = Buffer.from(jsyaml.dump(pick(seeds), { noRefs: true, lineWidth: -1 }));
  const n = 1 + int(5);
  for (let i = 0; i < n && b.length > 0; i++) {
    const at = int(b.length);
    switch (int(6)) {
      case 0:
        b[at] = int(256);
        break;
      case 1:
        b = Buffer.concat([b.subarray(0, at), Buffer.from(pick(INSERTS)), b.subarray(at)]);
        break;
      case 2:
        b = Buffer.concat([
          b.subarray(0, at),
          Buffer.from([pick([0xff, 0xc3, 0xe2, 0x80, 0xfe])]),
          b.subarray(at),
        ]);
        break;
      case 3:
        b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + int(40)))]);
        break;
      case 4:
        b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + int(200)), b.subarray(at)]);
        break;
      default:
        b = b.subarray(0, at);
    }
  }
  return b;
}

interface Report {
  inputErrors: { file: string; line?: number; message: string }[];
}

const root = mkdtempSync(path.join(os.tmpdir(), 'palisade-scan-fuzz-'));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('scan fuzz', () => {
  const seeds = seedObjects();
  const cases: { name: string; bytes: Buffer }[] = [];
  for (let i = 0; i < STRUCTURAL; i++) cases.push({ name: `s${i}`, bytes: structuralCase(seeds) });
  for (let i = 0; i < BYTE_LEVEL; i++) cases.push({ name: `b${i}`, bytes: byteCase(seeds) });
  const batches: (typeof cases)[] = [];
  for (let i = 0; i < cases.length; i += PER_RUN) batches.push(cases.slice(i, i + PER_RUN));

  it('has real manifests to mutate', () => {
    expect(seeds.length).toBeGreaterThan(50);
    expect(cases.length).toBeGreaterThanOrEqual(5_000);
  });

  it.each(batches.map((b, i) => [i, b] as const))(
    'batch %i: exit 0/1/2, a report, every input error located, no control failing; netpol and rbac answer',
    async (i, batch) => {
      const dir = path.join(root, `batch-${i}`);
      mkdirSync(dir);
      for (const c of batch)
        writeFileSync(path.join(dir, `${c.name}.${c.bytes[0] === 0x7b ? 'json' : 'yaml'}`), c.bytes);
      const io = memoryIO({ cwd: dir });
      const code = await main(['scan', '.', '-o', 'json', '--fail-on', 'high', '-q'], io);
      expect([0, 1, 2], io.err()).toContain(code);
      const report = JSON.parse(io.out()) as Report;
      const unlocated = report.inputErrors.filter((e) => e.file === '' || e.line === undefined);
      expect(unlocated, `seed ${SEED}, batch ${i}`).toEqual([]);
      const failing = report.inputErrors.filter((e) => e.message.includes('failed to evaluate'));
      expect(failing, `seed ${SEED}, batch ${i}`).toEqual([]);
      // The same files through the RBAC and NetworkPolicy readers: an answer, never a throw.
      for (const args of [
        ['netpol', 'matrix', '.', '-q'],
        ['rbac', 'who-can', 'get', 'secrets', '.'],
      ]) {
        const other = memoryIO({ cwd: dir });
        expect([0, 1, 2], `${args.join(' ')}: ${other.err()}`).toContain(await main(args, other));
      }
      rmSync(dir, { recursive: true, force: true });
    },
    120_000,
  );
});
