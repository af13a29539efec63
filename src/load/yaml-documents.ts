import jsyaml from 'js-yaml';
import { parseFieldPath, type PathSegment } from '../core/index.js';

/**
 * YAML parsing with source positions, fast enough for CI on large repositories.
 *
 * js-yaml builds plain objects quickly; its parse listener reports where every node
 * starts. We keep, for each mapping and sequence, the start offsets of its keys, values
 * and items in a Map, and turn a field path into a line and column only when a finding
 * asks for one. See docs/decisions/yaml-loader.md for the measurements behind this choice.
 */

/** Start offsets of one mapping's keys and values, or of one sequence's items. */
interface NodePositions {
  /** For mappings: the keys in source order; null for sequences. */
  keys: string[] | null;
  /** For mappings: [keyStart, valueStart] pairs; for sequences: item starts. */
  starts: number[];
}

/** A parsed YAML document with a way to locate its field paths. */
export interface ParsedDocument {
  value: unknown;
  /** Offset of the document's first character in the file text. */
  offset: number;
  /** Returns the file offset of the node at `segments` (or of its closest known ancestor). */
  offsetOf(segments: readonly PathSegment[]): number;
  /** Text of the leading comment block, used to read Helm's `# Source:` lines. */
  leadingComments: string;
}

/** A document that failed to parse, with its position in the file. */
export interface DocumentError {
  offset: number;
  message: string;
}

/** Largest number of nodes a document may expand to through aliases. */
export const MAX_ALIAS_EXPANSION = 1_000_000;

