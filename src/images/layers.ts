import { createHash } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';
import tar from 'tar-stream';
import { LayerError } from './types.js';

/** Bounds on what one image's layers may make a scan do. Each is an input error when crossed. */
export interface LayerLimits {
  /** Decompressed bytes of one layer. */
  maxLayerBytes: number;
  /** Decompressed bytes over compressed bytes, checked once `ratioGraceBytes` are out. */
  maxRatio: number;
  ratioGraceBytes: number;
  /** Tar entries in one layer, and over all layers of an image. */
  maxEntriesPerLayer: number;
  maxEntriesTotal: number;
  /** A wanted file larger than this is not collected (noted, not an error). */
  maxFileBytes: number;
  /** Bytes of collected file content held for the catalogers, over the whole image. */
  maxCollectedBytes: number;
  /** Largest zstd window a frame may ask for (the decoder allocates it). */
  maxZstdWindowBytes: number;
}

/** Defaults sized for real images of several GiB with room to spare, and far below a bomb's. */
export const DEFAULT_LAYER_LIMITS: LayerLimits = {
  maxLayerBytes: 16 * 1024 ** 3,
  maxRatio: 200,
  ratioGraceBytes: 64 * 1024 ** 2,
  maxEntriesPerLayer: 1_000_000,
  maxEntriesTotal: 4_000_000,
  maxFileBytes: 64 * 1024 ** 2,
  maxCollectedBytes: 1024 ** 3,
  maxZstdWindowBytes: 128 * 1024 ** 2,
};

/** A file, link or directory of the final file view of an image (after whiteouts). */
export interface ImageFile {
  /** Path relative to the image root, without a leading slash (`etc/os-release`). */
  path: string;
  kind: 'file' | 'symlink' | 'hardlink' | 'dir';
  /** Digest of the layer that last wrote this path. */
  layerDigest: string;
  size: number;
  mode: number;
  /** Content, for files a cataloger asked for (and within the size cap). */
  data?: Buffer;
  /** Symlink target as written, or the hard link's source path (normalised). */
  linkTarget?: string;
}

/** A streaming look at a file's content that does not keep the file (e.g. Go build info). */
export interface ContentScanner {
  /** Whether this scanner wants to see a regular file's content. */
  wants(path: string, size: number, mode: number): boolean;
  /** Called per chunk; return false to stop receiving this file's chunks. */
  chunk(path: string, layerDigest: string, data: Buffer): boolean;
  /** Called once the file ended (or the scanner stopped). */
  end(path: string, layerDigest: string): void;
  /** Forgets what was found at a path a later layer removed or replaced. */
  forget(path: string): void;
}

/** What a scan of the layers collects: the predicate of wanted files and streaming scanners. */
export interface CollectOptions {
  /** Whether a regular file's content is kept for the catalogers. */
  wants(path: string): boolean;
  scanners?: readonly ContentScanner[];
  limits?: Partial<LayerLimits>;
  /** Called after each layer (progress). */
  onLayer?: (index: number, digest: string, bytes: number) => void;
}

/** The file view of an image, with what could not be collected. */
export interface FileView {
  files: Map<string, ImageFile>;
  /** Paths that were wanted but exceeded a size cap (with the layer). */
  skipped: { path: string; layerDigest: string; reason: string }[];
}

/**
 * Normalises a tar entry name to a root-relative path. Absolute names and `..` components are
 * refused: a layer that would write outside its root is an input error, not a quirk.
 */
export function normalizeEntryName(name: string): { ok: true; path: string } | { ok: false; reason: string } {
  if (name.startsWith('/')) return { ok: false, reason: 'absolute path' };
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') return { ok: false, reason: 'path traversal ("..")' };
    parts.push(part);
  }
  return { ok: true, path: parts.join('/') };
}

/**
 * Resolves a symlink's target lexically from the directory holding the link. Absolute targets are
 * taken from the image root (as a container sees them). Undefined when a relative target climbs
 * above the root: extracted naively, such a link would point outside the tree.
 */
export function resolveLinkTarget(linkPath: string, target: string): string | undefined {
  const parts = target.startsWith('/') ? [] : linkPath.split('/').slice(0, -1);
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) {
        if (target.startsWith('/')) continue;
        return undefined;
      }
      parts.pop();
    } else parts.push(part);
  }
  return parts.join('/');
}

/** Whether `path` is `dir` itself or inside it. */
function within(path: string, dir: string): boolean {
  return dir === '' || path === dir || path.startsWith(`${dir}/`);
}

function removeUnder(files: Map<string, ImageFile>, dir: string, scanners: readonly ContentScanner[]): void {
  for (const key of files.keys()) {
    if (within(key, dir)) {
      files.delete(key);
      for (const s of scanners) s.forget(key);
    }
  }
}

