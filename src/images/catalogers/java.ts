import yauzl from 'yauzl';
import type { CatalogPackage } from '../../vulndb/package.js';
import { purl } from './purl.js';

/** A Maven artifact named inside a Java archive. */
export interface JavaArtifact {
  groupId: string;
  artifactId: string;
  version: string;
  /** Where it was read: `pom.properties` path or `MANIFEST.MF`, prefixed with nested archives. */
  from: string;
}

/** Bounds on reading one archive and the archives nested in it. */
export interface JavaLimits {
  maxDepth: number;
  /** Largest entry inflated (a nested jar or a properties file). */
  maxEntryBytes: number;
  /** Entries looked at per archive. */
  maxEntries: number;
}

const DEFAULT_LIMITS: JavaLimits = { maxDepth: 3, maxEntryBytes: 64 * 1024 * 1024, maxEntries: 100_000 };

/** Whether a path is a Java archive. */
export function isJavaArchive(path: string): boolean {
  return (
    path.endsWith('.jar') ||
    path.endsWith('.war') ||
    path.endsWith('.ear') ||
    path.endsWith('.jpi') ||
    path.endsWith('.hpi')
  );
}

/** Parses a Java `.properties` file (key=value or key: value lines; comments skipped). */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const m = /^([^=:\s]+)\s*[=:](.*)$/.exec(line);
    if (m?.[1] !== undefined) out.set(m[1], (m[2] ?? '').trim());
  }
  return out;
}

/** Parses a JAR manifest's main section (continuation lines start with one space). */
export function parseManifestMf(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let last: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line === '') break;
    if (line.startsWith(' ') && last !== undefined) {
      out.set(last, `${out.get(last) ?? ''}${line.slice(1)}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    last = line.slice(0, colon).trim();
    out.set(last, line.slice(colon + 1).trim());
  }
  return out;
}

/** The artifact a manifest names, when it says its group (vendor id or bundle name) and version. */
export function artifactFromManifest(
  manifest: Map<string, string>,
  fileName: string,
  from: string,
): JavaArtifact | undefined {
  const version =
    manifest.get('Implementation-Version') ??
    manifest.get('Bundle-Version') ??
    manifest.get('Specification-Version');
  const base = fileName.replace(/\.[jwe]ar$/, '');
  const fromFile = /^(.+?)-(\d[\w.+-]*)$/.exec(base);
  const artifactId = fromFile?.[1] ?? manifest.get('Implementation-Title') ?? base;
  const symbolic = manifest.get('Bundle-SymbolicName')?.split(';')[0];
  let groupId = manifest.get('Implementation-Vendor-Id');
  if (groupId === undefined && symbolic !== undefined && symbolic.endsWith(`.${artifactId}`))
    groupId = symbolic.slice(0, -artifactId.length - 1);
  const v = version ?? fromFile?.[2];
  if (groupId === undefined || v === undefined || artifactId === '' || groupId === '') return undefined;
  return { groupId, artifactId, version: v, from };
}

async function inflate(
  zip: yauzl.ZipFile,
  entry: yauzl.Entry,
  limits: JavaLimits,
): Promise<Buffer | undefined> {
  if (entry.uncompressedSize > limits.maxEntryBytes) return undefined;
  const stream = await zip.openReadStreamPromise(entry);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limits.maxEntryBytes) {
      stream.destroy();
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * Lists the Maven artifacts inside a Java archive: every `META-INF/maven/**\/pom.properties`,
 * else the manifest's artifact, and the same for archives nested inside (Spring Boot's
 * BOOT-INF/lib, WEB-INF/lib) down to `maxDepth`. An unreadable archive gives no artifacts.
 */
export async function readJavaArchive(
  data: Buffer,
  fileName: string,
  prefix = '',
  limits: JavaLimits = DEFAULT_LIMITS,
  depth = 0,
): Promise<JavaArtifact[]> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.fromBufferPromise(data, {
      lazyEntries: true,
      validateEntrySizes: true,
      strictFileNames: false,
    });
  } catch {
    return [];
  }
  const found: JavaArtifact[] = [];
  let manifest: Map<string, string> | undefined;
  const nested: { name: string; data: Buffer }[] = [];
  try {
    let count = 0;
    await new Promise<void>((resolve, reject) => {
      zip.on('error', reject);
      zip.on('end', () => {
        resolve();
      });
      zip.on('entry', (entry: yauzl.Entry) => {
        if (++count > limits.maxEntries) {
          resolve();
          return;
        }
        const name = entry.fileName;
        const wanted =
          name === 'META-INF/MANIFEST.MF' ||
          (name.startsWith('META-INF/maven/') && name.endsWith('/pom.properties')) ||
          (depth < limits.maxDepth && isJavaArchive(name));
        if (!wanted) {
          zip.readEntry();
          return;
        }
        inflate(zip, entry, limits).then(
          (content) => {
            if (content !== undefined) {
              if (name === 'META-INF/MANIFEST.MF') manifest = parseManifestMf(content.toString('utf8'));
              else if (name.endsWith('/pom.properties')) {
                const p = parseProperties(content.toString('utf8'));
                const groupId = p.get('groupId');
                const artifactId = p.get('artifactId');
                const version = p.get('version');
                if (groupId && artifactId && version)
                  found.push({ groupId, artifactId, version, from: `${prefix}${name}` });
              } else nested.push({ name, data: content });
            }
            zip.readEntry();
          },
          (e: unknown) => {
            reject(e instanceof Error ? e : new Error(String(e)));
          },
        );
      });
      zip.readEntry();
    });
  } catch {
    // A corrupt entry ends this archive's listing; what was read so far stands.
  } finally {
    zip.close();
  }
  if (found.length === 0 && manifest !== undefined) {
    const a = artifactFromManifest(
      manifest,
      fileName.slice(fileName.lastIndexOf('/') + 1),
      `${prefix}META-INF/MANIFEST.MF`,
    );
    if (a !== undefined) found.push(a);
  }
  for (const n of nested)
    found.push(...(await readJavaArchive(n.data, n.name, `${prefix}${n.name}!/`, limits, depth + 1)));
  return found;
}

/** Maven packages of the archives given (path, layer, content). */
export async function javaPackages(
  files: readonly { path: string; layerDigest: string; data: Buffer }[],
): Promise<CatalogPackage[]> {
  const out: CatalogPackage[] = [];
  for (const f of files) {
    const seen = new Set<string>();
    for (const a of await readJavaArchive(f.data, f.path)) {
      const key = `${a.groupId}:${a.artifactId}@${a.version}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const nestedPath = a.from.includes('!/') ? a.from.slice(0, a.from.lastIndexOf('!/')) : '';
      out.push({
        name: `${a.groupId}:${a.artifactId}`,
        version: a.version,
        purl: purl('maven', a.groupId, a.artifactId, a.version),
        ecosystem: 'Maven',
        location: {
          layerDigest: f.layerDigest,
          path: nestedPath === '' ? `/${f.path}` : `/${f.path}!/${nestedPath}`,
        },
      });
    }
  }
  return out;
}
