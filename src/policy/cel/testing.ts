/** Test helpers: one expression evaluated on one object, outside any policy. */
import type { CelEngine } from './engine.js';
import { authorizerValue, type AuthorizerFn } from './k8s-lib.js';

/**
 * Compiles and evaluates `expr` with `object` (a CEL value, see `toCelValue`) and the other
 * admission variables empty (`authorizer` answering through `authorizer` when given); throws the
 * compile or evaluation error.
 */
export function evaluateExpression(
  engine: CelEngine,
  expr: string,
  object: unknown,
  authorizer?: AuthorizerFn,
): unknown {
  const c = engine.compile(expr);
  if (!c.ok) throw new Error(c.error);
  const r = c.value.evaluate(
    {
      object,
      oldObject: null,
      request: {},
      params: null,
      namespaceObject: null,
      variables: {},
      authorizer: authorizerValue(authorizer),
    },
    { remaining: 1e6 },
  );
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}
