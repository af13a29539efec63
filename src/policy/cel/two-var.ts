/**
 * Two-variable comprehensions, the extension Kubernetes enables from 1.32: `all(k, v, p)`,
 * `exists(k, v, p)`, `existsOne(k, v, p)` (also `exists_one`), and `transformList(k, v, [f,] e)`,
 * `transformMap(k, v, [f,] e)`, `transformMapEntry(k, v, [f,] e)`, on lists (the first
 * variable is the index) and maps (the key). cel-js lacks them, so each is expanded when
 * parsed into a one-variable macro over the receiver's keys, e.g.
 *
 *     cel.bind(r, RECEIVER, keysOf(r).all(k, cel.bind(v, r[k], PREDICATE)))
 *
 * built by parsing that template and substituting the receiver and argument nodes. The lists
 * extension's `sortBy(e, key)` macro is built the same way.
 */
import { Environment } from '@marcbachmann/cel-js';
import { sortByKeys } from './k8s-lib.js';

const RECV = '__palisade_r';
const KEYS = '__palisade_keys';
const FILTERED = '__palisade_ks';
const ZIP = '__palisade_zip';
const MERGE = '__palisade_merge';
const SORT_BY = '__palisade_sort_by';
const ID = '__palisade_id';

/** `v` bound to the element of key `k` around an argument. */
const bound = (k: string, v: string, arg: string): string => `cel.bind(${v}, ${RECV}[${k}], ${arg})`;

/**
 * Each macro: its name, whether it takes a filter before its expression, what it returns, and
 * the one-variable form it expands to (`keys` is the receiver's keys, already filtered).
 */
const MACROS: readonly {
  name: string;
  filter: boolean;
  returns: string;
  template: (k: string, v: string, keys: string) => string;
}[] = [
  ...(['all', 'exists', 'exists_one', 'existsOne'] as const).map((name) => ({
    name,
    filter: false,
    returns: 'bool',
    template: (k: string, v: string, keys: string) =>
      `${keys}.${name === 'existsOne' ? 'exists_one' : name}(${k}, ${bound(k, v, '__PREDICATE__')})`,
  })),
  ...[false, true].flatMap((filter) => [
    {
      name: 'transformList',
      filter,
      returns: 'list<dyn>',
      template: (k: string, v: string, keys: string) => `${keys}.map(${k}, ${bound(k, v, '__EXPR__')})`,
    },
    {
      name: 'transformMap',
      filter,
      returns: 'map<dyn, dyn>',
      template: (k: string, v: string, keys: string) =>
        `${ZIP}(${keys}, ${keys}.map(${k}, ${bound(k, v, '__EXPR__')}))`,
    },
    {
      name: 'transformMapEntry',
      filter,
      returns: 'map<dyn, dyn>',
      template: (k: string, v: string, keys: string) =>
        `${MERGE}(${keys}.map(${k}, ${bound(k, v, '__EXPR__')}))`,
    },
  ]),
];
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

/** `transformMap`'s result: each key with its value (keys are strings, as cel-js keeps maps). */
function zip(keys: unknown[], values: unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  keys.forEach((k, i) => {
    Object.defineProperty(out, String(k), {
      value: values[i],
      enumerable: true,
      writable: true,
      configurable: true,
    });
  });
  return out;
}

/** `transformMapEntry`'s result: the entries of every map the expression gave, keys unique. */
function merge(maps: unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const m of maps) {
    if (m === null || typeof m !== 'object' || Array.isArray(m))
      throw new Error('transformMapEntry: the expression must return a map');
    for (const [k, v] of Object.entries(m as Record<string, unknown>)) {
      if (Object.hasOwn(out, k)) throw new Error(`insert failed: key ${k} already exists`);
      Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    }
  }
  return out;
}

/** What cel-js hands a macro's handler when it parses a call of it. */
interface MacroCall {
  args: unknown[];
  receiver: unknown;
  parser: { lexer: Record<string, unknown> };
}

