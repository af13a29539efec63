import jsyaml from 'js-yaml';
import { isRegexSpace, parseFieldPath, type PathSegment } from '../core/index.js';

/**
 * YAML parsing with source positions, fast enough for CI on large repositories.
 *
 * js-yaml builds plain objects quickly; its parse listener reports where every node
 * starts. We keep, for each mapping and sequence, the start offsets of its keys, values
 * and items in a Map, and turn a field path into a line and column only when a finding
 * asks for one. See docs/decisions/yaml-loader.md for the measurements behind this choice.
 */

/**
 * Where the nodes of one document start, relative to the document. Every mapping and sequence
 * has a record `[count, start…]` in `starts` (the starts of a mapping's keys, or of a
 * sequence's items; count -1 when its children did not line up and it keeps no positions).
 *
 * A document whose nodes form a plain tree (no anchors, aliases or merge keys: nearly every
 * manifest) finds its records by their order alone: `records` lists the records' offsets in
 * the order js-yaml closed the nodes (children before their parent, siblings in source order),
 * so a node's record is found from its parent's by counting the mappings and sequences in the
 * later siblings' values. That costs a few numbers per node, where a Map from each node to its
 * record costs an entry per node and much of the garbage collector's time. Other documents key
 * their records by node in `index`.
 *
 * A mapping whose object keys are not in source order (merge keys, integer-like keys) keeps its
 * source keys in `keys`, by the offset of its record.
 */
export interface PositionTable {
  index: Map<object, number>;
  /** A growing array while documents are parsed into the table; compacted once they all are. */
  starts: Offsets;
  /** Offsets in `starts` of the records of tree documents, in closing order. */
  records: Offsets;
  /** For each entry of `records`, the index in `records` of the first record of its subtree. */
  firsts: Offsets;
  keys: Map<number, string[]> | undefined;
}

/** A table the documents of one file can share (see `parseDocument`). */
export function newPositionTable(): PositionTable {
  return { index: new Map(), starts: [], records: [], firsts: [], keys: undefined };
}

/** Offsets of a position table: a growing array, then 2 or 4 bytes each once compacted. */
export type Offsets = number[] | Int32Array | Int16Array;

/** Stores a shared table's offsets in 2 or 4 bytes each once no more documents are parsed into it. */
export function compactPositions(positions: PositionTable): void {
  positions.starts = compact(positions.starts);
  positions.records = compact(positions.records);
  positions.firsts = compact(positions.firsts);
}

/** The offsets in 2 bytes each when they all fit (most tables of manifests), else in 4. */
function compact(offsets: Offsets): Offsets {
  if (!Array.isArray(offsets)) return offsets;
  let min = 0;
  let max = 0;
  for (const n of offsets) {
    if (n < min) min = n;
    else if (n > max) max = n;
  }
  return min >= -0x8000 && max <= 0x7fff ? Int16Array.from(offsets) : Int32Array.from(offsets);
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
  /** The text `offset` and `offsetOf` count in (the parser's own copy when it can be). */
  readonly text: string;
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
  // Same as matching /^(---|\.\.\.)(?=[ \t\r\n]|$)/gm, without running a regex over every line.
  const chunks: { start: number; end: number }[] = [];
  let start = 0;
  let dashes = text.indexOf('---');
  let dots = text.indexOf('...');
  let from = 0;
  while (dashes >= 0 || dots >= 0) {
    const at = dots < 0 || (dashes >= 0 && dashes < dots) ? dashes : dots;
    if (at >= from && isLineStart(text, at) && isMarkerEnd(text, at + 3)) {
      chunks.push({ start, end: at });
      start = at === dashes ? at + 3 : skipLine(text, at);
      from = at + 3;
    }
    if (at === dashes) dashes = text.indexOf('---', at + 1);
    else dots = text.indexOf('...', at + 1);
  }
  chunks.push({ start, end: text.length });
  return chunks;
}

/** `^` of a multiline regex: the start of the text or just after a line terminator. */
function isLineStart(text: string, i: number): boolean {
  if (i === 0) return true;
  const c = text.charCodeAt(i - 1);
  return c === 10 || c === 13 || c === 0x2028 || c === 0x2029;
}

