/**
 * Compiled CEL: a checked cel-js AST turned, once, into a tree of JavaScript closures, each
 * node a function of one evaluation frame. Where the library's interpreter dispatches on
 * every node per evaluation (a lazily resolved `evaluate`, `ev.run`, a context chain that
 * finds variables by name, a new root context per call), the compiled tree:
 *
 * - resolves iteration, accumulator and `cel.bind` variables to slots of one array per
 *   evaluation, and top-level variables to one property read with the checker's type test;
 * - runs comprehensions (`all`, `exists`, `exists_one`, `map`, `filter` and the two-variable
 *   forms built on them) as plain loops, with the library's error rules: a quantifier's step
 *   errors are absorbed unless the result still depends on them, other macros stop at the
 *   first error;
 * - folds constant subexpressions whose value is a primitive (`'a' + 'b'`, `-1`, `size('x')`)
 *   at compile time, keeping the size charge they would have paid at run time;
 * - calls the operator and function overloads the type checker chose (`handle`), so values,
 *   errors, overflow checks and heterogeneous comparisons are the library's own; and applies
 *   the same exact shortcuts as `fast-paths.ts` (primitive `==`/`!=`, `string in list`,
 *   `.?a.?b.orValue(d)` on JSON maps).
 *
 * Costs are charged at the points the interpreter's metering charges them (`meter.ts`), so a
 * cost limit stops an expression at the same place on either path. A node kind the compiler
 * does not know (a macro registered elsewhere) is run by the interpreter with a context that
 * reads the frame's slots, so every checked expression compiles.
 *
 * The interpreter stays the reference: `compiled.test.ts` evaluates the conformance corpus
 * and the example policies' expressions both ways and requires the same value or error.
 */
import { Optional, type Environment } from '@marcbachmann/cel-js';
import { plainCelValue } from './fast-paths.js';
import { buildsValue, chargeBuilt, chargeSteps, CostExceeded, meterState, stepCost } from './meter.js';
import {
  fieldReader,
  framePrologue,
  optionalChainReader,
  quantifierLoop,
  stringMembership,
} from './specialize.js';

/** One evaluation: the activation at index 0, then the slots of variables (one array, one allocation). */
type Frame = unknown[];

/** The activation of a frame. */
function varsOf(f: Frame): Readonly<Record<string, unknown>> {
  return f[0] as Readonly<Record<string, unknown>>;
}

type Fn = (f: Frame) => unknown;

/** A cel-js type declaration, as far as the compiler reads it. */
interface TypeDecl {
  kind: string;
  name: string;
  matchesValueType: (this: TypeDecl, v: unknown, ev: Evaluator) => boolean;
  fieldLazy?: (obj: unknown, key: unknown, ast: unknown, ev: Evaluator) => unknown;
  /** The type's name, as the library's messages print it. */
  toString(): string;
}

/** The cel-js evaluator the overload handlers expect as `ev`. */
export interface Evaluator {
  createError(code: string, message: string, node?: unknown): Error;
  debugType(v: unknown): TypeDecl;
  debugRuntimeType(v: unknown, checked?: unknown): TypeDecl;
  objectTypes: Map<string, { convert?: (v: unknown) => unknown }>;
}

type Handle = (...args: unknown[]) => unknown;

interface Macro {
  functionDesc?: string;
  receiver?: Node;
  arg?: Node;
  macroHasProps?: Node[];
  var?: string;
  val?: Node;
  exp?: Node;
  evaluate: (ev: Evaluator, macro: unknown, ctx: unknown) => unknown;
}

interface ComprehensionArgs {
  kind?: string;
  errorsAreFatal: boolean;
  iterable: Node;
  iterVarName: string;
  init: Node;
  step: Node;
  condition?: (accu: unknown) => boolean;
  result: (accu: unknown) => unknown;
  iterCtx: { iterType: TypeDecl };
}

