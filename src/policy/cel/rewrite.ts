/** Source rewrites that bridge cel-go syntax and typing that cel-js handles differently. */

/**
 * cel-go lets a ternary branch be `null` next to a typed one (`c ? 'x' : null`, as the
 * Kubernetes auditAnnotations examples do); cel-js rejects the mixed types. A `null` right
 * after `?` or `:` (outside strings) becomes `dyn(null)`: the same value, and it type-checks.
 */
export function relaxNullBranches(expr: string): string {
  let out = '';
  let i = 0;
  let last = '';
  while (i < expr.length) {
    const c = expr[i] ?? '';
    const q = /^[rRbB]{0,2}("""|'''|"|')/.exec(expr.slice(i, i + 5));
    if (q && !/[A-Za-z0-9_]/.test(expr[i - 1] ?? '')) {
      const quote = q[1] ?? '"';
      const raw = /[rR]/.test(q[0].slice(0, -quote.length));
      let j = i + q[0].length;
      while (j < expr.length && expr.slice(j, j + quote.length) !== quote)
        j += !raw && expr[j] === '\\' ? 2 : 1;
      j += quote.length;
      out += expr.slice(i, j);
      i = j;
      last = '"';
      continue;
    }
    if (
      (last === '?' || last === ':') &&
      expr.startsWith('null', i) &&
      !/[A-Za-z0-9_]/.test(expr[i + 4] ?? '')
    ) {
      out += 'dyn(null)';
      i += 4;
      last = ')';
      continue;
    }
    out += c;
    if (!/\s/.test(c)) last = c;
    i++;
  }
  return out;
}