/** `(?=[ \t\r\n]|$)` of a multiline regex at offset `i`. */
function isMarkerEnd(text: string, i: number): boolean {
  if (i >= text.length) return true;
  const c = text.charCodeAt(i);
  return c === 32 || c === 9 || c === 13 || c === 10 || c === 0x2028 || c === 0x2029;
}

function skipLine(text: string, i: number): number {
  const nl = text.indexOf('\n', i);
  return nl < 0 ? text.length : nl + 1;
}

/**
 * Returns true when the text holds nothing but blanks and comments. A linear scan: the regex
 * it replaces, `/^(\s|#[^\n]*)*$/`, backtracked exponentially on a banner of `#`.
 */
export function isBlankYaml(text: string): boolean {
  return isBlankScan(text, 0, text.length);
}

function isBlankScan(text: string, start: number, end: number): boolean {
  let i = start;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c === 35) {
      const nl = text.indexOf('\n', i);
      if (nl < 0 || nl >= end) return true;
      i = nl + 1;
    } else if (isRegexSpace(c)) {
      i++;
    } else {
      return false;
    }
  }
  return true;
}

/** `isBlankYaml` of `text[start, end)`, without the slice for the usual document. */
export function isBlankRange(text: string, start: number, end: number): boolean {
  let i = start;
  let c = 0;
  while (i < end && ((c = text.charCodeAt(i)) === 32 || c === 10 || c === 9 || c === 13)) i++;
  if (i >= end) return true;
  // Any other ASCII character but `#`, vertical tab and form feed is content; the rest
  // (comments, Unicode spaces) takes the full test.
  if (c < 0x80 && c !== 35 && c !== 11 && c !== 12) return false;
  return isBlankScan(text, i, end);
}

// The listener's state. Parsing is synchronous and never re-entered, so one set of stacks
// serves every document and costs no allocation once grown.
let table: PositionTable = newPositionTable();
/** True while parsing a tree document: records go to `records`, not `index`. */
let byOrder = false;
/** Set when a tree document turns out not to be one (its nodes and records would not line up). */
let irregular = false;
let openTop = 0;
const openStart: number[] = [];
const openBase: number[] = [];
const openRecords: number[] = [];
let doneTop = 0;
let doneHigh = 0;
const doneStart: number[] = [];
const doneResult: unknown[] = [];
let capturedRoot: unknown = undefined;
let capturedRootStart = 0;
/** js-yaml's own copy of the text (its scalars are slices of it, so it is kept anyway). */
let capturedInput = '';

/** Longest scalar `intern` shares. */
const INTERN_MAX_LENGTH = 64;
/** Most strings `intern` remembers; then it starts again (the table's memory stays bounded). */
const INTERN_MAX_ENTRIES = 1 << 16;
let internTable = new Map<string, string>();

/**
 * One string object for each short scalar value: manifests repeat the same values (`v1`,
 * `IfNotPresent`, image names, labels) in every document, and each copy would otherwise be an
 * object of its own, kept for as long as the scan keeps the document.
 */
function intern(s: string): string {
  const known = internTable.get(s);
  if (known !== undefined) return known;
  if (internTable.size >= INTERN_MAX_ENTRIES) internTable = new Map();
  internTable.set(s, s);
  return s;
}

/**
 * js-yaml's parse listener. Nodes open and close properly nested; when a node closes, the
 * nodes closed since it opened are its children: alternately key and value for a mapping,
 * items for a sequence. An alias returns an already-positioned object; when children do not
 * line up (an empty sequence item), the node keeps no positions.
 */
function captureListener(event: jsyaml.EventType, state: jsyaml.State): void {
  if (event === 'open') {
    openStart[openTop] = state.position;
    openBase[openTop] = doneTop;
    openRecords[openTop] = table.records.length;
    openTop++;
    return;
  }
  openTop--;
  const nodeStart = openStart[openTop] ?? 0;
  const base = openBase[openTop] ?? 0;
  let result: unknown = state.result;
  if (typeof result === 'string' && result.length <= INTERN_MAX_LENGTH)
    result = state.result = intern(result);
  if (byOrder) {
    if (result !== null && typeof result === 'object') recordInOrder(result, base);
  } else if (result !== null && typeof result === 'object' && !table.index.has(result)) {
    const kids = doneTop - base;
    if (Array.isArray(result)) {
      if (kids === result.length) table.index.set(result, record(base, 1));
    } else if (kids > 0 && kids % 2 === 0) {
      const b = record(base, 2);
      table.index.set(result, b);
      if (!keysInSourceOrder(result, base)) keepSourceKeys(b, base);
    }
  }
  doneTop = base;
  doneStart[doneTop] = nodeStart;
  doneResult[doneTop] = result;
  doneTop++;
  if (doneTop > doneHigh) doneHigh = doneTop;
  if (openTop === 0) {
    capturedRoot = result;
    capturedRootStart = nodeStart;
    capturedInput = state.input;
  }
}

