import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InputError } from '../core/index.js';
import { openVulnDb, parseDuration, resolveVulnDbPath, VulnDb, vulnDbAgeWarning } from './db.js';
import { importOsv } from './import.js';
import { matchPackages } from './match.js';
import { affectedRange, buildZip, catalogPackage, osvJson } from './testing.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-vulndb-test-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const json = (x: unknown): Buffer => Buffer.from(JSON.stringify(x));
const NOW = new Date('2026-12-01T00:00:00Z');

function record(
  id: string,
  pkg: string,
  fixed: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return osvJson({ id, affected: [affectedRange('PyPI', pkg, [{ introduced: '0' }, { fixed }])], ...extra });
}

describe('importOsv and VulnDb', () => {
  it('imports files, directories and zips, reports malformed records and keeps the rest', async () => {
    const db = VulnDb.openForWrite(path.join(dir, 'db', 'vulndb.sqlite'));
    writeFileSync(path.join(dir, 'one.json'), json(record('PYSEC-1', 'requests', '2.31.0')));
    mkdirSync(path.join(dir, 'tree', 'nested'), { recursive: true });
    writeFileSync(
      path.join(dir, 'tree', 'nested', 'two.json'),
      json([record('PYSEC-2', 'flask', '2.3.2'), { id: 'BROKEN-1' }]),
    );
    writeFileSync(path.join(dir, 'tree', 'notes.txt'), 'not read');
    writeFileSync(path.join(dir, 'tree', 'bad.json'), '{"id": ');
    writeFileSync(
      path.join(dir, 'all.zip'),
      buildZip([
        { name: 'GHSA-1.json', data: json(record('GHSA-1', 'Django', '4.2.1', { aliases: ['CVE-2026-9'] })) },
        {
          name: 'GHSA-2.json',
          data: json(osvJson({ id: 'GHSA-2', affected: [{ package: { ecosystem: 'PyPI' } }] })),
        },
        { name: 'README.txt', data: Buffer.from('skip') },
      ]),
    );
    const report = await importOsv(
      db,
      [path.join(dir, 'one.json'), path.join(dir, 'tree'), path.join(dir, 'all.zip')],
      {
        now: () => NOW,
      },
    );
    expect([report.records, report.added, report.files]).toEqual([3, 3, 4]);
    expect(report.issues).toEqual([
      { file: path.join(dir, 'tree', 'bad.json'), message: expect.stringContaining('not JSON') as unknown },
      {
        file: path.join(dir, 'tree', 'nested', 'two.json'),
        recordId: 'BROKEN-1',
        message: 'record BROKEN-1: modified: expected a string',
      },
      {
        file: path.join(dir, 'all.zip'),
        entry: 'GHSA-2.json',
        recordId: 'GHSA-2',
        message: 'record GHSA-2: affected[0].package.name: expected a string',
      },
    ]);
    const status = db.status({ ecosystems: true });
    expect([status.records, status.updatedAt, status.ecosystems]).toEqual([
      3,
      NOW.toISOString(),
      [{ ecosystem: 'pypi', records: 3 }],
    ]);
    expect(status.imports[0]?.errors).toBe(3);
    db.close();

    const ro = openVulnDb(path.join(dir, 'db', 'vulndb.sqlite'));
    const found = matchPackages(ro, [
      catalogPackage('PyPI', 'django', '4.2.0'),
      catalogPackage('PyPI', 'Flask', '2.3.2'),
    ]);
    expect(found.map((f) => [f.id, f.fixedVersions, f.package.name])).toEqual([
      ['CVE-2026-9', ['4.2.1'], 'django'],
    ]);
    ro.close();
  });

  it('keeps the newer record and removes withdrawn ones on re-import', async () => {
    const file = path.join(dir, 'v.sqlite');
    const db = VulnDb.openForWrite(file);
    writeFileSync(
      path.join(dir, 'a.json'),
      json(record('PYSEC-9', 'pkg', '1.0', { modified: '2026-01-02T00:00:00Z' })),
    );
    await importOsv(db, [path.join(dir, 'a.json')]);
    writeFileSync(
      path.join(dir, 'old.json'),
      json(record('PYSEC-9', 'pkg', '0.5', { modified: '2026-01-01T00:00:00Z' })),
    );
    const r2 = await importOsv(db, [path.join(dir, 'old.json')]);
    expect([r2.unchanged, r2.replaced]).toEqual([1, 0]);
    expect(db.recordsFor('PyPI', 'pkg')[0]?.affected[0]?.ranges?.[0]?.events).toEqual([
      { introduced: '0' },
      { fixed: '1.0' },
    ]);
    writeFileSync(
      path.join(dir, 'w.json'),
      json(
        record('PYSEC-9', 'pkg', '1.0', {
          modified: '2026-02-01T00:00:00Z',
          withdrawn: '2026-02-01T00:00:00Z',
        }),
      ),
    );
    const r3 = await importOsv(db, [path.join(dir, 'w.json')]);
    expect(r3.withdrawn).toBe(1);
    expect(db.recordsFor('PyPI', 'pkg')).toEqual([]);
    expect(db.status().records).toBe(0);
    db.close();
  });

  it('bounds zip entries: a huge declared entry and a lying header are errors, the rest imports', async () => {
    const db = VulnDb.openForWrite(path.join(dir, 'v.sqlite'));
    const zeros = Buffer.alloc(4 * 1024 * 1024, 0x20);
    writeFileSync(
      path.join(dir, 'bomb.zip'),
      buildZip([
        { name: 'huge.json', data: zeros },
        { name: 'liar.json', data: zeros, declaredSize: 100 },
        { name: 'ok.json', data: json(record('PYSEC-5', 'ok', '1.0')) },
      ]),
    );
    const r = await importOsv(db, [path.join(dir, 'bomb.zip')], { limits: { maxEntryBytes: 1024 * 1024 } });
    expect(r.added).toBe(1);
    expect(r.issues.map((i) => [i.entry, i.message.slice(0, 20)])).toEqual([
      ['huge.json', 'entry of 4194304 byt'],
      ['liar.json', expect.any(String)],
    ]);
    db.close();
  });

  it('reports a missing path, a missing database and a foreign file clearly', async () => {
    const db = VulnDb.openForWrite(path.join(dir, 'v.sqlite'));
    const r = await importOsv(db, [path.join(dir, 'nope.json')]);
    expect(r.issues).toEqual([{ file: path.join(dir, 'nope.json'), message: 'no such file or directory' }]);
    db.close();
    expect(() => openVulnDb(path.join(dir, 'missing.sqlite'))).toThrow(
      /no vulnerability database; import OSV records first: palisade db import/,
    );
    writeFileSync(path.join(dir, 'junk.sqlite'), 'hello');
    expect(() => openVulnDb(path.join(dir, 'junk.sqlite'))).toThrow(InputError);
  });
});

