import type { SeverityCounts } from './types.js';

/** `ns/Kind/name` or `Kind/name` for cluster-scoped objects. */
export function objectName(o: { namespace: string; kind: string; name: string }): string {
  return o.namespace === '' ? `${o.kind}/${o.name}` : `${o.namespace}/${o.kind}/${o.name}`;
}

/** Sum of a severity breakdown. */
export function totalOf(c: SeverityCounts): number {
  return c.critical + c.high + c.medium + c.low + c.info;
}

/** A score as `87.5`, one decimal at most. */
export function formatScore(n: number | null): string {
  if (n === null) return '–';
  return (Math.round(n * 10) / 10).toString();
}

/** A signed change, `+3` / `−2` / `0`. */
export function formatDelta(n: number): string {
  if (n > 0) return `+${formatScore(n)}`;
  if (n < 0) return `−${formatScore(-n)}`;
  return '0';
}
