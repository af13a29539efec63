/**
 * A generated OSV corpus shaped like osv.dev's per-ecosystem exports (Debian, Alpine, npm,
 * PyPI, Go, Maven, RubyGems, crates.io; several ranges and aliases each, CVSS vectors, distro
 * urgency), written as one all.zip per ecosystem, and catalogued packages drawn from the same
 * names. Shared by the vulndb bench and the image bench.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CatalogPackage } from '../src/vulndb/index.js';
import { buildZip, catalogPackage } from '../src/vulndb/testing.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

interface EcosystemShape {
  ecosystem: string;
  prefix: string;
  names: (i: number) => string;
  version: (r: () => number, major: number) => string;
  distro: boolean;
}

const semverish = (r: () => number, major: number): string =>
  `${major}.${Math.floor(r() * 20)}.${Math.floor(r() * 10)}`;

const SHAPES: EcosystemShape[] = [
  {
    ecosystem: 'Debian:12',
    prefix: 'DEBIAN-CVE',
    names: (i) => `libpkg${i}`,
    version: (r, m) =>
      `${m}.${Math.floor(r() * 9)}.${Math.floor(r() * 9)}-${1 + Math.floor(r() * 4)}+deb12u${Math.floor(r() * 3)}`,
    distro: true,
  },
  {
    ecosystem: 'Alpine:v3.19',
    prefix: 'ALPINE-CVE',
    names: (i) => `apkg${i}`,
    version: (r, m) => `${m}.${Math.floor(r() * 9)}.${Math.floor(r() * 9)}-r${Math.floor(r() * 5)}`,
    distro: true,
  },
  {
    ecosystem: 'npm',
    prefix: 'GHSA',
    names: (i) => (i % 5 === 0 ? `@scope${i % 97}/pkg-${i}` : `pkg-${i}`),
    version: semverish,
    distro: false,
  },
  {
    ecosystem: 'PyPI',
    prefix: 'PYSEC',
    names: (i) => `py_pkg.${i}`,
    version: (r, m) => `${m}.${Math.floor(r() * 20)}.post${Math.floor(r() * 2)}`,
    distro: false,
  },
  {
    ecosystem: 'Go',
    prefix: 'GO',
    names: (i) => `github.com/org${i % 300}/mod${i}`,
    version: semverish,
    distro: false,
  },
  {
    ecosystem: 'Maven',
    prefix: 'GHSA',
    names: (i) => `org.example${i % 200}:artifact-${i}`,
    version: (r, m) => `${m}.${Math.floor(r() * 20)}.${Math.floor(r() * 10)}.Final`,
    distro: false,
  },
  { ecosystem: 'RubyGems', prefix: 'GHSA', names: (i) => `gem${i}`, version: semverish, distro: false },
  {
    ecosystem: 'crates.io',
    prefix: 'RUSTSEC',
    names: (i) => `crate-${i}`,
    version: semverish,
    distro: false,
  },
];

const NAMES_PER_ECOSYSTEM = 5000;
const VECTORS = [
  'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
  'CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:L/A:N',
  'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N',
  'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N',
];
const URGENCY = ['low', 'medium', 'high', 'not yet assigned', 'unimportant'];

function generateRecord(shape: EcosystemShape, n: number, r: () => number): Record<string, unknown> {
  const cve = `CVE-${2015 + (n % 11)}-${10000 + n}`;
  const id =
    shape.prefix === 'GHSA'
      ? `GHSA-${n.toString(36).padStart(4, '0')}-bnch-${shape.ecosystem.length}x${n % 97}`
      : `${shape.prefix}-${shape.prefix.endsWith('CVE') ? cve.slice(4) : `${2015 + (n % 11)}-${n}`}`;
  const affected = [];
  const packages = 1 + (r() < 0.3 ? 1 : 0);
  for (let p = 0; p < packages; p++) {
    const name = shape.names(Math.floor(r() * NAMES_PER_ECOSYSTEM));
    const major = 1 + Math.floor(r() * 4);
    const ranges: Record<string, unknown>[] = [
      {
        type: 'ECOSYSTEM',
        events: [
          { introduced: '0' },
          { fixed: shape.version(r, major) },
          { introduced: shape.version(r, major + 1) },
          { fixed: shape.version(r, major + 2) },
        ],
      },
    ];
    if (!shape.distro)
      ranges.push({
        type: 'GIT',
        repo: `https://example.org/${name}`,
        events: [{ introduced: '0' }, { fixed: 'a1b2c3d4e5f6' }],
      });
    if (r() < 0.3)
      ranges.push({
        type: 'ECOSYSTEM',
        events: [{ introduced: shape.version(r, major + 3) }, { last_affected: shape.version(r, major + 3) }],
      });
    affected.push({
      package: { ecosystem: shape.ecosystem, name, purl: `pkg:generic/${encodeURIComponent(name)}` },
      ranges,
      ...(r() < 0.2 ? { versions: [shape.version(r, major), shape.version(r, major)] } : {}),
      ...(shape.distro ? { ecosystem_specific: { urgency: URGENCY[n % URGENCY.length] } } : {}),
      database_specific: { source: `https://example.org/${id}.json` },
    });
  }
  return {
    schema_version: '1.6.0',
    id,
    modified: `2026-${String(1 + (n % 11)).padStart(2, '0')}-15T10:00:00Z`,
    published: `2025-${String(1 + (n % 12)).padStart(2, '0')}-01T00:00:00Z`,
    aliases: shape.distro ? [] : [cve, `GHSA-alias-${n.toString(36)}-x`],
    ...(shape.distro ? { upstream: [cve] } : {}),
    summary: `Benchmark vulnerability ${n} in ${shape.ecosystem}`,
    details:
      `A generated description of the flaw number ${n}, long enough to look like a real advisory body. `.repeat(
        3,
      ),
    severity: [
      {
        type: VECTORS[n % VECTORS.length]?.startsWith('CVSS:4') === true ? 'CVSS_V4' : 'CVSS_V3',
        score: VECTORS[n % VECTORS.length],
      },
    ],
    affected,
    references: [
      { type: 'ADVISORY', url: `https://example.org/advisories/${id}` },
      { type: 'WEB', url: `https://example.org/${cve}` },
    ],
    database_specific: { severity: ['LOW', 'MODERATE', 'HIGH', 'CRITICAL'][n % 4] },
  };
}

/** Writes `total` records as one all.zip per ecosystem under `dir`; returns the zip paths. */
export function writeOsvCorpus(dir: string, total: number): string[] {
  const r = rng(7);
  const zips: string[] = [];
  const perEcosystem = Math.ceil(total / SHAPES.length);
  let generated = 0;
  for (const [k, shape] of SHAPES.entries()) {
    const files = [];
    for (let i = 0; i < perEcosystem && generated < total; i++, generated++) {
      const rec = generateRecord(shape, k * perEcosystem + i, r);
      files.push({ name: `${String(rec.id)}.json`, data: Buffer.from(JSON.stringify(rec)) });
    }
    const file = path.join(dir, `${shape.ecosystem.replace(/[^A-Za-z0-9.]/g, '_')}-all.zip`);
    writeFileSync(file, buildZip(files));
    zips.push(file);
  }
  return zips;
}

/** `n` catalogued packages whose names the corpus uses, with random versions (some affected). */
export function samplePackages(n: number): CatalogPackage[] {
  const pr = rng(11);
  const packages: CatalogPackage[] = [];
  for (let i = 0; i < n; i++) {
    const shape = SHAPES[i % SHAPES.length];
    if (shape === undefined) break;
    const name = shape.names(Math.floor(pr() * NAMES_PER_ECOSYSTEM));
    const version = shape.version(pr, 1 + Math.floor(pr() * 5));
    packages.push(
      catalogPackage(shape.ecosystem, name, version, shape.distro ? { source: { name, version } } : {}),
    );
  }
  return packages;
}
