import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, crc32, gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { MEDIA_TYPES } from './manifest.js';
import type { Platform } from './types.js';

/** One entry of a synthetic layer. */
export interface TestEntry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  data?: string | Buffer;
  linkname?: string;
  mode?: number;
}

/** Builds an uncompressed tar from entries, exactly as named (no normalisation: tests need bad names). */
export async function buildTar(entries: readonly TestEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of pack as AsyncIterable<Buffer>) chunks.push(chunk);
  })();
  for (const e of entries) {
    const type = e.type ?? 'file';
    const data = typeof e.data === 'string' ? Buffer.from(e.data) : e.data;
    await new Promise<void>((resolve, reject) => {
      const header: Parameters<tar.Pack['entry']>[0] = {
        name: e.name,
        type,
        mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644),
      };
      if (e.linkname !== undefined) header.linkname = e.linkname;
      if (type === 'file') header.size = data?.length ?? 0;
      const cb = (err?: Error | null): void => {
        if (err) reject(err);
        else resolve();
      };
      if (type === 'file') pack.entry(header, data ?? Buffer.alloc(0), cb);
      else pack.entry(header, cb);
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/**
 * Wraps data in zstd frames made only of raw (stored) blocks: valid zstd that any decoder
 * reads, written without a zstd encoder (Node 20 has none).
 */
export function zstdStored(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  // Magic, frame header descriptor: single segment off, no checksum, no dict, FCS flag 0.
  parts.push(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58])); // window descriptor: 2^(10+11) = 2 MiB
  const max = 128 * 1024;
  if (data.length === 0) parts.push(Buffer.from([0x01, 0x00, 0x00]));
  for (let at = 0; at < data.length; at += max) {
    const block = data.subarray(at, Math.min(at + max, data.length));
    const last = at + max >= data.length ? 1 : 0;
    const header = (block.length << 3) | (0 << 1) | last;
    parts.push(Buffer.from([header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff]), block);
  }
  return Buffer.concat(parts);
}

function sha256(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

async function writeBlob(dir: string, data: Buffer): Promise<string> {
  const digest = sha256(data);
  await mkdir(path.join(dir, 'blobs', 'sha256'), { recursive: true });
  await writeFile(path.join(dir, 'blobs', 'sha256', digest.slice(7)), data);
  return digest;
}

/** Streams a file through gzip into the layout's blobs, hashing on the way (for big roots). */
async function writeGzipBlobFromFile(dir: string, file: string): Promise<{ digest: string; size: number }> {
  await mkdir(path.join(dir, 'blobs', 'sha256'), { recursive: true });
  const tmp = path.join(dir, 'blobs', 'sha256', `tmp-${process.pid}`);
  const hash = createHash('sha256');
  let size = 0;
  const gzip = createGzip({ level: 1 });
  gzip.on('data', (c: Buffer) => {
    hash.update(c);
    size += c.length;
  });
  await pipeline(createReadStream(file), gzip, createWriteStream(tmp));
  const digest = `sha256:${hash.digest('hex')}`;
  await rename(tmp, path.join(dir, 'blobs', 'sha256', digest.slice(7)));
  return { digest, size };
}

/** A layer for a synthetic image: a tar in memory or a tar file on disk (gzipped on the way). */
export type TestLayer = Buffer | { file: string };

/** One image of a synthetic layout. */
export interface TestImage {
  layers: readonly TestLayer[];
  platform?: Platform;
  compression?: 'gzip' | 'zstd' | 'none';
}

/** Writes one image's blobs and manifest into a layout directory; returns the manifest descriptor. */
export async function writeTestImage(
  dir: string,
  image: TestImage,
): Promise<{
  digest: string;
  size: number;
  layerDigests: string[];
  manifest: Buffer;
  config: Buffer;
  blobs: Map<string, Buffer | string>;
}> {
  const compression = image.compression ?? 'gzip';
  const layers: { mediaType: string; digest: string; size: number }[] = [];
  const diffIds: string[] = [];
  const blobs = new Map<string, Buffer | string>();
  for (const layer of image.layers) {
    if (Buffer.isBuffer(layer)) {
      const blob =
        compression === 'gzip' ? gzipSync(layer) : compression === 'zstd' ? zstdStored(layer) : layer;
      const digest = await writeBlob(dir, blob);
      blobs.set(digest, blob);
      diffIds.push(sha256(layer));
      layers.push({
        mediaType:
          compression === 'none'
            ? 'application/vnd.oci.image.layer.v1.tar'
            : `application/vnd.oci.image.layer.v1.tar+${compression}`,
        digest,
        size: blob.length,
      });
    } else {
      const { digest, size } = await writeGzipBlobFromFile(dir, layer.file);
      blobs.set(digest, path.join(dir, 'blobs', 'sha256', digest.slice(7)));
      diffIds.push(digest);
      layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest, size });
    }
  }
  const platform = image.platform ?? { os: 'linux', architecture: 'amd64' };
  const config = Buffer.from(
    JSON.stringify({
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant !== undefined ? { variant: platform.variant } : {}),
      rootfs: { type: 'layers', diff_ids: diffIds },
      config: {},
    }),
  );
  const configDigest = await writeBlob(dir, config);
  blobs.set(configDigest, config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: configDigest,
        size: config.length,
      },
      layers,
    }),
  );
  const digest = await writeBlob(dir, manifest);
  return {
    digest,
    size: manifest.length,
    layerDigests: layers.map((l) => l.digest),
    manifest,
    config,
    blobs,
  };
}

