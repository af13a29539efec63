import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATALOG } from '../../controls/index.js';
import { memoryIO } from '../io.js';
import { main } from '../main.js';
import { CONTROLS_DOC, formattedControlsDoc } from './controls-doc.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');

async function list(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = memoryIO({ cwd: ROOT });
  const code = await main(['controls', 'list', ...args], io);
  return { code, out: io.out(), err: io.err() };
}

describe('palisade controls list', () => {
  it('prints every control as a table by default', async () => {
    const { code, out } = await list([]);
    expect(code).toBe(0);
    for (const c of CATALOG) expect(out).toContain(c.id);
    expect(out).toContain(`${CATALOG.length} controls`);
  });

  it.each([
    [
      ['--framework', 'cis'],
      (ids: string[]) => ids.includes('rbac/secrets-read') && !ids.includes('workload/read-only-root-fs'),
    ],
    [['--framework', 'nsa'], (ids: string[]) => ids.includes('workload/read-only-root-fs')],
    [['--framework', 'none'], (ids: string[]) => ids.length === 0],
    [
      ['--framework', 'pss:restricted@v1.29'],
      (ids: string[]) => ids.length === 14 && ids.every((id) => id.startsWith('pss/')),
    ],
  ])('filters with %j (json)', async (flags, holds) => {
    const { code, out } = await list([...flags, '-o', 'json']);
    expect(code).toBe(0);
    const doc = JSON.parse(out) as { kind: string; controls: { id: string; frameworks: unknown[] }[] };
    expect(doc.kind).toBe('ControlList');
    expect(holds(doc.controls.map((c) => c.id))).toBe(true);
  });

  it('prints Markdown with the framework mappings', async () => {
    const { out } = await list(['-o', 'md', '--framework', 'cis']);
    expect(out).toContain('### rbac/nodes-proxy');
    expect(out).toContain('- CIS Kubernetes Benchmark v1.10: 5.1.10');
  });

  it('rejects an unknown framework and an unknown format (exit 2)', async () => {
    expect((await list(['--framework', 'bogus'])).code).toBe(2);
    expect((await list(['-o', 'pdf'])).code).toBe(2);
  });
});

describe(CONTROLS_DOC, () => {
  it('is up to date with the control declarations (run `npm run docs:controls`)', async () => {
    const committed = readFileSync(path.join(ROOT, CONTROLS_DOC), 'utf8');
    expect(committed).toBe(await formattedControlsDoc(ROOT));
  });
});
