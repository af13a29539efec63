import type { CatalogPackage } from '../../vulndb/package.js';
import type { ContentScanner } from '../layers.js';
import { purl } from './purl.js';

/** What a Go binary's embedded build information says. */
export interface GoBuildInfo {
  /** Toolchain version (`go1.22.3`). */
  goVersion: string;
  /** Main package path (`path` line). */
  path?: string;
  /** The main module and its version (`(devel)` for a local build). */
  main?: { path: string; version: string };
  /** Dependencies as built (replacements applied). */
  deps: { path: string; version: string }[];
}

/** `\xff Go buildinf:` — the 14-byte magic opening the build info blob (Go 1.18+ inline format). */
export const GO_BUILDINFO_MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
const HEADER_SIZE = 32;
const FLAG_INLINE_STRINGS = 0x2;

function readUvarint(buf: Buffer, at: number): { value: number; next: number } | undefined {
  let value = 0;
  let shift = 0;
  for (let i = at; i < buf.length && i < at + 10; i++) {
    const b = buf[i] ?? 0;
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return { value, next: i + 1 };
    shift += 7;
  }
  return undefined;
}

/** Parses the `modinfo` text (`path`, `mod`, `dep`, `=>` lines, tab-separated). */
export function parseGoModInfo(text: string): Pick<GoBuildInfo, 'path' | 'main' | 'deps'> {
  const out: Pick<GoBuildInfo, 'path' | 'main' | 'deps'> = { deps: [] };
  let last: { path: string; version: string } | undefined;
  for (const line of text.split('\n')) {
    const f = line.split('\t');
    switch (f[0]) {
      case 'path':
        if (f[1] !== undefined) out.path = f[1];
        break;
      case 'mod':
        if (f[1] !== undefined) out.main = { path: f[1], version: f[2] ?? '(devel)' };
        break;
      case 'dep':
        if (f[1] !== undefined && f[2] !== undefined) {
          last = { path: f[1], version: f[2] };
          out.deps.push(last);
        }
        break;
      case '=>':
        // A replacement applies to the dep just before it: what was built is the replacement.
        if (last !== undefined && f[1] !== undefined && f[2] !== undefined) {
          last.path = f[1];
          last.version = f[2];
        }
        break;
      default:
        break;
    }
  }
  return out;
}

/**
 * Parses the build info blob starting at the magic (Go 1.18+: 32-byte header, then the
 * toolchain version and modinfo as length-prefixed strings). Undefined for the older
 * pointer-based format or anything that does not hold together (e.g. the magic string
 * appearing as a constant in a program that reads build info).
 */
export function parseGoBuildInfo(blob: Buffer): GoBuildInfo | undefined {
  if (blob.length < HEADER_SIZE || !blob.subarray(0, 14).equals(GO_BUILDINFO_MAGIC)) return undefined;
  const ptrSize = blob[14];
  const flags = blob[15] ?? 0;
  if ((ptrSize !== 4 && ptrSize !== 8) || (flags & FLAG_INLINE_STRINGS) === 0) return undefined;
  const v = readUvarint(blob, HEADER_SIZE);
  if (v === undefined || v.value > 256 || v.next + v.value > blob.length) return undefined;
  const goVersion = blob.subarray(v.next, v.next + v.value).toString('utf8');
  if (!goVersion.startsWith('go')) return undefined;
  const m = readUvarint(blob, v.next + v.value);
  if (m === undefined || m.next + m.value > blob.length) return undefined;
  let modinfo = blob.subarray(m.next, m.next + m.value).toString('latin1');
  // modinfo is framed by 16 sentinel bytes on each side.
  if (modinfo.length >= 33 && modinfo[modinfo.length - 17] === '\n') modinfo = modinfo.slice(16, -16);
  const parsed = parseGoModInfo(Buffer.from(modinfo, 'latin1').toString('utf8'));
  return { goVersion, ...parsed };
}

/** Most bytes kept from the magic on (header, version, modinfo of a big program). */
const MAX_BLOB = 1024 * 1024;
/** Executables larger than this are not searched. */
const MAX_BINARY = 1024 * 1024 * 1024;

/**
 * Finds Go build info in executables as layers stream past, without keeping the binaries:
 * only ELF files with an executable bit are searched, and only from the magic on is kept.
 */
export class GoBinaryScanner implements ContentScanner {
  readonly found = new Map<string, { layerDigest: string; info: GoBuildInfo }>();
  private state = new Map<
    string,
    { first: boolean; tail: Buffer; blob: Buffer[] | undefined; size: number }
  >();

