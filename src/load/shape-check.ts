import {
  apiGroupOf,
  formatFieldPath,
  type InputIssue,
  type KubeObject,
  type PathSegment,
  type Resource,
} from '../core/index.js';
import { KIND_SHAPES, o, OBJECT_META, type ObjectShape, type Shape } from './shapes.js';

/** One field of an object whose JSON type is not the one its kind's schema gives. */
export interface ShapeIssue {
  /** Field path from the object's root, e.g. `spec.containers[0].ports`. */
  path: string;
  message: string;
}

/**
 * The outcome of checking one object: its issues, and the object the controls and readers
 * should see. `object` is the input itself when nothing was wrong, a copy without the wrong
 * fields, or undefined when the whole object is to be left out (unknown apiVersion of a known
 * kind, a List whose items are not a list, any wrong field of an atomic kind).
 */
export interface ShapeResult {
  issues: ShapeIssue[];
  object: KubeObject | undefined;
}

/** Returned by a check for a value to leave out. */
const DROP: unique symbol = Symbol('drop');

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INT64_LIMIT = 2 ** 63;

/** A walk over one object: the path being checked and the issues found so far. */
class Walk {
  readonly path: PathSegment[] = [];
  readonly issues: ShapeIssue[] = [];

  issue(message: string, last?: PathSegment): void {
    if (last !== undefined) this.path.push(last);
    this.issues.push({ path: formatFieldPath(this.path), message });
    if (last !== undefined) this.path.pop();
  }

  /**
   * Checks a value; returns it unchanged when it conforms, a copy without the wrong parts,
   * or DROP when the value itself is unusable. Allocates nothing for a conforming value.
   */
  check(value: unknown, shape: Shape): unknown {
    if (value === null || value === undefined) return value;
    if (typeof shape === 'string') {
      if (scalarMatches(value, shape)) return value;
      this.issue(`expected ${expectedOf(shape)}, found ${describe(value)}`);
      return DROP;
    }
    switch (shape.t) {
      case 'enum':
        if (typeof value === 'string' && shape.values.includes(value)) return value;
        this.issue(
          `expected one of ${shape.values.join(', ')}, found ${typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : describe(value)}`,
        );
        return DROP;
      case 'object':
        return this.checkObject(value, shape);
      case 'array': {
        if (!Array.isArray(value)) {
          this.issue(`expected a list, found ${describe(value)}`);
          return DROP;
        }
        let copy: unknown[] | undefined;
        let drop = false;
        for (let i = 0; i < value.length; i++) {
          const item: unknown = value[i];
          this.path.push(i);
          let r: unknown;
          if (item === null || item === undefined) {
            this.issue(`expected ${expectedOf(shape.items)}, found null (an empty list item)`);
            r = DROP;
          } else r = this.check(item, shape.items);
          this.path.pop();
          // A list with an unusable item is left out whole: leaving out the item alone would
          // shift the positions of the items after it, and findings would point at the wrong ones.
          if (r === DROP) drop = true;
          else if (r !== item) (copy ??= value.slice())[i] = r;
        }
        return drop ? DROP : (copy ?? value);
      }
      case 'map': {
        if (typeof value !== 'object' || Array.isArray(value)) {
          this.issue(`expected a mapping, found ${describe(value)}`);
          return DROP;
        }
        let copy: Record<string, unknown> | undefined;
        const v = value as Record<string, unknown>;
        for (const k of Object.keys(v)) {
          const item = v[k];
          this.path.push(k);
          const r = this.check(item, shape.values);
          this.path.pop();
          if (r === DROP) copy = withoutKey(copy ?? v, k);
          else if (r !== item) (copy ??= { ...v })[k] = r;
        }
        return copy ?? value;
      }
    }
  }