/**
 * Writes an OCI image layout with one image, or with several images behind one index entry
 * (a multi-platform image) when more than one is given. Returns the digest index.json points at.
 */
export async function writeOciLayout(
  dir: string,
  images: readonly TestImage[],
  options: { tag?: string } = {},
): Promise<{ digest: string; images: Awaited<ReturnType<typeof writeTestImage>>[] }> {
  await mkdir(dir, { recursive: true });
  const written = [];
  for (const image of images) written.push(await writeTestImage(dir, image));
  const annotations =
    options.tag !== undefined ? { 'org.opencontainers.image.ref.name': options.tag } : undefined;
  let top: { mediaType: string; digest: string; size: number };
  if (written.length === 1 && written[0] !== undefined) {
    top = { mediaType: MEDIA_TYPES.ociManifest, digest: written[0].digest, size: written[0].size };
  } else {
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.ociIndex,
        manifests: written.map((w, i) => ({
          mediaType: MEDIA_TYPES.ociManifest,
          digest: w.digest,
          size: w.size,
          platform: images[i]?.platform ?? { os: 'linux', architecture: 'amd64' },
        })),
      }),
    );
    top = { mediaType: MEDIA_TYPES.ociIndex, digest: await writeBlob(dir, index), size: index.length };
  }
  await writeFile(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(
    path.join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociIndex,
      manifests: [{ ...top, ...(annotations !== undefined ? { annotations } : {}) }],
    }),
  );
  return { digest: top.digest, images: written };
}

/** Writes a `docker save` style archive (manifest.json, config, uncompressed layer tars). */
export async function writeDockerArchive(file: string, layers: readonly Buffer[]): Promise<void> {
  const diffIds = layers.map(sha256);
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: diffIds } }),
  );
  const configName = `${sha256(config).slice(7)}.json`;
  const entries: TestEntry[] = [{ name: configName, data: config }];
  layers.forEach((l, i) => entries.push({ name: `layer${i}/layer.tar`, data: l }));
  entries.push({
    name: 'manifest.json',
    data: JSON.stringify([
      {
        Config: configName,
        RepoTags: ['example/test:1'],
        Layers: layers.map((_, i) => `layer${i}/layer.tar`),
      },
    ]),
  });
  await writeFile(file, await buildTar(entries));
}

/** A readable of `size` zero bytes produced lazily (bomb tests never hold it in memory). */
export function zeros(size: number): Readable {
  let left = size;
  const chunk = Buffer.alloc(1024 * 1024);
  return new Readable({
    read() {
      if (left <= 0) {
        this.push(null);
        return;
      }
      const n = Math.min(left, chunk.length);
      left -= n;
      this.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    },
  });
}