  wants(_path: string, size: number, mode: number): boolean {
    return (mode & 0o111) !== 0 && size > 64 && size <= MAX_BINARY;
  }

  chunk(path: string, layerDigest: string, data: Buffer): boolean {
    let s = this.state.get(path);
    if (s === undefined) {
      s = { first: true, tail: Buffer.alloc(0), blob: undefined, size: 0 };
      this.state.set(path, s);
    }
    if (s.first) {
      s.first = false;
      if (data.length < 4 || data[0] !== 0x7f || data.toString('latin1', 1, 4) !== 'ELF') {
        this.state.delete(path);
        return false;
      }
    }
    if (s.blob !== undefined) {
      s.blob.push(data);
      s.size += data.length;
      return this.tryParse(path, layerDigest, s);
    }
    let window = s.tail.length > 0 ? Buffer.concat([s.tail, data]) : data;
    for (;;) {
      const at = window.indexOf(GO_BUILDINFO_MAGIC);
      if (at === -1) break;
      s.blob = [window.subarray(at)];
      s.size = window.length - at;
      if (!this.tryParse(path, layerDigest, s)) return false;
      if (s.blob === undefined) {
        // Not build info after all (the magic as a string constant): search on after it.
        window = window.subarray(at + 1);
        continue;
      }
      return true;
    }
    s.tail = Buffer.from(window.subarray(Math.max(0, window.length - GO_BUILDINFO_MAGIC.length + 1)));
    return true;
  }

  /** Returns false when this file needs no more chunks. */
  private tryParse(
    path: string,
    layerDigest: string,
    s: { blob: Buffer[] | undefined; size: number },
  ): boolean {
    if (s.blob === undefined) return true;
    const blob = Buffer.concat(s.blob);
    s.blob = [blob];
    const info = parseGoBuildInfo(blob);
    if (info !== undefined) {
      this.found.set(path, { layerDigest, info });
      this.state.delete(path);
      return false;
    }
    // Too short to tell yet: wait for more, up to the cap.
    if (blob.length < MAX_BLOB && looksIncomplete(blob)) return true;
    s.blob = undefined;
    return true;
  }

  end(path: string, layerDigest: string): void {
    const s = this.state.get(path);
    if (s?.blob !== undefined) {
      const info = parseGoBuildInfo(Buffer.concat(s.blob));
      if (info !== undefined) this.found.set(path, { layerDigest, info });
    }
    this.state.delete(path);
  }

  forget(path: string): void {
    this.found.delete(path);
    this.state.delete(path);
  }
}

/** Whether a candidate blob might parse once more bytes arrive. */
function looksIncomplete(blob: Buffer): boolean {
  if (blob.length < HEADER_SIZE + 2) return true;
  const ptrSize = blob[14];
  const flags = blob[15] ?? 0;
  if ((ptrSize !== 4 && ptrSize !== 8) || (flags & FLAG_INLINE_STRINGS) === 0) return false;
  const v = readUvarint(blob, HEADER_SIZE);
  if (v === undefined) return true;
  if (v.value > 256) return false;
  const m = readUvarint(blob, v.next + v.value);
  return m === undefined || m.next + m.value > blob.length;
}

function goPurl(modulePath: string, version: string): string {
  const slash = modulePath.lastIndexOf('/');
  return slash === -1
    ? purl('golang', undefined, modulePath, version)
    : purl('golang', modulePath.slice(0, slash), modulePath.slice(slash + 1), version);
}

/** Packages of the Go binaries found: the toolchain's standard library, the main module, deps. */
export function goPackages(found: GoBinaryScanner['found']): CatalogPackage[] {
  const out: CatalogPackage[] = [];
  const paths = [...found.keys()].sort();
  for (const path of paths) {
    const entry = found.get(path);
    if (entry === undefined) continue;
    const location = { layerDigest: entry.layerDigest, path: `/${path}` };
    const { info } = entry;
    const std = `v${info.goVersion.replace(/^go/, '').split(/\s/)[0] ?? ''}`;
    out.push({ name: 'stdlib', version: std, purl: goPurl('stdlib', std), ecosystem: 'Go', location });
    if (info.main !== undefined && info.main.version !== '(devel)' && info.main.version !== '')
      out.push({
        name: info.main.path,
        version: info.main.version,
        purl: goPurl(info.main.path, info.main.version),
        ecosystem: 'Go',
        location,
      });
    for (const d of info.deps)
      out.push({
        name: d.path,
        version: d.version,
        purl: goPurl(d.path, d.version),
        ecosystem: 'Go',
        location,
      });
  }
  return out;
}
