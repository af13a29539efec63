/**
 * Palisade's CEL engine: the one place that knows which CEL library runs expressions
 * (@marcbachmann/cel-js, see docs/decisions/cel-engine.md). Everything else in src/policy
 * talks to the small `CelEngine` / `CelProgram` interface below.
 *
 * Values handed to a program are "CEL values": JSON with integers as bigint (use
 * `toCelValue`). Runtime cost is counted as one unit per evaluated expression node
 * (comprehension bodies count once per iteration), plus, like the API server's cost model,
 * the size of what operators and functions build: one unit per 10 characters of a string or
 * bytes and per 10 elements of a list or map that `+` or a call returns. A loop that builds
 * strings out of a large object therefore stops at the limit after a few megabytes, not after
 * as many steps as the limit allows. Checked against a `CostBudget`.
 */
import { Environment, EvaluationError, Optional } from '@marcbachmann/cel-js';
import type { Result } from '../../core/index.js';
import { registerKubernetesLibraries, type AuthorizerFn } from './k8s-lib.js';
import { shortcutComparison, shortcutOptionalChain, type CelAstNode } from './fast-paths.js';
import { relaxNullBranches } from './rewrite.js';
import { compileChecked, evaluatorOf } from './compiled.js';
import {
  buildsValue,
  chargeBuilt,
  CostExceeded,
  forEachNode,
  meterState,
  type CostBudget,
  type WalkNode,
} from './meter.js';

export type { CostBudget } from './meter.js';

/** Default per-expression runtime cost limit (Kubernetes' PerCallLimit is 1,000,000). */
export const PER_EXPRESSION_COST_LIMIT = 1_000_000;
/** Default cost limit for all expressions of one policy on one request (Kubernetes: 10,000,000). */
export const PER_CALL_COST_LIMIT = 10_000_000;

/** Why an evaluation failed. */
export interface CelEvalError {
  code: 'cost_exceeded' | 'eval_error';
  message: string;
}

/** A compiled expression. */
export interface CelProgram {
  readonly expression: string;
  /** Evaluates against CEL-valued variables; never throws for expression errors. */
  evaluate(
    vars: Readonly<Record<string, unknown>>,
    budget: CostBudget,
    perExpressionLimit?: number,
  ): Result<unknown, CelEvalError>;
}

/** Compiles CEL expressions in the Kubernetes admission environment. */
export interface CelEngine {
  readonly name: string;
  /** Whether expressions run compiled or interpreted. */
  readonly mode: CelMode;
  /** Compiles one expression; the error is a one-line message with the column when known. */
  compile(expression: string): Result<CelProgram, string>;
}

/** Variables every admission expression may reference. */
export const ADMISSION_VARIABLES = [
  'object',
  'oldObject',
  'request',
  'params',
  'namespaceObject',
  'variables',
  'authorizer',
] as const;

interface AstLike {
  evaluate: (ev: unknown, ast: unknown, ctx: unknown) => unknown;
  meta: {
    alternate?: AstLike;
    macro?: { evaluate: (ev: unknown, m: unknown, ctx: unknown) => unknown };
    evaluate: (ev: unknown, ast: unknown, ctx: unknown) => unknown;
  };
  args: unknown;
}

/**
 * Meters a checked AST. Outside comprehensions every node runs at most once per evaluation,
 * so the parse limits already bound it; only a comprehension's step can repeat. Each
 * evaluation of a step therefore costs the number of nodes in it (nested comprehensions
 * count their own steps on top), which is the cost of evaluating every node, charged up front.
 */
function meterAst(root: unknown, nodeClass: unknown): void {
  const isNode = (v: unknown): v is AstLike =>
    v !== null && typeof v === 'object' && (v as { constructor?: unknown }).constructor === nodeClass;
  const size = (n: unknown): number => {
    let count = 0;
    forEachNode(n, nodeClass, () => count++);
    return count;
  };
  const meter = (node: AstLike, cost: number): void => {
    const meta = node.meta;
    const alternate = meta.alternate;
    const macro = meta.macro;
    const own = meta.evaluate;
    node.evaluate = alternate
      ? function metered(ev, _ast, ctx) {
          if ((meterState.current.remaining -= cost) < 0) throw new CostExceeded('cost budget exceeded');
          return alternate.evaluate(ev, alternate, ctx);
        }
      : macro
        ? function metered(ev, _ast, ctx) {
            if ((meterState.current.remaining -= cost) < 0) throw new CostExceeded('cost budget exceeded');
            return macro.evaluate(ev, macro, ctx);
          }
        : function metered(ev, ast, ctx) {
            if ((meterState.current.remaining -= cost) < 0) throw new CostExceeded('cost budget exceeded');
            return own.call(node, ev, ast, ctx);
          };
  };
  forEachNode(root, nodeClass, (node) => {
    const args = node.args as { step?: unknown; condition?: unknown } | undefined;
    if (node.op === 'comprehension' && args && isNode(args.step))
      meter(args.step, Math.max(1, size(args.step)));
  });
}

