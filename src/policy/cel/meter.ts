/**
 * The runtime cost state shared by the two ways a checked expression runs: the library's
 * interpreter (whose AST nodes `engine.ts` wraps) and the compiled closures (`compiled.ts`).
 * Both charge the same units at the same points: a comprehension step costs the number of
 * nodes in it per iteration, and an operator or call that builds a string, bytes, list or map
 * costs one unit per 10 characters or elements of its result.
 */

/** Remaining runtime cost for one evaluation; shared by every expression of one policy call. */
export interface CostBudget {
  remaining: number;
}

/** Thrown when the running evaluation's meter goes below zero. */
export class CostExceeded extends Error {}

/** The meter of the evaluation running now (one at a time: evaluation is synchronous). */
export const meterState: { current: CostBudget } = { current: { remaining: Infinity } };

/** Characters (or elements) charged one cost unit: the API server's string traversal factor 0.1. */
export const SIZE_UNIT = 10;

/** Operators and calls whose result may be a newly built string, bytes, list or map. */
export const BUILDING_OPS: ReadonlySet<string> = new Set(['+', 'call', 'rcall']);

/**
 * Macros whose result is one of their operands' values, never something new: `a.orValue(b)`
 * returns `a`'s value or `b` (which charges for itself when it builds), so reading optional
 * fields costs nothing for their size.
 */
const PASS_THROUGH_MACROS: ReadonlySet<string> = new Set([
  'optional.orValue(value)',
  'optional.or(optional)',
]);

/** Whether a node's result may be newly built (its size is then charged): see `BUILDING_OPS`. */
export function buildsValue(node: WalkNode): boolean {
  if (!BUILDING_OPS.has(node.op)) return false;
  const macro = node.meta.macro as { functionDesc?: unknown } | undefined;
  return typeof macro?.functionDesc !== 'string' || !PASS_THROUGH_MACROS.has(macro.functionDesc);
}

/** The size units a built value costs (0 under one unit). */
export function builtCost(v: unknown): number {
  let size: number;
  if (typeof v !== 'object') {
    if (typeof v !== 'string') return 0;
    size = v.length;
  } else if (v === null) return 0;
  else if (Array.isArray(v) || v instanceof Uint8Array) size = v.length;
  else if (v instanceof Map) size = v.size;
  else return 0;
  return size >= SIZE_UNIT ? Math.floor(size / SIZE_UNIT) : 0;
}

/** Charges the size of a value an operation built to the current budget. */
export function chargeBuilt(v: unknown): void {
  const cost = builtCost(v);
  if (cost > 0 && (meterState.current.remaining -= cost) < 0) throw new CostExceeded('cost budget exceeded');
}

/** Charges `cost` units to the current budget. */
export function chargeSteps(cost: number): void {
  if ((meterState.current.remaining -= cost) < 0) throw new CostExceeded('cost budget exceeded');
}

/** The parts of a cel-js AST node the walkers read (the library does not export a type). */
export interface WalkNode {
  op: string;
  args: unknown;
  meta: { alternate?: unknown; macro?: unknown };
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}

/** Calls `onNode` for every node of a checked AST (macro expansions included), each once. */
export function forEachNode(root: unknown, nodeClass: unknown, onNode: (n: WalkNode) => void): void {
  const seen = new Set<unknown>();
  const walk = (v: unknown): void => {
    if (v === null || typeof v !== 'object' || seen.has(v)) return;
    seen.add(v);
    if (Array.isArray(v)) {
      for (const x of v) walk(x);
      return;
    }
    if ((v as { constructor?: unknown }).constructor === nodeClass) {
      const node = v as WalkNode;
      onNode(node);
      walk(node.args);
      walk(node.meta.alternate);
      walk(node.meta.macro);
      return;
    }
    if (isPlain(v)) for (const x of Object.values(v)) walk(x);
  };
  walk(root);
}

/** What one evaluation of a comprehension step costs: the nodes in it (at least 1). */
export function stepCost(step: unknown): number {
  const nodeClass = (step as { constructor?: unknown }).constructor;
  let count = 0;
  forEachNode(step, nodeClass, () => count++);
  return Math.max(1, count);
}
