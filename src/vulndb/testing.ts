/** Builders for OSV records and catalogued packages, shared by the tests and the bench. */
import { deflateRawSync } from 'node:zlib';
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

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const byte of buf) c = (CRC_TABLE[(c ^ byte) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** One file of a test zip; `declaredSize` lets a test lie about the uncompressed size. */
export interface ZipFileSpec {
  name: string;
  data: Buffer;
  declaredSize?: number;
}

/** Builds a zip archive (deflate) in memory, as OSV's all.zip exports are built. */
export function buildZip(files: readonly ZipFileSpec[]): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const f of files) {
    const name = Buffer.from(f.name, 'utf8');
    const compressed = deflateRawSync(f.data);
    const crc = crc32(f.data);
    const size = f.declaredSize ?? f.data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    parts.push(local, name, compressed);
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(20, 4);
    c.writeUInt16LE(20, 6);
    c.writeUInt16LE(0x0800, 8);
    c.writeUInt16LE(8, 10);
    c.writeUInt32LE(crc, 16);
    c.writeUInt32LE(compressed.length, 20);
    c.writeUInt32LE(size, 24);
    c.writeUInt16LE(name.length, 28);
    c.writeUInt32LE(offset, 42);
    central.push(c, name);
    offset += local.length + name.length + compressed.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, cd, end]);
}