/**
 * Wraps every building node so the size of its result is charged. Nodes keep whatever
 * evaluate they have (a metered step, a fast path); the library's lazy dispatch is resolved
 * here, never by calling it, since it would replace the wrapper on its first run.
 */
function meterSizes(root: unknown, nodeClass: unknown): void {
  forEachNode(root, nodeClass, (walked) => {
    if (!buildsValue(walked)) return;
    const node = walked as WalkNode & AstLike;
    const own = Object.hasOwn(node, 'evaluate') ? node.evaluate : undefined;
    const meta = node.meta;
    const alternate = meta.alternate;
    const macro = meta.macro;
    const base = meta.evaluate;
    const inner: AstLike['evaluate'] = own
      ? own
      : alternate
        ? (ev, _ast, ctx) => alternate.evaluate(ev, alternate, ctx)
        : macro
          ? (ev, _ast, ctx) => macro.evaluate(ev, macro, ctx)
          : (ev, ast, ctx) => base.call(node, ev, ast, ctx);
    node.evaluate = function sized(ev, ast, ctx) {
      const out = inner.call(node, ev, ast, ctx);
      chargeBuilt(out);
      return out;
    };
  });
}

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0] ?? msg;
}

/** Options of the engine. */
export interface CelEngineOptions {
  /** Backs `authorizer`; without it, authorizer checks fail with "not available offline". */
  authorizer?: AuthorizerFn;
  /** Exact shortcuts for hot expression shapes (`fast-paths.ts`; default true; tests turn them off to compare). */
  fastPaths?: boolean;
  /** Variables expressions may reference (default: the admission variables); all are `dyn`. */
  variables?: readonly string[];
  /**
   * How checked expressions run: `compiled` (closures built once, `compiled.ts`; the default)
   * or `interpreter` (the library's AST walk, the reference). Without the option, the
   * environment variable `PALISADE_CEL=interpreter` selects the interpreter, for debugging.
   */
  mode?: CelMode;
}

/** How checked expressions run (see `CelEngineOptions.mode`). */
export type CelMode = 'compiled' | 'interpreter';

/** The mode the environment asks for (`PALISADE_CEL=interpreter`), else compiled. */
export function defaultCelMode(): CelMode {
  return process.env.PALISADE_CEL === 'interpreter' ? 'interpreter' : 'compiled';
}

