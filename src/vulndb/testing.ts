/** Builders for OSV records and catalogued packages, shared by the tests and the bench. */
import type { CatalogPackage } from './package.js';

/** A raw OSV record (JSON as the exports hold it) with sensible defaults. */
export function osvJson(over: Record<string, unknown> & { id: string }): Record<string, unknown> {
  return {
    schema_version: '1.6.0',
    modified: '2026-11-01T00:00:00Z',
    published: '2026-10-01T00:00:00Z',
    ...over,
  };
}

/** One affected entry with a single ECOSYSTEM range. */
export function affectedRange(
  ecosystem: string,
  name: string,
  events: Record<string, string>[],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { package: { ecosystem, name }, ranges: [{ type: 'ECOSYSTEM', events }], ...extra };
}

/** A catalogued package with a purl derived from its ecosystem. */
export function catalogPackage(
  ecosystem: string,
  name: string,
  version: string,
  extra: Partial<CatalogPackage> = {},
): CatalogPackage {
  const type = ecosystem.startsWith('Debian')
    ? 'deb/debian'
    : ecosystem.startsWith('Alpine')
      ? 'apk/alpine'
      : ecosystem === 'PyPI'
        ? 'pypi'
        : ecosystem === 'Go'
          ? 'golang'
          : ecosystem === 'crates.io'
            ? 'cargo'
            : ecosystem === 'RubyGems'
              ? 'gem'
              : ecosystem.toLowerCase();
  return {
    name,
    version,
    purl: `pkg:${type}/${encodeURIComponent(name).replace('%40', '@').replace('%2F', '/')}@${encodeURIComponent(version)}`,
    ecosystem,
    location: { path: '/var/lib/dpkg/status', layerDigest: 'sha256:aaaa' },
    ...extra,
  };
}