/** Builds a zip (stored entries, no compression) for Java archive tests. */
export function buildZip(entries: readonly { name: string; data: string | Buffer }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const data = typeof e.data === 'string' ? Buffer.from(e.data) : e.data;
    const name = Buffer.from(e.name);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, data);
    centrals.push(central, name);
    offset += local.length + name.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/** In-memory image facts for tests: scans, signature verdicts and tags given up front; `seen` calls recorded. */
export function memoryImageFacts(
  init: {
    scans?: readonly import('./gate.js').ScanVerdict[];
    signatures?: readonly import('./gate.js').SignatureVerdict[];
    tags?: Readonly<Record<string, string>>;
  } = {},
): import('./gate.js').ImageFacts & { seenRefs: string[] } {
  const scans = new Map((init.scans ?? []).map((s) => [s.digest, s]));
  const sigs = new Map((init.signatures ?? []).map((s) => [`${s.digest} ${s.policy}`, s]));
  const seenRefs: string[] = [];
  return {
    seenRefs,
    scanOf: (d) => scans.get(d),
    signatureOf: (d, p) => sigs.get(`${d} ${p}`),
    digestOf: (r) => init.tags?.[r],
    seen: (r) => {
      seenRefs.push(r);
    },
  };
}

/** Options of {@link buildElf}: what to get wrong on purpose. */
export interface ElfOptions {
  is64?: boolean;
  le?: boolean;
  name?: string;
  /** Section type of the audit section (1 PROGBITS, 8 NOBITS). */
  type?: number;
  shstrndx?: number;
  /** Cut the file this many bytes before its end. */
  truncate?: number;
  /** Size written in the audit section's header instead of the real one. */
  declaredSize?: number;
}

/** A minimal ELF file (tests of the binary catalogers): header, the section's bytes, a name table, and the section table at the end. */
export function buildElf(data: Buffer, o: ElfOptions = {}): Buffer {
  const is64 = o.is64 ?? true;
  const le = o.le ?? true;
  const ehsize = is64 ? 64 : 52;
  const shentsize = is64 ? 64 : 40;
  const names = Buffer.from(`\0${o.name ?? '.dep-v0'}\0.shstrtab\0`, 'latin1');
  const dataAt = ehsize;
  const namesAt = dataAt + data.length;
  const shoff = Math.ceil((namesAt + names.length) / 8) * 8;
  const out = Buffer.alloc(shoff + 3 * shentsize);
  const u16 = (v: number, at: number) => (le ? out.writeUInt16LE(v, at) : out.writeUInt16BE(v, at));
  const u32 = (v: number, at: number) => (le ? out.writeUInt32LE(v, at) : out.writeUInt32BE(v, at));
  const word = (v: number, at: number) =>
    is64 ? (le ? out.writeBigUInt64LE(BigInt(v), at) : out.writeBigUInt64BE(BigInt(v), at)) : u32(v, at);
  out.write('\x7fELF', 0, 'latin1');
  out[4] = is64 ? 2 : 1;
  out[5] = le ? 1 : 2;
  out[6] = 1;
  u16(2, 16); // ET_EXEC
  u16(62, 18);
  word(shoff, is64 ? 0x28 : 0x20);
  u16(ehsize, is64 ? 0x34 : 0x28);
  u16(shentsize, is64 ? 0x3a : 0x2e);
  u16(3, is64 ? 0x3c : 0x30);
  u16(o.shstrndx ?? 2, is64 ? 0x3e : 0x32);
  data.copy(out, dataAt);
  names.copy(out, namesAt);
  const section = (i: number, name: number, type: number, offset: number, size: number) => {
    const at = shoff + i * shentsize;
    u32(name, at);
    u32(type, at + 4);
    word(offset, at + (is64 ? 24 : 16));
    word(size, at + (is64 ? 32 : 20));
  };
  section(1, 1, o.type ?? 1, dataAt, o.declaredSize ?? data.length);
  section(2, names.indexOf('.shstrtab'), 3, namesAt, names.length);
  return o.truncate !== undefined ? out.subarray(0, out.length - o.truncate) : out;
}
