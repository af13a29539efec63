import {
  refOf,
  type InputIssue,
  type KubeObject,
  type PathSegment,
  type Resource,
  type ResourceSource,
} from '../core/index.js';
import {
  compactPositions,
  isBlankRange,
  newPositionTable,
  LineIndex,
  parseDocument,
  segmentsFor,
  type ParsedDocument,
} from './yaml-documents.js';

/** Objects and input problems found in one text. */
export interface ParsedManifests {
  resources: Resource[];
  issues: InputIssue[];
  /** Number of non-empty documents read. */
  documents: number;
}

// The name is trimmed after the match: a lazy `.*?` before `\s*$` backtracks quadratically.
const HELM_SOURCE = /^#[ \t]*Source:[ \t]*(\S.*)/m;

/** Longest document the loader holds (characters): past it the rest of the file is an input error. */
export const MAX_DOCUMENT_CHARS = 256 * 2 ** 20;

/** A document longer than this is kept in parts while it is read (see `ManifestStream.push`). */
const PART_CHARS = 4 * 2 ** 20;

/**
 * Tables of positions are compacted and a new one begun once one holds this many numbers, few
 * enough for the offsets in it to fit in 2 bytes each (see `compactPositions`).
 */
const POSITIONS_PER_TABLE = 24_000;

/**
 * Parses a YAML or JSON text holding Kubernetes objects (multi-document, `kind: List` and
 * `*List` expanded). A broken document is an input issue with its line; the other documents
 * of the text are still returned. Helm output is recognised by its `# Source:` comments:
 * such objects are attributed to the template named there (see docs/scan.md).
 */
export function parseManifests(text: string, file: string): ParsedManifests {
  const stream = new ManifestStream(file);
  stream.push(text);
  return stream.end();
}

/**
 * `parseManifests` over a text that arrives in pieces (a file read in chunks): each document is
 * parsed as soon as its end is seen, so only the current document's text is held besides what
 * the parsed objects keep. Pieces may split a line or a marker anywhere.
 */
export class ManifestStream {
  private readonly out: ParsedManifests = { resources: [], issues: [], documents: 0 };
  private readonly helmLines = new Map<string, number>();
  private positions = newPositionTable();
  /** Text not yet parsed: the current document from offset `docStart`, then what follows. */
  private buf = '';
  /**
   * The start of a long current document, already searched for markers: moved out of `buf` so
   * that appending a piece does not copy the whole document again (`docStart` is then 0).
   */
  private parts: string[] = [];
  private partsLength = 0;
  private docStart = 0;
  /** Line (0-based) and column (0-based) in the file of `buf[docStart]`. */
  private docLine = 0;
  private docColumn = 0;
  /** Whether `buf[0]` starts a line (for a marker at offset 0). */
  private startsLine = true;
  /** Next offset of `buf` to look for a marker at. */
  private scanAt = 0;
  /** Marker candidates before it overlap a marker already taken. */
  private from = 0;
  private docIndex = 0;
  private failed = false;

  constructor(private readonly file: string) {}

  /** Number of documents (blank ones included) seen so far. */
  get documentsSeen(): number {
    return this.docIndex;
  }

  push(text: string): void {
    if (this.failed || text === '') return;
    if (this.docStart > 0) {
      const c = this.buf.charCodeAt(this.docStart - 1);
      this.startsLine = c === 10 || c === 13 || c === 0x2028 || c === 0x2029;
      this.shift(this.docStart);
      this.docStart = 0;
    } else if (this.buf.length >= PART_CHARS && this.scanAt > 1) {
      // A long document: set aside what was searched, keeping the character before `scanAt`.
      const cut = this.scanAt - 1;
      const c = this.buf.charCodeAt(cut - 1);
      this.parts.push(this.buf.slice(0, cut));
      this.partsLength += cut;
      this.startsLine = c === 10 || c === 13 || c === 0x2028 || c === 0x2029;
      this.shift(cut);
    }
    if (this.partsLength + this.buf.length + text.length > MAX_DOCUMENT_CHARS) {
      this.failed = true;
      this.out.issues.push({
        file: this.file,
        line: this.docLine + 1,
        column: this.docColumn + 1,
        message: `document longer than ${MAX_DOCUMENT_CHARS / 2 ** 20} MiB; the rest of the file is not read (split it into documents of their own)`,
      });
      this.buf = '';
      this.parts = [];
      return;
    }
    this.buf = this.buf === '' ? text : this.buf + text;
    this.scan(false);
  }