/** A checked cel-js AST node, as far as the compiler reads it. */
interface Node {
  op: string;
  args: unknown;
  meta: { alternate?: Node; macro?: Macro; label?: string; evaluate?: { name?: string } };
  checkedType?: TypeDecl;
  handle?: Handle;
  left?: Node;
  right?: unknown;
  condition?: Node;
  receiverWithArgs?: Node[];
  evaluate: (ev: Evaluator, ast: unknown, ctx: unknown) => unknown;
}

/** Local variables in scope at a node: name to slot, and the innermost accumulator's slot. */
interface Scope {
  readonly names: ReadonlyMap<string, number>;
  readonly accu: number;
}

/** The evaluator of an environment (captured once by evaluating a probe expression). */
export function evaluatorOf(env: Environment): Evaluator {
  const parsed = env.parse('1');
  let ev: Evaluator | undefined;
  (parsed.ast as unknown as { evaluate: (e: Evaluator) => unknown }).evaluate = (e) => {
    ev = e;
    return 1;
  };
  parsed();
  if (!ev) throw new Error('cel-js evaluator not reachable');
  return ev;
}

/** A compiled expression: evaluates against an activation, throws the library's errors. */
export type CompiledExpression = (vars: Readonly<Record<string, unknown>>) => unknown;

/** Compiles a checked AST (`env.parse(…)` then `.check()`) into closures. */
export function compileChecked(root: unknown, ev: Evaluator): CompiledExpression {
  const c = new Compiler(ev);
  const fn = c.compile(root as Node, { names: new Map(), accu: -1 });
  const size = c.slots;
  if (size === 1) return (vars) => fn([vars]);
  const tops = [...c.tops].map(([name, t]) => ({ name, slot: t.slot, type: t.type }));
  if (tops.length === 0)
    return (vars) => {
      const f = new Array<unknown>(size);
      f[0] = vars;
      return fn(f);
    };
  // Top-level variables are read and type-checked once per evaluation into their slots; a
  // missing or mistyped one is left for its node to report (or convert) when it runs.
  return framePrologue(size, tops, fn, ev, UNCHECKED);
}

/** The cost a constant subexpression may take to be folded at compile time. */
const FOLD_LIMIT = 1_000_000;

/** A top-level variable's slot value when the variable is missing or not of its declared type. */
const UNCHECKED = Symbol('unchecked');

function isPrimitive(v: unknown): boolean {
  const t = typeof v;
  return v === null || t === 'string' || t === 'boolean' || t === 'bigint' || t === 'number';
}

function primitiveEqualityType(t: string): boolean {
  return t === 'string' || t === 'boolean' || t === 'bigint' || t === 'number';
}

/** Checked result types that are never a string, bytes, list or map (no size to charge). */
const UNSIZED: ReadonlySet<string> = new Set(['bool', 'int', 'uint', 'double', 'null']);
function unsized(t: TypeDecl | undefined): boolean {
  return t !== undefined && (t.kind === 'optional' || (t.kind === 'primitive' && UNSIZED.has(t.name)));
}

const BINARY = new Set(['!=', '==', 'in', '+', '-', '*', '/', '%', '<', '<=', '>', '>=']);

/** Nodes whose value depends on nothing but their literal operands. */
const FOLDABLE = new Set([
  ...BINARY,
  '.',
  '.?',
  '[]',
  '[?]',
  '!_',
  '-_',
  'call',
  'rcall',
  'list',
  'map',
  '?:',
  '||',
  '&&',
]);

class Compiler {
  /** Frame size: index 0 holds the activation, slots follow. */
  slots = 1;
  /** Top-level variables read by the expression: their slot and declared type. */
  readonly tops = new Map<string, { slot: number; type: TypeDecl }>();
  constructor(private readonly ev: Evaluator) {}

  private slot(): number {
    return this.slots++;
  }

  compile(node: Node, scope: Scope): Fn {
    return this.compileFull(node, scope).fn;
  }

