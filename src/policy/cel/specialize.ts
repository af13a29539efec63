/**
 * Field reads specialised per expression site. A closure built by one function literal
 * shares its inline caches with every other closure of that literal, so in a compiled
 * policy set the field read `o[key]` behind every `.name` and `.?name` sees every object
 * shape of every expression and stays megamorphic. The accessors here are created by
 * `new Function` per site, with the key as a constant property name: each has its own
 * caches, which see the few shapes of its own site (a container, a securityContext).
 *
 * A key that no object inherits (anything not on Object.prototype: `spec`, `securityContext`)
 * is read from a JSON object directly, an absent key reading undefined; inherited names
 * (`constructor`, `toString`, `__proto__`) are read only as own fields. Palisade never writes
 * to Object.prototype.
 *
 * The generated text is fixed except for the keys, which are embedded as JSON string
 * literals (`JSON.stringify`), so no policy text is ever evaluated as code. The accessors
 * return the same values as the generic closures in `compiled.ts`, which they fall back to
 * for anything but plain JSON objects.
 */

type Fn = (f: never) => unknown;

/**
 * The value test of the generic path (`plainCelValue` in fast-paths.ts): a primitive, null or a
 * JSON-like list or map. Source over the variable `x`, with `t` and `c` as scratch.
 */
const PLAIN = `((t = typeof x) === 'string' || t === 'bigint' || t === 'number' || t === 'boolean' || (t === 'object' && (x === null || (c = x.constructor) === Object || c === Array || c === undefined || c === Map || c === Set)))`;

/**
 * `left.key`: on a JSON object holding the key with a plain CEL value, that value; anything
 * else goes to `general` (the library's field access, with its errors).
 */
export function fieldReader(key: string, left: Fn, general: (o: unknown) => unknown): Fn {
  const k = JSON.stringify(key);
  const own = inherited(key) ? ` || !hasOwn(o, ${k})` : '';
  const body = `"use strict";
return function readField(f) {
  let c, x, t;
  const o = left(f);
  if (typeof o !== 'object' || o === null || o.constructor !== Object${own}) return general(o);
  x = o[${k}];
  return x !== undefined && ${PLAIN} ? x : general(o);
};`;
  return build(body, { left, general });
}

/**
 * `base.?k1.?k2….orValue(d)` over JSON objects and Maps: `whole` runs the general path,
 * `fallback` the default.
 */
export function optionalChainReader(keys: readonly string[], base: Fn, whole: Fn, fallback: Fn): Fn {
  const steps = keys
    .map((key) => {
      const k = JSON.stringify(key);
      return `  if (typeof x !== 'object' || x === null) return whole(f);
  c = x.constructor;
  if (c === Object) x = ${inherited(key) ? `hasOwn(x, ${k}) ? x[${k}] : undefined` : `x[${k}]`};
  else if (c === undefined) x = hasOwn(x, ${k}) ? x[${k}] : undefined;
  else if (c === Map) x = x.get(${k});
  else return whole(f);
  if (x === undefined) return fallback(f);
  if (!${PLAIN}) return whole(f);`;
    })
    .join('\n');
  const body = `"use strict";
return function readOptionalChain(f) {
  let c, t, x = base(f);
${steps}
  return x;
};`;
  return build(body, { base, whole, fallback });
}

/**
 * `left in [s1, s2, …]` for a literal list of strings: a string is compared with each (the
 * common lists are short); any other value goes to `general` with it.
 */
export function stringMembership(
  strings: readonly string[],
  left: Fn,
  general: (l: unknown, f: never) => unknown,
): Fn {
  const test = strings.length === 0 ? 'false' : strings.map((x) => `l === ${JSON.stringify(x)}`).join(' || ');
  const body = `"use strict";
return function member(f) {
  const l = left(f);
  if (typeof l !== 'string') return general(l, f);
  return ${test};
};`;
  return build(body, { left, general });
}

/** The parts of an `all` / `exists` loop (see `Compiler.comprehension` in compiled.ts). */
export interface QuantifierParts {
  iterable: Fn;
  itemsOf: (coll: unknown) => readonly unknown[];
  /** Sets the iteration variable after the full type test (or throws the library's error). */
  setIter: (f: never, v: unknown) => void;
  predicate: Fn;
  notBool: (c: unknown) => Error;
  meterState: { current: { remaining: number } };
  costExceeded: () => Error;
  accuSlot: number;
  iterSlot: number;
  cost: number;
  dynIter: boolean;
  first: boolean;
  onTrue: boolean;
  onFalse: boolean;
  goOnTrue: boolean;
  goOnFalse: boolean;
  resultTrue: unknown;
  resultFalse: unknown;
}

