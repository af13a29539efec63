/**
 * Mutation helpers for MutatingAdmissionPolicy: typed object literals in CEL
 * (`Object{spec: Object.spec{…}}`, `JSONPatch{op: …}`), apply-configuration merge, RFC 6902
 * JSON patch application and the JSON patch between two objects.
 */

/** One RFC 6902 operation. */
export interface JsonPatchOp {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  value?: unknown;
  from?: string;
}

const TYPED_LITERAL = /^(Object(?:\.[A-Za-z_][A-Za-z0-9_]*)*|JSONPatch)\s*\{/;

/**
 * Rewrites typed object literals into map literals with quoted keys, so `Object{spec:
 * Object.spec{replicas: 1}}` becomes `{"spec": {"replicas": 1}}`. Strings are left alone.
 */
export function rewriteTypedLiterals(expr: string): string {
  let out = '';
  const frames: { struct: boolean; expectKey: boolean }[] = [];
  let i = 0;
  while (i < expr.length) {
    const c = expr[i] ?? '';
    // string literals (with optional r/b prefixes, triple quotes)
    const pre = /^[rRbB]{0,2}("""|'''|"|')/.exec(expr.slice(i, i + 5));
    if (pre && (i === 0 || !/[A-Za-z0-9_]/.test(expr[i - 1] ?? ''))) {
      const q = pre[1] ?? '"';
      const raw = /[rR]/.test(pre[0].slice(0, -q.length));
      let j = i + pre[0].length;
      while (j < expr.length && expr.slice(j, j + q.length) !== q) j += !raw && expr[j] === '\\' ? 2 : 1;
      j += q.length;
      out += expr.slice(i, j);
      i = j;
      markValue(frames);
      continue;
    }
    if (/[A-Za-z_]/.test(c) && (i === 0 || !/[A-Za-z0-9_.]/.test(expr[i - 1] ?? ''))) {
      const typed = TYPED_LITERAL.exec(expr.slice(i));
      if (typed) {
        out += '{';
        frames.push({ struct: true, expectKey: true });
        i += typed[0].length;
        continue;
      }
      const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(expr.slice(i))?.[0] ?? c;
      const top = frames.at(-1);
      if (top?.struct && top.expectKey) {
        out += JSON.stringify(id);
        top.expectKey = false;
      } else out += id;
      i += id.length;
      continue;
    }
    if (c === '{' || c === '(' || c === '[') frames.push({ struct: false, expectKey: false });
    else if (c === '}' || c === ')' || c === ']') frames.pop();
    else if (c === ',') {
      const top = frames.at(-1);
      if (top?.struct) top.expectKey = true;
    }
    out += c;
    i++;
  }
  return out;
}

function markValue(frames: { struct: boolean; expectKey: boolean }[]): void {
  const top = frames.at(-1);
  if (top?.struct && top.expectKey) top.expectKey = false;
}

/** Keys of associative lists (x-kubernetes-list-map-keys) of the built-in types, by field name. */
const LIST_MAP_KEYS: Readonly<Record<string, readonly string[]>> = {
  containers: ['name'],
  initContainers: ['name'],
  ephemeralContainers: ['name'],
  env: ['name'],
  volumes: ['name'],
  volumeMounts: ['mountPath'],
  volumeDevices: ['devicePath'],
  ports: ['containerPort', 'protocol'],
  imagePullSecrets: ['name'],
  hostAliases: ['ip'],
  topologySpreadConstraints: ['topologyKey', 'whenUnsatisfiable'],
  resourceClaims: ['name'],
  conditions: ['type'],
};

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function keyOf(item: unknown, keys: readonly string[]): string | undefined {
  if (!isObj(item)) return undefined;
  return JSON.stringify(keys.map((k) => (k === 'protocol' ? (item[k] ?? 'TCP') : item[k])));
}

/**
 * Merges an apply configuration into an object like server-side apply: maps merge key by
 * key, associative lists (containers by name, env by name, …) merge item by item, other
 * lists and scalars are replaced, and `null` removes a field.
 */
export function mergeApplyConfiguration(base: unknown, patch: unknown, field = ''): unknown {
  if (isObj(patch)) {
    const out: Record<string, unknown> = isObj(base) ? { ...base } : {};
    for (const [k, v] of Object.entries(patch)) {
      if (v === null) Reflect.deleteProperty(out, k);
      else out[k] = mergeApplyConfiguration(out[k], v, k);
    }
    return out;
  }
  if (Array.isArray(patch)) {
    const keys = LIST_MAP_KEYS[field];
    if (!keys || !Array.isArray(base)) return patch;
    const out = [...(base as unknown[])];
    for (const item of patch) {
      const k = keyOf(item, keys);
      const idx = k === undefined ? -1 : out.findIndex((x) => keyOf(x, keys) === k);
      if (idx < 0) out.push(item);
      else out[idx] = mergeApplyConfiguration(out[idx], item, '');
    }
    return out;
  }
  return patch;
}

function unescapePointer(s: string): string {
  return s.replace(/~1/g, '/').replace(/~0/g, '~');
}

function escapePointer(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Escapes a map key for a JSON pointer (CEL `jsonpatch.escapeKey`). */
export const escapeJsonPointerKey = escapePointer;

function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

function splitPointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new Error(`invalid JSON pointer "${path}"`);
  return path.slice(1).split('/').map(unescapePointer);
}

function walk(doc: unknown, parts: string[]): unknown {
  let cur = doc;
  for (const p of parts) {
    if (Array.isArray(cur)) cur = cur[Number(p)];
    else if (isObj(cur)) cur = cur[p];
    else throw new Error(`path segment "${p}" does not exist`);
    if (cur === undefined) throw new Error(`path segment "${p}" does not exist`);
  }
  return cur;
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Applies RFC 6902 operations to a copy of `doc`; throws with the failing operation on error. */
export function applyJsonPatch(doc: unknown, ops: readonly JsonPatchOp[]): unknown {
  let root = clone(doc);
  for (const [n, op] of ops.entries()) {
    try {
      root = applyOne(root, op);
    } catch (e) {
      throw new Error(`JSON patch operation ${n} (${op.op} ${op.path}): ${(e as Error).message}`);
    }
  }
  return root;
}

function applyOne(root: unknown, op: JsonPatchOp): unknown {
  const parts = splitPointer(op.path);
  const set = (r: unknown, ps: string[], value: unknown, insert: boolean): unknown => {
    if (ps.length === 0) return value;
    const parent = walk(r, ps.slice(0, -1));
    const last = ps.at(-1) ?? '';
    if (Array.isArray(parent)) {
      const idx = last === '-' ? parent.length : Number(last);
      if (!Number.isInteger(idx) || idx < 0 || idx > parent.length - (insert ? 0 : 1))
        throw new Error(`index ${last} out of range`);
      if (insert) parent.splice(idx, 0, value);
      else parent[idx] = value;
    } else if (isObj(parent)) {
      if (!insert && !(last in parent)) throw new Error(`path "${op.path}" does not exist`);
      parent[last] = value;
    } else throw new Error(`parent of "${op.path}" is not a container`);
    return r;
  };
  const remove = (r: unknown, ps: string[]): unknown => {
    const parent = walk(r, ps.slice(0, -1));
    const last = ps.at(-1) ?? '';
    if (Array.isArray(parent)) {
      const idx = Number(last);
      if (!(idx >= 0 && idx < parent.length)) throw new Error(`index ${last} out of range`);
      parent.splice(idx, 1);
    } else if (isObj(parent) && last in parent) Reflect.deleteProperty(parent, last);
    else throw new Error(`path "${op.path}" does not exist`);
    return r;
  };
  switch (op.op) {
    case 'add':
      return set(root, parts, clone(op.value), true);
    case 'replace':
      return set(root, parts, clone(op.value), false);
    case 'remove':
      return remove(root, parts);
    case 'test':
      if (!deepEqual(walk(root, parts), op.value)) throw new Error('test failed');
      return root;
    case 'copy':
    case 'move': {
      const fromParts = splitPointer(op.from ?? '');
      const value = clone(walk(root, fromParts));
      const r = op.op === 'move' ? remove(root, fromParts) : root;
      return set(r, parts, value, true);
    }
    default:
      throw new Error(`unknown operation "${String((op as { op: unknown }).op)}"`);
  }
}

/** The JSON patch that turns `a` into `b` (maps by key, equal-length arrays by index). */
export function diffJsonPatch(a: unknown, b: unknown, path = ''): JsonPatchOp[] {
  if (deepEqual(a, b)) return [];
  if (isObj(a) && isObj(b)) {
    const ops: JsonPatchOp[] = [];
    for (const k of Object.keys(a))
      if (!(k in b)) ops.push({ op: 'remove', path: `${path}/${escapePointer(k)}` });
    for (const [k, v] of Object.entries(b)) {
      const p = `${path}/${escapePointer(k)}`;
      if (!(k in a)) ops.push({ op: 'add', path: p, value: v });
      else ops.push(...diffJsonPatch(a[k], v, p));
    }
    return ops;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    return a.flatMap((x, i) => diffJsonPatch(x, b[i], `${path}/${i}`));
  }
  return [{ op: path === '' ? 'replace' : 'replace', path, value: b }];
}