describe('database settings', () => {
  it('resolves the path from the flag, then PALISADE_VULN_DB, then the home directory', () => {
    expect(resolveVulnDbPath('x.sqlite', { PALISADE_VULN_DB: '/e.sqlite' }, '/w')).toBe('/w/x.sqlite');
    expect(resolveVulnDbPath(undefined, { PALISADE_VULN_DB: '/e.sqlite' }, '/w')).toBe('/e.sqlite');
    expect(resolveVulnDbPath(undefined, { HOME: '/home/u' }, '/w')).toBe('/home/u/.palisade/vulndb.sqlite');
  });

  it.each([
    ['7d', 7 * 86_400_000],
    ['12h', 12 * 3_600_000],
    ['30m', 1_800_000],
    ['1w', 604_800_000],
    ['seven days', undefined],
    ['-1d', undefined],
  ])('parseDuration(%s) = %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it('warns when the database is older than the maximum age', () => {
    const status = {
      path: 'db',
      schemaVersion: '1',
      records: 1,
      imports: [],
      updatedAt: '2026-11-20T00:00:00Z',
    };
    expect(vulnDbAgeWarning(status, 7 * 86_400_000, NOW)).toBe(
      'db: the vulnerability database is 11.0 days old (last import 2026-11-20T00:00:00Z); run palisade db update --from DIR_OR_URL',
    );
    expect(vulnDbAgeWarning(status, 30 * 86_400_000, NOW)).toBeUndefined();
  });
});