/** A `cel.bind(` call in an expression's text (two-variable macros use it internally only). */
const BIND_CALL = /\bcel\s*\.\s*bind\s*\(/;

/** The expression with its string and bytes literals emptied, so their text is not read as code. */
function withoutStringLiterals(expr: string): string {
  return expr.replace(/('''[\s\S]*?'''|"""[\s\S]*?"""|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")/g, "''");
}

/** Creates the Kubernetes admission CEL engine. */
export function createCelEngine(options: CelEngineOptions = {}): CelEngine {
  const env = new Environment({
    unlistedVariablesAreDyn: false,
    enableOptionalTypes: true,
    homogeneousAggregateLiterals: false,
    limits: {
      maxAstNodes: 10_000,
      maxDepth: 100,
      maxListElements: 1000,
      maxMapEntries: 1000,
      maxCallArguments: 32,
    },
  });
  for (const v of options.variables ?? ADMISSION_VARIABLES)
    if (v !== 'authorizer') env.registerVariable(v, 'dyn');
  registerKubernetesLibraries(env, options.authorizer);
  const nodeClass = (env.parse('1') as unknown as { ast: { constructor: unknown } }).ast.constructor;
  const mode = options.mode ?? defaultCelMode();
  const ev = mode === 'compiled' ? evaluatorOf(env) : undefined;

  return {
    name: '@marcbachmann/cel-js',
    mode,
    compile(expression) {
      if (BIND_CALL.test(withoutStringLiterals(expression)))
        return {
          ok: false,
          error:
            'cel.bind is not available: the API server does not enable the CEL bindings extension for admission policies (use a variable)',
        };
      let parsed: ReturnType<Environment['parse']>;
      try {
        parsed = env.parse(relaxNullBranches(expression));
      } catch (e) {
        return { ok: false, error: compileMessage(e) };
      }
      const checked = parsed.check();
      if (!checked.valid) return { ok: false, error: compileMessage(checked.error) };
      meterAst(parsed.ast, nodeClass);
      if (options.fastPaths !== false)
        forEachNode(parsed.ast, nodeClass, (n) => {
          const node = n as CelAstNode;
          if (!shortcutOptionalChain(node)) shortcutComparison(node);
        });
      meterSizes(parsed.ast, nodeClass);
      // The compiled closures read the checked AST; nodes the compiler leaves to the
      // interpreter run with the metering installed above.
      const run: (vars: Readonly<Record<string, unknown>>) => unknown = ev
        ? compileChecked(parsed.ast, ev)
        : (vars) => parsed(vars) as unknown;
      // The meter of the last evaluation, reused by the next one when it is not running.
      let spare: CostBudget | undefined;
      const program: CelProgram = {
        expression,
        evaluate(vars, budget, perExpressionLimit = PER_EXPRESSION_COST_LIMIT) {
          const limit = Math.min(perExpressionLimit, budget.remaining);
          const meter: CostBudget = spare ?? { remaining: limit };
          spare = undefined;
          meter.remaining = limit;
          const previous = meterState.current;
          meterState.current = meter;
          try {
            const value: unknown = run(vars);
            if (meter.remaining < 0) return costError(budget, limit);
            budget.remaining -= limit - meter.remaining;
            return { ok: true, value };
          } catch (e) {
            if (meter.remaining < 0 || e instanceof CostExceeded) return costError(budget, limit);
            budget.remaining -= limit - meter.remaining;
            return { ok: false, error: { code: 'eval_error', message: firstLine(e) } };
          } finally {
            meterState.current = previous;
            spare = meter;
          }
        },
      };
      return { ok: true, value: program };
    },
  };
}

/**
 * Charges `cost` (what an earlier evaluation of the same expression on the same inputs took)
 * to `budget` as `evaluate` would; returns the cost error when it does not fit.
 */
export function chargeCost(
  budget: CostBudget,
  cost: number,
  perExpressionLimit = PER_EXPRESSION_COST_LIMIT,
): CelEvalError | undefined {
  const limit = Math.min(perExpressionLimit, budget.remaining);
  if (cost > limit) return costError(budget, limit).error;
  budget.remaining -= cost;
  return undefined;
}

function costError(budget: CostBudget, limit: number): { ok: false; error: CelEvalError } {
  budget.remaining = Math.max(0, budget.remaining - limit);
  return {
    ok: false,
    error: {
      code: 'cost_exceeded',
      message: `operation cancelled: actual cost limit exceeded (runtime cost budget of ${limit} evaluation steps)`,
    },
  };
}

function compileMessage(e: unknown): string {
  const msg = firstLine(e);
  const range = (e as { range?: { start?: number } } | undefined)?.range;
  return range?.start !== undefined ? `${msg} (at column ${range.start + 1})` : msg;
}

/**
 * Converts parsed JSON into CEL values: whole numbers become int (bigint), as Kubernetes reads
 * JSON. Subtrees without a whole number (most of an object: names, images, labels) are shared,
 * not copied; CEL never writes to its inputs, and neither do the callers once converted. This
 * runs once per admission request, so it copies only the objects on a path to a whole number,
 * each by one spread (which keeps a JSON `__proto__` key a field) and then the changed fields.
 */
export function toCelValue(v: unknown): unknown {
  if (typeof v !== 'object') return typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : v;
  if (v === null) return v;
  if (Array.isArray(v)) {
    let items: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (x === null || (typeof x !== 'object' && typeof x !== 'number')) continue;
      const c = toCelValue(x);
      if (c !== x) (items ??= v.slice() as unknown[])[i] = c;
    }
    return items ?? v;
  }
  const src = v as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  // for-in, not Object.keys: no key array per object. Parsed JSON and YAML objects are plain,
  // with nothing enumerable inherited.
  for (const k in src) {
    const x = src[k];
    // A field set to undefined (not JSON, but YAML loaders and callers make them) is dropped.
    if (x === undefined) return withoutUndefined(src);
    if (x === null || (typeof x !== 'object' && typeof x !== 'number')) continue;
    const c = toCelValue(x);
    if (c === x) continue;
    out ??= { ...src };
    setField(out, k, c);
  }
  return out ?? v;
}

/** `toCelValue` of an object some of whose fields are undefined: a copy without them. */
function withoutUndefined(src: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(src)) {
    const x = src[k];
    if (x !== undefined) setField(out, k, toCelValue(x));
  }
  return out;
}

/** Sets a field, a JSON `__proto__` key included (as data, never as the prototype). */
function setField(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__')
    Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}

/** Converts a CEL result back to JSON (int/uint to number, maps to objects, optionals unwrapped). */
export function fromCelValue(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(fromCelValue);
  if (v instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of v) out[String(k)] = fromCelValue(x);
    return out;
  }
  if (v instanceof Optional) return v.hasValue() ? fromCelValue(v.value()) : undefined;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (v instanceof Date) return v.toISOString();
  const ctor = (v as { constructor?: { name?: string } }).constructor?.name;
  if (ctor === 'UnsignedInt') return Number((v as { value: number | bigint }).value);
  if (!isPlain(v)) return (v as { toString(): string }).toString();
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = fromCelValue(x);
  return out;
}

/** Returns true for a CEL evaluation error raised by the library (used by the libraries). */
export function isCelLibraryError(e: unknown): boolean {
  return e instanceof EvaluationError;
}