let sites = 0;

/**
 * An `all` / `exists` loop of its own per site, so the predicate call and the item reads have
 * their own caches (and the predicate can be inlined). Slots, cost and the boolean outcomes are
 * numbers and booleans written into the text; the step's errors are absorbed as the library
 * absorbs them, unless the result still depends on them.
 */
export function quantifierLoop(q: QuantifierParts): Fn {
  const ints = [q.accuSlot, q.iterSlot, q.cost];
  if (!ints.every((n) => Number.isSafeInteger(n) && n >= 0))
    throw new Error('quantifierLoop: bad slot or cost');
  const b = (v: boolean): string => (v ? 'true' : 'false');
  const goOn = (accu: string): string => `(${accu} ? ${b(q.goOnTrue)} : ${b(q.goOnFalse)})`;
  const plainItem = q.dynIter
    ? `typeof item === 'object' && item !== null && item.constructor === Object`
    : 'false';
  const body = `"use strict";
// site ${sites++}
return function quantifier(f) {
  const items = itemsOf(iterable(f));
  let accu = ${b(q.first)};
  f[${q.accuSlot}] = accu;
  let error;
  for (let i = 0; i < items.length; i++) {
    if (!${goOn('accu')}) return accu ? resultTrue : resultFalse;
    const item = items[i];
    if (${plainItem}) f[${q.iterSlot}] = item;
    else setIter(f, item);
    let c;
    try {
      if ((meterState.current.remaining -= ${q.cost}) < 0) throw costExceeded();
      c = predicate(f);
    } catch (e) {
      if (error === undefined) error = e;
      continue;
    }
    if (c === true) accu = ${b(q.onTrue)};
    else if (c === false) accu = ${b(q.onFalse)};
    else if (error === undefined) error = notBool(c);
  }
  if (error !== undefined && ${goOn('accu')}) throw error;
  return accu ? resultTrue : resultFalse;
};`;
  return build(body, {
    iterable: q.iterable,
    itemsOf: q.itemsOf,
    setIter: q.setIter,
    predicate: q.predicate,
    notBool: q.notBool,
    meterState: q.meterState,
    costExceeded: q.costExceeded,
    resultTrue: q.resultTrue,
    resultFalse: q.resultFalse,
  });
}

/** A top-level variable of an expression: its frame slot and the type the checker declared. */
export interface TopVariable {
  name: string;
  slot: number;
  type: { kind: string; matchesValueType(v: unknown, ev: unknown): boolean };
}

/**
 * The entry of a compiled expression: a frame (activation at index 0) with every top-level
 * variable read once, by a constant name, and kept when it is of its declared type (any plain
 * CEL value for `dyn`), else `unchecked` for its node to report or convert.
 */
export function framePrologue(
  size: number,
  tops: readonly TopVariable[],
  run: Fn,
  ev: unknown,
  unchecked: symbol,
): (vars: Readonly<Record<string, unknown>>) => unknown {
  const deps: Record<string, unknown> = { run, ev, unchecked };
  const reads = tops
    .map((t, i) => {
      deps[`type${i}`] = t.type;
      const test =
        t.type.kind === 'dyn'
          ? `(${PLAIN} || type${i}.matchesValueType(x, ev))`
          : `type${i}.matchesValueType(x, ev)`;
      return `  x = vars[${JSON.stringify(t.name)}];
  f[${t.slot}] = x !== undefined && ${test} ? x : unchecked;`;
    })
    .join('\n');
  const body = `"use strict";
return function evaluate(vars) {
  let c, t, x;
  const f = new Array(${size});
  f[0] = vars;
${reads}
  return run(f);
};`;
  return build(body, deps) as (vars: Readonly<Record<string, unknown>>) => unknown;
}

/** Whether a plain object has `key` without holding it (so only an own field may be read). */
function inherited(key: string): boolean {
  return key in Object.prototype;
}

function build(body: string, deps: Record<string, unknown>): Fn {
  const names = ['hasOwn', ...Object.keys(deps)];
  const values = [Object.hasOwn, ...Object.values(deps)];
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated per site on purpose (see the module comment); only JSON-quoted keys vary
  const factory = new Function(...names, body) as (...args: unknown[]) => Fn;
  return factory(...values);
}