  /** The closure of a node, and whether the interpreter runs it (then metered by its own wrappers). */
  private compileFull(node: Node, scope: Scope): { fn: Fn; fallback?: true } {
    const own = this.compileNode(node, scope);
    if (own.fallback) return own;
    let fn = own.fn;
    if (buildsValue(node) && !unsized(node.checkedType)) {
      const inner = fn;
      fn = function sized(f) {
        const out = inner(f);
        chargeBuilt(out);
        return out;
      };
    }
    return { fn: this.fold(node, fn) };
  }

  /** Whether a subtree reads no variable, accumulator or macro (so its value is fixed). */
  private constant(node: Node): boolean {
    const alt = node.meta.alternate;
    if (alt) return node.op === 'id' ? alt.op === 'value' : false;
    if (node.meta.macro) return false;
    if (node.op === 'value') return true;
    if (!FOLDABLE.has(node.op)) return false;
    return this.children(node).every((c) => this.constant(c));
  }

  private children(node: Node): Node[] {
    switch (node.op) {
      case '.':
      case '.?':
        return [node.left as Node];
      case 'call':
        return (node.args as [string, Node[]])[1];
      case 'rcall':
        return node.receiverWithArgs ?? [];
      case 'map':
        return (node.args as [Node, Node][]).flat();
      case '!_':
      case '-_':
        return [node.args as Node];
      default:
        return Array.isArray(node.args) ? (node.args as Node[]) : [];
    }
  }

  /** Replaces a constant subtree by its value when that is a primitive and computing it succeeds. */
  private fold(node: Node, fn: Fn): Fn {
    if (node.op === 'value' || node.op === 'id' || !this.constant(node)) return fn;
    let value: unknown;
    const outer = meterState.current;
    // Bounded like one expression at run time: a constant that cannot be built within it is
    // left to run (and fail) there.
    const meter = { remaining: FOLD_LIMIT };
    meterState.current = meter;
    try {
      value = fn([{}]);
    } catch {
      return fn;
    } finally {
      meterState.current = outer;
    }
    if (!isPrimitive(value)) return fn;
    // What the subtree charges for what it builds (inner calls included), charged per run.
    const cost = FOLD_LIMIT - meter.remaining;
    if (cost > 0)
      return function foldedBuilt() {
        chargeSteps(cost);
        return value;
      };
    return () => value;
  }

  private compileNode(node: Node, scope: Scope): { fn: Fn; fallback?: true } {
    const alt = node.meta.alternate;
    if (alt) return { fn: this.compile(alt, scope) };
    const macro = node.meta.macro;
    if (macro) return this.compileMacro(node, macro, scope);
    const ev = this.ev;
    switch (node.op) {
      case 'value': {
        const v = node.args;
        return { fn: () => v };
      }
      case 'id':
        return { fn: this.variable(node, scope) };
      case '.':
      case '.?':
        return { fn: this.field(node, scope) };
      case '[]':
      case '[?]':
        return { fn: this.binary(node, scope) };
      case '!_':
      case '-_': {
        const a = this.compile(node.args as Node, scope);
        const handle = node.handle as Handle;
        // `!` on a bool is cel-js's own `(a) => !a` overload.
        if (node.op === '!_')
          return {
            fn: (f) => {
              const v = a(f);
              return typeof v === 'boolean' ? !v : handle(v, node, ev);
            },
          };
        return { fn: (f) => handle(a(f), node, ev) };
      }
      case 'call': {
        const args = this.compileList((node.args as [string, Node[]])[1], scope);
        const handle = node.handle as Handle;
        return { fn: (f) => handle(args(f), node, ev) };
      }
      case 'rcall': {
        const args = this.compileList(node.receiverWithArgs ?? [], scope);
        const handle = node.handle as Handle;
        return { fn: (f) => handle(args(f), ev, node) };
      }
      case 'list': {
        const items = node.args as Node[];
        if (items.length === 0) return { fn: () => [] };
        return { fn: this.compileList(items, scope) };
      }
      case 'map':
        return { fn: this.map(node, scope) };
      case 'comprehension':
        return { fn: this.comprehension(node, scope) };
      case 'accuValue': {
        const a = scope.accu;
        if (a < 0) break;
        return { fn: (f) => f[a] };
      }
      case 'accuInc': {
        const a = scope.accu;
        if (a < 0) break;
        return { fn: (f) => (f[a] = (f[a] as number) + 1) };
      }
      case 'accuPush': {
        const a = scope.accu;
        if (a < 0) break;
        const item = this.compile(node.args as Node, scope);
        return {
          fn: (f) => {
            const arr = f[a] as unknown[];
            arr.push(item(f));
            return arr;
          },
        };
      }
      case '?:':
        return { fn: this.ternary(node, scope) };
      case '||':
      case '&&':
        return { fn: this.logical(node, scope) };
      default:
        if (BINARY.has(node.op)) return { fn: this.binary(node, scope) };
    }
    return { fn: this.interpreted(node, scope), fallback: true };
  }

