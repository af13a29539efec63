/**
 * kube-bench's comparison operators, reproduced to the letter: the result and the sentence
 * kube-bench prints ("'--audit-log-maxage' is greater or equal to 30"). Booleans compare
 * case-insensitively on the observed side only; numbers are whole decimal integers (Go's
 * strconv.Atoi after trimming spaces); `bitmask` reads both sides as octal and passes when the
 * observed mode has no bit outside the allowed one.
 */

/** The result of one comparison and the sentence describing what was expected. */
export interface CompareResult {
  pass: boolean;
  expected: string;
}

const INT = /^[+-]?\d+$/;

function atoi(s: string): number | undefined {
  const t = s.trim();
  if (!INT.test(t)) return undefined;
  const n = Number(t);
  // Go's Atoi rejects values that overflow int64; such values never occur in the benchmark.
  return Number.isSafeInteger(n) ? n : undefined;
}

const OCTAL = /^[+-]?[0-7]+$/;

function parseOctal(s: string): number | undefined {
  // strconv.ParseInt(s, 8, 64): an optional sign and octal digits, nothing else (no trimming).
  if (!OCTAL.test(s)) return undefined;
  return parseInt(s, 8);
}

function splitElements(s: string): string[] {
  let clean = s.trim();
  while (clean.endsWith(',')) clean = clean.slice(0, -1);
  if (clean === '') return [];
  return clean.split(',').map((e) => e.trim());
}

function allElementsValid(observed: string[], allowed: string[]): boolean {
  if (observed.length === 0 && allowed.length === 0) return true;
  if (observed.length === 0 || allowed.length === 0) return false;
  return observed.every((o) => allowed.includes(o));
}

function regexMatches(pattern: string, value: string): boolean {
  // Go's RE2 syntax is close to JavaScript's for the patterns benchmarks use; a pattern that
  // JavaScript rejects is a bug in the check's declaration, so it throws.
  return new RegExp(pattern).test(value);
}

/**
 * Compares an observed value with the benchmark's value under `op`, naming the flag (or path,
 * or variable) `name` in the sentence. An unknown operator fails with an empty sentence.
 */
export function compareValues(op: string, observed: string, wanted: string, name: string): CompareResult {
  switch (op) {
    case 'eq':
    case 'noteq': {
      const lower = observed.toLowerCase();
      const equal = lower === 'true' || lower === 'false' ? lower === wanted : observed === wanted;
      return op === 'eq'
        ? { pass: equal, expected: `'${name}' is equal to '${wanted}'` }
        : { pass: !equal, expected: `'${name}' is not equal to '${wanted}'` };
    }
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const a = atoi(observed);
      const b = a === undefined ? undefined : atoi(wanted);
      if (a === undefined || b === undefined)
        return { pass: false, expected: `Invalid Number(s) used for comparison: '${observed}' '${wanted}'` };
      if (op === 'gt') return { pass: a > b, expected: `'${name}' is greater than ${wanted}` };
      if (op === 'gte') return { pass: a >= b, expected: `'${name}' is greater or equal to ${wanted}` };
      if (op === 'lt') return { pass: a < b, expected: `'${name}' is lower than ${wanted}` };
      return { pass: a <= b, expected: `'${name}' is lower or equal to ${wanted}` };
    }
    case 'has':
      return { pass: observed.includes(wanted), expected: `'${name}' has '${wanted}'` };
    case 'nothave':
      return { pass: !observed.includes(wanted), expected: `'${name}' does not have '${wanted}'` };
    case 'regex':
      return {
        pass: regexMatches(wanted, observed),
        expected: `'${name}' matched by regex expression '${wanted}'`,
      };
    case 'valid_elements':
      return {
        pass: allElementsValid(splitElements(observed), splitElements(wanted)),
        expected: `'${name}' contains valid elements from '${wanted}'`,
      };
    case 'bitmask': {
      const requested = parseOctal(observed);
      if (requested === undefined) return { pass: false, expected: `Not numeric value - flag: ${observed}` };
      const max = parseOctal(wanted);
      if (max === undefined) return { pass: false, expected: `Not numeric value - flag: ${wanted}` };
      return {
        pass: (max & requested) === requested,
        expected: `${name} has permissions ${observed}, expected ${wanted} or more restrictive`,
      };
    }
    default:
      return { pass: false, expected: '' };
  }
}
