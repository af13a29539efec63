/**
 * The subset of Kubernetes JSONPath (client-go `util/jsonpath`, with missing keys allowed) that
 * benchmark checks use: text, `{.a.b}`, `{.a['b']}`, `{.a[0]}`, `{.a[:]}` / `{.a[*]}`,
 * `{range .x[:]}…{end}`, `{}` / `{@}` for the current value and quoted literals `{','}`.
 * Missing keys print nothing; values print as Go prints them.
 */
import { err, ok, type Result } from '../../core/index.js';
import { formatGoValue, GoFloat, type ConfigValue } from './config-value.js';

type Step = { kind: 'field'; name: string } | { kind: 'index'; index: number } | { kind: 'all' };

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'path'; steps: Step[] }
  | { kind: 'range'; steps: Step[]; body: Node[] };

/** A parsed JSONPath template. */
export interface JsonPath {
  readonly source: string;
  readonly nodes: readonly Node[];
}

function parseSteps(expr: string): Result<Step[], string> {
  const steps: Step[] = [];
  let s = expr.trim();
  if (s.startsWith('@') || s.startsWith('$')) s = s.slice(1);
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === '.') {
      let j = i + 1;
      while (j < s.length && s[j] !== '.' && s[j] !== '[') j++;
      const name = s.slice(i + 1, j);
      if (name !== '') steps.push({ kind: 'field', name });
      i = j;
    } else if (c === '[') {
      const close = s.indexOf(']', i);
      if (close < 0) return err(`unclosed [ in "${expr}"`);
      const inner = s.slice(i + 1, close).trim();
      const quoted = /^'(.*)'$|^"(.*)"$/.exec(inner);
      if (quoted) steps.push({ kind: 'field', name: quoted[1] ?? quoted[2] ?? '' });
      else if (inner === '*' || inner === ':') steps.push({ kind: 'all' });
      else if (/^-?\d+$/.test(inner)) steps.push({ kind: 'index', index: Number(inner) });
      else return err(`unsupported subscript [${inner}] in "${expr}"`);
      i = close + 1;
    } else if (c === ' ') {
      i++;
    } else {
      return err(`unexpected "${c}" in "${expr}"`);
    }
  }
  return ok(steps);
}

/** Parses a JSONPath template; an unsupported or broken template is an error with a reason. */
export function parseJsonPath(source: string): Result<JsonPath, string> {
  const root: Node[] = [];
  const stack: Node[][] = [root];
  const ranges: { steps: Step[]; body: Node[] }[] = [];
  let i = 0;
  while (i < source.length) {
    const open = source.indexOf('{', i);
    const current = stack[stack.length - 1] ?? root;
    if (open < 0) {
      current.push({ kind: 'text', text: source.slice(i) });
      break;
    }
    if (open > i) current.push({ kind: 'text', text: source.slice(i, open) });
    const close = findClose(source, open);
    if (close < 0) return err(`unclosed action in "${source}"`);
    const action = source.slice(open + 1, close).trim();
    i = close + 1;
    const literal = /^'(.*)'$|^"(.*)"$/s.exec(action);
    if (literal) {
      current.push({ kind: 'text', text: literal[1] ?? literal[2] ?? '' });
    } else if (action.startsWith('range ') || action === 'range') {
      const steps = parseSteps(action.slice(5));
      if (!steps.ok) return steps;
      const node = { kind: 'range' as const, steps: steps.value, body: [] as Node[] };
      current.push(node);
      ranges.push(node);
      stack.push(node.body);
    } else if (action === 'end') {
      if (ranges.length === 0) return err(`{end} without {range} in "${source}"`);
      ranges.pop();
      stack.pop();
    } else {
      const steps = parseSteps(action);
      if (!steps.ok) return steps;
      current.push({ kind: 'path', steps: steps.value });
    }
  }
  if (ranges.length > 0) return err(`{range} without {end} in "${source}"`);
  return ok({ source, nodes: root });
}

function findClose(s: string, open: number): number {
  let quote: string | undefined;
  for (let i = open + 1; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '}') return i;
  }
  return -1;
}

function walk(values: ConfigValue[], steps: readonly Step[]): ConfigValue[] {
  let current = values;
  for (const step of steps) {
    const next: ConfigValue[] = [];
    for (const v of current) {
      if (step.kind === 'field') {
        if (v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof GoFloat)) {
          const map = v as Record<string, ConfigValue>;
          if (Object.hasOwn(map, step.name)) next.push(map[step.name] ?? null);
        }
      } else if (Array.isArray(v)) {
        if (step.kind === 'all') next.push(...v);
        else {
          const idx = step.index < 0 ? v.length + step.index : step.index;
          const item = v[idx];
          if (item !== undefined) next.push(item);
        }
      }
    }
    current = next;
  }
  return current;
}

function run(nodes: readonly Node[], data: ConfigValue, out: string[]): void {
  for (const node of nodes) {
    if (node.kind === 'text') out.push(node.text);
    else if (node.kind === 'path') {
      for (const v of walk([data], node.steps)) out.push(formatGoValue(v));
    } else {
      // As in client-go, a range iterates over the results of its expression (use `[:]` to
      // iterate over a list's elements), not inside each result.
      for (const v of walk([data], node.steps)) run(node.body, v, out);
    }
  }
}

/** Evaluates a parsed template on a document and returns the printed text. */
export function executeJsonPath(path: JsonPath, data: ConfigValue): string {
  const out: string[] = [];
  run(path.nodes, data, out);
  return out.join('');
}
