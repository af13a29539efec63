/**
 * Test-only loading of np-guard's fixture folders. Some fixtures are raw API List responses
 * whose items carry no apiVersion/kind (implied by `PodList`, `NamespaceList`), or bare YAML
 * sequences; the manifest loader rightly rejects both, so this helper fills the implied kind
 * in before handing the text to the loader's parser. Not exported from index.ts.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { Inventory, type InputIssue } from '../core/index.js';
import { parseManifests } from '../load/index.js';

function fix(value: unknown): unknown {
  if (Array.isArray(value)) return { apiVersion: 'v1', kind: 'List', items: value.map(fix) };
  if (value === null || typeof value !== 'object') return value;
  const v = value as Record<string, unknown>;
  if (typeof v.kind === 'string' && v.kind.endsWith('List') && Array.isArray(v.items)) {
    const itemKind = v.kind === 'List' ? undefined : v.kind.slice(0, -'List'.length);
    const apiVersion = typeof v.apiVersion === 'string' ? v.apiVersion : 'v1';
    v.items = v.items.map((item: unknown) => {
      const fixed = fix(item);
      if (fixed === null || typeof fixed !== 'object' || Array.isArray(fixed)) return fixed;
      const o = fixed as Record<string, unknown>;
      return { apiVersion: o.apiVersion ?? apiVersion, kind: o.kind ?? itemKind, ...o };
    });
  }
  return v;
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

/** Loads every manifest under a fixture folder into an inventory, filling implied list kinds. */
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
