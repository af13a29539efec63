import { describe, expect, it } from 'vitest';
import { Environment } from '@marcbachmann/cel-js';
import { createCelEngine, toCelValue, type CelEngine } from './engine.js';
import { shortcutComparison, shortcutOptionalChain, type CelAstNode } from './fast-paths.js';

const fast = createCelEngine({ mode: 'interpreter' });
const plain = createCelEngine({ fastPaths: false, mode: 'interpreter' });
const compiled = createCelEngine({ mode: 'compiled' });

/** Value or error of one evaluation, and the cost it took, in a comparable form. */
function outcome(engine: CelEngine, expr: string, object: unknown): string {
  const c = engine.compile(expr);
  if (!c.ok) return `compile error: ${c.error}`;
  const budget = { remaining: 1e6 };
  const r = c.value.evaluate({ object, variables: {} }, budget);
  const cost = `cost ${1e6 - budget.remaining}`;
  if (!r.ok) return `${r.error.code}: ${r.error.message} (${cost})`;
  return `ok: ${JSON.stringify(r.value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v instanceof Map ? [...v] : v))} (${cost})`;
}

const EXPRESSIONS = [
  'object.?a.orValue(7)',
  'object.?a.?b.orValue(7)',
  "object.spec.?a.?b.orValue('d')",
  'object.?a.?b.?c.orValue([1])',
  'object.?a.?b.orValue(false) == true',
  '[object].all(c, c.?a.?b.orValue(0) == 0)',
  'object.?a.?b.orValue(object.?x.orValue(1))',
  'object.spec.?a.orValue(1) + 1',
  'object.list.all(c, c.?a.orValue(1) != 0)',
  'object.?a.orValue(null) == object.?b.orValue(null)',
  'object.?a.orValue(null) != object.?b.orValue(null)',
  'object.?a.orValue(null) in object.?b.orValue([])',
  "object.?a.orValue('') in ['x', 'y', '']",
  "'x' in object.?a.orValue(['x'])",
  'object.?a.orValue(1) == 1',
  'object.?a.orValue(1.5) != 1.5',
];

// Every shape a field on the way can have: absent, null, scalars, lists, maps (plain and Map),
// nested optionals' targets, a `__proto__` key, and a missing base.
const LEAVES: unknown[] = [undefined, null, 0, 1, 1.5, 'x', '', true, false, [], [1], {}, { c: 2 }];
const INPUTS: unknown[] = [];
for (const leaf of LEAVES) {
  INPUTS.push({ a: leaf });
  INPUTS.push({ a: { b: leaf } });
  INPUTS.push({ spec: { a: { b: leaf } }, list: [{ a: leaf }] });
  INPUTS.push({ a: { b: { c: leaf } } });
  INPUTS.push(new Map<string, unknown>([['a', new Map([['b', leaf]])]]));
}
INPUTS.push({}, null, 'str', [1, 2], { spec: null }, { spec: 'x' }, { spec: {} }, { list: [] });
INPUTS.push(
  JSON.parse('{"a":{"__proto__":{"b":3}}}') as unknown,
  JSON.parse('{"__proto__":{"a":1}}') as unknown,
);
INPUTS.push({ a: Object.create(null) as unknown }, { a: new Date(0) }, { a: { b: new Date(0) } });
// Operand pairs for the comparisons: same and different types, lists of every element type.
const OPERANDS: unknown[] = [
  'x',
  '',
  'y',
  true,
  false,
  0,
  1,
  2,
  0.5,
  1.5,
  -0,
  NaN,
  null,
  [],
  ['x'],
  ['y', 'x'],
  [1, 'x'],
  ['x', 1],
  [1],
  [[]],
  {},
  { x: 1 },
];
for (const a of OPERANDS) for (const b of OPERANDS) INPUTS.push({ a, b });

describe('fast paths (interpreted and compiled) give what cel-js gives', () => {
  it.each(EXPRESSIONS)('%s on every input shape', (expr) => {
    let compared = 0;
    for (const input of INPUTS) {
      const object = toCelValue(input);
      const reference = outcome(plain, expr, object);
      expect(outcome(fast, expr, object), JSON.stringify(input)).toBe(reference);
      expect(outcome(compiled, expr, object), `compiled, ${JSON.stringify(input)}`).toBe(reference);
      compared++;
    }
    expect(compared).toBe(INPUTS.length);
  });

  it.each<[string, boolean]>([
    ['object.?a.?b.orValue(1)', true],
    ['object.spec.?a.orValue(1)', true],
    ['object.list[0].?a.orValue(1)', false],
    ['optional.of(object).orValue(1)', false],
    ["object[?'a'].orValue(1)", false],
  ])('%s takes the shortcut: %s', (expr, expected) => {
    const env = new Environment({ unlistedVariablesAreDyn: false, enableOptionalTypes: true });
    env.registerVariable('object', 'dyn');
    const parsed = env.parse(expr);
    expect(parsed.check().valid).toBe(true);
    expect(shortcutOptionalChain(parsed.ast as unknown as CelAstNode)).toBe(expected);
  });

  it.each<[string, boolean]>([
    ["object.a == 'x'", true],
    ['object.a != 1', true],
    ["object.a in ['x']", true],
    ['object.a + 1', false],
    ['object.a < 1', false],
  ])('%s takes the comparison shortcut: %s', (expr, expected) => {
    const env = new Environment({ unlistedVariablesAreDyn: false, enableOptionalTypes: true });
    env.registerVariable('object', 'dyn');
    const parsed = env.parse(expr);
    expect(parsed.check().valid).toBe(true);
    expect(shortcutComparison(parsed.ast as unknown as CelAstNode)).toBe(expected);
  });
});
