import { describe, expect, it } from 'vitest';
import { formatGoFloat } from './config-value.js';
import { executeJsonPath, parseJsonPath } from './jsonpath.js';
import { decodeConfig } from './lookup.js';

describe('jsonpath subset', () => {
  const doc = 'a:\n  b: 1\n  c: [x, z]\n  f: 1.5\n  t: true\nn: null\n';
  it.each([
    ['{.a.b}', '1'],
    ["{.a['b']}", '1'],
    ['{.a.c[1]}', 'z'],
    ['{.a.c}', '[x z]'],
    ["{range .a.c[:]}{}{','}{end}", 'x,z,'],
    ['{.a.f}', '1.5'],
    ['{.a.t}', 'true'],
    ['{.missing.deep}', ''],
    ['{.n}', ''],
    ['v={.a.b}', 'v=1'],
  ])('%s gives %j', (path, want) => {
    const d = decodeConfig(doc);
    const p = parseJsonPath(path);
    if (!d.ok || !p.ok) throw new Error('parse');
    expect(executeJsonPath(p.value, d.value)).toBe(want);
  });

  it.each(['{.a', '{range .a}', '{end}', '{.a[x]}'])('rejects %s', (path) => {
    expect(parseJsonPath(path).ok).toBe(false);
  });

  it.each([
    [15000, '15000'],
    [1000000, '1e+06'],
    [123456789, '1.23456789e+08'],
    [0.5, '0.5'],
    [0.00001, '1e-05'],
  ])('formats float64 %d as Go does: %s', (n, s) => {
    expect(formatGoFloat(n)).toBe(s);
  });

  it('keeps JSON numbers as floats and YAML integers as integers', () => {
    const p = parseJsonPath('{.x}');
    const j = decodeConfig('{"x": 1000000}');
    const y = decodeConfig('x: 1000000');
    if (!p.ok || !j.ok || !y.ok) throw new Error('parse');
    expect([executeJsonPath(p.value, j.value), executeJsonPath(p.value, y.value)]).toEqual([
      '1e+06',
      '1000000',
    ]);
  });
});