  /** Runs `node` with the library's interpreter, local variables read from the frame. */
  private interpreted(node: Node, scope: Scope): Fn {
    const ev = this.ev;
    const top = (name: string, ast: Node, f: Frame): unknown => this.readTop(name, ast, f);
    return (f) => {
      const ctx = {
        getValue(key: string): unknown {
          const s = scope.names.get(key);
          return s === undefined ? varsOf(f)[key] : f[s];
        },
        getCheckedValue(_ev: Evaluator, ast: Node): unknown {
          const name = ast.args as string;
          const s = scope.names.get(name);
          return s === undefined ? top(name, ast, f) : f[s];
        },
        get accuValue(): unknown {
          return f[scope.accu];
        },
        set accuValue(v: unknown) {
          f[scope.accu] = v;
        },
      };
      return node.evaluate(ev, node, ctx);
    };
  }

  /** A top-level variable, checked against its declared type as the library does. */
  private readTop(name: string, ast: Node, f: Frame): unknown {
    const ev = this.ev;
    const v = varsOf(f)[name];
    if (v === undefined) throw ev.createError('unknown_variable', `Unknown variable: ${name}`, ast);
    const type = ast.checkedType as TypeDecl;
    if (type.matchesValueType(v, ev)) return v;
    const valueType = ev.debugType(v);
    if (type.kind === 'message' && valueType.kind === 'map') {
      const c = ev.objectTypes.get(type.name)?.convert?.(v);
      if (c) return c;
    }
    throw ev.createError(
      'variable_type_mismatch',
      `Variable '${name}' is not of type '${String(type)}', got '${String(valueType)}'`,
      ast,
    );
  }

  private variable(node: Node, scope: Scope): Fn {
    const name = node.args as string;
    const s = scope.names.get(name);
    if (s !== undefined) return (f) => f[s];
    const type = node.checkedType as TypeDecl;
    let top = this.tops.get(name);
    if (!top) this.tops.set(name, (top = { slot: this.slot(), type }));
    if (top.type !== type) {
      const ev = this.ev;
      return (f) => {
        const v = varsOf(f)[name];
        if (v !== undefined && type.matchesValueType(v, ev)) return v;
        return this.readTop(name, node, f);
      };
    }
    const slot = top.slot;
    return (f) => {
      const v = f[slot];
      return v !== UNCHECKED ? v : this.readTop(name, node, f);
    };
  }

  private field(node: Node, scope: Scope): Fn {
    const left = this.compile(node.left as Node, scope);
    const key = node.right as string;
    const handle = node.handle as Handle;
    const ev = this.ev;
    if (node.op === '.' && handle.name === 'fieldAccess') {
      // The library's dynamic field access, with its commonest case (a JSON object holding
      // the key with a plain value) answered here; everything else goes to it.
      return fieldReader(key, left, (l) => handle(l, key, node, ev)) as Fn;
    }
    return (f) => handle(left(f), key, node, ev);
  }

