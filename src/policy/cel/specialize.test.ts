import { describe, expect, it } from 'vitest';
import { fieldReader, framePrologue, optionalChainReader, stringMembership } from './specialize.js';

const GENERAL = Symbol('general');
const FALLBACK = Symbol('fallback');

describe('fieldReader', () => {
  it.each<[string, unknown, string, unknown]>([
    ['a JSON field', { a: 'x' }, 'a', 'x'],
    ['an int field', { a: 5n }, 'a', 5n],
    ['a nested object', { a: { b: 1n } }, 'a', { b: 1n }],
    ['a list', { a: [1n] }, 'a', [1n]],
    ['null', { a: null }, 'a', null],
    ['a missing key goes to the general path', { a: 1n }, 'b', GENERAL],
    ['an inherited key goes to the general path', {}, 'toString', GENERAL],
    ['a Map goes to the general path', new Map([['a', 1n]]), 'a', GENERAL],
    ['a string goes to the general path', 'abc', 'length', GENERAL],
    ['null goes to the general path', null, 'a', GENERAL],
    ['a field holding a function goes to the general path', { a: () => 1 }, 'a', GENERAL],
    ['an object of another class goes to the general path', { a: new Date(0) }, 'a', GENERAL],
    ['a key with quotes and code in it is data', { '"]); throw 1; (["': 'q' }, '"]); throw 1; (["', 'q'],
    ['a key with a line separator', { 'a\u2028b': 'ls' }, 'a\u2028b', 'ls'],
    ['a __proto__ key is a field', JSON.parse('{"__proto__": "p"}') as unknown, '__proto__', 'p'],
    ['an own constructor key makes it the general path', { constructor: 'c' }, 'constructor', GENERAL],
  ])('%s', (_name, object, key, want) => {
    const read = fieldReader(
      key,
      () => object,
      () => GENERAL,
    );
    expect(read(undefined as never)).toEqual(want);
  });
});

describe('optionalChainReader', () => {
  it.each<[string, unknown, string[], unknown]>([
    ['present at depth 2', { a: { b: 'x' } }, ['a', 'b'], 'x'],
    ['missing at depth 1', { c: 1n }, ['a', 'b'], FALLBACK],
    ['missing at depth 2', { a: {} }, ['a', 'b'], FALLBACK],
    ['through a Map', { a: new Map([['b', 2n]]) }, ['a', 'b'], 2n],
    ['missing in a Map', { a: new Map() }, ['a', 'b'], FALLBACK],
    ['a string in the middle goes to the general path', { a: 's' }, ['a', 'b'], GENERAL],
    ['null in the middle goes to the general path', { a: null }, ['a', 'b'], GENERAL],
    ['a list in the middle goes to the general path', { a: [] }, ['a', 'b'], GENERAL],
    ['a non-plain value goes to the general path', { a: new Date(0) }, ['a'], GENERAL],
    ['quoted keys are data', { '\'"`${x}': { '\\': 1n } }, ['\'"`${x}', '\\'], 1n],
  ])('%s', (_name, object, keys, want) => {
    const read = optionalChainReader(
      keys,
      () => object,
      () => GENERAL,
      () => FALLBACK,
    );
    expect(read(undefined as never)).toEqual(want);
  });
});

describe('framePrologue', () => {
  const UNCHECKED = Symbol('unchecked');
  const dyn = { kind: 'dyn', matchesValueType: () => false };
  const onlyStrings = { kind: 'primitive', matchesValueType: (v: unknown) => typeof v === 'string' };
  const frame = (vars: Record<string, unknown>): unknown[] =>
    framePrologue(
      4,
      [
        { name: 'object', slot: 1, type: dyn },
        { name: 'name', slot: 2, type: onlyStrings },
        { name: "x'];throw 1;['", slot: 3, type: dyn },
      ],
      (f) => f,
      undefined,
      UNCHECKED,
    )(vars) as unknown[];

  it.each<[string, Record<string, unknown>, unknown[]]>([
    [
      'plain values are kept',
      { object: { a: 1n }, name: 'n', "x'];throw 1;['": [1n] },
      [{ a: 1n }, 'n', [1n]],
    ],
    ['missing variables are unchecked', {}, [UNCHECKED, UNCHECKED, UNCHECKED]],
    ['a value of another type is unchecked', { name: 5n }, [UNCHECKED, UNCHECKED, UNCHECKED]],
    ['a function in a dyn variable is unchecked', { object: () => 1 }, [UNCHECKED, UNCHECKED, UNCHECKED]],
    ['null is a plain value', { object: null }, [null, UNCHECKED, UNCHECKED]],
  ])('%s', (_name, vars, slots) => {
    const f = frame(vars);
    expect(f[0]).toBe(vars);
    expect(f.slice(1)).toEqual(slots);
  });
});

describe('stringMembership', () => {
  it.each<[string, readonly string[], unknown, unknown]>([
    ['a listed string', ['a', 'b'], 'b', true],
    ['an unlisted string', ['a', 'b'], 'c', false],
    ['the empty list', [], 'a', false],
    ['quotes and code in the list are data', ["' || true || '", '"'], 'x', false],
    ['a quoted entry matches itself', ["' || true || '"], "' || true || '", true],
    ['a non-string goes to the general path', ['1'], 1n, GENERAL],
  ])('%s', (_name, strings, value, want) => {
    const member = stringMembership(
      strings,
      () => value,
      () => GENERAL,
    );
    expect(member(undefined as never)).toBe(want);
  });
});
