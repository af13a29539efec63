import { describe, expect, it } from 'vitest';
import { DecisionRing } from './decision-log.js';
import type { DecisionRecord } from './decide.js';
import { auditAnnotationKey, limitWarnings, sanitizeWarning, truncate } from './text.js';
import { compileAdmissionConfig, parseAdmissionConfig } from './config.js';

describe('text limits', () => {
  it.each([
    ['short', 10, 'short'],
    ['exactly10!', 10, 'exactly10!'],
    ['longer than ten', 10, 'longer th…'],
    // Never splits a surrogate pair.
    ['abcdefgh\u{1F600}xyz', 10, 'abcdefgh…'],
  ])('truncate(%j, %i) = %j', (s, max, expected) => {
    expect(truncate(s, max)).toBe(expected);
    expect(truncate(s, max).length).toBeLessThanOrEqual(max);
  });

  it('replaces control characters in warnings', () => {
    expect(sanitizeWarning('a\nb\u001b[31mc\u0085')).toBe('a b [31mc ');
  });

  it('keeps all warnings when they fit and says how many were cut otherwise', () => {
    expect(limitWarnings(['a', 'b'])).toEqual(['a', 'b']);
    const many = Array.from({ length: 100 }, (_, i) => `${i} ${'w'.repeat(100)}`);
    const out = limitWarnings(many);
    expect(out.join('').length).toBeLessThanOrEqual(4096);
    expect(out.at(-1)).toBe(`palisade: ${100 - (out.length - 1)} more warnings not shown`);
  });

  it.each([
    ['enforce-policy', 'enforce-policy'],
    ['no-latest/image-tag', 'no-latest.image-tag'],
    ['weird key!', 'weird-key'],
    ['-x-', 'x'],
    ['x'.repeat(80), 'x'.repeat(63)],
    ['///', 'annotation'],
  ])('auditAnnotationKey(%j) = %j', (key, expected) => {
    expect(auditAnnotationKey(key)).toBe(expected);
    // Again, from the keys already turned.
    expect(auditAnnotationKey(key)).toBe(expected);
  });

  it('keeps turning keys right past the bound of remembered ones', () => {
    for (let i = 0; i < 3000; i++) expect(auditAnnotationKey(`p/${i}!`)).toBe(`p.${i}`);
    expect(auditAnnotationKey('no-latest/image-tag')).toBe('no-latest.image-tag');
  });
});

describe('DecisionRing', () => {
  const rec = (uid: string): DecisionRecord & { time: string } => ({
    time: '2026-12-02T00:00:00.000Z',
    uid,
    endpoint: 'validate',
    operation: 'CREATE',
    kind: 'Pod',
    resource: 'pods',
    namespace: 'ns',
    name: 'n',
    username: 'u',
    dryRun: false,
    result: 'deny',
    violations: [],
    policyDecisions: [],
    errors: [],
    patched: false,
  });
  it.each([
    [3, ['a', 'b'], ['a', 'b']],
    [3, ['a', 'b', 'c', 'd', 'e'], ['c', 'd', 'e']],
    [0, ['a'], []],
  ])('capacity %i keeps the newest, oldest first', (capacity, uids, kept) => {
    const ring = new DecisionRing(capacity);
    for (const u of uids) ring.record(rec(u));
    expect(ring.list().map((e) => e.uid)).toEqual(kept);
  });
});

describe('admission configuration', () => {
  const base = { apiVersion: 'palisade.dev/v1', kind: 'AdmissionConfiguration' };
  it.each<[string, Record<string, unknown>, string[]]>([
    ['unknown field', { ...base, enforce: 'all' }, ['']],
    ['bad listen', { ...base, listen: 'localhost' }, ['listen']],
    ['bad version', { ...base, defaults: { enforceVersion: 'v2' } }, ['defaults.enforceVersion']],
    ['bad failure policy', { ...base, failurePolicy: 'Maybe' }, ['failurePolicy']],
    ['tiny body limit', { ...base, maxBodyBytes: 10 }, ['maxBodyBytes']],
    ['wrong kind', { ...base, kind: 'Config' }, ['kind']],
  ])('%s is reported with its path', (_name, doc, paths) => {
    const r = parseAdmissionConfig(doc);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.map((i) => i.path)).toEqual(paths);
  });

  it('reports unknown default levels and policy-set members when compiled', () => {
    const parsed = parseAdmissionConfig({
      ...base,
      defaults: { enforce: 'nope', warn: 'all' },
      policySets: { team: ['workload/no-privileged', 'missing/control'] },
    });
    if (!parsed.ok) throw new Error('parse');
    const r = compileAdmissionConfig(parsed.value);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.map((i) => i.path)).toEqual(['policySets.team[1]', 'defaults.enforce']);
  });

  it('fills defaults', () => {
    const r = parseAdmissionConfig(base);
    expect(r.ok && r.value).toMatchObject({
      listen: '0.0.0.0:8443',
      maxBodyBytes: 3 * 1024 * 1024,
      failurePolicy: 'Fail',
      tls: { reloadIntervalMs: 2000, clientNames: [] },
      decisionLog: { size: 1000 },
    });
  });
});
