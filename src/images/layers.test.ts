import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync, createGzip } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  collectImageFiles,
  lookupFile,
  normalizeEntryName,
  resolveLinkTarget,
  zstdWindowSize,
  type LayerLimits,
} from './layers.js';
import { openOciLayout } from './local-sources.js';
import { scanImage } from './scan.js';
import { buildTar, writeOciLayout, zeros, zstdStored, type TestEntry } from './testing.js';
import { LayerError } from './types.js';

function digestOf(b: Buffer): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

/** Reads layers given as blobs (already compressed as the test wants). */
async function collect(
  blobs: Buffer[],
  limits: Partial<LayerLimits> = {},
  wants: (p: string) => boolean = () => true,
) {
  const byDigest = new Map(blobs.map((b) => [digestOf(b), b]));
  return collectImageFiles(
    blobs.map((b) => ({ digest: digestOf(b) })),
    (d) => Promise.resolve(Readable.from([byDigest.get(d) ?? Buffer.alloc(0)])),
    { wants, limits },
  );
}

describe('entry names and links', () => {
  it.each([
    ['./etc/passwd', 'etc/passwd'],
    ['etc//x/./y', 'etc/x/y'],
    ['usr/', 'usr'],
  ])('normalises %s', (name, want) => {
    expect(normalizeEntryName(name)).toEqual({ ok: true, path: want });
  });
  it.each([
    ['/etc/passwd', 'absolute path'],
    ['../evil', 'path traversal ("..")'],
    ['etc/../../evil', 'path traversal ("..")'],
  ])('refuses %s', (name, reason) => {
    expect(normalizeEntryName(name)).toEqual({ ok: false, reason });
  });
  it.each([
    ['etc/os-release', '../usr/lib/os-release', 'usr/lib/os-release'],
    ['bin', 'usr/bin', 'usr/bin'],
    ['usr/bin/x', '/etc/alternatives/x', 'etc/alternatives/x'],
    ['a/b', '/../../etc', 'etc'],
    ['a/b', '../../etc', undefined],
    ['a', '..', undefined],
  ])('resolves link %s -> %s', (link, target, want) => {
    expect(resolveLinkTarget(link, target)).toBe(want);
  });
  it('reads a zstd window size from single-segment and windowed headers', () => {
    expect(zstdWindowSize(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58]))).toBe(2 * 1024 * 1024);
    // Single segment, 4-byte content size of 1000.
    expect(zstdWindowSize(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xa0, 0xe8, 0x03, 0, 0]))).toBe(1000);
  });
});

describe('whiteouts and opaque directories', () => {
  it('hides what earlier layers wrote and keeps what the same layer adds', async () => {
    const l1 = await buildTar([
      { name: 'etc/a', data: 'a' },
      { name: 'etc/keep', data: 'k' },
      { name: 'etc/sub/b', data: 'b' },
      { name: 'opt/app/x', data: 'x' },
    ]);
    const l2 = await buildTar([
      { name: 'etc/.wh.a' },
      { name: 'etc/sub/.wh..wh..opq' },
      { name: 'etc/sub/c', data: 'c' },
      { name: 'opt/.wh.app' },
    ]);
    const view = await collect([gzipSync(l1), gzipSync(l2)]);
    const files = [...view.files.values()]
      .filter((f) => f.kind === 'file')
      .map((f) => f.path)
      .sort();
    expect(files).toEqual(['etc/keep', 'etc/sub/c']);
    expect(view.files.get('etc/sub/c')?.layerDigest).toBe(digestOf(gzipSync(l2)));
  });

  it('reads gzip, zstd and plain layers alike and follows symlinks', async () => {
    const l1 = await buildTar([
      { name: 'usr/lib/os-release', data: 'ID=debian\nVERSION_ID="12"\n' },
      { name: 'etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release' },
    ]);
    for (const blob of [gzipSync(l1), zstdStored(l1), l1]) {
      const view = await collect([blob]);
      expect(lookupFile(view, 'etc/os-release')?.data?.toString()).toContain('ID=debian');
    }
  });

  it('a later layer replacing a wanted file with one too big drops the old content', async () => {
    const l1 = await buildTar([{ name: 'var/lib/dpkg/status', data: 'Package: a\nVersion: 1\n' }]);
    const l2 = await buildTar([{ name: 'var/lib/dpkg/status', data: 'x'.repeat(2000) }]);
    const view = await collect([l1, l2], { maxFileBytes: 1000 });
    expect(view.files.get('var/lib/dpkg/status')).toBeUndefined();
    expect(view.skipped).toEqual([
      { path: 'var/lib/dpkg/status', layerDigest: digestOf(l2), reason: 'larger than 1000 bytes' },
    ]);
  });
});

