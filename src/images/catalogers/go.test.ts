import { describe, expect, it } from 'vitest';
import { GO_BUILDINFO_MAGIC, GoBinaryScanner, goPackages, parseGoBuildInfo, parseGoModInfo } from './go.js';

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

/** A Go 1.18+ build info blob as the linker writes it (inline strings, sentinels around modinfo). */
function blob(goVersion: string, modinfo: string): Buffer {
  const header = Buffer.alloc(32);
  GO_BUILDINFO_MAGIC.copy(header, 0);
  header[14] = 8;
  header[15] = 2;
  const sentinel = Buffer.alloc(16, 0x30);
  const mod = Buffer.concat([sentinel, Buffer.from(modinfo), sentinel]);
  const v = Buffer.from(goVersion);
  return Buffer.concat([header, varint(v.length), v, varint(mod.length), mod]);
}

const MODINFO = [
  'path\texample.com/cmd/app',
  'mod\texample.com/cmd\tv1.4.0\th1:abc=',
  'dep\tgolang.org/x/text\tv0.14.0\th1:x=',
  'dep\tgithub.com/old/lib\tv1.0.0',
  '=>\tgithub.com/fork/lib\tv1.0.1\th1:y=',
  'build\t-compiler=gc',
  '',
].join('\n');

describe('Go build info', () => {
  it('reads modinfo lines, applying replacements', () => {
    expect(parseGoModInfo(MODINFO)).toEqual({
      path: 'example.com/cmd/app',
      main: { path: 'example.com/cmd', version: 'v1.4.0' },
      deps: [
        { path: 'golang.org/x/text', version: 'v0.14.0' },
        { path: 'github.com/fork/lib', version: 'v1.0.1' },
      ],
    });
  });

  it.each([
    ['the inline format', blob('go1.22.3', MODINFO), 'go1.22.3'],
    [
      'a pointer-format (pre-1.18) header',
      Buffer.concat([GO_BUILDINFO_MAGIC, Buffer.from([8, 0]), Buffer.alloc(32)]),
      undefined,
    ],
    [
      'the magic as a string constant',
      Buffer.concat([GO_BUILDINFO_MAGIC, Buffer.from('rest of some rodata ........')]),
      undefined,
    ],
  ])('%s', (_l, b, want) => {
    expect(parseGoBuildInfo(b)?.goVersion).toBe(want);
  });

  it('finds build info in a streamed ELF file across chunk boundaries, past a decoy', () => {
    const elf = Buffer.concat([
      Buffer.from('\x7fELF', 'latin1'),
      Buffer.alloc(1000, 1),
      GO_BUILDINFO_MAGIC,
      Buffer.from(' decoy constant in rodata'),
      Buffer.alloc(5000, 2),
      blob('go1.22.3', MODINFO),
      Buffer.alloc(3000, 3),
    ]);
    const scanner = new GoBinaryScanner();
    expect(scanner.wants('usr/bin/app', elf.length, 0o755)).toBe(true);
    expect(scanner.wants('usr/share/x', elf.length, 0o644)).toBe(false);
    for (let at = 0; at < elf.length; at += 7) {
      if (!scanner.chunk('usr/bin/app', 'sha256:l', elf.subarray(at, at + 7))) break;
    }
    scanner.end('usr/bin/app', 'sha256:l');
    expect(goPackages(scanner.found).map((p) => p.purl)).toEqual([
      'pkg:golang/stdlib@v1.22.3',
      'pkg:golang/example.com/cmd@v1.4.0',
      'pkg:golang/golang.org/x/text@v0.14.0',
      'pkg:golang/github.com/fork/lib@v1.0.1',
    ]);
    scanner.forget('usr/bin/app');
    expect(scanner.found.size).toBe(0);
  });

  it('stops reading files that are not ELF', () => {
    const scanner = new GoBinaryScanner();
    expect(scanner.chunk('bin/script', 'sha256:l', Buffer.from('#!/bin/sh\necho hi\n'))).toBe(false);
  });
});