  /** Drops the first `n` characters of `buf`. */
  private shift(n: number): void {
    this.buf = this.buf.slice(n);
    this.scanAt = Math.max(0, this.scanAt - n);
    this.from = Math.max(0, this.from - n);
  }

  /** Parses what is left and returns everything found in the text. */
  end(): ParsedManifests {
    if (!this.failed) {
      this.scan(true);
      this.emit(this.buf.length, this.buf.length);
      this.buf = '';
    }
    compactPositions(this.positions);
    return this.out;
  }

  /** Finds the `---` and `...` markers at the start of a line, as `splitDocuments` does. */
  private scan(final: boolean): void {
    const buf = this.buf;
    // The next of each kind, searched again only once passed: searching both each time would
    // cost a pass over the rest of the text per marker when one kind is absent.
    let dashes = buf.indexOf('---', this.scanAt);
    let dots = buf.indexOf('...', this.scanAt);
    for (;;) {
      if (dashes >= 0 && dashes < this.scanAt) dashes = buf.indexOf('---', this.scanAt);
      if (dots >= 0 && dots < this.scanAt) dots = buf.indexOf('...', this.scanAt);
      if (dashes < 0 && dots < 0) {
        // A marker may begin in the last two characters and end in the next piece.
        this.scanAt = Math.max(this.scanAt, buf.length - 2);
        return;
      }
      const at = dots < 0 || (dashes >= 0 && dashes < dots) ? dashes : dots;
      // Whether a marker ends needs the character after it.
      if (at + 3 >= buf.length && !final) {
        this.scanAt = at;
        return;
      }
      if (
        at >= this.from &&
        (at === 0 ? this.startsLine : isLineStart(buf, at)) &&
        isMarkerEnd(buf, at + 3)
      ) {
        let next = at + 3;
        if (at === dots) {
          const nl = buf.indexOf('\n', at);
          if (nl < 0 && !final) {
            this.scanAt = at;
            return;
          }
          next = nl < 0 ? buf.length : nl + 1;
        }
        this.emit(at, next);
        this.from = at + 3;
      }
      this.scanAt = at + 1;
    }
  }

  /** Handles the document `buf[docStart, end)` (after `parts`); the next one starts at `next`. */
  private emit(end: number, next: number): void {
    const start = this.docStart;
    let text: string;
    // The document and the marker after it, to count the lines the next document starts after.
    let through: string;
    if (this.parts.length > 0) {
      through = this.parts.join('') + this.buf.slice(0, next);
      text = through.slice(0, this.partsLength + end);
      this.parts = [];
      this.partsLength = 0;
    } else {
      through = this.buf.slice(start, next);
      text = this.buf.slice(start, end);
    }
    const line = this.docLine;
    const column = this.docColumn;
    let nl = -1;
    let lines = 0;
    for (let i = through.indexOf('\n'); i >= 0; i = through.indexOf('\n', i + 1)) {
      nl = i;
      lines++;
    }
    this.docLine += lines;
    this.docColumn = nl < 0 ? this.docColumn + through.length : through.length - nl - 1;
    this.docStart = next;
    this.handle(text, line, column, this.docIndex++);
  }