  private binary(node: Node, scope: Scope): Fn {
    const left = this.compile(node.left as Node, scope);
    const rightNode = node.right as Node;
    const handle = node.handle as Handle;
    const ev = this.ev;
    const op = node.op;
    if (op === 'in') {
      const constant = constantStrings(rightNode);
      if (constant) {
        const right = this.compile(rightNode, scope);
        if (constant.size <= 16)
          return stringMembership([...constant], left, (l, f: Frame) => handle(l, right(f), node, ev)) as Fn;
        return (f) => {
          const l = left(f);
          if (typeof l === 'string') return constant.has(l);
          return handle(l, right(f), node, ev);
        };
      }
      const right = this.compile(rightNode, scope);
      return (f) => {
        const l = left(f);
        const r = right(f);
        if (typeof l === 'string' && Array.isArray(r) && (r.length === 0 || typeof r[0] === 'string'))
          return r.includes(l);
        return handle(l, r, node, ev);
      };
    }
    const right = this.compile(rightNode, scope);
    if (op === '==' || op === '!=') {
      const equal = op === '==';
      return (f) => {
        const l = left(f);
        const r = right(f);
        const t = typeof l;
        if (t === typeof r && primitiveEqualityType(t)) return equal ? l === r : l !== r;
        return handle(l, r, node, ev);
      };
    }
    if (op === '+')
      // Two lists or two strings: what the library's overloads return, without its deep
      // runtime type walk of dyn operands (every element type concatenates).
      return (f) => {
        const l = left(f);
        const r = right(f);
        if (Array.isArray(l) && Array.isArray(r)) return [...(l as unknown[]), ...(r as unknown[])];
        if (typeof l === 'string' && typeof r === 'string') return l + r;
        return handle(l, r, node, ev);
      };
    return (f) => handle(left(f), right(f), node, ev);
  }

  /** Evaluates a list of nodes last to first, as the library does. */
  private compileList(nodes: readonly Node[], scope: Scope): (f: Frame) => unknown[] {
    const fns = nodes.map((n) => this.compile(n, scope));
    const n = fns.length;
    if (n === 1) {
      const a = fns[0] as Fn;
      return (f) => [a(f)];
    }
    if (n === 2) {
      const a = fns[0] as Fn;
      const b = fns[1] as Fn;
      return (f) => {
        const y = b(f);
        return [a(f), y];
      };
    }
    return (f) => {
      const out = new Array<unknown>(n);
      for (let i = n - 1; i >= 0; i--) out[i] = (fns[i] as Fn)(f);
      return out;
    };
  }

  private map(node: Node, scope: Scope): Fn {
    const entries = (node.args as [Node, Node][]).map(
      ([k, v]) => [this.compile(k, scope), this.compile(v, scope)] as const,
    );
    if (entries.length === 0) return () => ({});
    return (f) => {
      const pairs = entries.map(([k, v]) => [k(f), v(f)] as const);
      const obj: Record<string, unknown> = {};
      for (const [k, v] of pairs) {
        if (k === '__proto__' || k === 'constructor' || k === 'prototype') continue;
        obj[k as string] = v;
      }
      return obj;
    };
  }

  private ternary(node: Node, scope: Scope): Fn {
    const cond = this.compile(node.condition as Node, scope);
    const yes = this.compile(node.left as Node, scope);
    const no = this.compile(node.right as Node, scope);
    const ev = this.ev;
    const condNode = node.condition as Node;
    return (f) => {
      const c = cond(f);
      if (c === true) return yes(f);
      if (c === false) return no(f);
      throw ev.createError(
        'invalid_condition_type',
        `${condNode.meta.label || 'Ternary condition must be bool'}, got '${String(ev.debugRuntimeType(c))}'`,
        condNode,
      );
    };
  }

