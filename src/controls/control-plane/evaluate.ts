/**
 * The pure evaluation of a check's tests against audit data, with kube-bench's semantics:
 * every item is looked up on the command line first; when the flag is not there and the check
 * has a config file, at the item's `path` in that file; then in the environment when the item
 * names a variable. `set: false` passes when nothing was found; `set: true` (the default) with
 * an operator compares the value found; without one, presence passes. Items combine with
 * `and` (default) or `or`. With multiple values, every audit line must pass on its own.
 */
import { compareValues } from './compare.js';
import type { ConfigLookup, EnvLookup, FlagLookup, Lookup } from './lookup.js';
import type { CheckStatus, CisCheck, TestItem, Tests } from './types.js';

/** The audit output of one check, already read by an adapter. */
export interface AuditData {
  /** One lookup per audit line (a single one unless the check uses multiple values). */
  command: readonly FlagLookup[];
  /** The config file, when the check reads one and it exists. */
  config?: ConfigLookup;
  /** The component's environment, when known. */
  env?: EnvLookup;
}

/** Which source an item's value came from. */
export type ItemSource = 'flag' | 'config' | 'env';

/** Evidence of one test item: where it looked, what it found and whether it passed. */
export interface ItemResult {
  source: ItemSource;
  /** Flag, path or variable name, as in the expected-result sentence. */
  name: string;
  found: boolean;
  value: string;
  pass: boolean;
  expected: string;
  error?: string;
  /** Sources looked at before this one, where nothing was found (e.g. the flag before the env). */
  alsoTried?: { source: ItemSource; name: string }[];
  /** The audit line the item was decided on (multiple values), 0-based. */
  line?: number;
  argIndex?: number;
}

/** Result of a check's tests. */
export interface TestsOutcome {
  pass: boolean;
  /** kube-bench's expected-result sentence, items joined with ` AND ` or ` OR `. */
  expected: string;
  items: ItemResult[];
  errors: string[];
}

function evaluateOn(item: TestItem, source: ItemSource, lookup: Lookup, name: string): ItemResult {
  const base = { source, name, found: lookup.found, value: lookup.value };
  const at = lookup.argIndex !== undefined ? { argIndex: lookup.argIndex } : {};
  if (lookup.error !== undefined)
    return { ...base, found: false, pass: false, expected: '', error: lookup.error, ...at };
  const op = item.compare?.op ?? '';
  if (item.set ?? true) {
    if (lookup.found && op !== '') {
      const r = compareValues(op, lookup.value, item.compare?.value ?? '', name);
      return { ...base, pass: r.pass, expected: r.expected, ...at };
    }
    return { ...base, pass: lookup.found, expected: `'${name}' is present`, ...at };
  }
  return { ...base, pass: !lookup.found, expected: `'${name}' is not present`, ...at };
}

function evaluateItem(item: TestItem, data: AuditData, hasConfig: boolean): ItemResult {
  const op = item.compare?.op ?? '';
  const flag = item.flag ?? '';
  let result: ItemResult | undefined;
  data.command.forEach((row, line) => {
    if (result && !result.pass) return;
    const r = evaluateOn(item, 'flag', row.find(flag, op), flag);
    result = data.command.length > 1 ? { ...r, line } : r;
  });
  result ??= evaluateOn(item, 'flag', { found: false, value: '' }, flag);
  const tried: { source: ItemSource; name: string }[] = [];
  if (!result.found && hasConfig) {
    const path = item.path ?? '';
    tried.push({ source: result.source, name: result.name });
    result = evaluateOn(
      item,
      'config',
      data.config ? data.config.find(path) : { found: false, value: '' },
      path,
    );
  }
  if (!result.found && item.env !== undefined && item.env !== '') {
    tried.push({ source: result.source, name: result.name });
    result = evaluateOn(
      item,
      'env',
      data.env ? data.env.find(item.env) : { found: false, value: '' },
      item.env,
    );
  }
  return tried.length > 0 ? { ...result, alsoTried: tried } : result;
}

/**
 * Evaluates tests on audit data. `hasConfig` says the check reads a config file (kube-bench's
 * `audit_config`): only then are `path` items looked up in `data.config`.
 */
export function evaluateTests(tests: Tests, data: AuditData, hasConfig: boolean): TestsOutcome {
  const items = tests.items.map((item) => evaluateItem(item, data, hasConfig));
  const errors = items.flatMap((i) => (i.error !== undefined ? [i.error] : []));
  const binOp: string = tests.binOp ?? 'and';
  if (binOp !== 'and' && binOp !== 'or') {
    return {
      pass: false,
      expected: '',
      items,
      errors: [...errors, `unknown binary operator for tests ${binOp}`],
    };
  }
  const pass = binOp === 'or' ? items.some((i) => i.pass) : items.every((i) => i.pass);
  return {
    pass,
    expected: items.map((i) => i.expected).join(binOp === 'or' ? ' OR ' : ' AND '),
    items,
    errors,
  };
}

/** A check's status before evaluation, when its type or its tests decide it alone. */
export function statusWithoutAudit(check: CisCheck): { status: CheckStatus; reason: string } | undefined {
  if (check.scored && check.type === undefined && check.tests === undefined)
    return { status: 'warn', reason: 'There are no tests' };
  if (check.type === 'skip') return { status: 'skip', reason: 'Test marked as skip' };
  if (check.type === 'manual') return { status: 'warn', reason: 'Test marked as a manual test' };
  if (!check.tests || check.tests.items.length === 0)
    return { status: check.scored ? 'fail' : 'warn', reason: 'No tests defined' };
  return undefined;
}

/**
 * Maps an outcome to a status: pass; otherwise `error` when an audit source could not be read,
 * else `fail` for scored checks and `warn` for unscored ones (as kube-bench does).
 */
export function statusOf(check: CisCheck, outcome: TestsOutcome): CheckStatus {
  if (outcome.pass) return 'pass';
  if (outcome.errors.length > 0) return 'error';
  return check.scored ? 'fail' : 'warn';
}