  private handle(text: string, line0: number, column0: number, docIndex: number): void {
    const out = this.out;
    let sourceFile = this.file;
    // Added to a line of this text to get the line in the reported file (Helm templates).
    let lineDelta = 0;
    const helm = text.includes('Source:') ? HELM_SOURCE.exec(text) : null;
    if (helm?.[1] !== undefined) {
      // Lines count as in the template's own rendered file: `---` is line 1, `# Source:` line 2.
      sourceFile = helm[1].trimEnd();
      const sourceLine = positionIn(text, 0, helm.index, line0, column0, 0).line;
      const before = this.helmLines.get(sourceFile) ?? 0;
      lineDelta = before + 2 - sourceLine;
      const lastLine = positionIn(text, 0, Math.max(0, text.length - 1), line0, column0, 0).line;
      this.helmLines.set(sourceFile, lastLine + lineDelta);
    }
    if (isBlankRange(text, 0, text.length)) return;

    if ((this.positions.starts as number[]).length >= POSITIONS_PER_TABLE) {
      compactPositions(this.positions);
      this.positions = newPositionTable();
    }
    const parsed = parseDocument(text, 0, text.length, this.positions);
    if (!parsed.ok) {
      const at = positionIn(text, 0, parsed.error.offset, line0, column0, lineDelta);
      out.issues.push({
        file: sourceFile,
        line: at.line,
        column: at.column,
        message: `invalid YAML: ${parsed.error.message}`,
      });
      return;
    }
    const { doc } = parsed;
    if (doc.value === null || doc.value === undefined) return;
    out.documents++;
    const locator = new DocumentLocator(doc, line0, column0, lineDelta);
    const problem = objectProblem(doc.value);
    if (problem !== undefined) {
      const at = locator.at(doc.offsetOf(NO_SEGMENTS));
      out.issues.push({ file: sourceFile, line: at.line, column: at.column, message: problem });
      return;
    }
    const obj = doc.value as KubeObject;
    if (isList(obj)) {
      const items = obj.items as unknown[];
      for (let i = 0; i < items.length; i++) {
        const item = withListKind(items[i], obj);
        const itemProblem = objectProblem(item);
        if (itemProblem !== undefined) {
          const at = locator.at(doc.offsetOf(['items', i]));
          out.issues.push({
            file: sourceFile,
            line: at.line,
            column: at.column,
            message: `items[${i}]: ${itemProblem}`,
          });
        } else {
          const o = item as KubeObject;
          out.resources.push({
            object: o,
            ref: refOf(o),
            source: sourceOf(sourceFile, docIndex, locator, ['items', i]),
          });
        }
      }
      return;
    }
    out.resources.push({
      object: obj,
      ref: refOf(obj),
      source: sourceOf(sourceFile, docIndex, locator, NO_SEGMENTS),
    });
  }
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

/**
 * Line and column (1-based) in the file of `text[offset]`, where `text[start]` is at line
 * `line0` and column `column0` (0-based) of the file; the line shifted by `lineDelta`.
 */
function positionIn(
  text: string,
  start: number,
  offset: number,
  line0: number,
  column0: number,
  lineDelta: number,
): { line: number; column: number } {
  let lines = 0;
  let nl = -1;
  for (let i = text.indexOf('\n', start); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    nl = i;
    lines++;
  }
  const column = nl < 0 ? column0 + offset - start + 1 : offset - nl;
  return { line: line0 + lines + 1 + lineDelta, column };
}

const NO_SEGMENTS: readonly PathSegment[] = [];

/** The document whose line index `lastIndex` is (see `DocumentLocator.at`). */
let lastIndexed: ParsedDocument | undefined;
let lastIndex: LineIndex | undefined;

/**
 * Turns field paths of one document into line and column of the reported file. The document
 * starts at line `line0` and column `column0` (0-based) of the file; its line index is built
 * on first use (only documents with findings or errors need one).
 */
class DocumentLocator {
  constructor(
    private readonly doc: ParsedDocument,
    private readonly line0: number,
    private readonly column0: number,
    private readonly lineDelta: number,
  ) {}