  /** `||` and `&&`: an error on the left is absorbed when the right decides the result. */
  private logical(node: Node, scope: Scope): Fn {
    const left = this.compile(node.left as Node, scope);
    const right = this.compile(node.right as Node, scope);
    const ev = this.ev;
    const decisive = node.op === '||';
    const leftNode = node.left as Node;
    const operandError = (v: unknown): Error =>
      ev.createError(
        'invalid_logical_operand',
        `Logical operator requires bool operands, got '${String(ev.debugRuntimeType(v))}'`,
        leftNode,
      );
    const settle = (l: unknown, r: unknown): unknown => {
      if (r === decisive) return decisive;
      if (r === !decisive) {
        if (l === r) return r;
        throw l instanceof Error ? l : operandError(l);
      }
      throw operandError(r);
    };
    return (f) => {
      let l: unknown;
      try {
        l = left(f);
      } catch (e) {
        l = e;
      }
      if (l === decisive) return decisive;
      const r = right(f);
      if (l === !decisive && typeof r === 'boolean') return r;
      return settle(l, r);
    };
  }

  private comprehension(node: Node, scope: Scope): Fn {
    const a = node.args as ComprehensionArgs;
    const ev = this.ev;
    const iterSlot = this.slot();
    const accuSlot = this.slot();
    const names = new Map(scope.names);
    names.set(a.iterVarName, iterSlot);
    const inner: Scope = { names, accu: accuSlot };
    const iterable = this.compile(a.iterable, scope);
    const init = this.compile(a.init, inner);
    const iterType = a.iterCtx.iterType;
    const iterVar = a.iterVarName;
    const condition = a.condition;
    const result = a.result;
    const iterableNode = a.iterable;
    const dynIter = iterType.kind === 'dyn';
    const setIter = (f: Frame, v: unknown): void => {
      if ((dynIter && plainCelValue(v)) || iterType.matchesValueType(v, ev)) {
        f[iterSlot] = v;
        return;
      }
      const valueType = ev.debugType(v);
      if (iterType.kind === 'message' && valueType.kind === 'map') {
        const c = ev.objectTypes.get(iterType.name)?.convert?.(v);
        if (c) {
          f[iterSlot] = c;
          return;
        }
      }
      throw ev.createError(
        'variable_type_mismatch',
        `Variable '${iterVar}' is not of type '${String(iterType)}', got '${String(valueType)}'`,
      );
    };
    const itemsOf = (coll: unknown): unknown[] => {
      if (Array.isArray(coll)) return coll;
      if (coll instanceof Set) return [...(coll as Set<unknown>)];
      if (coll instanceof Map) return [...(coll as Map<unknown, unknown>).keys()];
      if (coll && typeof coll === 'object') return Object.keys(coll);
      throw ev.createError(
        'invalid_comprehension_range',
        `Expression of type '${String(ev.debugType(coll))}' cannot be range of a comprehension (must be list, map, or dynamic).`,
        iterableNode,
      );
    };
    const quantifier = a.errorsAreFatal ? undefined : this.booleanQuantifier(a, inner);
    if (quantifier) {
      // `all` / `exists`: the step is `predicate ? true : false` from a bool, so the
      // accumulator is always a bool and the library's condition and result functions (pure)
      // are known for both values in advance.
      const { predicate, cost, onTrue, onFalse, init: first } = quantifier;
      const cond = condition as (accu: unknown) => boolean;
      const goOnTrue = cond(true);
      const goOnFalse = cond(false);
      const resultTrue = result(true);
      const resultFalse = result(false);
      const stepNode = a.step;
      const conditionNode = stepNode.condition as Node;
      const notBool = (c: unknown): Error =>
        ev.createError(
          'invalid_condition_type',
          `${conditionNode.meta.label || 'Ternary condition must be bool'}, got '${String(ev.debugRuntimeType(c))}'`,
          conditionNode,
        );
      return quantifierLoop({
        iterable,
        itemsOf,
        setIter: setIter,
        predicate,
        notBool,
        meterState,
        costExceeded: () => new CostExceeded('cost budget exceeded'),
        accuSlot,
        iterSlot,
        cost,
        dynIter,
        first,
        onTrue,
        onFalse,
        goOnTrue,
        goOnFalse,
        resultTrue,
        resultFalse,
      }) as Fn;
    }
    const compiledStep = this.compileFull(a.step, inner);
    const stepFn = compiledStep.fn;
    // A step the interpreter runs is metered by the interpreter's own wrapper.
    const cost = compiledStep.fallback ? 0 : stepCost(a.step);
    const step: Fn =
      cost === 0
        ? stepFn
        : (f) => {
            chargeSteps(cost);
            return stepFn(f);
          };
    if (a.errorsAreFatal)
      return (f) => {
        const items = itemsOf(iterable(f));
        let accu = init(f);
        f[accuSlot] = accu;
        for (let i = 0; i < items.length; i++) {
          if (condition && !condition(accu)) break;
          setIter(f, items[i]);
          accu = step(f);
        }
        return result(accu);
      };
    const cond = condition as (accu: unknown) => boolean;
    return (f) => {
      const items = itemsOf(iterable(f));
      let accu = init(f);
      f[accuSlot] = accu;
      let error: Error | undefined;
      for (let i = 0; i < items.length; i++) {
        if (!cond(accu)) return result(accu);
        setIter(f, items[i]);
        let stp: unknown;
        try {
          stp = step(f);
        } catch (e) {
          stp = e;
        }
        if (stp instanceof Error) {
          error ??= stp;
          continue;
        }
        accu = stp;
      }
      if (error !== undefined && cond(accu)) throw error;
      return result(accu);
    };
  }

