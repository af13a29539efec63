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
  splitDocuments,
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

/**
 * Parses a YAML or JSON text holding Kubernetes objects (multi-document, `kind: List` and
 * `*List` expanded). A broken document is an input issue with its line; the other documents
 * of the text are still returned. Helm output is recognised by its `# Source:` comments:
 * such objects are attributed to the template named there (see docs/scan.md).
 */
export function parseManifests(text: string, file: string): ParsedManifests {
  const out: ParsedManifests = { resources: [], issues: [], documents: 0 };
  const lines = new LazyLineIndex(text);
  const helmLines = new Map<string, number>();
  // HELM_SOURCE can only match where the text says `Source:`; most files never do.
  const maybeHelm = text.includes('Source:');
  const positions = newPositionTable();

  const chunks = splitDocuments(text);
  for (let docIndex = 0; docIndex < chunks.length; docIndex++) {
    const chunk = chunks[docIndex];
    if (chunk === undefined) continue;
    let sourceFile = file;
    // Added to a line of this text to get the line in the reported file (Helm templates).
    let lineDelta = 0;
    const helm = maybeHelm ? HELM_SOURCE.exec(text.slice(chunk.start, chunk.end)) : null;
    if (helm?.[1] !== undefined) {
      // Lines count as in the template's own rendered file: `---` is line 1, `# Source:` line 2.
      sourceFile = helm[1].trimEnd();
      const sourceLine = lines.get().position(chunk.start + helm.index).line;
      const before = helmLines.get(sourceFile) ?? 0;
      lineDelta = before + 2 - sourceLine;
      const lastLine = lines.get().position(Math.max(chunk.start, chunk.end - 1)).line;
      helmLines.set(sourceFile, lastLine + lineDelta);
    }
    if (isBlankRange(text, chunk.start, chunk.end)) continue;

    const parsed = parseDocument(text, chunk.start, chunk.end, positions);
    if (!parsed.ok) {
      const at = lines.at(parsed.error.offset, lineDelta);
      out.issues.push({
        file: sourceFile,
        line: at.line,
        column: at.column,
        message: `invalid YAML: ${parsed.error.message}`,
      });
      continue;
    }
    const { doc } = parsed;
    if (doc.value === null || doc.value === undefined) continue;
    out.documents++;
    const locator = new DocumentLocator(lines, doc, lineDelta);
    const problem = objectProblem(doc.value);
    if (problem !== undefined) {
      const at = locator.at(doc.offsetOf(NO_SEGMENTS));
      out.issues.push({ file: sourceFile, line: at.line, column: at.column, message: problem });
      continue;
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
      continue;
    }
    out.resources.push({
      object: obj,
      ref: refOf(obj),
      source: sourceOf(sourceFile, docIndex, locator, NO_SEGMENTS),
    });
  }
  compactPositions(positions);
  return out;
}

const NO_SEGMENTS: readonly PathSegment[] = [];

/** The line index of a text, built on first use (only texts with findings or errors need one). */
class LazyLineIndex {
  private index: LineIndex | undefined;
  constructor(private readonly text: string) {}

  get(): LineIndex {
    return (this.index ??= new LineIndex(this.text));
  }

  /** Line and column of an offset, the line shifted by `lineDelta`. */
  at(offset: number, lineDelta: number): { line: number; column: number } {
    const p = this.get().position(offset);
    return { line: p.line + lineDelta, column: p.column };
  }
}

/** Turns field paths of one document into line and column of the reported file. */
class DocumentLocator {
  constructor(
    private readonly lines: LazyLineIndex,
    private readonly doc: ParsedDocument,
    private readonly lineDelta: number,
  ) {}

  at(offset: number): { line: number; column: number } {
    return this.lines.at(offset, this.lineDelta);
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
  private seen: Map<string, Readonly<{ line: number; column: number }>> | undefined;

  constructor(
    readonly file: string,
    readonly docIndex: number,
    private readonly locator: DocumentLocator,
    private readonly base: readonly PathSegment[],
  ) {}

  /** The cached object itself: callers copy what they keep (toFinding builds a location). */
  locate(fieldPath: string): { line: number; column: number } {
    this.seen ??= new Map();
    let at = this.seen.get(fieldPath);
    if (at === undefined) {
      at = this.locator.locate(this.base, fieldPath);
      this.seen.set(fieldPath, at);
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