/** Appends the record of a node whose children are `doneStart[base…]`, every `step`-th one;
 * returns its offset. */
function record(base: number, step: number): number {
  const starts = table.starts as number[];
  const b = starts.length;
  starts.push((doneTop - base) / step);
  for (let i = base; i < doneTop; i += step) starts.push(doneStart[i] ?? 0);
  return b;
}

/** Records a closing mapping or sequence of a tree document, positioned or not (count -1). */
function recordInOrder(result: object, base: number): void {
  const kids = doneTop - base;
  // A node can close around the node it turned out to be (js-yaml tries a block sequence's
  // item as the key of a mapping first): that object has its record already.
  if (kids === 1 && doneResult[base] === result) return;
  const starts = table.starts as number[];
  let b: number;
  if (Array.isArray(result)) {
    // Items that are not nodes of their own (a flow pair `[a: 1]` is a mapping js-yaml builds
    // without opening one) would put an object without a record in the tree.
    if (kids !== result.length) irregular = true;
    b = record(base, 1);
  } else {
    for (let i = base; i < doneTop; i++) {
      // A complex key (`? [a, b]`) is a node whose object is not in the parsed value.
      const child = doneResult[i];
      if (child === result || (i % 2 === base % 2 && child !== null && typeof child === 'object')) {
        irregular = true;
      }
    }
    if (kids > 0 && kids % 2 === 0) {
      b = record(base, 2);
      if (!keysInSourceOrder(result, base)) keepSourceKeys(b, base);
    } else {
      b = starts.length;
      starts.push(kids === 0 ? 0 : -1);
    }
  }
  (table.records as number[]).push(b);
  (table.firsts as number[]).push(openRecords[openTop] ?? 0);
}

function keepSourceKeys(b: number, base: number): void {
  const keys: string[] = [];
  for (let i = base; i < doneTop; i += 2) keys.push(String(doneResult[i]));
  (table.keys ??= new Map()).set(b, keys);
}

/** Returns true when the object's keys, in enumeration order, are the mapping's source keys. */
function keysInSourceOrder(obj: object, base: number): boolean {
  let i = base;
  for (const k in obj) {
    if (i >= doneTop || k !== String(doneResult[i])) return false;
    i += 2;
  }
  return i === doneTop;
}

/** True for a mapping or sequence of a tree document (a value with a record). */
function isNode(value: unknown): boolean {
  return value !== null && typeof value === 'object';
}

/** Position of `key` among the object's keys in enumeration order, or -1 if the key is absent
 * or the object no longer has `count` keys. */
function keyIndex(obj: object, key: string, count: number): number {
  let i = 0;
  let found = -1;
  for (const k in obj) {
    if (k === key) found = i;
    i++;
  }
  return i === count ? found : -1;
}

/**
 * Parses one YAML document, recording where each node starts in `positions` (by default a
 * table of its own; the documents of one file may share one, compacted when all are parsed).
 */