  /**
   * The parts of a quantifier whose init is a bool and whose step is a plain
   * `predicate ? bool : bool` (what `all` and `exists` expand to), else undefined.
   */
  private booleanQuantifier(
    a: ComprehensionArgs,
    inner: Scope,
  ): { predicate: Fn; cost: number; onTrue: boolean; onFalse: boolean; init: boolean } | undefined {
    const step = a.step;
    const init = a.init;
    if (!a.condition || step.op !== '?:' || step.meta.alternate || step.meta.macro) return undefined;
    if (init.op !== 'value' || init.meta.alternate || typeof init.args !== 'boolean') return undefined;
    const yes = step.left;
    const no = step.right as Node | undefined;
    const isBool = (n: Node | undefined): n is Node =>
      n !== undefined && n.op === 'value' && !n.meta.alternate && typeof n.args === 'boolean';
    if (!isBool(yes) || !isBool(no) || !step.condition) return undefined;
    return {
      predicate: this.compile(step.condition, inner),
      cost: stepCost(step),
      onTrue: yes.args as boolean,
      onFalse: no.args as boolean,
      init: init.args,
    };
  }

  private compileMacro(node: Node, macro: Macro, scope: Scope): { fn: Fn; fallback?: true } {
    const ev = this.ev;
    const desc = macro.functionDesc;
    if (macro.macroHasProps)
      return { fn: this.has(macro.macroHasProps, scope, this.interpreted(node, scope)) };
    if (desc === 'optional.orValue(value)' && macro.receiver && macro.arg) {
      const receiver = this.compile(macro.receiver, scope);
      const fallback = this.compile(macro.arg, scope);
      const chain = this.optionalChain(macro.receiver, fallback, scope);
      const receiverNode = macro.receiver;
      const whole: Fn = (f) => {
        const v = receiver(f);
        if (!(v instanceof Optional))
          throw ev.createError('optional_expected', `${desc} receiver must be optional`, receiverNode);
        return v.hasValue() ? v.value() : fallback(f);
      };
      return { fn: chain ? chain(whole) : whole };
    }
    if (desc === 'optional.or(optional)' && macro.receiver && macro.arg) {
      const receiver = this.compile(macro.receiver, scope);
      const other = this.compile(macro.arg, scope);
      const receiverNode = macro.receiver;
      const argNode = macro.arg;
      return {
        fn: (f) => {
          const v = receiver(f);
          if (!(v instanceof Optional))
            throw ev.createError('optional_expected', `${desc} receiver must be optional`, receiverNode);
          if (v.hasValue()) return v;
          const o = other(f);
          if (o instanceof Optional) return o;
          throw ev.createError(
            'optional_expected',
            `optional.or(optional) argument must be optional`,
            argNode,
          );
        },
      };
    }
    if (typeof macro.var === 'string' && macro.val && macro.exp) {
      const slot = this.slot();
      const names = new Map(scope.names);
      names.set(macro.var, slot);
      const val = this.compile(macro.val, scope);
      const exp = this.compile(macro.exp, { names, accu: scope.accu });
      return {
        fn: (f) => {
          f[slot] = val(f);
          return exp(f);
        },
      };
    }
    return { fn: this.interpreted(node, scope), fallback: true };
  }