  at(offset: number): { line: number; column: number } {
    // The line index of the document located last is kept for the next lookups (those of one
    // resource come together); one per document would cost more memory than the document.
    if (lastIndexed !== this.doc) {
      lastIndexed = this.doc;
      lastIndex = new LineIndex(this.doc.text);
    }
    const p = (lastIndex ?? new LineIndex(this.doc.text)).position(offset);
    return {
      line: this.line0 + p.line + this.lineDelta,
      column: p.line === 1 ? this.column0 + p.column : p.column,
    };
  }

  locate(base: readonly PathSegment[], fieldPath: string): { line: number; column: number } {
    return this.at(this.doc.offsetOf(segmentsFor(base, fieldPath)));
  }
}

function sourceOf(
  file: string,
  docIndex: number,
  locator: DocumentLocator,
  base: readonly PathSegment[],
): ResourceSource {
  return new LocatedSource(file, docIndex, locator, base);
}

/**
 * Where a parsed object came from. Controls often report the same field (a container, its
 * securityContext): each path of a resource is located once, in a cache that exists only for
 * resources that report a finding. A class rather than an object with a closure: one object
 * per resource instead of three.
 */
class LocatedSource implements ResourceSource {
  // The first path located, then a map for the others: most resources with findings have
  // findings on one field only, and a map costs more than the resource's other objects.
  private firstPath: string | undefined;
  private firstAt: Readonly<{ line: number; column: number }> | undefined;
  private seen: Map<string, Readonly<{ line: number; column: number }>> | undefined;

  constructor(
    readonly file: string,
    readonly docIndex: number,
    private readonly locator: DocumentLocator,
    private readonly base: readonly PathSegment[],
  ) {}

  /** The cached object itself: callers copy what they keep (toFinding builds a location). */
  locate(fieldPath: string): { line: number; column: number } {
    if (fieldPath === this.firstPath && this.firstAt) return this.firstAt;
    let at = this.seen?.get(fieldPath);
    if (at === undefined) {
      at = this.locator.locate(this.base, fieldPath);
      if (this.firstPath === undefined) {
        this.firstPath = fieldPath;
        this.firstAt = at;
      } else (this.seen ??= new Map()).set(fieldPath, at);
    }
    return at;
  }
}

function isList(obj: KubeObject): boolean {
  return obj.kind.endsWith('List') && Array.isArray(obj.items);
}

/**
 * An item of a typed list (`PodList`, `DeploymentList`, as the API server returns them, e.g.
 * `kubectl get --raw /api/v1/pods`) with the kind and apiVersion the list implies when the item
 * carries none, as the API's own clients read them. A copy: the parsed item stays as it was,
 * so field positions are still looked up in the source's own tree. Items of a plain `List`
 * must name their kind.
 */
function withListKind(item: unknown, list: KubeObject): unknown {
  if (list.kind === 'List' || item === null || typeof item !== 'object' || Array.isArray(item)) return item;
  const { apiVersion, kind, ...rest } = item as Record<string, unknown>;
  if (apiVersion !== undefined && kind !== undefined) return item;
  return {
    apiVersion: apiVersion ?? list.apiVersion,
    kind: kind ?? list.kind.slice(0, -'List'.length),
    ...rest,
  };
}

/** Explains why a parsed value is not a Kubernetes object, or returns undefined when it is one. */
function objectProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return `not a Kubernetes object: expected a mapping with apiVersion and kind, found ${describe(value)}`;
  }
  const v = value as Record<string, unknown>;
  const noApiVersion = typeof v.apiVersion !== 'string' || v.apiVersion === '';
  const noKind = typeof v.kind !== 'string' || v.kind === '';
  if (noApiVersion || noKind) {
    const missing = noApiVersion && noKind ? 'apiVersion and kind' : noApiVersion ? 'apiVersion' : 'kind';
    return `not a Kubernetes object: missing ${missing}`;
  }
  if (
    v.metadata !== undefined &&
    (v.metadata === null || typeof v.metadata !== 'object' || Array.isArray(v.metadata))
  ) {
    return 'metadata must be a mapping';
  }
  return undefined;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a sequence';
  return `a ${typeof value}`;
}
