import { describe, expect, it } from 'vitest';
import { evaluateTests, statusOf, statusWithoutAudit } from './evaluate.js';
import { argvFlags, brokenConfig, textFlags } from './lookup.js';
import type { CisCheck, Tests } from './types.js';

function check(extra: Partial<CisCheck>): CisCheck {
  return {
    id: 'x',
    section: 'master',
    group: { id: '1', title: 'g' },
    text: 't',
    scored: true,
    remediation: 'r',
    ...extra,
  };
}

const SOME: Tests = { items: [{ flag: '--a' }] };

describe('status rules', () => {
  it.each([
    [check({ type: 'manual' }), 'warn'],
    [check({ type: 'skip', tests: SOME }), 'skip'],
    [check({}), 'warn'],
    [check({ tests: { items: [] } }), 'fail'],
    [check({ scored: false, tests: { items: [] } }), 'warn'],
  ])('%# decides %s before any audit', (c, status) => {
    expect(statusWithoutAudit(c)?.status).toBe(status);
  });

  it('needs an audit for a check with tests', () => {
    expect(statusWithoutAudit(check({ tests: SOME }))).toBeUndefined();
  });

  it.each([
    [true, true, [], 'pass'],
    [true, false, [], 'fail'],
    [false, false, [], 'warn'],
    [true, false, ['config unreadable'], 'error'],
  ])('scored=%s pass=%s errors=%j is %s', (scored, pass, errors, status) => {
    expect(statusOf(check({ scored }), { pass, expected: '', items: [], errors })).toBe(status);
  });
});

describe('evaluateTests', () => {
  it('fails on an unknown bin_op with an error', () => {
    const r = evaluateTests(
      { binOp: 'xor' as 'and', items: [{ flag: '--a' }] },
      { command: [argvFlags(['--a'])] },
      false,
    );
    expect(r.pass).toBe(false);
    expect(r.errors).toEqual(['unknown binary operator for tests xor']);
  });

  it('looks in the config only when the check has one', () => {
    const tests: Tests = { items: [{ flag: '--x', path: '{.x}', set: false }] };
    const data = { command: [argvFlags([])], config: brokenConfig('bad') };
    expect(evaluateTests(tests, data, false).pass).toBe(true);
    const withConfig = evaluateTests(tests, data, true);
    expect([withConfig.pass, withConfig.errors]).toEqual([false, ['bad']]);
  });

  it('stops at the first failing line with multiple values and names it', () => {
    const tests: Tests = { items: [{ flag: 'permissions', compare: { op: 'bitmask', value: '600' } }] };
    const rows = ['permissions=600', 'permissions=644', 'permissions=777'].map(textFlags);
    const r = evaluateTests(tests, { command: rows }, false);
    expect(r.pass).toBe(false);
    expect(r.items[0]).toMatchObject({ line: 1, value: '644' });
  });

  it.each([
    [['--f', 'value'], 'eq', 'value', true],
    [['--f', '--g'], 'eq', 'true', true],
    [['--f'], '', '', true],
    [['--f='], 'eq', '', true],
  ])('argv %j with op %j reads the value %j', (args, op, value, pass) => {
    const r = evaluateTests(
      { items: [{ flag: '--f', ...(op ? { compare: { op, value } } : {}) }] },
      { command: [argvFlags(args)] },
      false,
    );
    expect(r.pass).toBe(pass);
  });
});
