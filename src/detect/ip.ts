/**
 * A fast path for the common case of plain dotted-decimal IPv4 addresses, which every audit
 * event and flow carries: parsing to a 32-bit number and the special-purpose ranges that make an
 * address not globally routable (the same ranges ipaddr.js reports as non-`unicast`). Anything
 * else (IPv6, unusual IPv4 spellings) goes through ipaddr.js.
 */

/** The address as an unsigned 32-bit number, or undefined unless `s` is `a.b.c.d` with 0–255 parts and no leading zeros. */
export function parseIPv4(s: string): number | undefined {
  let n = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return undefined;
      n = n * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return undefined;
      part = part * 10 + (c - 48);
      digits++;
      if (part > 255) return undefined;
    } else return undefined;
  }
  if (dots !== 3 || digits === 0) return undefined;
  return n * 256 + part;
}

const v4 = (a: number, b: number, c: number, d: number): number => ((a * 256 + b) * 256 + c) * 256 + d;

/** [network, prefix length] of the ranges that are not globally routable. */
const NOT_PUBLIC: readonly [number, number][] = [
  [v4(0, 0, 0, 0), 8],
  [v4(10, 0, 0, 0), 8],
  [v4(100, 64, 0, 0), 10],
  [v4(127, 0, 0, 0), 8],
  [v4(169, 254, 0, 0), 16],
  [v4(172, 16, 0, 0), 12],
  [v4(192, 0, 0, 0), 24],
  [v4(192, 0, 2, 0), 24],
  [v4(192, 31, 196, 0), 24],
  [v4(192, 52, 193, 0), 24],
  [v4(192, 88, 99, 0), 24],
  [v4(192, 168, 0, 0), 16],
  [v4(192, 175, 48, 0), 24],
  [v4(198, 18, 0, 0), 15],
  [v4(198, 51, 100, 0), 24],
  [v4(203, 0, 113, 0), 24],
  [v4(224, 0, 0, 0), 4],
  [v4(240, 0, 0, 0), 4],
];

/** [first, last] of each range, computed once. */
const NOT_PUBLIC_BOUNDS: readonly (readonly [number, number])[] = NOT_PUBLIC.map(
  ([net, len]) => [net, net + 2 ** (32 - len) - 1] as const,
);

/** Whether a parsed IPv4 address is globally routable. */
export function isPublicIPv4(n: number): boolean {
  for (let i = 0; i < NOT_PUBLIC_BOUNDS.length; i++) {
    const b = NOT_PUBLIC_BOUNDS[i] as readonly [number, number];
    if (n >= b[0] && n <= b[1]) return false;
  }
  return true;
}
