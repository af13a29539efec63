import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { PathSegment } from '../core/index.js';
import { newPositionTable, parseDocument, splitDocuments, type ParsedDocument } from './yaml-documents.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Every path of a value: each key and index, recursively, plus keys that do not exist. */
function pathsOf(value: unknown, prefix: PathSegment[] = [], out: PathSegment[][] = []): PathSegment[][] {
  out.push(prefix);
  out.push([...prefix, 'no-such-key'], [...prefix, 99]);
  if (Array.isArray(value)) value.forEach((v, i) => pathsOf(v, [...prefix, i], out));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) pathsOf(v, [...prefix, k], out);
  }
  return out;
}

function parse(text: string, byNode: boolean): ParsedDocument[] {
  const table = newPositionTable();
  const docs: ParsedDocument[] = [];
  for (const c of splitDocuments(text)) {
    const r = parseDocument(text, c.start, c.end, table, { byNode });
    if (r.ok) docs.push(r.doc);
  }
  return docs;
}

/** Tree documents find records by order, the others by node: both must agree on every path. */
function expectSameOffsets(text: string): number {
  const tree = parse(text, false);
  const byNode = parse(text, true);
  expect(tree.length).toBe(byNode.length);
  let checked = 0;
  tree.forEach((doc, i) => {
    const other = byNode[i];
    if (!other) throw new Error('missing document');
    // Forward, then backward: a lookup resumes from the nodes the previous one passed through.
    const paths = pathsOf(doc.value);
    for (const p of [...paths, ...[...paths].reverse()]) {
      expect({ path: p, at: doc.offsetOf(p) }).toEqual({ path: p, at: other.offsetOf(p) });
      checked++;
    }
  });
  return checked;
}

describe('position records found by order (tree documents)', () => {
  it.each([
    [
      'block mappings and sequences',
      'a:\n  b: 1\n  c:\n    - x\n    - {d: 2, e: [3, 4]}\n  f: {}\n  g: []\n',
    ],
    ['flow style', '{a: [1, {b: 2}, [3, [4]]], c: {d: {e: 5}}}\n'],
    ['sequence of mappings', '- a: 1\n  b: [x, y]\n- c: {d: 1}\n-\n  - 1\n  - {e: 2}\n'],
    ['empty values', 'a:\nb: 1\nc:\n  d:\n  e: [ ]\n'],
    ['empty sequence items', 'a:\n  -\n  - 1\n  - {b: 2}\nc: {d: 1}\n'],
    ['integer-like keys (enumerated first)', 'z: {a: 1}\n10: {b: [1, 2]}\n"2": x\ny: [{c: 3}]\n'],
    ['flow pairs in a sequence', 'a: [b: 1, {c: 2}]\nd: {e: 3}\n'],
    ['complex keys', '? [a, b]\n: {c: 1}\nd: {e: 2}\n'],
    ['multi-line scalars and comments', '# c\na: |\n  x\n  y\n# c2\nb:\n  - >\n    z\n  - {c: 1} # end\n'],
    [
      'several documents in one table',
      'a: {b: 1}\n---\n- {c: 2}\n- [d]\n---\ne: f\n...\n---\ng: [h, {i: j}]\n',
    ],
  ])('%s', (_name, text) => {
    expect(expectSameOffsets(text)).toBeGreaterThan(3);
  });

  it('agrees on every path of the demo cluster and test manifests', () => {
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir)) {
        const full = path.join(dir, e);
        if (statSync(full).isDirectory()) walk(full);
        else if (/\.ya?ml$/.test(e)) files.push(full);
      }
    };
    walk(path.join(repoRoot, 'examples'));
    expect(files.length).toBeGreaterThan(10);
    let checked = 0;
    for (const f of files) checked += expectSameOffsets(readFileSync(f, 'utf8'));
    expect(checked).toBeGreaterThan(1000);
  });
});
