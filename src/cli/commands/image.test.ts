import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageScanResult } from '../../images/index.js';
import { deflateSync } from 'node:zlib';
import { buildElf, buildTar, writeDockerArchive, writeOciLayout } from '../../images/testing.js';
import { openStore } from '../../store/index.js';
import { memoryIO } from '../io.js';
import { main } from '../main.js';

describe('palisade image scan', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'palisade-image-cli-'));
    const layer = await buildTar([
      { name: 'etc/os-release', data: 'ID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME="Alpine Linux v3.19"\n' },
      {
        name: 'lib/apk/db/installed',
        data: 'P:musl\nV:1.2.4-r2\nA:x86_64\nL:MIT\n\nP:zlib\nV:1.3.1-r0\nA:x86_64\n',
      },
    ]);
    await writeOciLayout(path.join(dir, 'layout'), [{ layers: [layer] }], { tag: 'v1' });
    await writeDockerArchive(path.join(dir, 'image.tar'), [layer]);
    await writeOciLayout(path.join(dir, 'evil'), [
      { layers: [await buildTar([{ name: '../x', data: 'x' }])] },
    ]);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function run(args: string[]) {
    const io = memoryIO({ cwd: dir });
    const vulnArgs = args.some((a) => a === '--vuln-db' || a === '--no-vulns') ? [] : ['--no-vulns'];
    const code = await main(['image', 'scan', ...vulnArgs, ...args], io);
    return { code, out: io.out(), err: io.err(), files: io.files };
  }

  it('finds a vulnerable package with its fixed version from imported OSV records, and VEX suppresses it visibly', async () => {
    await writeFile(
      path.join(dir, 'musl-osv.json'),
      JSON.stringify({
        schema_version: '1.6.0',
        id: 'ALPINE-CVE-2025-26519',
        aliases: ['CVE-2025-26519'],
        modified: '2026-01-01T00:00:00Z',
        summary: 'musl iconv out-of-bounds write',
        affected: [
          {
            package: { ecosystem: 'Alpine:v3.19', name: 'musl' },
            ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.2.4-r3' }] }],
          },
        ],
        database_specific: { severity: 'HIGH' },
      }),
    );
    const db = path.join(dir, 'vulndb.sqlite');
    const imp = memoryIO({ cwd: dir });
    expect(await main(['db', 'import', 'musl-osv.json', '--vuln-db', db], imp)).toBe(0);
    const r = await run(['--layout', 'layout:v1', '--vuln-db', db, '-o', 'table', '-o', 'json=scan.json']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('2 packages, 1 vulnerabilities');
    expect(r.out).toMatch(/^CVE-2025-26519\s+high\s+musl\s+1\.2\.4-r2\s+1\.2\.4-r3$/m);
    const json = JSON.parse(r.files.get(path.join(dir, 'scan.json')) ?? '{}') as {
      findings: { id: string; fixedVersion: string; package: { location: { layerDigest?: string } } }[];
    };
    expect(json.findings[0]).toMatchObject({ id: 'CVE-2025-26519', fixedVersion: '1.2.4-r3' });
    expect(json.findings[0]?.package.location.layerDigest).toMatch(/^sha256:/);

    await writeFile(
      path.join(dir, 'vex.json'),
      JSON.stringify({
        '@context': 'https://openvex.dev/ns/v0.2.0',
        '@id': 'https://example.com/vex/1',
        author: 'security@example.com',
        timestamp: '2026-12-01T00:00:00Z',
        version: 1,
        statements: [
          {
            vulnerability: { name: 'CVE-2025-26519' },
            products: [{ '@id': 'pkg:apk/alpine/musl' }],
            status: 'not_affected',
            justification: 'vulnerable_code_not_in_execute_path',
          },
        ],
      }),
    );
    const v = await run(['--layout', 'layout:v1', '--vuln-db', db, '--vex', 'vex.json']);
    expect(v.code).toBe(0);
    expect(v.out).toContain('2 packages, 0 vulnerabilities (1 suppressed by VEX)');
    expect(v.out).toContain('suppressed by VEX: vulnerable_code_not_in_execute_path');

    // --db records the result with its vulnerabilities, the VEX suppression kept and flagged.
    const history = path.join(dir, 'history.db');
    const rec = await run(['--layout', 'layout:v1', '--vuln-db', db, '--vex', 'vex.json', '--db', history]);
    expect(rec.code).toBe(0);
    expect(rec.err).toMatch(/^Recorded image result 1 of sha256:[a-f0-9]{64}$/m);
    const store = await openStore({ kind: 'sqlite', file: history });
    try {
      const digest = /of (sha256:[a-f0-9]{64})/.exec(rec.err)?.[1] ?? '';
      const latest = await store.latestImageResult(digest);
      expect(latest).toMatchObject({ ref: `oci:${path.join(dir, 'layout')}:v1`, packages: 2 });
      expect(latest?.bySeverity.high).toBe(0);
      const vulns = await store.db.selectFrom('image_vulnerabilities').selectAll().execute();
      expect(vulns).toEqual([
        expect.objectContaining({
          vuln_id: 'CVE-2025-26519',
          package: 'musl',
          version: '1.2.4-r2',
          fixed_version: '1.2.4-r3',
          severity: 'high',
          suppressed: 1,
          justification: 'vulnerable_code_not_in_execute_path',
        }),
      ]);
      expect(vulns[0]?.location).toMatch(/^sha256:[a-f0-9]{64}:\/lib\/apk\/db\/installed$/);
    } finally {
      await store.close();
    }
    const badDb = await run([
      '--layout',
      'layout:v1',
      '--no-vulns',
      '--db',
      path.join(dir, 'no/such/dir/x.db'),
    ]);
    expect(badDb.code).toBe(2);
    expect(badDb.err).toContain('cannot open store');

    const missing = await run(['--layout', 'layout:v1', '--vuln-db', path.join(dir, 'nope.sqlite')]);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('no vulnerability database at');
    expect(missing.err).toContain('palisade db import');
  });

  it('finds a vulnerable crate in a Rust binary built with cargo auditable (crates.io semver ranges)', async () => {
    const audit = {
      packages: [
        { name: 'tool', version: '0.1.0', source: 'local', dependencies: [1], root: true },
        { name: 'smallvec', version: '1.6.0', source: 'crates.io' },
      ],
    };
    const layer = await buildTar([
      { name: 'usr/local/bin/tool', data: buildElf(deflateSync(JSON.stringify(audit))), mode: 0o755 },
    ]);
    await writeOciLayout(path.join(dir, 'rust'), [{ layers: [layer] }], { tag: 'v1' });
    await writeFile(
      path.join(dir, 'smallvec-osv.json'),
      JSON.stringify({
        schema_version: '1.6.0',
        id: 'RUSTSEC-2021-0003',
        aliases: ['CVE-2021-25900'],
        modified: '2026-01-01T00:00:00Z',
        affected: [
          {
            package: { ecosystem: 'crates.io', name: 'smallvec' },
            ranges: [
              {
                type: 'SEMVER',
                events: [
                  { introduced: '0.6.3' },
                  { fixed: '0.6.14' },
                  { introduced: '1.0.0' },
                  { fixed: '1.6.1' },
                ],
              },
            ],
          },
        ],
        database_specific: { severity: 'CRITICAL' },
      }),
    );
    const db = path.join(dir, 'rust-vulndb.sqlite');
    expect(await main(['db', 'import', 'smallvec-osv.json', '--vuln-db', db], memoryIO({ cwd: dir }))).toBe(
      0,
    );
    const r = await run(['--layout', 'rust:v1', '--vuln-db', db]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^smallvec\s+1\.6\.0\s+crates\.io\s+\/usr\/local\/bin\/tool$/m);
    expect(r.out).toMatch(/^CVE-2021-25900\s+critical\s+smallvec\s+1\.6\.0\s+1\.6\.1$/m);
    expect(r.out).not.toMatch(/^tool\s/m);
  });

  it('prints a package table for a layout', async () => {
    const r = await run(['--layout', 'layout:v1']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('OS: Alpine Linux v3.19');
    expect(r.out).toMatch(/^musl\s+1\.2\.4-r2\s+Alpine:v3\.19\s+\/lib\/apk\/db\/installed$/m);
    expect(r.out).toContain('2 packages, 0 vulnerabilities');
  });

  it('writes SBOMs to files and reads one back with --sbom', async () => {
    const r = await run([
      '--archive',
      'image.tar',
      '-o',
      'cyclonedx=out.cdx.json',
      '-o',
      'spdx=out.spdx.json',
      '-o',
      'json',
    ]);
    expect(r.code).toBe(0);
    const cdx = r.files.get(path.join(dir, 'out.cdx.json')) ?? '';
    expect(JSON.parse(cdx)).toMatchObject({ bomFormat: 'CycloneDX', specVersion: '1.6' });
    expect(r.files.get(path.join(dir, 'out.spdx.json'))).toContain('"spdxVersion": "SPDX-2.3"');
    expect((JSON.parse(r.out) as ImageScanResult).packages).toHaveLength(2);
    const { writeFile } = await import('node:fs/promises');
    await writeFile(path.join(dir, 'in.cdx.json'), cdx);
    const back = await run(['--sbom', 'in.cdx.json', '-o', 'json']);
    expect(back.code).toBe(0);
    expect((JSON.parse(back.out) as ImageScanResult).packages.map((p) => p.purl)).toEqual([
      'pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.19.1',
      'pkg:apk/alpine/zlib@1.3.1-r0?arch=x86_64&distro=alpine-3.19.1',
    ]);
  });

  // Issue #20 (one output convention): image scan had no yaml and no text alias.
  it('-o yaml --output-file writes the same data as -o json; -o text is the table', async () => {
    const r = await run([
      '--layout',
      'layout:v1',
      '-o',
      'yaml',
      '--output-file',
      'scan.yaml',
      '-o',
      'json=scan.json',
      '-q',
    ]);
    expect(r.code).toBe(0);
    const { parse } = await import('yaml');
    const yaml = parse(r.files.get(path.join(dir, 'scan.yaml')) ?? '') as ImageScanResult;
    expect(yaml.packages).toHaveLength(2);
    expect(yaml).toEqual(JSON.parse(r.files.get(path.join(dir, 'scan.json')) ?? '{}'));
    const text = await run(['--layout', 'layout:v1', '-o', 'text']);
    expect(text.out).toContain('2 packages');
  });

  it.each([
    [[], /name one image/],
    [['--layout', 'layout', '--archive', 'image.tar'], /exactly one/],
    [['--layout', 'layout', '-o', 'sarif'], /unknown output format "sarif"/],
    [['--layout', 'layout', '--platform', 'linux'], /expected os\/arch/],
    [['reg.example/app', '--username', 'u'], /--username needs --password-stdin/],
    [['--layout', 'missing'], /not an OCI image layout/],
    [['--archive', 'missing.tar'], /cannot read the file/],
    [['--sbom', 'missing.json'], /cannot read the file/],
  ])('usage and input errors exit 2: %j', async (args, message) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err.split('\n').filter((l) => l !== '')).toHaveLength(1);
  });

  it('an unsafe layer exits 2 with the layer and the entry', async () => {
    const r = await run(['--layout', 'evil']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^palisade: layer sha256:[a-f0-9]{64}: entry "..\/x": path traversal/);
  });
});