/** Counts bytes through a stream and enforces the decompression limits. */
class Meter extends Transform {
  bytes = 0;
  constructor(private readonly onBytes: (n: number) => void) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    try {
      this.onBytes(this.bytes);
    } catch (e) {
      done(e as Error);
      return;
    }
    done(null, chunk);
  }
}

/** Reads the first bytes of a stream to pick the decompressor (gzip, zstd or none). */
function sniffCompression(head: Buffer): 'gzip' | 'zstd' | 'none' {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}

/**
 * The window a zstd frame header asks for (RFC 8878 §3.1.1.1), or undefined when the header is
 * not complete yet. fzstd allocates the window up front, so it is checked before decoding.
 */
export function zstdWindowSize(head: Buffer): number | undefined {
  if (head.length < 6) return undefined;
  const fhd = head[4] ?? 0;
  const singleSegment = (fhd & 0x20) !== 0;
  const fcsFlag = fhd >> 6;
  if (!singleSegment) {
    const wd = head[5] ?? 0;
    const exponent = wd >> 3;
    const mantissa = wd & 7;
    const base = 2 ** (10 + exponent);
    return base + (base / 8) * mantissa;
  }
  const dictIdFlag = fhd & 3;
  const dictBytes = [0, 1, 2, 4][dictIdFlag] ?? 0;
  const fcsBytes = [1, 2, 4, 8][fcsFlag] ?? 1;
  const at = 5 + dictBytes;
  if (head.length < at + fcsBytes) return undefined;
  switch (fcsBytes) {
    case 1:
      return head[at] ?? 0;
    case 2:
      return head.readUInt16LE(at) + 256;
    case 4:
      return head.readUInt32LE(at);
    default:
      return Number(head.readBigUInt64LE(at));
  }
}

/** A Transform around fzstd's streaming decoder that refuses frames asking for a huge window. */
class ZstdDecoder extends Transform {
  private readonly decoder: Decompress;
  private head: Buffer | undefined = Buffer.alloc(0);
  constructor(
    private readonly maxWindow: number,
    private readonly fail: (reason: string) => Error,
  ) {
    super();
    this.decoder = new Decompress((data) => {
      this.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    });
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      if (this.head !== undefined) {
        this.head = Buffer.concat([this.head, chunk]);
        const window = zstdWindowSize(this.head);
        if (window === undefined && this.head.length < 18) {
          done();
          return;
        }
        if (window === undefined || window > this.maxWindow)
          throw this.fail(`zstd frame asks for a ${window ?? '?'}-byte window (limit ${this.maxWindow})`);
        chunk = this.head;
        this.head = undefined;
      }
      this.decoder.push(chunk);
      done();
    } catch (e) {
      done(e instanceof Error && e.name === 'InputError' ? e : this.fail(`zstd: ${(e as Error).message}`));
    }
  }
  override _flush(done: TransformCallback): void {
    try {
      if (this.head !== undefined && this.head.length > 0) this.decoder.push(this.head);
      this.decoder.push(new Uint8Array(0), true);
      done();
    } catch (e) {
      done(this.fail(`zstd: ${(e as Error).message}`));
    }
  }
}

/** Verifies a blob's sha256 as it streams; fails the stream at its end on a mismatch. */
export class DigestCheck extends Transform {
  private readonly hash;
  constructor(
    private readonly digest: string,
    private readonly fail: (reason: string) => Error,
  ) {
    super();
    const [algorithm] = digest.split(':');
    this.hash = createHash(algorithm === 'sha512' ? 'sha512' : 'sha256');
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    done(null, chunk);
  }
  override _flush(done: TransformCallback): void {
    const actual = `${this.digest.split(':')[0] ?? 'sha256'}:${this.hash.digest('hex')}`;
    done(actual === this.digest ? null : this.fail(`content does not match its digest (got ${actual})`));
  }
}

/** Peeks the first bytes, then passes everything on; used to choose the decompressor. */
async function peek(stream: Readable, n: number): Promise<{ head: Buffer; rest: Readable }> {
  const chunks: Buffer[] = [];
  let size = 0;
  const it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  while (size < n) {
    const next = await it.next();
    if (next.done === true) break;
    chunks.push(next.value);
    size += next.value.length;
  }
  const head = Buffer.concat(chunks);
  async function* rest(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    for (;;) {
      const next = await it.next();
      if (next.done === true) return;
      yield next.value;
    }
  }
  return { head, rest: Readable.from(rest(), { objectMode: false }) };
}

interface LayerState {
  files: Map<string, ImageFile>;
  skipped: FileView['skipped'];
  entriesTotal: number;
  collectedBytes: number;
}

/**
 * Streams one layer blob (gzip, zstd or plain tar) and applies it to the file view: whiteouts
 * and opaque directories remove what earlier layers wrote, wanted files are kept in memory
 * (within the caps), everything else is read and dropped. Nothing is written to disk.
 */
