import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../core/index.js';
import { parseManifests } from '../../load/index.js';
import { compilePolicies, type CompiledExpression } from '../compile.js';
import { evaluateRequest } from '../evaluate.js';
import { createAttributes } from '../scan.js';
import { parsePolicyTest } from '../suite.js';
import { celJsEnvironment, celJsRun } from '../conformance/adapters.js';
import { runConformanceFile, type ConformanceAdapter } from '../conformance/runner.js';
import { createCelEngine, toCelValue, type CelEngine } from './engine.js';
import { authorizerValue } from './k8s-lib.js';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
const CONFORMANCE = path.resolve(
  repoRoot,
  '../shared/oracles/cel/cel-spec-conformance/tests/simple/testdata',
);
const EXAMPLES = path.resolve(repoRoot, 'examples/policies');

const interpreter = createCelEngine({ mode: 'interpreter' });
const compiled = createCelEngine({ mode: 'compiled' });

function show(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    typeof x === 'bigint' ? `${x}n` : x instanceof Map ? [...x] : x instanceof Set ? [...x] : x,
  );
}

/** Value or error, and the cost charged, of one expression on one activation. */
function outcome(engine: CelEngine, expr: string, vars: Record<string, unknown>, limit = 1e6): string {
  const c = engine.compile(expr);
  if (!c.ok) return `compile error: ${c.error}`;
  const budget = { remaining: limit };
  const r = c.value.evaluate(vars, budget);
  const cost = limit - budget.remaining;
  return r.ok ? `ok ${show(r.value)} cost ${cost}` : `${r.error.code}: ${r.error.message} cost ${cost}`;
}

describe.skipIf(!existsSync(CONFORMANCE))('compiled CEL against the interpreter: cel-spec corpus', () => {
  it('every conformance expression gives the same value or error (message and position) both ways, and the same cost', () => {
    const env = celJsEnvironment();
    const mismatches: string[] = [];
    let compared = 0;
    let metered = 0;
    const adapter: ConformanceAdapter = {
      name: 'differential',
      run(expr, bindings) {
        const a = celJsRun(env, 'interpreter', expr, bindings);
        const b = celJsRun(env, 'compiled', expr, bindings);
        compared++;
        if (JSON.stringify(a) !== JSON.stringify(b))
          mismatches.push(
            `${expr}\n  interpreter: ${JSON.stringify(a)}\n  compiled:    ${JSON.stringify(b)}`,
          );
        // Expressions without bindings also run in the admission engine, metered: same value,
        // error and cost both ways, with room and with a limit that stops most of them.
        if (Object.keys(bindings).length === 0)
          for (const limit of [1e6, 5]) {
            const x = outcome(interpreter, expr, {}, limit);
            const y = outcome(compiled, expr, {}, limit);
            if (!x.startsWith('compile error')) metered++;
            if (x !== y)
              mismatches.push(`${expr} (limit ${limit})\n  interpreter: ${x}\n  compiled:    ${y}`);
          }
        return a;
      },
    };
    for (const f of readdirSync(CONFORMANCE).filter((x) => x.endsWith('.textproto')))
      runConformanceFile(adapter, f, readFileSync(path.join(CONFORMANCE, f), 'utf8'));
    console.log(
      `compiled/interpreter differential: ${compared} conformance expressions compared, ${metered} runs with costs`,
    );
    expect(compared).toBeGreaterThan(2000);
    expect(metered).toBeGreaterThan(1000);
    expect(mismatches.slice(0, 20)).toEqual([]);
  });
});

interface ExampleSuite {
  dir: string;
  expressions: (CompiledExpression & { name?: string })[];
  objects: unknown[];
}

/** The objects and old objects the test cases of an example folder use. */
function caseObjects(folder: string): unknown[] {
  const out: unknown[] = [];
  for (const f of readdirSync(folder).filter((x) => x.endsWith('.test.yaml')))
    for (const r of parseManifests(readFileSync(path.join(folder, f), 'utf8'), f).resources) {
      const suite = parsePolicyTest(r.object);
      if (!suite.ok) throw new Error(`${folder}/${f}: ${suite.error}`);
      for (const c of suite.value.cases) out.push(c.object ?? null, c.oldObject ?? null);
    }
  return out;
}

/** Every example policy directory: its compiled expressions and the objects its test cases use. */
function exampleSuites(): ExampleSuite[] {
  return readdirSync(EXAMPLES).map((dir) => {
    const folder = path.join(EXAMPLES, dir);
    const resources = readdirSync(folder)
      .filter((f) => f.endsWith('.yaml') && !f.endsWith('.test.yaml'))
      .flatMap((f) => parseManifests(readFileSync(path.join(folder, f), 'utf8'), f).resources);
    const { set, errors } = compilePolicies(resources, { engine: interpreter });
    if (errors.length > 0) throw new Error(`${dir}: ${JSON.stringify(errors)}`);
    const expressions: (CompiledExpression & { name?: string })[] = [];
    for (const p of [...set.validating, ...set.mutating]) {
      expressions.push(...p.variables, ...p.matchConditions);
      if (p.kind === 'ValidatingAdmissionPolicy') {
        expressions.push(...p.validations, ...p.auditAnnotations);
        for (const v of p.validations)
          if (v.messageProgram)
            expressions.push({
              expression: v.messageProgram.expression,
              path: v.path,
              program: v.messageProgram,
            });
      } else expressions.push(...p.mutations);
    }
    return { dir, expressions, objects: caseObjects(folder) };
  });
}

