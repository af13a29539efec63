import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import type { ImageScanResult } from './scan.js';
import { readSbom, renderCycloneDx, renderSpdx } from './sbom.js';

const require = createRequire(import.meta.url);
const schemaDir = path.join(
  path.dirname(require.resolve('@cyclonedx/cyclonedx-library/package.json')),
  'res',
  'schema',
);

const result: ImageScanResult = {
  name: 'registry.local/shop/api:1.4',
  manifestDigest: `sha256:${'a'.repeat(64)}`,
  config: { os: 'linux', architecture: 'amd64' },
  layers: [`sha256:${'b'.repeat(64)}`, `sha256:${'c'.repeat(64)}`],
  packages: [
    {
      name: 'libssl3',
      version: '3.0.11-1~deb12u2',
      purl: 'pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12',
      ecosystem: 'Debian:12',
      source: { name: 'openssl', version: '3.0.11-1~deb12u2' },
      location: { layerDigest: `sha256:${'b'.repeat(64)}`, path: '/var/lib/dpkg/status' },
    },
    {
      name: '@scope/x',
      version: '1.2.3',
      purl: 'pkg:npm/%40scope/x@1.2.3',
      ecosystem: 'npm',
      licenses: ['MIT'],
      location: { layerDigest: `sha256:${'c'.repeat(64)}`, path: '/app/node_modules/@scope/x/package.json' },
    },
    {
      name: 'requests',
      version: '2.31.0',
      purl: 'pkg:pypi/requests@2.31.0',
      ecosystem: 'PyPI',
      licenses: ['Apache 2.0 with odd words'],
      location: {
        layerDigest: `sha256:${'c'.repeat(64)}`,
        path: '/usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA',
      },
    },
  ],
  skipped: [],
  findings: [],
};
const tool = { name: 'palisade', version: '0.1.0' };
const now = new Date('2026-12-07T12:00:00Z');

describe('CycloneDX 1.6', () => {
  const text = renderCycloneDx(result, tool, now);
  const bom = JSON.parse(text) as Record<string, unknown>;

  it('validates against the CycloneDX 1.6 JSON schema shipped with the CycloneDX library', () => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats.default(ajv);
    for (const f of ['spdx.SNAPSHOT.schema.json', 'jsf-0.82.SNAPSHOT.schema.json'])
      ajv.addSchema({
        ...(JSON.parse(readFileSync(path.join(schemaDir, f), 'utf8')) as object),
        $id: `http://cyclonedx.org/schema/${f}`,
      });
    const validate = ajv.compile(
      JSON.parse(readFileSync(path.join(schemaDir, 'bom-1.6.SNAPSHOT.schema.json'), 'utf8')) as object,
    );
    const ok = validate(bom);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    expect(bom.specVersion).toBe('1.6');
    // The same validator rejects a broken BOM, so the check above means something.
    expect(validate({ ...bom, components: [{ type: 'library' }] })).toBe(false);
  });

  it('reads back to the same packages, locations included', () => {
    const back = readSbom(text, 'bom.json');
    expect(back.format).toBe('cyclonedx');
    expect(back.unusable).toBe(0);
    const key = (p: (typeof result.packages)[number]): string =>
      `${p.purl} ${p.ecosystem} ${p.location.path} ${p.location.layerDigest ?? ''}`;
    expect(back.packages.map(key).sort()).toEqual(result.packages.map(key).sort());
    expect(back.packages.find((p) => p.name === 'libssl3')?.source).toEqual({
      name: 'openssl',
      version: '3.0.11-1~deb12u2',
    });
    expect(back.packages.find((p) => p.name === '@scope/x')?.licenses).toEqual(['MIT']);
  });
});