async function applyLayer(
  blob: Readable,
  digest: string,
  state: LayerState,
  options: CollectOptions,
  limits: LayerLimits,
): Promise<number> {
  const fail = (entry: string | undefined, reason: string): LayerError =>
    new LayerError(digest, entry, reason);
  const scanners = options.scanners ?? [];
  const { head, rest } = await peek(blob, 18);
  const compression = sniffCompression(head);
  const compressed = new Meter(() => undefined);
  let current: string | undefined;
  // Limits are enforced where entries are read, so the error names the entry being expanded;
  // the stages before it only run ahead by their stream buffers. The meter after the
  // decompressor is a backstop with headroom for tar headers and padding.
  let consumed = 0;
  const account = (n: number): void => {
    consumed += n;
    if (consumed > limits.maxLayerBytes)
      throw fail(current, `decompressed layer exceeds ${limits.maxLayerBytes} bytes (decompression bomb)`);
    if (
      compression !== 'none' &&
      consumed > limits.ratioGraceBytes &&
      consumed > compressed.bytes * limits.maxRatio
    )
      throw fail(
        current,
        `decompresses more than ${limits.maxRatio} times its compressed size (decompression bomb)`,
      );
  };
  const out = new Meter((bytes) => {
    if (bytes > limits.maxLayerBytes + 16 * 1024 * 1024)
      throw fail(current, `decompressed layer exceeds ${limits.maxLayerBytes} bytes (decompression bomb)`);
  });
  const extract = tar.extract();
  // This layer's own entries, whiteouts and opaque directories; applied to the view at the end,
  // since whiteouts only hide what earlier layers wrote.
  const added = new Map<string, ImageFile>();
  const whiteouts: string[] = [];
  const opaque: string[] = [];
  const replaced = new Set<string>();
  let entries = 0;

  const consume = (async () => {
    for await (const entry of extract) {
      const header = entry.header;
      current = header.name;
      entries++;
      state.entriesTotal++;
      if (entries > limits.maxEntriesPerLayer)
        throw fail(header.name, `layer has more than ${limits.maxEntriesPerLayer} entries (file-count bomb)`);
      if (state.entriesTotal > limits.maxEntriesTotal)
        throw fail(header.name, `image has more than ${limits.maxEntriesTotal} entries (file-count bomb)`);
      account(512);
      const norm = normalizeEntryName(header.name);
      if (!norm.ok) throw fail(header.name, norm.reason);
      const path = norm.path;
      const base = path.slice(path.lastIndexOf('/') + 1);
      const dir = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
      const size = header.size ?? 0;
      const mode = header.mode ?? 0;
      if (base === '.wh..wh..opq') {
        opaque.push(dir);
        await drain(entry, account);
        continue;
      }
      if (base.startsWith('.wh.')) {
        whiteouts.push(dir === '' ? base.slice(4) : `${dir}/${base.slice(4)}`);
        await drain(entry, account);
        continue;
      }
      if (path === '') {
        await drain(entry, account);
        continue;
      }
      replaced.add(path);
      switch (header.type) {
        case 'symlink': {
          const target = header.linkname ?? '';
          if (resolveLinkTarget(path, target) === undefined)
            throw fail(header.name, `symlink to ${JSON.stringify(target)} escapes the image root`);
          added.set(path, { path, kind: 'symlink', layerDigest: digest, size: 0, mode, linkTarget: target });
          await drain(entry, account);
          break;
        }
        case 'link': {
          const target = normalizeEntryName(header.linkname ?? '');
          if (!target.ok || target.path === '')
            throw fail(header.name, `hard link to ${JSON.stringify(header.linkname ?? '')} leaves the tree`);
          const source = added.get(target.path) ?? state.files.get(target.path);
          const copy: ImageFile = {
            path,
            kind: 'hardlink',
            layerDigest: digest,
            size,
            mode,
            linkTarget: target.path,
          };
          if (source?.data !== undefined && options.wants(path)) copy.data = source.data;
          added.set(path, copy);
          await drain(entry, account);
          break;
        }
        case 'directory':
          added.set(path, { path, kind: 'dir', layerDigest: digest, size: 0, mode });
          await drain(entry, account);
          break;
        case 'file':
        case 'contiguous-file': {
          const wanted = options.wants(path);
          // New content at this path replaces whatever a scanner found there before.
          for (const s of scanners) s.forget(path);
          const active = scanners.filter((s) => s.wants(path, size, mode));
          if (wanted && size > limits.maxFileBytes) {
            state.skipped.push({
              path,
              layerDigest: digest,
              reason: `larger than ${limits.maxFileBytes} bytes`,
            });
          }
          const keep =
            wanted && size <= limits.maxFileBytes && state.collectedBytes + size <= limits.maxCollectedBytes;
          if (wanted && size <= limits.maxFileBytes && !keep)
            state.skipped.push({ path, layerDigest: digest, reason: 'collected-content budget exhausted' });
          const chunks: Buffer[] = [];
          let listening = active;
          for await (const chunk of entry as AsyncIterable<Buffer>) {
            account(chunk.length);
            if (keep) chunks.push(chunk);
            if (listening.length > 0) listening = listening.filter((s) => s.chunk(path, digest, chunk));
          }
          for (const s of active) s.end(path, digest);
          const file: ImageFile = { path, kind: 'file', layerDigest: digest, size, mode };
          if (keep) {
            file.data = Buffer.concat(chunks);
            state.collectedBytes += size;
          }
          if (keep || active.length > 0) added.set(path, file);
          break;
        }
        default:
          await drain(entry, account);
      }
    }
  })();

  const stages: (NodeJS.ReadableStream | NodeJS.WritableStream | Transform)[] = [rest, compressed];
  if (compression === 'gzip') stages.push(createGunzip());
  else if (compression === 'zstd')
    stages.push(new ZstdDecoder(limits.maxZstdWindowBytes, (reason) => fail(undefined, reason)));
  stages.push(out, extract);
  // A failing consumer stops the pipeline (it would otherwise wait on back-pressure forever).
  const abort = new AbortController();
  const consuming = consume.catch((e: unknown) => {
    abort.abort();
    throw e;
  });
  const piping = pipeline(stages as unknown as [Readable, Transform], { signal: abort.signal });
  const results = await Promise.allSettled([consuming, piping]);
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  if (failures.length > 0) {
    extract.destroy();
    const layerError = failures.find((e) => e instanceof LayerError);
    throw layerError ?? fail(current, describe(failures[0]));
  }

  for (const path of opaque) removeUnder(state.files, path, scanners);
  for (const path of whiteouts) removeUnder(state.files, path, scanners);
  for (const path of replaced) {
    const prior = state.files.get(path);
    if (prior !== undefined) {
      state.files.delete(path);
      if (!added.has(path) || added.get(path)?.kind !== 'file') for (const s of scanners) s.forget(path);
    }
  }
  for (const [path, file] of added) state.files.set(path, file);
  return out.bytes;
}