  /** `has(a.b.c)`: the library's own walk, over the compiled base. */
  private has(props: readonly Node[], scope: Scope, interpreted: Fn): Fn {
    const ev = this.ev;
    const base = this.compile(props[props.length - 1] as Node, scope);
    const steps = props.slice(0, -1);
    return (f) => {
      let i = steps.length;
      let obj = base(f);
      let optional = false;
      while (i--) {
        const n = steps[i] as Node;
        if (n.op === '.?') optional = true;
        const t = ev.debugType(obj);
        // A type without fields fails in the library with its own message: let it.
        if (typeof t.fieldLazy !== 'function') return interpreted(f);
        obj = t.fieldLazy(obj, (n.args as unknown[])[1], n, ev);
        if (obj !== undefined) continue;
        if (!(!optional && i && n.op === '.')) break;
        throw ev.createError('no_such_key', `No such key: ${String((n.args as unknown[])[1])}`, n);
      }
      return obj !== undefined;
    };
  }

  /**
   * `base.?a.?b.orValue(d)` where `base` is a variable or a plain field chain of one: walks the
   * keys of JSON maps; at the first value it does not handle exactly as the library would, it
   * runs the whole expression the general way (the base is side-effect free and unmetered).
   */
  private optionalChain(receiver: Node, fallback: Fn, scope: Scope): ((whole: Fn) => Fn) | undefined {
    const keys: string[] = [];
    let cur: Node | undefined = receiver;
    while (
      cur &&
      cur.op === '.?' &&
      !cur.meta.alternate &&
      !cur.meta.macro &&
      typeof cur.right === 'string'
    ) {
      keys.unshift(cur.right);
      cur = cur.left;
    }
    if (keys.length === 0 || !cur || !simpleBase(cur)) return undefined;
    const base = this.compile(cur, scope);
    return (whole) => optionalChainReader(keys, base, whole, fallback) as Fn;
  }
}

/** `id` or `id.f.g` with plain (not optional) field selections. */
function simpleBase(n: Node | undefined): boolean {
  if (!n || n.meta.alternate || n.meta.macro) return false;
  if (n.op === 'id') return true;
  return n.op === '.' && typeof n.right === 'string' && simpleBase(n.left);
}

/** The strings of a non-empty list literal of string constants, else undefined. */
function constantStrings(n: Node): ReadonlySet<string> | undefined {
  if (n.op !== 'list' || n.meta.alternate || n.meta.macro || !Array.isArray(n.args)) return undefined;
  const items = n.args as Node[];
  if (items.length === 0) return undefined;
  const out = new Set<string>();
  for (const e of items) {
    if (e.op !== 'value' || typeof e.args !== 'string' || e.meta.alternate) return undefined;
    out.add(e.args);
  }
  return out;
}