export function parseDocument(
  text: string,
  start: number,
  end: number,
  positions: PositionTable = newPositionTable(),
  options: { byNode?: boolean } = {},
): { ok: true; doc: ParsedDocument } | { ok: false; error: DocumentError } {
  const source = text.slice(start, end);
  if (!Array.isArray(positions.starts)) positions.starts = Array.from(positions.starts);
  if (!Array.isArray(positions.records)) positions.records = Array.from(positions.records);
  if (!Array.isArray(positions.firsts)) positions.firsts = Array.from(positions.firsts);
  const mark = positions.starts.length;
  const recordMark = positions.records.length;
  // Anchors (`&`, which aliases need) and merge keys (`<<`) make a value that is not a tree of
  // the document's nodes, and a node with a tag or anchor may be parsed twice (js-yaml retries
  // it as a block mapping): such documents key their records by node.
  let tree =
    options.byNode !== true && !source.includes('&') && !source.includes('<<') && !source.includes('!');
  let value: unknown;
  let root: unknown;
  let input = '';
  let rootStart = 0;
  for (;;) {
    table = positions;
    byOrder = tree;
    irregular = false;
    openTop = 0;
    doneTop = 0;
    capturedRoot = undefined;
    capturedRootStart = 0;
    try {
      value = jsyaml.load(source, { schema: SCHEMA, listener: captureListener, json: false });
    } catch (e) {
      forgetSince(positions, mark, recordMark);
      if (e instanceof jsyaml.YAMLException) {
        return { ok: false, error: { offset: start + e.mark.position, message: e.reason || e.message } };
      }
      throw e;
    } finally {
      // Drop the references to this document's nodes so the stacks keep nothing alive.
      doneResult.fill(undefined, 0, doneHigh);
      doneHigh = 0;
      root = capturedRoot;
      input = capturedInput;
      capturedRoot = undefined;
      capturedInput = '';
      byOrder = false;
    }
    rootStart = value === root ? capturedRootStart : 0;
    if (!(tree && irregular)) break;
    // Not a tree after all (rare): parse it again with records keyed by node.
    forgetSince(positions, mark, recordMark);
    tree = false;
  }
  // The root's record is the last one a tree document closed.
  const rootRecord =
    tree && value === root && positions.records.length > recordMark ? positions.records.length - 1 : -1;
  // Aliases need an anchor in the same document; without one there is nothing to expand.
  if (value !== null && typeof value === 'object' && source.includes('&') && ANCHOR.test(source)) {
    const size = expandedSize(value, MAX_ALIAS_EXPANSION);
    if (size > MAX_ALIAS_EXPANSION) {
      return {
        ok: false,
        error: {
          offset: start + firstContentOffset(text, start, end, 0),
          message: `aliases expand to more than ${MAX_ALIAS_EXPANSION} nodes (an alias bomb?); document rejected`,
        },
      };
    }
  }
  // A whole text that js-yaml copied without a change of offsets (it appends a line break and
  // a NUL, and drops a leading byte-order mark): keep its copy rather than the caller's text,
  // which may be a slice of a larger buffer that would otherwise stay alive with the document.
  const own = start === 0 && end === text.length && input.startsWith(text) ? input : text;
  return {
    ok: true,
    doc: new Document(value, own, start, end, rootStart, positions, tree ? rootRecord : undefined),
  };
}

/** Drops what a failed parse recorded in a shared table, so its nodes are not kept alive. */
function forgetSince(positions: PositionTable, mark: number, recordMark: number): void {
  for (const [node, at] of positions.index) {
    if (at >= mark) positions.index.delete(node);
  }
  if (positions.keys) {
    for (const at of positions.keys.keys()) if (at >= mark) positions.keys.delete(at);
  }
  (positions.starts as number[]).length = mark;
  (positions.records as number[]).length = recordMark;
  (positions.firsts as number[]).length = recordMark;
}

/**
 * The nodes the last tree lookup passed through, so that the next lookup of the same document
 * (controls report many fields of one container) resumes after the segments the paths share.
 */
const TRAIL: {
  doc: object | undefined;
  segs: PathSegment[];
  nodes: unknown[];
  at: number[];
  records: number[];
} = { doc: undefined, segs: [], nodes: [], at: [], records: [] };

/** A parsed document; positions are looked up only when a finding asks for one. */
class Document implements ParsedDocument {
  constructor(
    readonly value: unknown,
    readonly text: string,
    readonly offset: number,
    private readonly end: number,
    private readonly rootStart: number,
    private readonly positions: PositionTable,
    /** For a tree document, the index in `records` of its root's record (-1: none). */
    private readonly rootRecord: number | undefined,
  ) {}

  get leadingComments(): string {
    return this.text.slice(
      this.offset,
      this.offset + firstContentOffset(this.text, this.offset, this.end, 0),
    );
  }

  offsetOf(segments: readonly PathSegment[]): number {
    const at = this.rootRecord === undefined ? this.startByNode(segments) : this.startInTree(segments);
    return this.offset + firstContentOffset(this.text, this.offset, this.end, at);
  }