/** Reads an entry's data to its end, counting it against the limits. */
async function drain(entry: AsyncIterable<unknown>, account: (n: number) => void): Promise<void> {
  for await (const chunk of entry) account((chunk as Buffer).length);
}

function describe(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'Z_DATA_ERROR' || code === 'Z_BUF_ERROR'
      ? `corrupt gzip stream (${e.message})`
      : e.message;
  }
  return String(e);
}

/** Opens a layer blob by digest. */
export type OpenBlob = (digest: string) => Promise<Readable>;

/**
 * Streams every layer in order into one file view. The first unsafe or broken layer stops this
 * image with a LayerError naming the layer and the entry; other images are not affected.
 */
export async function collectImageFiles(
  layers: readonly { digest: string }[],
  openBlob: OpenBlob,
  options: CollectOptions,
): Promise<FileView> {
  const limits = { ...DEFAULT_LAYER_LIMITS, ...options.limits };
  const state: LayerState = { files: new Map(), skipped: [], entriesTotal: 0, collectedBytes: 0 };
  let index = 0;
  for (const layer of layers) {
    const blob = await openBlob(layer.digest);
    const bytes = await applyLayer(blob, layer.digest, state, options, limits);
    options.onLayer?.(index++, layer.digest, bytes);
  }
  return { files: state.files, skipped: state.skipped };
}

/**
 * Looks a path up in the view, following symlinks (at most 40, as Linux does) through any
 * directory component. Returns the file with content, or undefined.
 */
export function lookupFile(view: FileView, path: string): ImageFile | undefined {
  let current = path.replace(/^\/+/, '');
  for (let hops = 0; hops < 40; hops++) {
    const file = view.files.get(current);
    if (file !== undefined) {
      if (file.kind !== 'symlink') return file;
      const next = resolveLinkTarget(current, file.linkTarget ?? '');
      if (next === undefined) return undefined;
      current = next;
      continue;
    }
    // A directory component may be a symlink (e.g. /lib -> usr/lib).
    const parts = current.split('/');
    let resolved: string | undefined;
    for (let i = parts.length - 1; i > 0; i--) {
      const prefix = parts.slice(0, i).join('/');
      const link = view.files.get(prefix);
      if (link?.kind === 'symlink') {
        const target = resolveLinkTarget(prefix, link.linkTarget ?? '');
        if (target === undefined) return undefined;
        resolved = [target, ...parts.slice(i)].filter((p) => p !== '').join('/');
        break;
      }
    }
    if (resolved === undefined) return undefined;
    current = resolved;
  }
  return undefined;
}
