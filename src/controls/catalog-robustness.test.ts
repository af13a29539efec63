import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Inventory } from '../core/index.js';
import { parseManifests } from '../load/index.js';
import { CATALOG } from './catalog.js';
import { evaluateControls } from './engine.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const FIXTURES = path.resolve(ROOT, '../shared/oracles/pss/testdata');

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? yamlFiles(path.join(dir, e.name))
      : e.name.endsWith('.yaml')
        ? [path.join(dir, e.name)]
        : [],
  );
}

// The upstream Pod Security fixtures are thousands of odd but valid pods (every field at
// every allowed and forbidden value): a good corpus to prove no control throws on real input.
describe.skipIf(!existsSync(FIXTURES))('the catalogue over the upstream Pod Security fixtures', () => {
  it('evaluates every control on every fixture without an evaluation error', () => {
    const inventory = new Inventory();
    // Every 4th file, in sorted order: every check and version still appears, in a quarter of the time.
    const files = yamlFiles(FIXTURES)
      .sort()
      .filter((_f, i) => i % 4 === 0);
    for (const file of files) {
      const parsed = parseManifests(readFileSync(file, 'utf8'), path.relative(FIXTURES, file));
      for (const r of parsed.resources) inventory.add(r);
    }
    const { findings, errors } = evaluateControls(inventory, CATALOG);
    console.log(
      `${files.length} fixtures, ${inventory.size} objects, ${CATALOG.length} controls, ${findings.length} findings`,
    );
    expect(errors).toEqual([]);
    expect(findings.every((f) => f.location !== undefined || f.resource.kind === 'Namespace')).toBe(true);
  });
});

if (!existsSync(FIXTURES)) console.log(`skipping the fixture sweep: ${FIXTURES} is absent`);