// The type definitions omit js-yaml's `types` export; the merge key (`<<`) type lives there.
const MERGE_TYPE = (jsyaml as unknown as { types: { merge: jsyaml.Type } }).types.merge;
// Core schema: no timestamps or binary, so dates and base64 stay the strings Kubernetes sees.
const ANCHOR = /(^|[\s[{,:-])&[^\s,[\]{}]/;

const SCHEMA = jsyaml.CORE_SCHEMA.extend({ implicit: [MERGE_TYPE] });

/** Splits a YAML stream into documents at `---` and `...` markers at the start of a line. */
export function splitDocuments(text: string): { start: number; end: number }[] {
  const chunks: { start: number; end: number }[] = [];
  const marker = /^(---|\.\.\.)(?=[ \t\r\n]|$)/gm;
  let start = 0;
  let m: RegExpExecArray | null;
  while ((m = marker.exec(text)) !== null) {
    chunks.push({ start, end: m.index });
    start = m[1] === '---' ? m.index + 3 : skipLine(text, m.index);
  }
  chunks.push({ start, end: text.length });
  return chunks;
}

function skipLine(text: string, i: number): number {
  const nl = text.indexOf('\n', i);
  return nl < 0 ? text.length : nl + 1;
}

/** Returns true when the text holds nothing but blanks and comments. */
export function isBlankYaml(text: string): boolean {
  return /^(\s|#[^\n]*)*$/.test(text);
}

/** Parses one YAML document, recording where each node starts. */
export function parseDocument(
  text: string,
  start: number,
  end: number,
): { ok: true; doc: ParsedDocument } | { ok: false; error: DocumentError } {
  const source = text.slice(start, end);
  // A Map, not a WeakMap: entries live exactly as long as the document, and WeakMaps with
  // hundreds of thousands of entries make garbage collection far slower.
  const positions = new Map<object, NodePositions>();
  const openStarts: number[] = [];
  const openBases: number[] = [];
  const doneStarts: number[] = [];
  const doneResults: unknown[] = [];
  let root: unknown = undefined;
  let rootStart = 0;

  const listener = (event: jsyaml.EventType, state: jsyaml.State): void => {
    if (event === 'open') {
      openStarts.push(state.position);
      openBases.push(doneStarts.length);
      return;
    }
    const nodeStart = openStarts.pop() ?? 0;
    const base = openBases.pop() ?? 0;
    const result: unknown = state.result;
    if (result !== null && typeof result === 'object' && !positions.has(result)) {
      const kids = doneStarts.length - base;
      if (Array.isArray(result)) {
        if (kids === result.length) positions.set(result, { keys: null, starts: doneStarts.slice(base) });
      } else if (kids > 0 && kids % 2 === 0) {
        const keys: string[] = [];
        for (let i = base; i < doneStarts.length; i += 2) keys.push(String(doneResults[i]));
        positions.set(result, { keys, starts: doneStarts.slice(base) });
      }
    }
    doneStarts.length = base;
    doneResults.length = base;
    doneStarts.push(nodeStart);
    doneResults.push(result);
    if (openStarts.length === 0) {
      root = result;
      rootStart = nodeStart;
    }
  };

  let value: unknown;
  try {
    value = jsyaml.load(source, { schema: SCHEMA, listener, json: false });
  } catch (e) {
    if (e instanceof jsyaml.YAMLException) {
      return { ok: false, error: { offset: start + e.mark.position, message: e.reason || e.message } };
    }
    throw e;
  }
  if (value !== root) rootStart = 0;
  // Aliases need an anchor in the same document; without one there is nothing to expand.
  if (value !== null && typeof value === 'object' && ANCHOR.test(source)) {
    const size = expandedSize(value, MAX_ALIAS_EXPANSION);
    if (size > MAX_ALIAS_EXPANSION) {
      return {
        ok: false,
        error: {
          offset: start + firstContentOffset(source, 0),
          message: `aliases expand to more than ${MAX_ALIAS_EXPANSION} nodes (an alias bomb?); document rejected`,
        },
      };
    }
  }

  const offsetOf = (segments: readonly PathSegment[]): number => {
    let node: unknown = value;
    let at = rootStart;
    for (const seg of segments) {
      if (node === null || typeof node !== 'object') break;
      const pos = positions.get(node);
      if (!pos) break;
      let next = -1;
      if (pos.keys === null) {
        if (typeof seg === 'number' && seg < pos.starts.length) next = pos.starts[seg] ?? -1;
      } else {
        const k = pos.keys.lastIndexOf(String(seg));
        if (k >= 0) next = pos.starts[2 * k] ?? -1;
      }
      if (next < 0) break;
      at = next;
      node = (node as Record<string | number, unknown>)[seg];
    }
    return start + firstContentOffset(source, at);
  };

  const firstContent = firstContentOffset(source, 0);
  return {
    ok: true,
    doc: { value, offset: start, offsetOf, leadingComments: source.slice(0, firstContent) },
  };
}

/** Skips blanks and comments from `i` to the first character of YAML content. */
function firstContentOffset(text: string, i: number): number {
  let j = i;
  while (j < text.length) {
    const c = text.charCodeAt(j);
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 0xfeff) j++;
    else if (c === 35 /* # */ && (j === 0 || /\s/.test(text[j - 1] ?? ' '))) j = skipLine(text, j);
    else break;
  }
  return j >= text.length ? i : j;
}

/** Counts nodes as if aliases were expanded, stopping once `limit` is passed. */
function expandedSize(value: unknown, limit: number): number {
  let count = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    count++;
    if (count > limit) return count;
    if (v !== null && typeof v === 'object') {
      for (const child of Object.values(v)) stack.push(child);
    }
  }
  return count;
}

/** Maps offsets of one text to 1-based lines and columns. */
export class LineIndex {
  private readonly starts: number[] = [0];
  constructor(text: string) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }

  /** Line and column (1-based) of an offset. */
  position(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (this.starts[lo] ?? 0) + 1 };
  }
}

/** Turns a field path string into segments, prefixing a base path (for List items). */
export function segmentsFor(base: readonly PathSegment[], fieldPath: string): PathSegment[] {
  return fieldPath === '' ? [...base] : [...base, ...parseFieldPath(fieldPath)];
}
