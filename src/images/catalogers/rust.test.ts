import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { scanImage } from '../scan.js';
import { buildElf, buildTar, writeOciLayout } from '../testing.js';
import { openOciLayout } from '../local-sources.js';
import {
  chunkReader,
  readCargoAuditable,
  RustBinaryScanner,
  rustPackages,
  type AuditPackage,
} from './rust.js';

const AUDIT = {
  packages: [
    { name: 'app', version: '0.1.0', source: 'local', dependencies: [1, 2], root: true },
    { name: 'regex', version: '1.5.4', source: 'crates.io', dependencies: [3] },
    { name: 'cc', version: '1.0.83', source: 'crates.io', kind: 'build' },
    { name: 'memchr', version: '2.4.1', source: 'crates.io' },
  ],
};

/** A minimal PE file with one section. */
function pe(data: Buffer): Buffer {
  const out = Buffer.alloc(0x200 + data.length);
  out.write('MZ', 0, 'latin1');
  out.writeUInt32LE(0x80, 0x3c);
  out.write('PE\0\0', 0x80, 'latin1');
  out.writeUInt16LE(1, 0x80 + 6);
  out.writeUInt16LE(0, 0x80 + 20);
  const table = 0x80 + 24;
  out.write('.dep-v0', table, 'latin1');
  out.writeUInt32LE(data.length, table + 16);
  out.writeUInt32LE(0x200, table + 20);
  data.copy(out, 0x200);
  return out;
}

/** A minimal 64-bit Mach-O file with one __DATA segment holding the section. */
function macho(data: Buffer, nsects = 1): Buffer {
  const at = 32 + 72 + 80;
  const out = Buffer.alloc(at + data.length);
  out.writeUInt32LE(0xfeedfacf, 0);
  out.writeUInt32LE(1, 16);
  out.writeUInt32LE(0x19, 32);
  out.writeUInt32LE(72 + 80, 36);
  out.write('__DATA', 40, 'latin1');
  out.writeUInt32LE(nsects, 32 + 64);
  const sect = 32 + 72;
  out.write('.dep-v0', sect, 'latin1');
  out.write('__DATA', sect + 16, 'latin1');
  out.writeBigUInt64LE(BigInt(data.length), sect + 40);
  out.writeUInt32LE(at, sect + 48);
  data.copy(out, at);
  return out;
}

const z = (v: unknown): Buffer => deflateSync(Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)));
const read = (b: Buffer) =>
  readCargoAuditable((o, l) => (o + l <= b.length ? b.subarray(o, o + l) : undefined), b.length);
const names = (r: ReturnType<typeof read>) =>
  r.ok ? r.packages?.map((p) => `${p.name}@${p.version}`) : r.error;

