/**
 * Real OSV records from the OSV schema's linter test data (../shared/oracles/version-compare/
 * osv-schema): imported as a directory, the broken one reported, and real packages matched.
 * Skips with a message when the folder is absent.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VulnDb } from './db.js';
import { importOsv } from './import.js';
import { matchPackages } from './match.js';
import { catalogPackage } from './testing.js';
import { readVexFile } from './vex-file.js';

const DATA = path.resolve(
  import.meta.dirname,
  '../../../shared/oracles/version-compare/osv-schema/tools/osv-linter/testdata',
);
const present = existsSync(DATA);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'palisade-real-osv-'));
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(!present)('real OSV records', () => {
  it('imports the linter samples, reports the one without introduced, and matches requests and gin', async () => {
    const db = VulnDb.openForWrite(path.join(tmp, 'v.sqlite'));
    const report = await importOsv(db, [DATA]);
    expect(report.issues.map((i) => [path.basename(i.file), i.recordId, i.message])).toEqual([
      [
        'nointroduced-CVE-2023-41045.json',
        'CVE-2023-41045',
        'record CVE-2023-41045: affected[0].ranges[0].events: no introduced event',
      ],
    ]);
    const requests = catalogPackage('PyPI', 'Requests', '2.30.0', { purl: 'pkg:pypi/requests@2.30.0' });
    const gin = catalogPackage('Go', 'github.com/gin-gonic/gin', 'v1.5.0', {
      purl: 'pkg:golang/github.com/gin-gonic/gin@v1.5.0',
    });
    const found = matchPackages(db, [
      requests,
      gin,
      { ...requests, version: '2.31.0', purl: 'pkg:pypi/requests@2.31.0' },
    ]);
    expect(found.map((f) => [f.id, f.package.version, f.fixedVersions, f.ids])).toEqual([
      ['CVE-2020-36567', 'v1.5.0', ['1.6.0'], ['CVE-2020-36567', 'GHSA-6vm3-jj99-7229', 'GO-2020-0001']],
      ['CVE-2023-32681', '2.30.0', ['2.31.0'], ['CVE-2023-32681', 'GHSA-j8r2-6x86-q33q', 'PYSEC-2023-74']],
    ]);
    expect(found[1]?.notes).toEqual(['GIT ranges were not evaluated (they name commits, not versions)']);

    const vexFile = path.join(tmp, 'requests.openvex.json');
    writeFileSync(
      vexFile,
      JSON.stringify({
        '@context': 'https://openvex.dev/ns/v0.2.0',
        '@id': 'https://example.org/vex/1',
        author: 'platform team',
        timestamp: '2026-12-01T00:00:00Z',
        version: 1,
        statements: [
          {
            vulnerability: { name: 'GHSA-j8r2-6x86-q33q' },
            products: [{ '@id': 'pkg:pypi/requests@2.30.0' }],
            status: 'not_affected',
            justification: 'vulnerable_code_cannot_be_controlled_by_adversary',
          },
        ],
      }),
    );
    const vex = await readVexFile(vexFile);
    const again = matchPackages(db, [requests], { vex });
    expect(again.map((f) => [f.id, f.suppressed, f.vex?.justification])).toEqual([
      ['CVE-2023-32681', true, 'vulnerable_code_cannot_be_controlled_by_adversary'],
    ]);
    await expect(readVexFile(path.join(tmp, 'none.json'))).rejects.toThrow(
      `${path.join(tmp, 'none.json')}: cannot read the VEX file`,
    );
    db.close();
  });
});

describe.skipIf(present)('real OSV records (absent)', () => {
  it('is skipped: ../shared/oracles/version-compare/osv-schema not found', () => {
    console.log('real OSV records: ../shared/oracles/version-compare/osv-schema not found, skipped');
  });
});
