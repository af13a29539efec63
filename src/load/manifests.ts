import {
  refOf,
  type InputIssue,
  type KubeObject,
  type PathSegment,
  type Resource,
  type ResourceSource,
} from '../core/index.js';
import { isBlankYaml, LineIndex, parseDocument, segmentsFor, splitDocuments } from './yaml-documents.js';

/** Objects and input problems found in one text. */
export interface ParsedManifests {
  resources: Resource[];
  issues: InputIssue[];
  /** Number of non-empty documents read. */
  documents: number;
}

const HELM_SOURCE = /^#\s*Source:\s*(\S.*?)\s*$/m;

/**
 * Parses a YAML or JSON text holding Kubernetes objects (multi-document, `kind: List` and
 * `*List` expanded). A broken document is an input issue with its line; the other documents
 * of the text are still returned. Helm output is recognised by its `# Source:` comments:
 * such objects are attributed to the template named there (see docs/scan.md).
 */
export function parseManifests(text: string, file: string): ParsedManifests {
  const out: ParsedManifests = { resources: [], issues: [], documents: 0 };
  let lines: LineIndex | undefined;
  const lineIndex = (): LineIndex => (lines ??= new LineIndex(text));
  const helmLines = new Map<string, number>();

  const chunks = splitDocuments(text);
  chunks.forEach((chunk, docIndex) => {
    const raw = text.slice(chunk.start, chunk.end);
    const helm = HELM_SOURCE.exec(raw);
    let sourceFile = file;
    let mapLine = (line: number): number => line;
    if (helm?.[1] !== undefined) {
      // Lines count as in the template's own rendered file: `---` is line 1, `# Source:` line 2.
      sourceFile = helm[1];
      const sourceLine = lineIndex().position(chunk.start + helm.index).line;
      const before = helmLines.get(sourceFile) ?? 0;
      mapLine = (line) => before + 2 + (line - sourceLine);
      const lastLine = lineIndex().position(Math.max(chunk.start, chunk.end - 1)).line;
      helmLines.set(sourceFile, mapLine(lastLine));
    }
    if (isBlankYaml(raw)) return;
    const at = (offset: number): { line: number; column: number } => {
      const p = lineIndex().position(offset);
      return { line: mapLine(p.line), column: p.column };
    };

    const parsed = parseDocument(text, chunk.start, chunk.end);
    if (!parsed.ok) {
      out.issues.push({
        file: sourceFile,
        ...at(parsed.error.offset),
        message: `invalid YAML: ${parsed.error.message}`,
      });
      return;
    }
    const { doc } = parsed;
    if (doc.value === null || doc.value === undefined) return;
    out.documents++;
    const source = (base: readonly PathSegment[]): ResourceSource => ({
      file: sourceFile,
      docIndex,
      locate: (fieldPath) => at(doc.offsetOf(segmentsFor(base, fieldPath))),
    });
    const problem = objectProblem(doc.value);
    if (problem !== undefined) {
      out.issues.push({ file: sourceFile, ...at(doc.offsetOf([])), message: problem });
      return;
    }
    const obj = doc.value as KubeObject;
    if (isList(obj)) {
      (obj.items as unknown[]).forEach((item, i) => {
        const itemProblem = objectProblem(item);
        if (itemProblem !== undefined) {
          out.issues.push({
            file: sourceFile,
            ...at(doc.offsetOf(['items', i])),
            message: `items[${i}]: ${itemProblem}`,
          });
        } else {
          const o = item as KubeObject;
          out.resources.push({ object: o, ref: refOf(o), source: source(['items', i]) });
        }
      });
      return;
    }
    out.resources.push({ object: obj, ref: refOf(obj), source: source([]) });
  });
  return out;
}

function isList(obj: KubeObject): boolean {
  return obj.kind.endsWith('List') && Array.isArray(obj.items);
}

/** Explains why a parsed value is not a Kubernetes object, or returns undefined when it is one. */
function objectProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return `not a Kubernetes object: expected a mapping with apiVersion and kind, found ${describe(value)}`;
  }
  const v = value as Record<string, unknown>;
  const missing = ['apiVersion', 'kind'].filter((k) => typeof v[k] !== 'string' || v[k] === '');
  if (missing.length > 0) return `not a Kubernetes object: missing ${missing.join(' and ')}`;
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