describe('malicious layers are input errors naming the layer and entry', () => {
  let parent: string;
  let scratch: string;
  beforeAll(async () => {
    parent = await mkdtemp(path.join(tmpdir(), 'palisade-layers-'));
    scratch = path.join(parent, 'scratch');
  });
  afterAll(async () => {
    await rm(parent, { recursive: true, force: true });
  });

  const cases: [string, TestEntry[], string, Partial<LayerLimits>?][] = [
    ['path traversal', [{ name: '../../evil', data: 'x' }], 'path traversal'],
    ['absolute path', [{ name: '/etc/evil', data: 'x' }], 'absolute path'],
    [
      'symlink escape',
      [{ name: 'etc/evil', type: 'symlink', linkname: '../../../../root/.ssh' }],
      'escapes the image root',
    ],
    [
      'hard link out of the tree',
      [{ name: 'etc/evil', type: 'link', linkname: '../../etc/shadow' }],
      'leaves the tree',
    ],
    [
      'file-count bomb',
      Array.from({ length: 60 }, (_, i) => ({ name: `f/${i}`, data: '' })),
      'file-count bomb',
      { maxEntriesPerLayer: 50 },
    ],
  ];
  it.each(cases)('%s', async (_label, entries, reason, limits) => {
    const layer = gzipSync(await buildTar(entries));
    const dir = path.join(scratch, _label.replace(/\W+/g, '-'));
    await writeOciLayout(dir, [{ layers: [await buildTar([{ name: 'ok', data: 'ok' }])] }]);
    const before = await readdir(parent, { recursive: true });
    const badDir = path.join(scratch, `bad-${_label.replace(/\W+/g, '-')}`);
    await writeOciLayout(badDir, [{ layers: [layer], compression: 'none' }]);
    const source = await openOciLayout(badDir);
    const error = await scanImage(source, limits ? { limits } : {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LayerError);
    const le = error as LayerError;
    expect(le.layerDigest).toBe(digestOf(layer));
    expect(le.entry).toBe(entries[entries.length > 1 ? 50 : 0]?.name);
    expect(le.message).toContain(reason);
    // Nothing was written anywhere but the layouts the test itself made inside the scratch dir.
    const after = await readdir(parent, { recursive: true });
    expect(
      after.filter((p) => !before.includes(p)).every((p) => p.startsWith(path.join('scratch', 'bad-'))),
    ).toBe(true);
    expect(after.some((p) => p.includes('evil'))).toBe(false);
    // The next image scans fine after the failed one.
    const good = await scanImage(await openOciLayout(dir));
    expect(good.layers).toHaveLength(1);
  });

  it('gzip ratio bomb', async () => {
    const blob = gzipSync(await buildTar([{ name: 'zeros', data: Buffer.alloc(64 * 1024 * 1024) }]), {
      level: 9,
    });
    const error = (await collect([blob], { ratioGraceBytes: 1024 * 1024 }).catch(
      (e: unknown) => e,
    )) as LayerError;
    expect(error).toBeInstanceOf(LayerError);
    expect(error.message).toMatch(/entry "zeros": decompresses more than 200 times/);
  });

  it('absolute size bomb on an uncompressed layer', async () => {
    const blob = await buildTar([{ name: 'big', data: Buffer.alloc(4 * 1024 * 1024) }]);
    const error = (await collect([blob], { maxLayerBytes: 1024 * 1024 }).catch(
      (e: unknown) => e,
    )) as LayerError;
    expect(error).toBeInstanceOf(LayerError);
    expect(error.message).toMatch(/entry "big": decompressed layer exceeds 1048576 bytes/);
  });

  it('zstd frame asking for a huge window', async () => {
    const frame = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xf8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const error = (await collect([frame]).catch((e: unknown) => e)) as LayerError;
    expect(error).toBeInstanceOf(LayerError);
    expect(error.message).toMatch(/zstd frame asks for a \d+-byte window/);
  });

  it('a blob whose content does not match its digest', async () => {
    const layer = await buildTar([{ name: 'a', data: 'a' }]);
    const dir = path.join(scratch, 'tampered');
    const written = await writeOciLayout(dir, [{ layers: [layer], compression: 'none' }]);
    const digest = written.images[0]?.layerDigests[0] ?? '';
    const { writeFile } = await import('node:fs/promises');
    await writeFile(
      path.join(dir, 'blobs', 'sha256', digest.slice(7)),
      await buildTar([{ name: 'b', data: 'b' }]),
    );
    const error = (await scanImage(await openOciLayout(dir)).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/does not match its digest/);
  });

  it('streams a 768 MiB layer within bounded memory', async () => {
    // The compressed bomb is built by streaming zeros through gzip; neither side is held whole.
    const gz = createGzip({ level: 1 });
    const size = 768 * 1024 * 1024;
    const tarHead = (await buildTar([{ name: 'big', data: Buffer.alloc(0) }])).subarray(0, 512);
    // Patch the size field (octal, 11 digits) and recompute the checksum.
    const h = Buffer.from(tarHead);
    h.write(size.toString(8).padStart(11, '0') + '\0', 124, 'ascii');
    h.fill(' ', 148, 156);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
    const source = Readable.from(
      (async function* () {
        yield h;
        for await (const c of zeros(size)) yield c as Buffer;
        yield Buffer.alloc(1024);
      })(),
    );
    const compressed: Buffer[] = [];
    source.pipe(gz);
    for await (const c of gz) compressed.push(c as Buffer);
    const blob = Buffer.concat(compressed);
    const view = await collect([blob], { maxRatio: 1_000_000 }, (p) => p === 'big');
    expect(view.skipped[0]?.path).toBe('big');
    // The whole layer decompressed to 768 MiB; the process never held it.
    const peakMiB = process.resourceUsage().maxRSS / 1024;
    console.log(`layers: streamed a 768 MiB layer, peak RSS ${peakMiB.toFixed(0)} MiB`);
    expect(peakMiB).toBeLessThan(600);
  }, 120_000);
});
