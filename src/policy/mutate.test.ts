import { describe, expect, it } from 'vitest';
import {
  applyJsonPatch,
  diffJsonPatch,
  mergeApplyConfiguration,
  rewriteTypedLiterals,
  type JsonPatchOp,
} from './mutate.js';

describe('rewriteTypedLiterals', () => {
  it.each<[string, string]>([
    ['Object{spec: Object.spec{replicas: 1}}', '{"spec": {"replicas": 1}}'],
    ['JSONPatch{op: "add", path: "/a", value: x ? y : z}', '{"op": "add", "path": "/a", "value": x ? y : z}'],
    [
      "Object{metadata: Object.metadata{labels: {'a': 'Object{x: 1}'}}}",
      '{"metadata": {"labels": {\'a\': \'Object{x: 1}\'}}}',
    ],
    ['[1, 2].map(i, Object.spec.containers.item{name: string(i)})', '[1, 2].map(i, {"name": string(i)})'],
    ['{"plain": map}', '{"plain": map}'],
  ])('%s', (input, want) => {
    expect(rewriteTypedLiterals(input)).toBe(want);
  });
});

describe('mergeApplyConfiguration', () => {
  it.each<[string, unknown, unknown, unknown]>([
    ['maps merge key by key', { a: 1, b: { c: 2 } }, { b: { d: 3 } }, { a: 1, b: { c: 2, d: 3 } }],
    ['null removes a field', { a: 1, b: 2 }, { b: null }, { a: 1 }],
    ['atomic lists are replaced', { args: ['a', 'b'] }, { args: ['c'] }, { args: ['c'] }],
    [
      'containers merge by name and new ones are appended',
      { containers: [{ name: 'a', image: 'x' }] },
      {
        containers: [
          { name: 'a', image: 'y' },
          { name: 'b', image: 'z' },
        ],
      },
      {
        containers: [
          { name: 'a', image: 'y' },
          { name: 'b', image: 'z' },
        ],
      },
    ],
    [
      'ports merge by containerPort and protocol (TCP by default)',
      { ports: [{ containerPort: 80, name: 'http' }] },
      { ports: [{ containerPort: 80, protocol: 'TCP', hostPort: 0 }] },
      { ports: [{ containerPort: 80, name: 'http', protocol: 'TCP', hostPort: 0 }] },
    ],
  ])('%s', (_n, base, patch, want) => {
    expect(mergeApplyConfiguration(base, patch)).toEqual(want);
  });
});

describe('applyJsonPatch', () => {
  const doc = { a: { b: [1, 2] }, 'x/y': 1 };
  it.each<[string, JsonPatchOp[], unknown]>([
    ['add to a map', [{ op: 'add', path: '/a/c', value: 3 }], { a: { b: [1, 2], c: 3 }, 'x/y': 1 }],
    ['append with -', [{ op: 'add', path: '/a/b/-', value: 3 }], { a: { b: [1, 2, 3] }, 'x/y': 1 }],
    ['insert at an index', [{ op: 'add', path: '/a/b/0', value: 0 }], { a: { b: [0, 1, 2] }, 'x/y': 1 }],
    ['replace', [{ op: 'replace', path: '/a/b/1', value: 9 }], { a: { b: [1, 9] }, 'x/y': 1 }],
    ['remove an escaped key', [{ op: 'remove', path: '/x~1y' }], { a: { b: [1, 2] } }],
    ['move', [{ op: 'move', from: '/a/b', path: '/b' }], { a: {}, 'x/y': 1, b: [1, 2] }],
    ['copy', [{ op: 'copy', from: '/a/b/0', path: '/z' }], { a: { b: [1, 2] }, 'x/y': 1, z: 1 }],
    ['test passes', [{ op: 'test', path: '/a/b/0', value: 1 }], doc],
  ])('%s', (_n, ops, want) => {
    expect(applyJsonPatch(doc, ops)).toEqual(want);
    expect(doc).toEqual({ a: { b: [1, 2] }, 'x/y': 1 });
  });

  it.each<[string, JsonPatchOp, string]>([
    ['replace of a missing key', { op: 'replace', path: '/nope', value: 1 }, 'does not exist'],
    ['remove of a missing key', { op: 'remove', path: '/a/nope' }, 'does not exist'],
    ['index out of range', { op: 'add', path: '/a/b/5', value: 1 }, 'out of range'],
    ['a failing test', { op: 'test', path: '/a/b/0', value: 2 }, 'test failed'],
    ['a path without a leading slash', { op: 'add', path: 'a', value: 1 }, 'invalid JSON pointer'],
  ])('%s is an error naming the operation', (_n, op, message) => {
    expect(() => applyJsonPatch(doc, [op])).toThrow(message);
    expect(() => applyJsonPatch(doc, [op])).toThrow(`JSON patch operation 0 (${op.op} ${op.path})`);
  });
});

describe('diffJsonPatch', () => {
  it.each<[string, unknown, unknown]>([
    ['nested adds and removes', { a: { b: 1, c: 2 } }, { a: { b: 1, d: 3 } }],
    ['equal-length arrays by index', { l: [1, 2, 3] }, { l: [1, 5, 3] }],
    ['different-length arrays replaced', { l: [1] }, { l: [1, 2] }],
    ['keys that need escaping', { m: {} }, { m: { 'a/b~c': 1 } }],
  ])('%s: applying the diff gives the target', (_n, a, b) => {
    expect(applyJsonPatch(a, diffJsonPatch(a, b))).toEqual(b);
  });

  it('no change, no operations', () => {
    expect(diffJsonPatch({ a: [1] }, { a: [1] })).toEqual([]);
  });
});
