/**
 * Config documents as kube-bench sees them after Go's decoders: JSON numbers are all float64,
 * YAML integers stay integers and YAML floats are float64. The difference shows when a value is
 * printed (Go prints float64 1000000 as `1e+06`), so floats are kept wrapped.
 */

/** A float64 decoded from JSON or from a YAML float. */
export class GoFloat {
  constructor(readonly value: number) {}
}

/** A decoded config value. */
export type ConfigValue = null | boolean | number | string | GoFloat | ConfigValue[] | ConfigMap;

/** A decoded mapping; keys keep their document order. */
export interface ConfigMap {
  [key: string]: ConfigValue;
}

/** Formats a float64 the way Go's `%v` does (shortest digits, exponent below 1e-4 or from 1e6). */
export function formatGoFloat(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf';
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  const [mantissa = '', exp = '0'] = n.toExponential().split('e');
  const e = Number(exp);
  if (e < -4 || e >= 6) {
    const sign = e < 0 ? '-' : '+';
    const digits = String(Math.abs(e)).padStart(2, '0');
    return `${mantissa}e${sign}${digits}`;
  }
  return String(n);
}

/** Prints a value as Go's `fmt.Fprint` prints the decoded interface{} (what jsonpath outputs). */
export function formatGoValue(v: ConfigValue): string {
  if (v === null) return '';
  if (v instanceof GoFloat) return formatGoFloat(v.value);
  if (Array.isArray(v)) return `[${v.map(formatNested).join(' ')}]`;
  if (typeof v === 'object') {
    const keys = Object.keys(v).sort();
    return `map[${keys.map((k) => `${k}:${formatNested(v[k] ?? null)}`).join(' ')}]`;
  }
  return String(v);
}

function formatNested(v: ConfigValue): string {
  return v === null ? '<nil>' : formatGoValue(v);
}

/** Converts JSON.parse output to a ConfigValue, every number becoming a float64 as in Go. */
export function fromJson(v: unknown): ConfigValue {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') return new GoFloat(v);
  if (Array.isArray(v)) return v.map(fromJson);
  if (typeof v === 'object') {
    const out: ConfigMap = {};
    for (const [k, val] of Object.entries(v as Record<string, unknown>)) out[k] = fromJson(val);
    return out;
  }
  return null;
}
