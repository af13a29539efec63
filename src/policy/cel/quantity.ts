/**
 * Kubernetes resource.Quantity: a decimal number with an SI (`m`, `k`, `M`, …), binary
 * (`Ki`, `Mi`, …) or exponent (`e3`) suffix. Values are kept exactly as a bigint count of
 * nano-units, the smallest precision Kubernetes keeps (smaller fractions round up).
 */

const NANO = 1_000_000_000n;
const SUFFIX: Readonly<Record<string, bigint>> = {
  n: 1n,
  u: 1_000n,
  m: 1_000_000n,
  '': NANO,
  k: 1000n * NANO,
  M: 1000n ** 2n * NANO,
  G: 1000n ** 3n * NANO,
  T: 1000n ** 4n * NANO,
  P: 1000n ** 5n * NANO,
  E: 1000n ** 6n * NANO,
  Ki: 1024n * NANO,
  Mi: 1024n ** 2n * NANO,
  Gi: 1024n ** 3n * NANO,
  Ti: 1024n ** 4n * NANO,
  Pi: 1024n ** 5n * NANO,
  Ei: 1024n ** 6n * NANO,
};
const PATTERN = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])|[eE]([+-]?\d+))?$/;
const INT64_MAX = 2n ** 63n - 1n;

/** A parsed quantity; `nanos` is the exact value times 10^9. */
export class Quantity {
  constructor(
    readonly nanos: bigint,
    readonly text: string,
  ) {}

  /** -1, 0 or 1. */
  sign(): bigint {
    return this.nanos < 0n ? -1n : this.nanos > 0n ? 1n : 0n;
  }

  /** True when the value is a whole number that fits in int64. */
  isInteger(): boolean {
    if (this.nanos % NANO !== 0n) return false;
    const v = this.nanos / NANO;
    return v <= INT64_MAX && v >= -INT64_MAX - 1n;
  }

  compareTo(o: Quantity): bigint {
    return this.nanos < o.nanos ? -1n : this.nanos > o.nanos ? 1n : 0n;
  }

  toString(): string {
    return this.text;
  }
}

/** Parses a quantity string, or returns an error message. */
export function parseQuantity(s: string): Quantity | string {
  const m = PATTERN.exec(s);
  if (!m)
    return `quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`;
  const [, signText = '', num = '', suffix, exp] = m;
  const [intPart = '0', fracPart = ''] = num.split('.');
  let mantissa = BigInt((intPart || '0') + fracPart);
  let scaleDigits = fracPart.length;
  let factor: bigint;
  if (exp !== undefined) {
    const e = Number(exp);
    if (Math.abs(e) > 30) return 'quantity exponent out of range';
    scaleDigits -= e;
    factor = NANO;
  } else factor = SUFFIX[suffix ?? ''] ?? NANO;
  let nanos: bigint;
  if (scaleDigits <= 0) nanos = mantissa * 10n ** BigInt(-scaleDigits) * factor;
  else {
    const div = 10n ** BigInt(scaleDigits);
    const whole = mantissa * factor;
    nanos = whole / div + (whole % div === 0n ? 0n : 1n); // round up like Kubernetes
  }
  if (signText === '-') nanos = -nanos;
  mantissa = 0n;
  return new Quantity(nanos, s);
}

/** The value as an int64, or an error message. */
export function quantityAsInteger(q: Quantity): bigint | string {
  if (!q.isInteger()) return 'cannot convert value to integer';
  return q.nanos / NANO;
}

/** The value as a float (may lose precision). */
export function quantityAsFloat(q: Quantity): number {
  return Number(q.nanos) / 1e9;
}

/** Sum or difference of two quantities. */
export function quantityAdd(a: Quantity, b: Quantity, sign: 1n | -1n): Quantity {
  const nanos = a.nanos + sign * b.nanos;
  return new Quantity(nanos, formatNanos(nanos));
}

/** Wraps an integer as a quantity. */
export function quantityOfInt(n: bigint): Quantity {
  return new Quantity(n * NANO, n.toString());
}

function formatNanos(n: bigint): string {
  if (n % NANO === 0n) return (n / NANO).toString();
  if (n % 1_000_000n === 0n) return `${n / 1_000_000n}m`;
  if (n % 1000n === 0n) return `${n / 1000n}u`;
  return `${n}n`;
}
