import { describe, expect, it } from 'vitest';
import { builtinRules } from './load.js';
import { runRuleTests } from './suite.js';
import { EMPTY_SETTINGS } from './detector.js';

describe('built-in detection rules', () => {
  const rules = builtinRules();

  it('has at least 40 rules, each with a MITRE technique', () => {
    expect(rules.length).toBeGreaterThanOrEqual(40);
    for (const r of rules) expect(r.spec.mitre.length, r.spec.id).toBeGreaterThan(0);
  });

  const results = runRuleTests(rules, EMPTY_SETTINGS);
  it.each(results.map((r) => [`${r.rule}: ${r.test}`, r] as const))('%s', (_name, r) => {
    expect(r.actual).toBe(r.expected);
  });

  it('every rule without a threshold has a firing and a quiet test case', () => {
    for (const r of rules) {
      if (r.spec.threshold || r.spec.id === 'unapproved-registry') continue;
      expect(
        r.spec.tests.some((t) => t.expect),
        r.spec.id,
      ).toBe(true);
      expect(
        r.spec.tests.some((t) => !t.expect),
        r.spec.id,
      ).toBe(true);
    }
  });
});