describe('cargo auditable data', () => {
  it.each([
    ['ELF64 little-endian', buildElf(z(AUDIT))],
    ['ELF64 big-endian', buildElf(z(AUDIT), { le: false })],
    ['ELF32 little-endian', buildElf(z(AUDIT), { is64: false })],
    ['PE', pe(z(AUDIT))],
    ['Mach-O', macho(z(AUDIT))],
  ])('reads the packages of %s from the section its headers name', (_l, bin) => {
    expect(names(read(bin))).toEqual(['app@0.1.0', 'regex@1.5.4', 'cc@1.0.83', 'memchr@2.4.1']);
  });

  it('a binary without the section has no packages, and is no error', () => {
    expect(read(buildElf(z(AUDIT), { name: '.rodata' }))).toEqual({ ok: true, packages: undefined });
    expect(read(Buffer.from('#!/bin/sh\necho not a binary at all, just a script\n'))).toEqual({
      ok: true,
      packages: undefined,
    });
  });

  it.each([
    ['a section table cut short', buildElf(z(AUDIT), { truncate: 10 }), /section table runs past the end/],
    [
      'a name table index out of range',
      buildElf(z(AUDIT), { shstrndx: 9 }),
      /name table index 9 out of range/,
    ],
    ['a section past the end of the file', buildElf(z(AUDIT), { declaredSize: 1_000_000 }), /beyond the end/],
    ['a section without bytes', buildElf(z(AUDIT), { type: 8 }), /SHT_NOBITS/],
    ['data that is not zlib', buildElf(Buffer.from('not compressed at all')), /not valid zlib data/],
    ['data that is not JSON', buildElf(z('{"packages": [')), /not JSON/],
    ['JSON without packages', buildElf(z({ crates: [] })), /no "packages" list/],
    [
      'a package without a version',
      buildElf(z({ packages: [{ name: 'x', source: 'crates.io' }] })),
      /\(x\) has no valid "version"/,
    ],
    [
      'a dependency index out of range',
      buildElf(z({ packages: [{ name: 'x', version: '1.0.0', source: 'crates.io', dependencies: [7] }] })),
      /not package indexes/,
    ],
    [
      'a Mach-O segment listing more sections than it holds',
      macho(z(AUDIT), 2),
      /more sections than it holds/,
    ],
    [
      'a Mach-O segment listing millions of sections',
      macho(z(AUDIT), 5_000_000),
      /5000000 sections \(at most/,
    ],
    [
      'a decompression bomb',
      buildElf(deflateSync(Buffer.alloc(64 * 1024 * 1024, 0x20))),
      /decompression bomb/,
    ],
  ])('%s is an error with the reason, never a crash', (_l, bin, reason) => {
    const r = read(bin);
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.error).toMatch(/^cargo auditable section \.dep-v0: /);
    expect(r.ok ? '' : r.error).toMatch(reason);
  });

  it('survives every truncation and byte flip of a valid binary', () => {
    const bin = buildElf(z(AUDIT));
    for (let cut = 0; cut < bin.length; cut += 3) expect(() => read(bin.subarray(0, cut))).not.toThrow();
    for (let at = 0; at < 64; at++) {
      const bad = Buffer.from(bin);
      bad[at] = (bad[at] ?? 0) ^ 0xff;
      expect(() => read(bad)).not.toThrow();
    }
  });

  it('reads across chunk boundaries without joining the chunks', () => {
    const bin = buildElf(z(AUDIT));
    const chunks: Buffer[] = [];
    for (let at = 0; at < bin.length; at += 5) chunks.push(bin.subarray(at, at + 5));
    const { size, read: at } = chunkReader(chunks);
    expect(size).toBe(bin.length);
    expect(at(3, 17)?.equals(bin.subarray(3, 20))).toBe(true);
    expect(at(bin.length - 1, 2)).toBeUndefined();
    expect(names(readCargoAuditable(at, size))).toHaveLength(4);
  });

  it('lists the crates linked in, leaving out build dependencies and local crates, with purls', () => {
    const scanner = new RustBinaryScanner();
    const bin = buildElf(z(AUDIT));
    expect(scanner.wants('usr/bin/app', bin.length, 0o755)).toBe(true);
    expect(scanner.wants('usr/share/doc', bin.length, 0o644)).toBe(false);
    expect(scanner.chunk('usr/bin/script', 'sha256:l', Buffer.from('#!/bin/sh\n'))).toBe(false);
    for (let at = 0; at < bin.length; at += 11)
      scanner.chunk('usr/bin/app', 'sha256:l', bin.subarray(at, at + 11));
    scanner.end('usr/bin/app', 'sha256:l');
    expect(rustPackages(scanner.found)).toEqual([
      {
        name: 'regex',
        version: '1.5.4',
        purl: 'pkg:cargo/regex@1.5.4',
        ecosystem: 'crates.io',
        location: { layerDigest: 'sha256:l', path: '/usr/bin/app' },
      },
      expect.objectContaining({ name: 'memchr', purl: 'pkg:cargo/memchr@2.4.1' }),
    ]);
    scanner.forget('usr/bin/app');
    expect(scanner.found.size).toBe(0);
  });

  it('an image scan lists the crates of a binary and names a malformed one in its skipped files', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'palisade-rust-'));
    try {
      const layer = await buildTar([
        { name: 'usr/local/bin/app', data: buildElf(z(AUDIT)), mode: 0o755 },
        { name: 'usr/local/bin/broken', data: buildElf(Buffer.from('garbage')), mode: 0o755 },
      ]);
      await writeOciLayout(path.join(dir, 'oci'), [{ layers: [layer] }], { tag: 't' });
      const source = await openOciLayout(path.join(dir, 'oci:t'));
      try {
        const result = await scanImage(source);
        expect(result.packages.map((p) => p.purl)).toEqual([
          'pkg:cargo/regex@1.5.4',
          'pkg:cargo/memchr@2.4.1',
        ]);
        expect(result.packages[0]?.location.path).toBe('/usr/local/bin/app');
        expect(result.skipped).toEqual([
          {
            path: 'usr/local/bin/broken',
            layerDigest: expect.stringMatching(/^sha256:/) as string,
            reason: 'cargo auditable section .dep-v0: the audit data is not valid zlib data',
          },
        ]);
      } finally {
        await source.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const rustc = spawnSync('sh', ['-c', 'command -v rustc'], { encoding: 'utf8' }).stdout.trim();
if (rustc === '') console.log('rust cataloger: real-binary case skipped: rustc is not installed');

describe.skipIf(rustc === '')('cargo auditable data in a binary linked by rustc', () => {
  it('reads the section rustc placed, as cargo auditable places it (a #[link_section] static)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'palisade-rustc-'));
    try {
      const data = z(AUDIT);
      writeFileSync(path.join(dir, 'dep.z'), data);
      writeFileSync(
        path.join(dir, 'main.rs'),
        [
          '#[used]',
          '#[link_section = ".dep-v0"]',
          `static AUDITABLE: [u8; ${data.length}] = *include_bytes!("dep.z");`,
          'fn main() { println!("hello"); }',
          '',
        ].join('\n'),
      );
      execFileSync(rustc, ['-O', '-o', path.join(dir, 'app'), path.join(dir, 'main.rs')], {
        cwd: dir,
        stdio: 'pipe',
        timeout: 120_000,
      });
      const bin = readFileSync(path.join(dir, 'app'));
      const r = read(bin);
      expect(names(r)).toEqual(['app@0.1.0', 'regex@1.5.4', 'cc@1.0.83', 'memchr@2.4.1']);
      const packages: AuditPackage[] = r.ok ? (r.packages ?? []) : [];
      expect(packages[0]).toMatchObject({ root: true, dependencies: [1, 2] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 150_000);
});
