import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { InputError } from '../core/index.js';
import { DigestCheck, normalizeEntryName } from './layers.js';
import { isDigest, parseImageConfig, parseManifest, selectFromIndex } from './manifest.js';
import type { ImageSource, LayerDescriptor, Platform } from './types.js';

/** Largest manifest, index or configuration document read into memory. */
const MAX_DOCUMENT_BYTES = 8 * 1024 * 1024;

/** Options shared by the local sources. */
export interface LocalSourceOptions {
  platform?: Platform;
  /** Directory under which scratch directories are made (default: the OS temp dir). */
  scratchRoot?: string;
}

async function readSmall(file: string, where: string): Promise<string> {
  let info;
  try {
    info = await stat(file);
  } catch {
    throw new InputError(`${where}: cannot read ${file}`);
  }
  if (info.size > MAX_DOCUMENT_BYTES)
    throw new InputError(`${where}: ${file} is larger than ${MAX_DOCUMENT_BYTES} bytes`);
  return readFile(file, 'utf8');
}

/** Reads a blob of a store by digest into a string after checking the digest. */
async function readDocument(
  open: (d: string) => Promise<Readable>,
  digest: string,
  where: string,
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of await open(digest)) {
    size += (chunk as Buffer).length;
    if (size > MAX_DOCUMENT_BYTES)
      throw new InputError(`${where}: ${digest} is larger than ${MAX_DOCUMENT_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Resolves an OCI layout's index to one image: by tag (`org.opencontainers.image.ref.name`)
 * when given, through nested indexes by platform, to the manifest's layers and configuration.
 */
async function resolveLayout(
  indexText: string,
  open: (digest: string) => Promise<Readable>,
  where: string,
  tag: string | undefined,
  platform: Platform | undefined,
): Promise<{ manifestDigest: string; layers: LayerDescriptor[]; configText: string }> {
  let parsed = parseManifest(indexText, `${where}: index.json`);
  if (parsed.kind !== 'index') throw new InputError(`${where}: index.json is not an image index`);
  let entries = parsed.manifests;
  if (tag !== undefined) {
    entries = entries.filter((e) => e.annotations?.['org.opencontainers.image.ref.name'] === tag);
    if (entries.length === 0) throw new InputError(`${where}: no image tagged ${JSON.stringify(tag)}`);
  }
  for (let depth = 0; depth < 4; depth++) {
    const chosen = selectFromIndex(entries, platform, where);
    const text = await readDocument(open, chosen.digest, where);
    parsed = parseManifest(text, `${where}: ${chosen.digest}`, chosen.mediaType);
    if (parsed.kind === 'image') {
      const configText = await readDocument(open, parsed.config.digest, where);
      return { manifestDigest: chosen.digest, layers: parsed.layers, configText };
    }
    entries = parsed.manifests;
  }
  throw new InputError(`${where}: indexes nested too deeply`);
}

/** Splits `DIR[:TAG]` where the directory itself exists; the tag part is optional. */
async function splitLayoutRef(ref: string): Promise<{ dir: string; tag?: string }> {
  try {
    await stat(path.join(ref, 'index.json'));
    return { dir: ref };
  } catch {
    const colon = ref.lastIndexOf(':');
    if (colon > 0) return { dir: ref.slice(0, colon), tag: ref.slice(colon + 1) };
    return { dir: ref };
  }
}

/** Opens an OCI image layout directory (`DIR` or `DIR:TAG`) as an image source. */
export async function openOciLayout(ref: string, options: LocalSourceOptions = {}): Promise<ImageSource> {
  const { dir, tag } = await splitLayoutRef(ref);
  const where = `oci layout ${dir}`;
  const layoutText = await readSmall(path.join(dir, 'oci-layout'), where).catch(() => {
    throw new InputError(
      `${where}: not an OCI image layout (no oci-layout file); use --archive for docker save output`,
    );
  });
  if (!layoutText.includes('imageLayoutVersion'))
    throw new InputError(`${where}: oci-layout file is not valid`);
  const open = (digest: string): Promise<Readable> => {
    if (!isDigest(digest)) return Promise.reject(new InputError(`${where}: invalid digest ${digest}`));
    const [alg, hex] = digest.split(':') as [string, string];
    const file = path.join(dir, 'blobs', alg, hex);
    return stat(file).then(
      () =>
        createReadStream(file).pipe(
          new DigestCheck(digest, (r) => new InputError(`${where}: blob ${digest}: ${r}`)),
        ),
      () => {
        throw new InputError(`${where}: blob ${digest} is missing`);
      },
    );
  };
  const indexText = await readSmall(path.join(dir, 'index.json'), where);
  const resolved = await resolveLayout(indexText, open, where, tag, options.platform);
  return {
    name: `oci:${ref}`,
    manifestDigest: resolved.manifestDigest,
    config: parseImageConfig(resolved.configText, where),
    layers: resolved.layers,
    openBlob: open,
    close: () => Promise.resolve(),
  };
}

/** Bounds on an archive's own shape (its layers are bounded again when they are read). */
const MAX_ARCHIVE_ENTRIES = 100_000;
/** Bytes an archive may copy into scratch space, and how much a gzip archive may expand. */
const MAX_ARCHIVE_BYTES = 64 * 1024 ** 3;
const MAX_ARCHIVE_RATIO = 200;
const ARCHIVE_RATIO_GRACE = 64 * 1024 ** 2;

/**
 * Opens a `docker save` / `podman save` archive (plain or gzip-compressed tar; Docker's
 * manifest.json or an OCI layout inside). Its regular files are copied once into a scratch
 * directory under content-derived names (entry names never become paths), so layers can be
 * streamed by digest; the scratch directory goes when the source is closed.
 */
export async function openDockerArchive(
  file: string,
  options: LocalSourceOptions = {},
): Promise<ImageSource> {
  const where = `archive ${file}`;
  try {
    await stat(file);
  } catch {
    throw new InputError(`${where}: cannot read the file`);
  }
  const scratch = await mkdtemp(path.join(options.scratchRoot ?? tmpdir(), 'palisade-archive-'));
  const cleanup = (): Promise<void> => rm(scratch, { recursive: true, force: true });
  try {
    const entries = new Map<string, { file: string; digest: string; size: number }>();
    const extract = tar.extract();
    let count = 0;
    let total = 0;
    let read = 0;
    const head = Buffer.alloc(2);
    const fd = await import('node:fs/promises').then((m) => m.open(file));
    await fd.read(head, 0, 2, 0);
    await fd.close();
    const gz = head[0] === 0x1f && head[1] === 0x8b;
    const input = createReadStream(file);
    input.on('data', (c) => {
      read += c.length;
    });
    const consume = (async () => {
      for await (const entry of extract) {
        const h = entry.header;
        if (++count > MAX_ARCHIVE_ENTRIES)
          throw new InputError(`${where}: more than ${MAX_ARCHIVE_ENTRIES} entries`);
        const norm = normalizeEntryName(h.name);
        if (!norm.ok) throw new InputError(`${where}: entry ${JSON.stringify(h.name)}: ${norm.reason}`);
        if (h.type !== 'file' && h.type !== 'contiguous-file') {
          entry.resume();
          continue;
        }
        const target = path.join(scratch, `entry-${count}`);
        const hash = createHash('sha256');
        let size = 0;
        const out = createWriteStream(target);
        for await (const chunk of entry as AsyncIterable<Buffer>) {
          hash.update(chunk);
          size += chunk.length;
          total += chunk.length;
          if (total > MAX_ARCHIVE_BYTES)
            throw new InputError(
              `${where}: entry ${JSON.stringify(h.name)}: archive expands beyond ${MAX_ARCHIVE_BYTES} bytes`,
            );
          if (gz && total > ARCHIVE_RATIO_GRACE && total > read * MAX_ARCHIVE_RATIO)
            throw new InputError(
              `${where}: entry ${JSON.stringify(h.name)}: decompresses more than ${MAX_ARCHIVE_RATIO} times its size (decompression bomb)`,
            );
          if (!out.write(chunk))
            await new Promise<void>((resolve) =>
              out.once('drain', () => {
                resolve();
              }),
            );
        }
        await new Promise<void>((resolve, reject) =>
          out.end((e?: Error | null) => {
            if (e) reject(e);
            else resolve();
          }),
        );
        entries.set(norm.path, { file: target, digest: `sha256:${hash.digest('hex')}`, size });
      }
    })();
    const abort = new AbortController();
    const consuming = consume.catch((e: unknown) => {
      abort.abort();
      throw e;
    });
    const piping = gz
      ? pipeline(input, createGunzip(), extract, { signal: abort.signal })
      : pipeline(input, extract, { signal: abort.signal });
    const results = await Promise.allSettled([consuming, piping]);
    for (const r of results)
      if (r.status === 'rejected')
        throw r.reason instanceof InputError
          ? r.reason
          : new InputError(`${where}: not a readable tar archive (${(r.reason as Error).message})`);

    const byDigest = new Map<string, { file: string; digest: string }>();
    for (const e of entries.values()) byDigest.set(e.digest, e);
    const open = (digest: string): Promise<Readable> => {
      const e = byDigest.get(digest);
      if (e === undefined) return Promise.reject(new InputError(`${where}: blob ${digest} is missing`));
      return Promise.resolve(createReadStream(e.file));
    };
    const text = async (name: string): Promise<string> => {
      const e = entries.get(name);
      if (e === undefined) throw new InputError(`${where}: ${name} is missing`);
      if (e.size > MAX_DOCUMENT_BYTES) throw new InputError(`${where}: ${name} is too large`);
      return readFile(e.file, 'utf8');
    };

    // An OCI layout inside the archive (podman's oci-archive, Docker 25+): blob names must
    // match their content, which the copy above hashed.
    if (entries.has('index.json') && entries.has('oci-layout')) {
      for (const [name, e] of entries) {
        const m = /^blobs\/(sha256)\/([a-f0-9]{64})$/.exec(name);
        if (m !== null && `${m[1]}:${m[2]}` !== e.digest)
          throw new InputError(`${where}: blob ${name} does not match its digest (got ${e.digest})`);
      }
      const resolved = await resolveLayout(
        await text('index.json'),
        open,
        where,
        undefined,
        options.platform,
      );
      return {
        name: `archive:${file}`,
        manifestDigest: resolved.manifestDigest,
        config: parseImageConfig(resolved.configText, where),
        layers: resolved.layers,
        openBlob: open,
        close: cleanup,
      };
    }
    // Docker's own format: manifest.json names the config and layer files by path.
    let manifest: unknown;
    try {
      manifest = JSON.parse(await text('manifest.json'));
    } catch (e) {
      if (e instanceof InputError)
        throw new InputError(`${where}: neither manifest.json nor an OCI layout inside`);
      throw new InputError(`${where}: manifest.json is not JSON`);
    }
    if (!Array.isArray(manifest) || manifest.length === 0)
      throw new InputError(`${where}: manifest.json lists no image`);
    if (manifest.length > 1)
      throw new InputError(`${where}: archive holds ${manifest.length} images; save one image per archive`);
    const m = manifest[0] as { Config?: unknown; Layers?: unknown };
    if (typeof m.Config !== 'string' || !Array.isArray(m.Layers))
      throw new InputError(`${where}: manifest.json entry without Config and Layers`);
    const layers: LayerDescriptor[] = m.Layers.map((l: unknown) => {
      const name = typeof l === 'string' ? normalizeEntryName(l) : undefined;
      const e = name?.ok === true ? entries.get(name.path) : undefined;
      if (e === undefined) throw new InputError(`${where}: layer ${JSON.stringify(l)} is missing`);
      return { digest: e.digest, mediaType: 'application/vnd.docker.image.rootfs.diff.tar', size: e.size };
    });
    const configName = normalizeEntryName(m.Config);
    const configText = await text(configName.ok ? configName.path : m.Config);
    return {
      name: `archive:${file}`,
      config: parseImageConfig(configText, where),
      layers,
      openBlob: open,
      close: cleanup,
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}
