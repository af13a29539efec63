/**
 * Exact shortcuts for the commonest shape of Kubernetes policy expressions, applied to a
 * checked cel-js AST after metering: `base.?a.?b… .orValue(default)`, where `base` is a
 * variable or a plain field selection of one (`c`, `object.spec`). cel-js evaluates each
 * `.?` step by wrapping the value in an optional and each `.orValue` through its macro
 * machinery; on JSON maps the result is simply "walk the keys, or the default". The shortcut
 * does that walk for plain objects and Maps holding CEL values and, at the first value it does
 * not handle exactly as cel-js would (null, a list, a string, a foreign object), hands the
 * whole expression back to cel-js, so every result and every error is cel-js's own. The base is
 * side-effect free and unmetered (no comprehension), so evaluating it again costs nothing.
 *
 * Likewise `==`, `!=` and `in` on the values where cel-js's overload is plain JavaScript
 * identity: two strings, two booleans, two ints (bigint) or two doubles compare with `===`
 * (cel-js registers exactly `(a, b) => a === b` for them and `!=` as its negation), and a
 * string is `in` a list whose type cel-js reads as list<string> (an empty list or one whose
 * first element is a string) when an element is the same string. Any other pair goes to
 * cel-js's own overload dispatch with the operands already evaluated, as it would have.
 */

/** The parts of a cel-js AST node these shortcuts read (the library does not export a type). */
export interface CelAstNode {
  op: string;
  args: unknown;
  left?: CelAstNode;
  right?: unknown;
  evaluate: (ev: unknown, ast: unknown, ctx: unknown) => unknown;
  /** The overload dispatcher of a binary operator node (set by cel-js's type check). */
  handle?: (left: unknown, right: unknown, ast: unknown, ev: unknown) => unknown;
  meta: {
    alternate?: unknown;
    evaluate?: { name?: string };
    macro?: {
      functionDesc?: string;
      receiver?: CelAstNode;
      arg?: CelAstNode;
      evaluate: (ev: unknown, macro: unknown, ctx: unknown) => unknown;
    };
  };
}

const hasOwn = Object.hasOwn;

/** A value cel-js's `dyn` type accepts without further lookups (the compiled path's test too). */
export function plainCelValue(v: unknown): boolean {
  switch (typeof v) {
    case 'string':
    case 'bigint':
    case 'number':
    case 'boolean':
      return true;
    case 'object': {
      if (v === null) return true;
      const c = (v as { constructor?: unknown }).constructor;
      return c === undefined || c === Object || c === Map || c === Array || c === Set;
    }
    default:
      return false;
  }
}

/** `id` or `id.f.g` with plain (not optional) field selections. */
function simpleBase(n: CelAstNode | undefined): boolean {
  if (!n || hasOwn(n, 'evaluate')) return false;
  if (n.op === 'id') return true;
  return n.op === '.' && typeof n.right === 'string' && simpleBase(n.left);
}

/**
 * Installs the shortcut on `node` when it is an `orValue` over an optional field chain;
 * returns whether it did. Nodes already wrapped (metered comprehension steps) are left alone.
 */
export function shortcutOptionalChain(node: CelAstNode): boolean {
  const macro = node.meta.macro;
  if (!macro || macro.functionDesc !== 'optional.orValue(value)' || hasOwn(node, 'evaluate')) return false;
  const fallback = macro.arg;
  const keys: string[] = [];
  let cur = macro.receiver;
  while (cur && cur.op === '.?' && typeof cur.right === 'string' && !hasOwn(cur, 'evaluate')) {
    keys.unshift(cur.right);
    cur = cur.left;
  }
  const base = cur;
  if (keys.length === 0 || !fallback || !base || !simpleBase(base)) return false;
  const whole = macro;
  const count = keys.length;
  node.evaluate = function optionalChain(ev, _ast, ctx) {
    let v = base.evaluate(ev, base, ctx);
    for (let i = 0; i < count; i++) {
      if (typeof v !== 'object' || v === null) return whole.evaluate(ev, whole, ctx);
      const k = keys[i] as string;
      const c = (v as { constructor?: unknown }).constructor;
      if (c === Object || c === undefined) {
        const o = v as Record<string, unknown>;
        v = hasOwn(o, k) ? o[k] : undefined;
      } else if (c === Map) v = (v as Map<unknown, unknown>).get(k);
      else return whole.evaluate(ev, whole, ctx);
      if (v === undefined) return fallback.evaluate(ev, fallback, ctx);
      const t = typeof v;
      if (t !== 'string' && t !== 'boolean' && t !== 'bigint' && t !== 'number' && !plainCelValue(v))
        return whole.evaluate(ev, whole, ctx);
    }
    return v;
  };
  return true;
}

function primitiveEqualityType(t: string): boolean {
  return t === 'string' || t === 'boolean' || t === 'bigint' || t === 'number';
}

/** Installs the `==` / `!=` / `in` shortcut on a binary operator node; returns whether it did. */
export function shortcutComparison(node: CelAstNode): boolean {
  const op = node.op;
  if (op !== '==' && op !== '!=' && op !== 'in') return false;
  if (hasOwn(node, 'evaluate') || node.meta.alternate || node.meta.macro) return false;
  if (node.meta.evaluate?.name !== 'evaluateBinary') return false;
  const { left, right, handle } = node;
  if (!left || !isNode(right) || !handle) return false;
  const dispatch = handle;
  if (op === 'in') {
    const constant = constantStrings(right);
    if (constant) {
      // A literal list of strings: nothing to evaluate (a literal cannot fail), so a string
      // operand is answered from a set; any other operand gets the list cel-js would build.
      node.evaluate = function stringInLiteral(ev, _ast, ctx) {
        const l = left.evaluate(ev, left, ctx);
        if (typeof l === 'string') return constant.has(l);
        return dispatch(l, right.evaluate(ev, right, ctx), node, ev);
      };
      return true;
    }
    node.evaluate = function stringIn(ev, _ast, ctx) {
      const l = left.evaluate(ev, left, ctx);
      const r = right.evaluate(ev, right, ctx);
      if (typeof l === 'string' && Array.isArray(r) && (r.length === 0 || typeof r[0] === 'string'))
        return r.includes(l);
      return dispatch(l, r, node, ev);
    };
    return true;
  }
  const equal = op === '==';
  node.evaluate = function primitiveEquality(ev, _ast, ctx) {
    const l = left.evaluate(ev, left, ctx);
    const r = right.evaluate(ev, right, ctx);
    const t = typeof l;
    if (t === typeof r && primitiveEqualityType(t)) return equal ? l === r : l !== r;
    return dispatch(l, r, node, ev);
  };
  return true;
}

function isNode(v: unknown): v is CelAstNode {
  return typeof v === 'object' && v !== null && typeof (v as { evaluate?: unknown }).evaluate === 'function';
}

/** The strings of a non-empty list literal of string constants, else undefined. */
function constantStrings(n: CelAstNode): ReadonlySet<string> | undefined {
  if (n.op !== 'list' || hasOwn(n, 'evaluate') || n.meta.alternate || !Array.isArray(n.args))
    return undefined;
  const items = n.args as unknown[];
  if (items.length === 0) return undefined;
  const out = new Set<string>();
  for (const item of items) {
    const e = item as CelAstNode;
    if (!isNode(e) || e.op !== 'value' || typeof e.args !== 'string' || e.meta.alternate) return undefined;
    out.add(e.args);
  }
  return out;
}