describe('SPDX 2.3', () => {
  const text = renderSpdx(result, tool, now);
  const doc = JSON.parse(text) as Record<string, unknown>;

  it('has the document fields SPDX 2.3 requires and one package per catalogued package', () => {
    expect(doc).toMatchObject({
      spdxVersion: 'SPDX-2.3',
      dataLicense: 'CC0-1.0',
      SPDXID: 'SPDXRef-DOCUMENT',
      creationInfo: { created: '2026-12-07T12:00:00Z', creators: ['Tool: palisade-0.1.0'] },
    });
    const packages = doc.packages as Record<string, unknown>[];
    expect(packages).toHaveLength(4);
    for (const p of packages) {
      expect(p.SPDXID).toMatch(/^SPDXRef-[A-Za-z0-9.-]+$/);
      expect(p.downloadLocation).toBe('NOASSERTION');
    }
    expect(new Set(packages.map((p) => p.SPDXID)).size).toBe(4);
    // A licence that is not an SPDX expression is not claimed as one.
    expect(packages.find((p) => p.name === 'requests')?.licenseDeclared).toBe('NOASSERTION');
    expect(packages.find((p) => p.name === '@scope/x')?.licenseDeclared).toBe('MIT');
  });

  // No npm package ships the SPDX 2.3 JSON schema; SPDX's own validator (tools-python's
  // pyspdxtools, from PyPI) checks the document against the specification instead, when present.
  const pyspdxtools = spawnSync('pyspdxtools', ['--help'], { encoding: 'utf8' }).status === 0;
  if (!pyspdxtools)
    console.log('sbom: SPDX validation by pyspdxtools skipped: pip install spdx-tools to run it');
  it.skipIf(!pyspdxtools)(
    'passes SPDX tools-python validation, which rejects a broken document',
    () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'palisade-spdx-'));
      try {
        const good = path.join(dir, 'good.spdx.json');
        writeFileSync(good, text);
        const r = spawnSync('pyspdxtools', ['-i', good], { encoding: 'utf8' });
        expect(`${r.stdout}${r.stderr}`).toBe('');
        expect(r.status).toBe(0);
        const broken = JSON.parse(text) as { packages: { SPDXID: string }[] };
        if (broken.packages[1] !== undefined) broken.packages[1].SPDXID = 'not an id';
        const bad = path.join(dir, 'bad.spdx.json');
        writeFileSync(bad, JSON.stringify(broken));
        expect(spawnSync('pyspdxtools', ['-i', bad], { encoding: 'utf8' }).status).not.toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    60_000,
  );

  it('reads back to the same packages', () => {
    const back = readSbom(text, 'doc.spdx.json');
    expect(back.format).toBe('spdx');
    const key = (p: (typeof result.packages)[number]): string =>
      `${p.purl} ${p.ecosystem} ${p.location.path} ${p.location.layerDigest ?? ''}`;
    expect(back.packages.map(key).sort()).toEqual(result.packages.map(key).sort());
  });
});

describe('SBOMs in', () => {
  it('reads Syft JSON artifacts with their purls and first location', () => {
    const syft = {
      artifacts: [
        {
          name: 'zlib',
          version: '1.3.1-r0',
          type: 'apk',
          purl: 'pkg:apk/alpine/zlib@1.3.1-r0?arch=x86_64&distro=alpine-3.20.0',
          licenses: [{ value: 'Zlib' }],
          locations: [{ path: '/lib/apk/db/installed', layerID: `sha256:${'d'.repeat(64)}` }],
        },
        { name: 'no-purl', version: '1', type: 'binary', locations: [] },
      ],
      source: { metadata: { userInput: 'alpine:3.20' } },
      descriptor: { name: 'syft' },
    };
    const back = readSbom(JSON.stringify(syft), 'syft.json');
    expect(back).toEqual({
      format: 'syft',
      name: 'alpine:3.20',
      unusable: 1,
      packages: [
        {
          name: 'zlib',
          version: '1.3.1-r0',
          purl: 'pkg:apk/alpine/zlib@1.3.1-r0?arch=x86_64&distro=alpine-3.20.0',
          ecosystem: 'Alpine:v3.20',
          licenses: ['Zlib'],
          location: { path: '/lib/apk/db/installed', layerDigest: `sha256:${'d'.repeat(64)}` },
        },
      ],
    });
  });

  it.each([
    ['{', /not JSON/],
    ['[]', /not a JSON object/],
    ['{"hello":1}', /not a CycloneDX, SPDX or Syft JSON SBOM/],
  ])('refuses %s', (text, message) => {
    expect(() => readSbom(text, 'x.json')).toThrow(message);
  });
});
