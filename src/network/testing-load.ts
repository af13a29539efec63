/**
 * Test-only loading of np-guard's fixture folders. Some fixtures are bare YAML sequences of
 * objects, which the manifest loader rightly rejects, so this helper wraps them in a List
 * before handing the text to the loader's parser (raw API list responses, whose items carry
 * no apiVersion/kind, the loader reads itself). Not exported from index.ts.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { Inventory, type InputIssue } from '../core/index.js';
import { parseManifests } from '../load/index.js';

function fix(value: unknown): unknown {
  // Items of typed lists get their implied kind from the loader itself.
  if (Array.isArray(value)) return { apiVersion: 'v1', kind: 'List', items: value.map(fix) };
  return value;
}

function walk(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((f) => {
      const p = path.join(dir, f);
      if (statSync(p).isDirectory()) return walk(p);
      return /\.(ya?ml|json)$/.test(f) ? [p] : [];
    });
}

/** Loads every manifest under a fixture folder into an inventory. */
export function loadFixtureDir(dir: string): { inventory: Inventory; issues: InputIssue[] } {
  const inventory = new Inventory();
  const issues: InputIssue[] = [];
  for (const file of walk(dir)) {
    const text = readFileSync(file, 'utf8');
    const docs = parseAllDocuments(text);
    const list = Array.isArray(docs) ? docs : [docs];
    const values = list
      .map((d) => d.toJS() as unknown)
      // A sequence of non-objects (e.g. a saved connlist JSON) is not a manifest: np-guard skips it.
      .filter(
        (v) => !(Array.isArray(v) && !v.some((i) => i !== null && typeof i === 'object' && 'kind' in i)),
      )
      .map(fix)
      .filter((v) => v !== null && v !== undefined);
    const parsed = parseManifests(
      values.map((v) => JSON.stringify(v)).join('\n---\n'),
      path.relative(dir, file),
    );
    for (const r of parsed.resources) inventory.add(r);
    issues.push(...parsed.issues);
  }
  return { inventory, issues };
}
