/**
 * Field reads specialised per expression site. A closure built by one function literal
 * shares its inline caches with every other closure of that literal, so in a compiled
 * policy set the field read `o[key]` behind every `.name` and `.?name` sees every object
 * shape of every expression and stays megamorphic. The accessors here are created by
 * `new Function` per site, with the key as a constant property name: each has its own
 * caches, which see the few shapes of its own site (a container, a securityContext).
 *
 * The generated text is fixed except for the keys, which are embedded as JSON string
 * literals (`JSON.stringify`), so no policy text is ever evaluated as code. The accessors
 * return the same values as the generic closures in `compiled.ts`, which they fall back to
 * for anything but plain JSON objects.
 */

type Fn = (f: never) => unknown;

/** The value test of the generic path (`plainCelValue`), as source over the variable `x`. */
const PLAIN = `(typeof x !== 'object' || x === null || (c = x.constructor) === Object || c === Array || c === undefined || c === Map || c === Set)`;

/**
 * `left.key`: on a JSON object holding the key with a plain CEL value, that value; anything
 * else goes to `general` (the library's field access, with its errors). `typeof` of a field is
 * never 'function' or 'symbol' in CEL values; when it is, the general path decides.
 */
export function fieldReader(key: string, left: Fn, general: (o: unknown) => unknown): Fn {
  const k = JSON.stringify(key);
  const body = `"use strict";
return function readField(f) {
  let c, x, t;
  const o = left(f);
  if (typeof o !== 'object' || o === null || o.constructor !== Object || !hasOwn(o, ${k})) return general(o);
  x = o[${k}];
  t = typeof x;
  if (t === 'undefined' || t === 'function' || t === 'symbol' || !${PLAIN}) return general(o);
  return x;
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
  if (c === Object || c === undefined) x = hasOwn(x, ${k}) ? x[${k}] : undefined;
  else if (c === Map) x = x.get(${k});
  else return whole(f);
  if (x === undefined) return fallback(f);
  t = typeof x;
  if (t === 'function' || t === 'symbol' || !${PLAIN}) return whole(f);`;
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

function build(body: string, deps: Record<string, unknown>): Fn {
  const names = ['hasOwn', ...Object.keys(deps)];
  const values = [Object.hasOwn, ...Object.values(deps)];
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated per site on purpose (see the module comment); only JSON-quoted keys vary
  const factory = new Function(...names, body) as (...args: unknown[]) => Fn;
  return factory(...values);
}
