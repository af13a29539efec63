/**
 * Guards: cheap tests on the normalised event derived from a rule's CEL condition, so the
 * detector skips the CEL evaluation of rules that cannot fire. A condition of the form
 * `a && b && c` is false whenever one conjunct is false (CEL's `&&` absorbs errors on the other
 * side), so every conjunct of a recognised simple shape over a scalar field of the event
 * (`action.code < 400`, `actor.kind in ['human']`, `!(target.namespace in […])`,
 * `actor.impersonator != ''`, `actor.publicSource`, `settings.approvedRegistries.size() > 0`)
 * becomes a guard. Conservative by construction: anything not recognised gives no guard, and a
 * guard lets the event through when the field does not have the type it expects, so CEL decides.
 * Pure.
 */
import type { DetectEvent } from './event.js';

/** A test on one event (and the detector's settings); false means the condition is false. */
export interface Guard {
  /** The conjunct it came from, for tests and explanations. */
  readonly source: string;
  readonly test: (ev: DetectEvent, settings: unknown) => boolean;
}

type FieldType = 'string' | 'int' | 'bool';

/** Scalar fields of the event (the invariant of event.ts: always present, of this type). */
const FIELDS: Readonly<Record<string, Readonly<Record<string, FieldType>>>> = {
  actor: {
    user: 'string',
    kind: 'string',
    serviceAccountNamespace: 'string',
    serviceAccountName: 'string',
    impersonator: 'string',
    publicSource: 'bool',
    userAgent: 'string',
  },
  action: { verb: 'string', code: 'int', stage: 'string', decision: 'string', requestURI: 'string' },
  target: {
    apiGroup: 'string',
    apiVersion: 'string',
    resource: 'string',
    subresource: 'string',
    namespace: 'string',
    name: 'string',
  },
  network: {
    srcIP: 'string',
    srcPort: 'int',
    dstIP: 'string',
    dstPort: 'int',
    protocol: 'string',
    domain: 'string',
    verdict: 'string',
    srcWorkload: 'string',
    dstWorkload: 'string',
  },
  process: {
    binary: 'string',
    args: 'string',
    file: 'string',
    parentBinary: 'string',
    container: 'string',
    pod: 'string',
    namespace: 'string',
    image: 'string',
    imageDigest: 'string',
  },
};

/**
 * The top-level conjuncts of an expression, or undefined when its top level is not a plain
 * conjunction (a `||`, a conditional, a comment, a string literal with escapes or triple quotes:
 * anything this splitter does not read exactly). Outer parentheses around the whole are opened.
 */
export function conjuncts(expr: string): string[] | undefined {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < expr.length; i++) {
    const c = expr.charCodeAt(i);
    if (c === 39 /* ' */ || c === 34 /* " */) {
      if (expr.charCodeAt(i + 1) === c && expr.charCodeAt(i + 2) === c) return undefined;
      const end = expr.indexOf(expr[i] as string, i + 1);
      if (end < 0) return undefined;
      const body = expr.slice(i + 1, end);
      if (body.includes('\\') || body.includes('\n')) return undefined;
      i = end;
      continue;
    }
    if (c === 40 || c === 91 || c === 123) depth++;
    else if (c === 41 || c === 93 || c === 125) {
      depth--;
      if (depth < 0) return undefined;
    } else if (c === 47 && expr.charCodeAt(i + 1) === 47) return undefined;
    else if (depth === 0) {
      if (c === 124 /* | */) return undefined;
      if (c === 63 /* ? */ && expr.charCodeAt(i - 1) !== 46 /* . */) return undefined;
      if (c === 38 /* & */ && expr.charCodeAt(i + 1) === 38) {
        parts.push(expr.slice(start, i).trim());
        start = i + 2;
        i++;
      }
    }
  }
  if (depth !== 0) return undefined;
  parts.push(expr.slice(start).trim());
  const out: string[] = [];
  for (const p of parts) {
    if (p === '') return undefined;
    const inner = unwrap(p);
    if (inner === undefined) out.push(p);
    else {
      const sub = conjuncts(inner);
      if (sub) out.push(...sub);
      else out.push(p);
    }
  }
  return out;
}

/** The inside of `( … )` when the outer parentheses enclose the whole text, else undefined. */
function unwrap(p: string): string | undefined {
  if (!p.startsWith('(') || !p.endsWith(')')) return undefined;
  let depth = 0;
  for (let i = 0; i < p.length; i++) {
    const c = p.charCodeAt(i);
    if (c === 39 || c === 34) {
      const end = p.indexOf(p[i] as string, i + 1);
      if (end < 0) return undefined;
      i = end;
      continue;
    }
    if (c === 40) depth++;
    else if (c === 41) {
      depth--;
      if (depth === 0 && i !== p.length - 1) return undefined;
    }
  }
  return p.slice(1, -1);
}

const PATH = String.raw`([a-z]+)\.([A-Za-z]+)`;
const LIT = String.raw`'[^'\\]*'|"[^"\\]*"|-?\d+`;
const COMPARE = new RegExp(String.raw`^${PATH}\s*(==|!=|<=|>=|<|>)\s*(${LIT})$`);
const MEMBER = new RegExp(String.raw`^${PATH}\s+in\s+\[([^\]]*)\]$`);
const NOT_MEMBER = new RegExp(String.raw`^!\s*\(\s*${PATH}\s+in\s+\[([^\]]*)\]\s*\)$`);
const BOOL = new RegExp(String.raw`^(!\s*)?${PATH}$`);
const SETTINGS_NONEMPTY = /^settings\.([A-Za-z]+)\.size\(\)\s*(?:>\s*0|!=\s*0|>=\s*1)$/;
const LIST_ITEM = new RegExp(String.raw`^\s*(${LIT})\s*$`);

