import { trimChars } from '../core/index.js';

/**
 * Size and character rules of the strings an admission response carries, from the API
 * server's guidance: a warning should stay within 120 characters (longer ones may be
 * truncated at 256), all warnings of a request together within 4096, and they travel in an
 * HTTP `Warning` header, so no control characters. Audit annotation keys are prefixed by the
 * API server with the webhook name and a `/`, so a key itself must be a plain qualified name
 * (no `/`, at most 63 characters) or the API server drops it.
 */

/** Longest single warning Palisade emits. */
export const WARNING_MAX_CHARS = 120;
/** Total size of the warnings of one response. */
export const WARNINGS_TOTAL_MAX_CHARS = 4096;
/** Longest status message (the API server and kubectl print it whole). */
export const MESSAGE_MAX_CHARS = 16 * 1024;

// Replaces C0/C1 control characters, which a Warning header cannot carry.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/g;

/** Cuts a string to `max` characters, ending with an ellipsis when cut, never splitting a surrogate pair. */
export function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = max - 1;
  const code = s.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return `${s.slice(0, end)}…`;
}

/** Makes a warning safe for the Warning header and within the per-warning length. */
export function sanitizeWarning(s: string): string {
  return truncate(s.replace(CONTROL_CHARS, ' '), WARNING_MAX_CHARS);
}

/**
 * Fits warnings into the total budget: each is sanitised; when they do not all fit, the
 * last one kept says how many were left out.
 */
export function limitWarnings(warnings: readonly string[]): string[] {
  const out: string[] = [];
  let total = 0;
  for (let i = 0; i < warnings.length; i++) {
    const w = sanitizeWarning(warnings[i] ?? '');
    const reserve = i < warnings.length - 1 ? 40 : 0;
    if (total + w.length + reserve > WARNINGS_TOTAL_MAX_CHARS) {
      out.push(`palisade: ${warnings.length - i} more warnings not shown`);
      return out;
    }
    out.push(w);
    total += w.length;
  }
  return out;
}

const QUALIFIED_NAME_CHARS = /[^A-Za-z0-9_.-]/g;

/**
 * Keys already turned: they come from the policies' audit annotation names, so a review
 * repeats the previous ones; bounded all the same, as a policy may build a key from the request.
 */
const AUDIT_KEYS = new Map<string, string>();
const AUDIT_KEYS_MAX = 1024;

/** Turns any string into a key the API server accepts after its `<webhook>/` prefix. */
export function auditAnnotationKey(key: string): string {
  let known = AUDIT_KEYS.get(key);
  if (known === undefined) {
    if (AUDIT_KEYS.size >= AUDIT_KEYS_MAX) AUDIT_KEYS.clear();
    known = qualifiedKey(key);
    AUDIT_KEYS.set(key, known);
  }
  return known;
}

function qualifiedKey(key: string): string {
  let k = key.replaceAll('/', '.').replace(QUALIFIED_NAME_CHARS, '-');
  if (k.length > 63) k = k.slice(0, 63);
  k = trimChars(k, (ch) => !/^[A-Za-z0-9]$/.test(ch));
  return k === '' ? 'annotation' : k;
}
