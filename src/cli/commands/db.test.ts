import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { affectedRange, buildZip, osvJson } from '../../vulndb/testing.js';
import { memoryIO } from '../io.js';
import { main } from '../main.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-db-cli-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const record = (id: string): string =>
  JSON.stringify(
    osvJson({ id, affected: [affectedRange('npm', 'left-pad', [{ introduced: '0' }, { fixed: '1.3.1' }])] }),
  );

async function run(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string }> {
  const io = memoryIO({ cwd: dir, env: { HOME: dir, ...env } });
  const code = await main(args, io);
  return { code, out: io.out(), err: io.err() };
}

describe('palisade db', () => {
  it('status without a database is exit 2 and says how to import one', async () => {
    const r = await run(['db', 'status']);
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      `palisade: ${path.join(dir, '.palisade', 'vulndb.sqlite')}: no vulnerability database; import OSV records first: palisade db import all.zip (files, directories and per-ecosystem all.zip exports) or palisade db update --from DIR_OR_URL\n`,
    );
  });

  it('imports into --vuln-db, reports bad records with exit 2, and status reads it back', async () => {
    writeFileSync(path.join(dir, 'a.json'), record('GHSA-1'));
    writeFileSync(path.join(dir, 'b.json'), '{"id":"BAD-1","modified":3}');
    const imp = await run(['db', 'import', 'a.json', 'b.json', '--vuln-db', 'v.sqlite', '-o', 'json']);
    expect(imp.code).toBe(2);
    expect(imp.err).toBe(
      `palisade: ${path.join(dir, 'b.json')}: record BAD-1: modified: expected a string\n`,
    );
    expect(JSON.parse(imp.out)).toMatchObject({ database: path.join(dir, 'v.sqlite'), records: 1, added: 1 });
    const st = await run(['db', 'status', '-o', 'json'], { PALISADE_VULN_DB: path.join(dir, 'v.sqlite') });
    expect(st.code).toBe(0);
    expect(JSON.parse(st.out)).toMatchObject({
      records: 1,
      stale: false,
      ecosystems: [{ ecosystem: 'npm', records: 1 }],
    });
    const stale = await run(['db', 'status', '--vuln-db', 'v.sqlite', '--max-db-age', '0s']);
    expect(stale.err).toMatch(/warning: .*the vulnerability database is 0\.0 days old/);
    expect(stale.out).toMatch(/^records: {3}1$/m);
    expect((await run(['db', 'status', '--vuln-db', 'v.sqlite', '--max-db-age', 'soon'])).code).toBe(2);
  });

  it('fails closed when the paths hold no OSV record', async () => {
    writeFileSync(path.join(dir, 'notes.txt'), 'nothing here');
    const r = await run(['db', 'import', '.', '--vuln-db', 'v.sqlite']);
    expect([r.code, r.err]).toEqual([
      2,
      'palisade: no OSV records found (expected *.json records, directories of them or all.zip exports)\n',
    ]);
  });

  it('updates from a directory and from a URL on 127.0.0.1', async () => {
    writeFileSync(path.join(dir, 'c.json'), record('GHSA-2'));
    const fromDir = await run(['db', 'update', '--from', '.', '--vuln-db', 'v.sqlite']);
    expect([fromDir.code, fromDir.out]).toEqual([
      0,
      `${path.join(dir, 'v.sqlite')}: 1 records read from 1 files: 1 added, 0 replaced, 0 unchanged, 0 withdrawn, 0 errors\n`,
    ]);
    const zip = buildZip([
      { name: 'GHSA-3.json', data: Buffer.from(record('GHSA-3')) },
      { name: 'GHSA-4.json', data: Buffer.from(record('GHSA-4')) },
    ]);
    const server: Server = createServer((req, res) => {
      if (req.url === '/npm/all.zip') res.end(zip);
      else {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const ok = await run([
        'db',
        'update',
        '--from',
        `http://127.0.0.1:${port}/npm/all.zip`,
        '--vuln-db',
        'v.sqlite',
        '-o',
        'json',
      ]);
      expect(ok.code).toBe(0);
      expect(JSON.parse(ok.out)).toMatchObject({ records: 2, added: 2 });
      const missing = await run([
        'db',
        'update',
        '--from',
        `http://user:secret@127.0.0.1:${port}/nope.zip`,
        '--vuln-db',
        'v.sqlite',
      ]);
      expect(missing.code).toBe(2);
      expect(missing.err).toBe(
        `palisade: http://127.0.0.1:${port}/nope.zip: HTTP 404; expected 200 with an OSV all.zip or JSON file\n`,
      );
    } finally {
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
    }
    const st = await run(['db', 'status', '--vuln-db', 'v.sqlite', '-o', 'json']);
    expect(JSON.parse(st.out)).toMatchObject({ records: 3 });
  });
});