/** A literal's value: a string, an integer, or undefined when it is neither. */
function literal(text: string): string | number | undefined {
  if (text.startsWith("'") || text.startsWith('"')) return text.slice(1, -1);
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

function fieldType(variable: string, field: string): FieldType | undefined {
  return Object.hasOwn(FIELDS, variable) ? FIELDS[variable]?.[field] : undefined;
}

type Read = (ev: DetectEvent) => unknown;

/** A reader of one field with fixed property names (a monomorphic load, not a keyed one). */
function reader(variable: string, field: string): Read {
  switch (variable) {
    case 'actor':
      return (ev) => (ev.actor as unknown as Record<string, unknown>)[field];
    case 'action':
      if (field === 'code') return (ev) => ev.action.code;
      if (field === 'verb') return (ev) => ev.action.verb;
      return (ev) => (ev.action as unknown as Record<string, unknown>)[field];
    case 'target':
      if (field === 'namespace') return (ev) => ev.target.namespace;
      if (field === 'resource') return (ev) => ev.target.resource;
      if (field === 'name') return (ev) => ev.target.name;
      return (ev) => (ev.target as unknown as Record<string, unknown>)[field];
    case 'network':
      return (ev) => (ev.network as unknown as Record<string, unknown>)[field];
    default:
      return (ev) => (ev.process as unknown as Record<string, unknown>)[field];
  }
}

function actorReader(field: string): Read | undefined {
  switch (field) {
    case 'kind':
      return (ev) => ev.actor.kind;
    case 'impersonator':
      return (ev) => ev.actor.impersonator;
    case 'serviceAccountNamespace':
      return (ev) => ev.actor.serviceAccountNamespace;
    case 'publicSource':
      return (ev) => ev.actor.publicSource;
    case 'user':
      return (ev) => ev.actor.user;
    default:
      return undefined;
  }
}

function read(variable: string, field: string): Read {
  return (variable === 'actor' ? actorReader(field) : undefined) ?? reader(variable, field);
}

function matchesType(v: unknown, type: FieldType): boolean {
  if (type === 'string') return typeof v === 'string';
  if (type === 'bool') return typeof v === 'boolean';
  return typeof v === 'number' && Number.isSafeInteger(v);
}

function literalList(text: string, type: FieldType): (string | number)[] | undefined {
  if (text.trim() === '') return [];
  const out: (string | number)[] = [];
  for (const item of text.split(',')) {
    const m = LIST_ITEM.exec(item);
    const v = m ? literal(m[1] as string) : undefined;
    if (v === undefined || (type === 'int') !== (typeof v === 'number')) return undefined;
    out.push(v);
  }
  return out;
}

/** The guard of one conjunct, or undefined when its shape is not recognised. */
export function guardOf(conjunct: string): Guard | undefined {
  const source = conjunct;
  let m = COMPARE.exec(conjunct);
  if (m) {
    const [, variable, field, op, lit] = m as unknown as [string, string, string, string, string];
    const type = fieldType(variable, field);
    const value = literal(lit);
    if (type === undefined || value === undefined || type === 'bool') return undefined;
    if ((type === 'int') !== (typeof value === 'number')) return undefined;
    if (type === 'string' && op !== '==' && op !== '!=') return undefined;
    const cmp = compare(op, value);
    const get = read(variable, field);
    return {
      source,
      test: (ev) => {
        const v = get(ev);
        return !matchesType(v, type) || cmp(v as string | number);
      },
    };
  }
  const negated = NOT_MEMBER.exec(conjunct);
  m = negated ?? MEMBER.exec(conjunct);
  if (m) {
    const [, variable, field, items] = m as unknown as [string, string, string, string];
    const type = fieldType(variable, field);
    if (type === undefined || type === 'bool') return undefined;
    const list = literalList(items, type);
    if (list === undefined) return undefined;
    const set = new Set<string | number>(list);
    const want = negated === null;
    const get = read(variable, field);
    return {
      source,
      test: (ev) => {
        const v = get(ev);
        return !matchesType(v, type) || set.has(v as string | number) === want;
      },
    };
  }
  m = BOOL.exec(conjunct);
  if (m) {
    const [, not, variable, field] = m as unknown as [string, string | undefined, string, string];
    if (fieldType(variable, field) !== 'bool') return undefined;
    const want = not === undefined;
    const get = read(variable, field);
    return {
      source,
      test: (ev) => {
        const v = get(ev);
        return typeof v !== 'boolean' || v === want;
      },
    };
  }
  m = SETTINGS_NONEMPTY.exec(conjunct);
  if (m) {
    const key = m[1] as string;
    return {
      source,
      test: (_ev, settings) => {
        const list =
          typeof settings === 'object' && settings !== null
            ? (settings as Record<string, unknown>)[key]
            : undefined;
        return !Array.isArray(list) || list.length > 0;
      },
    };
  }
  return undefined;
}

function compare(op: string, value: string | number): (v: string | number) => boolean {
  switch (op) {
    case '==':
      return (v) => v === value;
    case '!=':
      return (v) => v !== value;
    case '<':
      return (v) => v < value;
    case '<=':
      return (v) => v <= value;
    case '>':
      return (v) => v > value;
    default:
      return (v) => v >= value;
  }
}

/** The guards of a condition (none when its top level is not a conjunction of simple tests). */
export function guardsOf(condition: string | undefined): Guard[] {
  if (condition === undefined) return [];
  const parts = conjuncts(condition);
  if (!parts) return [];
  const out: Guard[] = [];
  for (const p of parts) {
    const g = guardOf(p);
    if (g) out.push(g);
  }
  return out;
}
