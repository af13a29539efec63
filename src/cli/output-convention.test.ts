import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { memoryIO } from './io.js';
import { main } from './main.js';

// One output convention in every command: -o FORMAT[=FILE] repeatable, --output-file, `text`
// for `table`, json and yaml. Each row failed before the convention was shared.

const repo = path.resolve(import.meta.dirname, '../..');

async function run(
  args: string[],
): Promise<{ code: number; out: string; err: string; files: Map<string, string> }> {
  const io = memoryIO({ cwd: repo });
  const code = await main(args, io);
  return { code, out: io.out(), err: io.err(), files: io.files };
}

describe('the output convention', () => {
  it.each([
    [['controls', 'list', '-o', 'yaml'], 'kind: ControlList'],
    [['controls', 'list', '-o', 'text'], 'SEVERITY  CIS'],
    [['policy', 'export', 'examples/policies/no-latest-tag', '-o', 'json'], '"kind": "List"'],
    [['admission', 'install', '--skip-certificates', '-o', 'json'], '"kind": "List"'],
    [['rbac', 'sod', 'examples/demo-cluster', '-o', 'yaml'], 'findings:'],
    [['detect', 'run', 'examples/detect/audit.jsonl', '-o', 'yaml'], 'rule: '],
    [['scan', 'examples/demo-cluster', '-o', 'text', '--fail-on', 'none'], 'Summary:'],
  ])('%j writes its format', async (args, expected) => {
    const r = await run(args);
    expect(r.err).not.toContain('unknown');
    expect(r.code).toBeLessThan(2);
    expect(r.out).toContain(expected);
  });

  it.each([
    [['controls', 'list']],
    [['policy', 'export', 'examples/policies/no-latest-tag']],
    [['admission', 'install', '--skip-certificates']],
    [['rbac', 'who-can', 'get', 'secrets', '-A', 'examples/demo-cluster']],
  ])('%j: -o json=FILE and -o yaml=FILE write the same data', async (args) => {
    const r = await run([...args, '-o', 'json=out.json', '-o', 'yaml=out.yaml']);
    expect(r.code).toBe(0);
    expect(r.out).toBe('');
    const json = r.files.get(path.join(repo, 'out.json')) ?? '';
    const yaml = r.files.get(path.join(repo, 'out.yaml')) ?? '';
    if (args[0] === 'policy' || args[0] === 'admission') {
      // Manifests: YAML is a stream of the List's items.
      const items = (JSON.parse(json) as { items: unknown[] }).items;
      expect(yaml.split(/^---$/m).map((d) => parseYaml(d) as unknown)).toEqual(items);
    } else expect(parseYaml(yaml)).toEqual(JSON.parse(json));
  });

  it.each([
    ['controls', 'list'],
    ['admission', 'install', '--skip-certificates'],
    ['history', '--db', ':memory:'],
  ])('%s %s refuses an unknown format with exit 2', async (...args) => {
    const r = await run([...args, '-o', 'xml']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('unknown output format "xml"');
  });
});
