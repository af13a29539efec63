/** One step of a field path: an object key or an array index. */
export type PathSegment = string | number;

/** Returns true for a key written bare in a path: `/^[A-Za-z_$][A-Za-z0-9_$-]*$/`, without a regex call. */
function isSimpleKey(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok =
      (c >= 97 && c <= 122) /* a-z */ ||
      (c >= 65 && c <= 90) /* A-Z */ ||
      c === 95 /* _ */ ||
      c === 36 /* $ */ ||
      (i > 0 && ((c >= 48 && c <= 57) /* 0-9 */ || c === 45)); /* - */
    if (!ok) return false;
  }
  return true;
}

/**
 * Renders segments as a Kubernetes-style field path: `spec.containers[1].image`.
 * Keys that are not plain identifiers are bracketed and quoted: `metadata.labels["app.kubernetes.io/name"]`.
 */
export function formatFieldPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (isSimpleKey(s)) out += out === '' ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

/** Joins a base path and a relative one (either may be empty). */
export function joinFieldPath(base: string, rel: string): string {
  if (base === '') return rel;
  if (rel === '') return base;
  return rel.startsWith('[') ? base + rel : `${base}.${rel}`;
}

/** Parses a field path produced by `formatFieldPath` back into segments. */
export function parseFieldPath(path: string): PathSegment[] {
  const out: PathSegment[] = [];
  let i = 0;
  while (i < path.length) {
    const c = path[i];
    if (c === '.') {
      i++;
      continue;
    }
    if (c === '[') {
      const close = path[i + 1] === '"' ? findQuoteEnd(path, i + 1) + 1 : path.indexOf(']', i);
      const inner = path.slice(i + 1, close);
      out.push(inner.startsWith('"') ? (JSON.parse(inner) as string) : Number(inner));
      i = close + 1;
      continue;
    }
    let j = i;
    while (j < path.length && path[j] !== '.' && path[j] !== '[') j++;
    out.push(path.slice(i, j));
    i = j;
  }
  return out;
}

function findQuoteEnd(s: string, start: number): number {
  for (let i = start + 1; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '"') return i;
  }
  return s.length;
}

/** Reads the value at a path of segments, or undefined when any step is missing. */
export function getAtPath(root: unknown, segments: readonly PathSegment[]): unknown {
  let cur: unknown = root;
  for (const s of segments) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[s];
  }
  return cur;
}