  checkObject(value: unknown, shape: ObjectShape): unknown {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.issue(`expected a mapping, found ${describe(value)}`);
      return DROP;
    }
    const v = value as Record<string, unknown>;
    const before = this.issues.length;
    const copy = this.checkFields(v, shape.index);
    if (this.issues.length === before && shape.refine) {
      for (const [field, message] of shape.refine(v)) this.issue(message, field);
    }
    if (this.issues.length > before && shape.atomic) return DROP;
    return copy ?? value;
  }

  /**
   * Checks the fields of an object that its shape lists; returns a copy when a field was
   * changed or dropped. Walks the object's own keys (a manifest sets few of the fields a
   * shape lists), looking each up in the shape's index.
   */
  checkFields(
    v: Record<string, unknown>,
    index: ReadonlyMap<string, Shape>,
  ): Record<string, unknown> | undefined {
    let copy: Record<string, unknown> | undefined;
    for (const k in v) {
      const shape = index.get(k);
      if (shape === undefined) continue;
      const item = v[k];
      if (item === null || item === undefined) continue;
      this.path.push(k);
      const r = this.check(item, shape);
      this.path.pop();
      if (r === DROP) copy = withoutKey(copy ?? v, k);
      else if (r !== item) (copy ??= { ...v })[k] = r;
    }
    return copy;
  }

  /** Empties the walk for the next object. */
  reset(): void {
    this.path.length = 0;
    this.issues.length = 0;
  }
}

const WALK = new Walk();

/** A copy of an object without one key (only objects with a wrong field are copied). */
function withoutKey(v: Record<string, unknown>, key: string): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const k of Object.keys(v)) if (k !== key) copy[k] = v[k];
  return copy;
}

function scalarMatches(value: unknown, shape: Exclude<Shape, object>): boolean {
  switch (shape) {
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'int32':
      return Number.isInteger(value) && (value as number) >= INT32_MIN && (value as number) <= INT32_MAX;
    case 'int64':
      return Number.isInteger(value) && Math.abs(value as number) < INT64_LIMIT;
    case 'intOrString':
      return (
        typeof value === 'string' ||
        (Number.isInteger(value) && (value as number) >= INT32_MIN && (value as number) <= INT32_MAX)
      );
    case 'quantity':
      return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
  }
}

function expectedOf(shape: Shape): string {
  if (typeof shape === 'string') {
    switch (shape) {
      case 'string':
        return 'a string';
      case 'boolean':
        return 'true or false';
      case 'int32':
        return 'a 32-bit integer';
      case 'int64':
        return 'an integer';
      case 'intOrString':
        return 'an integer or a string';
      case 'quantity':
        return 'a quantity (a string such as "500m" or a number)';
    }
  }
  switch (shape.t) {
    case 'array':
      return 'a list';
    case 'enum':
      return `one of ${shape.values.join(', ')}`;
    default:
      return 'a mapping';
  }
}

/** Names a value's JSON type without quoting it (values may be credentials). */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string':
      return 'a string';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) return 'a number too large to represent';
      if (!Number.isInteger(value)) return 'a fractional number';
      return Math.abs(value) >= INT32_MAX ? 'an integer out of range' : 'a number';
    case 'object':
      return 'a mapping';
    default:
      return `a ${typeof value}`;
  }
}

/** Each known kind's shape, built once. */
const KIND_OBJECT_SHAPES = new Map<string, ObjectShape>(
  Object.entries(KIND_SHAPES).map(([kind, k]) => [
    kind,
    o({ ...k.fields }, k.atomic ? { atomic: true } : {}),
  ]),
);

/** A kind's own shape for an apiVersion, 'custom' for a custom resource sharing its name, or 'unknown'. */
function shapeFor(obj: KubeObject): ObjectShape | 'custom' | 'unknown' | undefined {
  const shape = KIND_OBJECT_SHAPES.get(obj.kind);
  const known = shape && KIND_SHAPES[obj.kind];
  if (known === undefined) return undefined;
  if (!known.apiVersions.includes(obj.apiVersion)) {
    const group = apiGroupOf(obj.apiVersion);
    // A custom resource may reuse a built-in kind's name in its own group (a DNS name with a
    // dot, outside *.k8s.io): it is not the built-in kind and is not checked as one.
    return group.includes('.') && !group.endsWith('.k8s.io') ? 'custom' : 'unknown';
  }
  if (known.shapeVersions && !known.shapeVersions.includes(obj.apiVersion)) return undefined;
  return shape;
}