  private startByNode(segments: readonly PathSegment[]): number {
    const { index, starts, keys } = this.positions;
    let node: unknown = this.value;
    let at = this.rootStart;
    for (const seg of segments) {
      if (node === null || typeof node !== 'object') break;
      const b = index.get(node);
      if (b === undefined) break;
      const count = starts[b] ?? 0;
      let k = -1;
      if (Array.isArray(node)) {
        if (typeof seg === 'number' && seg < count) k = seg;
      } else {
        const key = String(seg);
        const sourceKeys = keys?.get(b);
        k = sourceKeys ? sourceKeys.lastIndexOf(key) : keyIndex(node, key, count);
      }
      const next = k >= 0 ? starts[b + 1 + k] : undefined;
      if (next === undefined) break;
      at = next;
      node = (node as Record<string | number, unknown>)[seg];
    }
    return at;
  }

  /** `startByNode` for a tree document: each child's record is found from its parent's. */
  private startInTree(segments: readonly PathSegment[]): number {
    const { starts, records, firsts, keys } = this.positions;
    // One trail for all documents, kept by the one that used it last: lookups of one
    // resource come together, and a trail per document would cost memory for each.
    const trail = TRAIL;
    if (trail.doc !== this) {
      trail.doc = this;
      trail.segs.length = trail.nodes.length = trail.at.length = trail.records.length = 0;
    }
    let p = 0;
    const shared = Math.min(segments.length, trail.segs.length);
    while (p < shared && trail.segs[p] === segments[p]) p++;
    let node: unknown = p === 0 ? this.value : trail.nodes[p - 1];
    let at = p === 0 ? this.rootStart : (trail.at[p - 1] ?? this.rootStart);
    let r = p === 0 ? (this.rootRecord ?? -1) : (trail.records[p - 1] ?? -1);
    trail.segs.length = trail.nodes.length = trail.at.length = trail.records.length = p;
    for (let s = p; s < segments.length; s++) {
      const seg = segments[s];
      if (seg === undefined || node === null || typeof node !== 'object' || r < 0) break;
      const b = records[r];
      if (b === undefined) break;
      const count = starts[b] ?? -1;
      if (count < 0) break;
      // The subtrees of the children's values sit just before the parent's record, in source
      // order, each ending with its root's record: the child's record is found by stepping back
      // over the subtrees of the values that follow it.
      let k = -1;
      let later = 0;
      if (Array.isArray(node)) {
        if (typeof seg === 'number' && seg < count && count === node.length) {
          k = seg;
          for (let i = seg + 1; i < node.length; i++) if (isNode(node[i])) later++;
        }
      } else {
        const obj = node as Record<string, unknown>;
        const key = String(seg);
        const sourceKeys = keys?.get(b);
        if (sourceKeys) {
          k = sourceKeys.lastIndexOf(key);
          if (k >= 0)
            for (let i = k + 1; i < sourceKeys.length; i++) if (isNode(obj[sourceKeys[i] ?? ''])) later++;
        } else {
          let i = 0;
          for (const name in obj) {
            if (k >= 0) {
              if (isNode(obj[name])) later++;
            } else if (name === key) k = i;
            i++;
          }
          if (i !== count) k = -1;
        }
      }
      const next = k >= 0 ? starts[b + 1 + k] : undefined;
      if (next === undefined) break;
      at = next;
      node = (node as Record<string | number, unknown>)[seg];
      r--;
      for (let j = 0; j < later && r >= 0; j++) r = (firsts[r] ?? 0) - 1;
      trail.segs.push(seg);
      trail.nodes.push(node);
      trail.at.push(at);
      trail.records.push(r);
    }
    return at;
  }
}

/** Skips blanks and comments from offset `i` of the document `text[start, end)` to the first
 * character of YAML content; returns an offset in the document (`i` when none follows). */
function firstContentOffset(text: string, start: number, end: number, i: number): number {
  let j = start + i;
  while (j < end) {
    const c = text.charCodeAt(j);
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 0xfeff) j++;
    else if (c === 35 /* # */ && (j === start || /\s/.test(text[j - 1] ?? ' '))) j = skipLine(text, j);
    else break;
  }
  return j >= end ? i : j - start;
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
  if (fieldPath === '') return [...base];
  const rel = parseFieldPath(fieldPath);
  return base.length === 0 ? rel : [...base, ...rel];
}
