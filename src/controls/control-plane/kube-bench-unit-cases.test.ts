/**
 * Runs kube-bench's own evaluator unit cases (check/test_test.go, extracted as data into
 * ../shared/oracles/cis-kube-bench) through Palisade's evaluator and prints the agreement.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { trimEndChars } from '../../core/index.js';
import { compareValues } from './compare.js';
import { evaluateTests, type AuditData } from './evaluate.js';
import { argvFlags, textConfig, textEnv, textFlags, type FlagLookup } from './lookup.js';
import {
  ORACLE_DIR,
  oraclePresent,
  readControls,
  toTests,
  type RawCheck,
} from './testdata/kube-bench-oracle.js';

interface CheckRef {
  group_index: number;
  check_index: number;
}
interface UnitCases {
  TestTestExecute: {
    cases: { check: CheckRef; str: string; strConfig: string; strEnv?: string; expectedTestResult: string }[];
  };
  TestCompareOp: {
    cases: {
      label: string;
      op: string;
      flagVal: string;
      compareValue: string;
      flagName: string;
      testResult: boolean;
      expectedResultPattern: string;
    }[];
  };
  TestTestExecuteExceptions: {
    cases: { check: CheckRef; str?: string; strConfig: string; strEnv?: string }[];
  };
}

const present = oraclePresent();
if (!present) console.log(`kube-bench unit cases skipped: ${ORACLE_DIR} is absent`);

const cases: UnitCases = present
  ? (JSON.parse(readFileSync(path.join(ORACLE_DIR, 'kube-bench-check-unit-cases.json'), 'utf8')) as UnitCases)
  : {
      TestTestExecute: { cases: [] },
      TestCompareOp: { cases: [] },
      TestTestExecuteExceptions: { cases: [] },
    };
const controls = present ? readControls('check-data.yaml') : { id: 0, type: '', groups: [] };

function checkAt(ref: CheckRef): RawCheck {
  const c = controls.groups[ref.group_index]?.checks[ref.check_index];
  if (!c) throw new Error(`no check ${ref.group_index}/${ref.check_index} in check-data.yaml`);
  return c;
}

function trimRight(s: string): string {
  return trimEndChars(s, ' \n');
}

/** Runs a kube-bench check on raw audit outputs, as kube-bench's Check.execute does. */
function execute(
  check: RawCheck,
  str: string,
  strConfig: string,
  strEnv: string,
  flags: (row: string) => FlagLookup = textFlags,
): ReturnType<typeof evaluateTests> {
  const tests = toTests(check.tests) ?? { items: [] };
  const out = trimRight(str);
  const rows = check.use_multiple_values ? out.split('\n') : [out];
  const data: AuditData = {
    command: rows.map(flags),
    config: textConfig(trimRight(strConfig)),
    env: textEnv(trimRight(strEnv)),
  };
  return evaluateTests(tests, data, (check.audit_config ?? '') !== '');
}

let agreed = 0;
let total = 0;
function tally(ok: boolean): void {
  total++;
  if (ok) agreed++;
}

describe.skipIf(!present)('kube-bench evaluator unit cases', () => {
  afterAll(() => {
    console.log(`kube-bench unit cases: ${agreed}/${total} agree`);
  });

  it.each(cases.TestTestExecute.cases.map((c, i) => [i, c] as const))('TestTestExecute #%i', (_i, c) => {
    const r = execute(checkAt(c.check), c.str, c.strConfig, c.strEnv ?? '');
    tally(r.pass && r.expected === c.expectedTestResult);
    expect({ pass: r.pass, expected: r.expected }).toEqual({ pass: true, expected: c.expectedTestResult });
  });

  it.each(cases.TestCompareOp.cases.map((c) => [c.label, c] as const))('TestCompareOp %s', (_l, c) => {
    const r = compareValues(c.op, c.flagVal, c.compareValue, c.flagName);
    tally(r.pass === c.testResult && r.expected === c.expectedResultPattern);
    expect({ pass: r.pass, expected: r.expected }).toEqual({
      pass: c.testResult,
      expected: c.expectedResultPattern,
    });
  });

  it.each(cases.TestTestExecuteExceptions.cases.map((c, i) => [i, c] as const))(
    'TestTestExecuteExceptions #%i',
    (_i, c) => {
      const r = execute(checkAt(c.check), c.str ?? '', c.strConfig, c.strEnv ?? '');
      tally(!r.pass);
      expect(r.pass).toBe(false);
    },
  );

  // Palisade reads real command lines as argument lists; the same cases, split into words,
  // must give the same results through that exact lookup.
  it('gives the same TestTestExecute results through the argv lookup', () => {
    const words = (row: string): FlagLookup => argvFlags(row.split(/[ \t]+/).filter((w) => w !== ''));
    const same = cases.TestTestExecute.cases.filter((c) => {
      const r = execute(checkAt(c.check), c.str, c.strConfig, c.strEnv ?? '', words);
      return r.pass && r.expected === c.expectedTestResult;
    }).length;
    console.log(
      `kube-bench TestTestExecute through the argv lookup: ${same}/${cases.TestTestExecute.cases.length} agree`,
    );
    expect(same).toBe(cases.TestTestExecute.cases.length);
  });

  it('covers all 112 cases', () => {
    expect(
      cases.TestTestExecute.cases.length +
        cases.TestCompareOp.cases.length +
        cases.TestTestExecuteExceptions.cases.length,
    ).toBe(112);
  });
});