function listBaseKind(kind: string): string | undefined {
  if (kind === 'List') return '';
  if (!kind.endsWith('List')) return undefined;
  const base = kind.slice(0, -'List'.length);
  return Object.hasOwn(KIND_SHAPES, base) ? base : undefined;
}

/**
 * Checks one object against its kind's schema (ObjectMeta for every kind; the fields of known
 * kinds; the apiVersion of known kinds). Returns undefined when the object conforms, so the
 * common case allocates nothing.
 */
export function checkObjectShape(obj: KubeObject): ShapeResult | undefined {
  // One walk serves every object (the check is synchronous): nothing is allocated for an
  // object that conforms.
  const walk = WALK;
  walk.reset();
  const raw = obj as Record<string, unknown>;
  if (
    listBaseKind(obj.kind) !== undefined &&
    raw.items !== undefined &&
    raw.items !== null &&
    !Array.isArray(raw.items)
  ) {
    walk.issue(
      `expected a list of objects, found ${describe(raw.items)} (the ${obj.kind} is not read)`,
      'items',
    );
    return { issues: walk.issues.slice(), object: undefined };
  }
  const shape = shapeFor(obj);
  if (shape === 'unknown') {
    const known = KIND_SHAPES[obj.kind]?.apiVersions ?? [];
    walk.issue(
      `unknown apiVersion ${JSON.stringify(obj.apiVersion.slice(0, 80))} for kind ${obj.kind} (the API serves it as ${known.join(', ')}); the object is not scanned`,
      'apiVersion',
    );
    return { issues: walk.issues.slice(), object: undefined };
  }
  let copy: Record<string, unknown> | undefined;
  if (raw.metadata !== undefined && raw.metadata !== null) {
    walk.path.push('metadata');
    const r = walk.check(raw.metadata, OBJECT_META);
    walk.path.pop();
    if (r === DROP) copy = withoutKey(copy ?? raw, 'metadata');
    else if (r !== raw.metadata) (copy ??= { ...raw }).metadata = r;
  }
  if (typeof shape === 'object') {
    const before = walk.issues.length;
    const fields = walk.checkFields(copy ?? raw, shape.index);
    if (fields) copy = fields;
    if (shape.atomic && walk.issues.length > before) {
      const last = walk.issues[walk.issues.length - 1];
      if (last) last.message += `; the ${obj.kind} is not read`;
      return { issues: walk.issues.slice(), object: undefined };
    }
  }
  if (walk.issues.length === 0) return undefined;
  return { issues: walk.issues.slice(), object: (copy ?? raw) as KubeObject };
}

/** True when a string holds a C0 or C1 control character (kept out of one-line messages). */
function hasControlCharacter(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}

/** Objects fit for the controls and readers, and the input issues found in the others. */
export interface CheckedResources {
  resources: Resource[];
  issues: InputIssue[];
}

/**
 * Checks parsed resources against their kinds' schemas. A wrong field is an input issue at its
 * file, line and field path; the resource is kept without that field (the other fields are
 * still evaluated) or, where a part would mean something else than the whole, left out.
 * `file` names resources that carry no source (snapshots, the live cluster).
 */
export function checkResources(resources: readonly Resource[], file = '<input>'): CheckedResources {
  const out: CheckedResources = { resources: [], issues: [] };
  for (const r of resources) {
    const result = checkObjectShape(r.object);
    if (result === undefined) {
      out.resources.push(r);
      continue;
    }
    const name = `${r.ref.namespace ? `${r.ref.namespace}/` : ''}${r.ref.name || '(unnamed)'}`;
    const what = `${r.ref.kind} ${hasControlCharacter(name) ? JSON.stringify(name) : name}`;
    for (const i of result.issues) {
      const at = r.source?.locate(i.path);
      out.issues.push({
        file: r.source?.file ?? file,
        ...(at ? { line: at.line, column: at.column } : {}),
        message: `${what}: ${i.path}: ${i.message}`,
      });
    }
    if (result.object) out.resources.push({ ...r, object: result.object });
  }
  return out;
}
