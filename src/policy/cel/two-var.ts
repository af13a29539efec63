/**
 * Two-variable comprehensions (`all(k, v, p)`, `exists(k, v, p)`, `exists_one(k, v, p)` on
 * lists, with the index as first variable, and on maps, with the key): the comprehension
 * extension Kubernetes enables. cel-js lacks them, so each is expanded when parsed into
 *
 *     cel.bind(r, RECEIVER, keysOf(r).all(k, cel.bind(v, r[k], PREDICATE)))
 *
 * built by parsing that template and substituting the receiver and predicate nodes.
 */
import { Environment } from '@marcbachmann/cel-js';

const RECV = '__palisade_r';
const KEYS = '__palisade_keys';
const KINDS = ['all', 'exists', 'exists_one'] as const;
const LEXER_FIELDS = ['input', 'pos', 'length', 'tokenPos', 'tokenType', 'tokenValue'];

/** Indices of a list, or keys of a map. */
function keysOf(x: unknown): unknown[] {
  if (Array.isArray(x)) return x.map((_v, i) => BigInt(i));
  if (x instanceof Map) return [...x.keys()];
  if (x !== null && typeof x === 'object') return Object.keys(x);
  throw new Error('two-variable comprehensions need a list or a map');
}

interface Node {
  op?: string;
  args: unknown;
  meta: { alternate?: unknown; macro?: Record<string, unknown> };
}

function substitute(root: unknown, nodeClass: unknown, map: ReadonlyMap<string, unknown>): unknown {
  const isNode = (x: unknown): x is Node =>
    x !== null && typeof x === 'object' && (x as { constructor?: unknown }).constructor === nodeClass;
  const fix = (x: unknown): unknown =>
    isNode(x) && x.op === 'id' && typeof x.args === 'string' && map.has(x.args) ? map.get(x.args) : x;
  const seen = new Set<unknown>();
  const visitFields = (o: Record<string, unknown>): void => {
    for (const k of Object.keys(o)) {
      o[k] = fix(o[k]);
      visit(o[k]);
    }
  };
  const visit = (v: unknown): void => {
    if (v === null || typeof v !== 'object' || seen.has(v)) return;
    seen.add(v);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        v[i] = fix(v[i]);
        visit(v[i]);
      }
      return;
    }
    if (isNode(v)) {
      const a = v.args;
      if (Array.isArray(a)) visit(a);
      else if (a !== null && typeof a === 'object' && Object.getPrototypeOf(a) === Object.prototype)
        visitFields(a as Record<string, unknown>);
      const m = v.meta;
      if (m.alternate) {
        m.alternate = fix(m.alternate);
        visit(m.alternate);
      }
      if (m.macro) visitFields(m.macro);
      return;
    }
    if (Object.getPrototypeOf(v) === Object.prototype) visitFields(v as Record<string, unknown>);
  };
  visit(root);
  return root;
}

/** Registers the two-variable forms of all, exists and exists_one on an environment. */
export function registerTwoVariableComprehensions(env: Environment): void {
  const templates = new Environment({ unlistedVariablesAreDyn: true, homogeneousAggregateLiterals: false });
  templates.registerFunction(`${KEYS}(dyn): list<dyn>`, keysOf);
  env.registerFunction(`${KEYS}(dyn): list<dyn>`, keysOf);
  const nodeClass = (templates.parse('1') as unknown as { ast: { constructor: unknown } }).ast.constructor;
  const identifier = (n: unknown): string => {
    const node = n as Node;
    if (node.op !== 'id' || typeof node.args !== 'string')
      throw new Error('iteration variables must be identifiers');
    return node.args;
  };
  for (const kind of KINDS) {
    for (const receiverType of ['list', 'map']) {
      env.registerFunction(
        `${receiverType}.${kind}(ast, ast, ast): bool`,
        ({
          args,
          receiver,
          parser,
        }: {
          args: unknown[];
          receiver: unknown;
          parser: { lexer: Record<string, unknown> };
        }) => {
          const k = identifier(args[0]);
          const v = identifier(args[1]);
          const text = `cel.bind(${RECV}, __RECEIVER__, ${KEYS}(${RECV}).${kind}(${k}, cel.bind(${v}, ${RECV}[${k}], __PREDICATE__)))`;
          // cel-js parsers share one lexer: keep the outer parse's position across the template parse.
          const lexer = parser.lexer;
          const saved = LEXER_FIELDS.map((f) => lexer[f]);
          let ast: unknown;
          try {
            ast = (templates.parse(text) as unknown as { ast: unknown }).ast;
          } finally {
            LEXER_FIELDS.forEach((f, i) => (lexer[f] = saved[i]));
          }
          return {
            callAst: substitute(
              ast,
              nodeClass,
              new Map([
                ['__RECEIVER__', receiver],
                ['__PREDICATE__', args[2]],
              ]),
            ),
          };
        },
      );
    }
  }
}