/** Registers the two-variable comprehensions on an environment. */
export function registerTwoVariableComprehensions(env: Environment): void {
  const templates = new Environment({ unlistedVariablesAreDyn: true, homogeneousAggregateLiterals: false });
  for (const e of [templates, env]) {
    e.registerFunction(`${KEYS}(dyn): list<dyn>`, keysOf);
    e.registerFunction(`${ZIP}(list<dyn>, list<dyn>): map<dyn, dyn>`, zip);
    e.registerFunction(`${MERGE}(list<dyn>): map<dyn, dyn>`, merge);
  }
  const nodeClass = (templates.parse('1') as unknown as { ast: { constructor: unknown } }).ast.constructor;
  /** Parses a template and puts the macro's own nodes where its placeholders are. */
  const expand = (
    text: string,
    parser: { lexer: Record<string, unknown> },
    nodes: ReadonlyMap<string, unknown>,
  ): unknown => {
    // cel-js parsers share one lexer: keep the outer parse's position across the template parse.
    const lexer = parser.lexer;
    const saved = LEXER_FIELDS.map((f) => lexer[f]);
    let ast: unknown;
    try {
      ast = (templates.parse(text) as unknown as { ast: unknown }).ast;
    } finally {
      LEXER_FIELDS.forEach((f, j) => (lexer[f] = saved[j]));
    }
    return substitute(ast, nodeClass, nodes);
  };
  const identifier = (n: unknown): string => {
    const node = n as Node;
    if (node.op !== 'id' || typeof node.args !== 'string')
      throw new Error('iteration variables must be identifiers');
    return node.args;
  };
  // `list.sortBy(e, key)` (lists extension): the list ordered by each element's key.
  for (const e of [templates, env]) {
    e.registerFunction(`${SORT_BY}(list<dyn>, list<dyn>): list<dyn>`, (l: unknown[], keys: unknown[]) =>
      sortByKeys(l, keys),
    );
    e.registerFunction(`${ID}(dyn): dyn`, (x: unknown) => x);
  }
  env.registerFunction('list.sortBy(ast, ast): list<dyn>', ({ args, receiver, parser }: MacroCall) => {
    const e = identifier(args[0]);
    // The key sits in a call: a macro keeps its bare body where substitution does not reach.
    const text = `cel.bind(${RECV}, __RECEIVER__, ${SORT_BY}(${RECV}, ${RECV}.map(${e}, ${ID}(__EXPR__))))`;
    return {
      callAst: expand(
        text,
        parser,
        new Map([
          ['__RECEIVER__', receiver],
          ['__EXPR__', args[1]],
        ]),
      ),
    };
  });
  for (const macro of MACROS) {
    for (const receiverType of ['list', 'map']) {
      const params = macro.filter ? 'ast, ast, ast, ast' : 'ast, ast, ast';
      env.registerFunction(
        `${receiverType}.${macro.name}(${params}): ${macro.returns}`,
        ({ args, receiver, parser }: MacroCall) => {
          const k = identifier(args[0]);
          const v = identifier(args[1]);
          if (k === v) throw new Error(`${macro.name}: the two iteration variables must differ`);
          const body = macro.filter
            ? `cel.bind(${FILTERED}, ${KEYS}(${RECV}).filter(${k}, ${bound(k, v, '__FILTER__')}), ${macro.template(k, v, FILTERED)})`
            : macro.template(k, v, `${KEYS}(${RECV})`);
          const text = `cel.bind(${RECV}, __RECEIVER__, ${body})`;
          const last = args[args.length - 1];
          return {
            callAst: expand(
              text,
              parser,
              new Map([
                ['__RECEIVER__', receiver],
                ['__PREDICATE__', last],
                ['__EXPR__', last],
                ['__FILTER__', args[2]],
              ]),
            ),
          };
        },
      );
    }
  }
}
