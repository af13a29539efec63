/**
 * Rule tests: every rule may carry `tests` (a raw input record, the expected verdict, and feed
 * indicators for that case). Running them normalises the record, attaches feed hits and
 * evaluates the rule's prefilter and condition (thresholds are not counted in a single case).
 */
import {
  celVariables,
  EMPTY_SETTINGS,
  evaluateCondition,
  prefilter,
  type DetectSettings,
} from './detector.js';
import { IntelIndex, normalizeIndicator } from './intel.js';
import { normalizeRecord } from './normalize-runtime.js';
import type { IndicatorType } from './event.js';
import type { CompiledRule } from './rule.js';

/** The verdict of one rule test. */
export interface RuleTestResult {
  rule: string;
  test: string;
  expected: boolean;
  /** What the rule said; a string when the record or the condition failed. */
  actual: boolean | string;
  pass: boolean;
}

const INDICATOR_TYPES = new Set(['ip', 'cidr', 'domain', 'url', 'image-digest', 'file-hash', 'user-agent']);

/** Whether `rule` fires on one raw record, with the given indicators loaded. */
export function ruleFires(
  rule: CompiledRule,
  record: unknown,
  indicators: readonly { type: string; value: string }[] = [],
  settings?: DetectSettings,
): boolean | string {
  const n = normalizeRecord(record, 'test');
  if (!n.ok) return `input: ${n.error}`;
  const ev = n.value;
  if (ev === undefined) return false;
  if (indicators.length > 0) {
    const index = new IntelIndex();
    for (const i of indicators) {
      if (!INDICATOR_TYPES.has(i.type)) return `intel: unknown indicator type ${i.type}`;
      const type = i.type as IndicatorType;
      const value = normalizeIndicator(type, i.value);
      if (value === undefined) return `intel: not a valid ${i.type}: ${i.value}`;
      index.add({ type, value, feed: 'test', confidence: 100, description: '' });
    }
    ev.intel = index.matchEvent(ev);
  }
  if (!prefilter(rule, ev, settings ?? EMPTY_SETTINGS)) return false;
  return evaluateCondition(rule, celVariables(ev, settings));
}

/** Runs the tests of every rule. */
export function runRuleTests(rules: readonly CompiledRule[], settings?: DetectSettings): RuleTestResult[] {
  const out: RuleTestResult[] = [];
  for (const rule of rules)
    for (const t of rule.spec.tests) {
      const actual = ruleFires(rule, t.event, t.intel ?? [], settings);
      out.push({ rule: rule.spec.id, test: t.name, expected: t.expect, actual, pass: actual === t.expect });
    }
  return out;
}