describe('compiled CEL against the interpreter: example policies', () => {
  const suites = exampleSuites();

  it('finds the example policies and their cases', () => {
    expect(suites.length).toBeGreaterThanOrEqual(10);
    expect(suites.every((s) => s.expressions.length > 0 && s.objects.length > 0)).toBe(true);
  });

  it.each(suites.map((s) => [s.dir, s] as const))(
    '%s: every expression on every case object gives the same value, error and cost',
    (_dir, suite) => {
      let compared = 0;
      for (const object of suite.objects) {
        const cel = toCelValue(object);
        const base = {
          object: cel,
          oldObject: null,
          request: toCelValue({ operation: 'CREATE', namespace: 'shop', userInfo: { username: 'alice' } }),
          params: null,
          namespaceObject: null,
          authorizer: authorizerValue(undefined),
        };
        // Variables as the interpreter computes them (each sees the ones before it).
        const variables: Record<string, unknown> = {};
        for (const e of suite.expressions) {
          expect(outcome(compiled, e.expression, { ...base, variables }), e.expression).toBe(
            outcome(interpreter, e.expression, { ...base, variables }),
          );
          // A tight limit: both paths stop at the same point, with the same charge.
          expect(outcome(compiled, e.expression, { ...base, variables }, 7), e.expression).toBe(
            outcome(interpreter, e.expression, { ...base, variables }, 7),
          );
          compared++;
          const r = e.program.evaluate({ ...base, variables }, { remaining: 1e6 });
          if (r.ok && e.name !== undefined) variables[e.name] = r.value;
        }
      }
      expect(compared).toBe(suite.objects.length * suite.expressions.length);
    },
  );

  it.each(suites.map((s) => [s.dir] as const))('%s: whole requests decide alike both ways', (dir) => {
    const folder = path.join(EXAMPLES, dir);
    const resources = readdirSync(folder)
      .filter((f) => f.endsWith('.yaml') && !f.endsWith('.test.yaml'))
      .flatMap((f) => parseManifests(readFileSync(path.join(folder, f), 'utf8'), f).resources);
    const a = compilePolicies(resources, { engine: interpreter }).set;
    const b = compilePolicies(resources, { engine: compiled }).set;
    let compared = 0;
    for (const object of caseObjects(folder)) {
      if (object === null || typeof object !== 'object') continue;
      const attrs = createAttributes(object as KubeObject, null);
      expect(show(evaluateRequest(b, attrs))).toBe(show(evaluateRequest(a, attrs)));
      compared++;
    }
    expect(compared).toBeGreaterThan(0);
  });
});

describe('compiled CEL: folded constants and adversarial shapes cost what the interpreter charges', () => {
  const vars = { object: toCelValue({ items: [1, 2, 3], s: 'x'.repeat(50) }), variables: {} };
  it.each<[string, number]>([
    ['size(lists.range(100)) == 100', 1e6],
    ["size('abcdefghijklmnop' + 'qrstuvwxyz0123456789') > 0", 1e6],
    ["[1, 2, 3].all(x, size('aaaaaaaaaaaaaaaaaaaa' + 'b') > 0)", 1e6],
    ['size(lists.range(2000000)) > 0', 1e6],
    ['size(lists.range(50000)) > 0', 1000],
    ["object.items.map(i, object.s + object.s + 'abcdefghijkl').size()", 1e6],
    ["object.items.map(i, object.s + object.s + 'abcdefghijkl').size()", 40],
    ['object.items.exists(i, i / 0 == 1) || true', 1e6],
    ['object.items.all(i, i / 0 == 1) && false', 1e6],
    ['object.items.exists_one(i, i == 2) && object.items.filter(i, i > 1).size() == 2', 1e6],
    ['object.missing.all(i, true)', 1e6],
    ['object.s.all(c, true)', 1e6],
    ['[1, 2, 3].all(x, dyn(x))', 1e6],
    ['1 / 0 == 1', 1e6],
    ['9223372036854775807 + 1 > 0', 1e6],
  ])('%s (limit %d)', (expr, limit) => {
    const reference = outcome(interpreter, expr, vars, limit);
    expect(reference).not.toMatch(/^compile error/);
    expect(outcome(compiled, expr, vars, limit)).toBe(reference);
  });
});
