/**
 * Rust binaries built with `cargo auditable`: the dependency list the tool embeds in a linker
 * section named `.dep-v0` (ELF and PE; `__DATA,.dep-v0` in Mach-O), zlib-compressed JSON
 * `{"packages":[{"name","version","source","kind","dependencies","root"}]}`.
 *
 * The section is found from the binary's own headers, read by hand: the formats are small and
 * fixed, and every offset read is checked against the file size before it is used, so a
 * malformed binary is an error with a reason, never a crash or a read past the end. Layers
 * stream past once, and the section table of an ELF file usually sits at its end, after the
 * section it names: the scanner therefore keeps an executable's chunks (no copy) until it ends,
 * up to {@link MAX_RUST_BINARY} bytes, and only one file streams at a time.
 */
import { inflateSync } from 'node:zlib';
import type { CatalogPackage } from '../../vulndb/package.js';
import type { ContentScanner } from '../layers.js';
import { purl } from './purl.js';

/** The section cargo auditable writes. */
export const DEP_SECTION = '.dep-v0';
/** Executables larger than this are not searched (their chunks are not kept). */
export const MAX_RUST_BINARY = 256 * 1024 * 1024;
/** Largest compressed section accepted. */
const MAX_SECTION = 4 * 1024 * 1024;
/** Largest decompressed JSON accepted (a decompression bomb stops here). */
const MAX_JSON = 16 * 1024 * 1024;
/** Most packages accepted from one binary. */
const MAX_PACKAGES = 20_000;
/** Most section headers / load commands walked. */
const MAX_SECTIONS = 65_535;

/** Reads `length` bytes at `offset`; undefined when the range leaves the file. */
export type ReadAt = (offset: number, length: number) => Buffer | undefined;

/** A package as the audit data lists it. */
export interface AuditPackage {
  name: string;
  version: string;
  /** `crates.io`, `git`, `local`, `registry`, `builtin`, … */
  source: string;
  /** `runtime` (default) or `build` (a build dependency: not linked into the binary). */
  kind: 'runtime' | 'build';
  dependencies: number[];
  root: boolean;
}

/** The outcome of reading one binary: packages, nothing (no audit data), or a reason it could not be read. */
export type AuditResult =
  { ok: true; packages: AuditPackage[] } | { ok: true; packages: undefined } | { ok: false; error: string };

/** A buffer view over a list of chunks, read by offset without joining them. */
export function chunkReader(chunks: readonly Buffer[]): { size: number; read: ReadAt } {
  const starts: number[] = [];
  let size = 0;
  for (const c of chunks) {
    starts.push(size);
    size += c.length;
  }
  const read: ReadAt = (offset, length) => {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0)
      return undefined;
    if (offset + length > size) return undefined;
    const out = Buffer.allocUnsafe(length);
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    let copied = 0;
    for (let i = lo; copied < length && i < chunks.length; i++) {
      const c = chunks[i] as Buffer;
      const from = i === lo ? offset - (starts[i] ?? 0) : 0;
      copied += c.copy(out, copied, from, Math.min(c.length, from + length - copied));
    }
    return out;
  };
  return { size, read };
}

class Malformed extends Error {}

function need(b: Buffer | undefined, what: string): Buffer {
  if (b === undefined) throw new Malformed(`${what} lies beyond the end of the file`);
  return b;
}

function cString(b: Buffer, at: number): string {
  const end = b.indexOf(0, at);
  return b.toString('latin1', at, end === -1 ? b.length : end);
}

/** Where the `.dep-v0` section's bytes are in an ELF file, or undefined when it has none. */
function elfSection(read: ReadAt, size: number): { offset: number; size: number } | undefined {
  const ident = need(read(0, 64), 'the ELF header');
  const is64 = ident[4] === 2;
  if (ident[4] !== 1 && ident[4] !== 2) throw new Malformed(`unknown ELF class ${ident[4] ?? 0}`);
  const le = ident[5] === 1;
  if (ident[5] !== 1 && ident[5] !== 2) throw new Malformed(`unknown ELF byte order ${ident[5] ?? 0}`);
  const u16 = (b: Buffer, at: number): number => (le ? b.readUInt16LE(at) : b.readUInt16BE(at));
  const u32 = (b: Buffer, at: number): number => (le ? b.readUInt32LE(at) : b.readUInt32BE(at));
  const word = (b: Buffer, at: number): number => {
    if (!is64) return u32(b, at);
    const v = le ? b.readBigUInt64LE(at) : b.readBigUInt64BE(at);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
  };
  const shoff = word(ident, is64 ? 0x28 : 0x20);
  const shentsize = u16(ident, is64 ? 0x3a : 0x2e);
  let shnum = u16(ident, is64 ? 0x3c : 0x30);
  let shstrndx = u16(ident, is64 ? 0x3e : 0x32);
  if (shoff === 0) return undefined; // no section table (stripped of it): nothing to find
  const entry = is64 ? 64 : 40;
  if (shentsize < entry) throw new Malformed(`section header size ${shentsize} is below ${entry}`);
  const header = (i: number): Buffer => need(read(shoff + i * shentsize, entry), `section header ${i}`);
  const fields = (h: Buffer) => ({
    name: u32(h, 0),
    type: u32(h, 4),
    offset: word(h, is64 ? 24 : 16),
    size: word(h, is64 ? 32 : 20),
    link: u32(h, is64 ? 40 : 24),
  });
  // Extended numbering: counts that do not fit the header live in section 0.
  if (shnum === 0) shnum = fields(header(0)).size;
  if (shstrndx === 0xffff) shstrndx = fields(header(0)).link;
  if (shnum > MAX_SECTIONS) throw new Malformed(`${shnum} sections (at most ${MAX_SECTIONS} are read)`);
  if (shoff + shnum * shentsize > size)
    throw new Malformed('the section table runs past the end of the file');
  if (shstrndx >= shnum) throw new Malformed(`section name table index ${shstrndx} out of range`);
  const strtab = fields(header(shstrndx));
  const names = need(read(strtab.offset, Math.min(strtab.size, 1024 * 1024)), 'the section name table');
  for (let i = 0; i < shnum; i++) {
    const s = fields(header(i));
    if (s.name >= names.length || cString(names, s.name) !== DEP_SECTION) continue;
    if (s.type === 8) throw new Malformed(`${DEP_SECTION} has no bytes in the file (SHT_NOBITS)`);
    return { offset: s.offset, size: s.size };
  }
  return undefined;
}

/** Where `.dep-v0` is in a PE file, or undefined. */
function peSection(read: ReadAt): { offset: number; size: number } | undefined {
  const dos = need(read(0, 64), 'the DOS header');
  const peAt = dos.readUInt32LE(0x3c);
  const coff = need(read(peAt, 24), 'the PE header');
  if (coff.toString('latin1', 0, 4) !== 'PE\0\0')
    throw new Malformed('no PE signature where the DOS header points');
  const count = coff.readUInt16LE(6);
  const optional = coff.readUInt16LE(20);
  const table = peAt + 24 + optional;
  for (let i = 0; i < count; i++) {
    const s = need(read(table + i * 40, 40), `section header ${i}`);
    if (cString(s.subarray(0, 8), 0) !== DEP_SECTION) continue;
    return { offset: s.readUInt32LE(20), size: s.readUInt32LE(16) };
  }
  return undefined;
}

/** Where `__DATA,.dep-v0` is in a 64-bit little-endian Mach-O file, or undefined. */
function machoSection(read: ReadAt): { offset: number; size: number } | undefined {
  const h = need(read(0, 32), 'the Mach-O header');
  const ncmds = h.readUInt32LE(16);
  if (ncmds > MAX_SECTIONS) throw new Malformed(`${ncmds} load commands (at most ${MAX_SECTIONS} are read)`);
  let at = 32;
  for (let i = 0; i < ncmds; i++) {
    const lc = need(read(at, 8), `load command ${i}`);
    const cmd = lc.readUInt32LE(0);
    const cmdsize = lc.readUInt32LE(4);
    if (cmdsize < 8) throw new Malformed(`load command ${i} has size ${cmdsize}`);
    if (cmd === 0x19) {
      const seg = need(read(at, 72), `segment command ${i}`);
      const nsects = seg.readUInt32LE(64);
      if (nsects > MAX_SECTIONS)
        throw new Malformed(
          `segment command ${i} lists ${nsects} sections (at most ${MAX_SECTIONS} are read)`,
        );
      if (72 + nsects * 80 > cmdsize)
        throw new Malformed(`segment command ${i} lists more sections than it holds`);
      for (let j = 0; j < nsects; j++) {
        const s = need(read(at + 72 + j * 80, 80), `section ${j} of load command ${i}`);
        if (cString(s.subarray(0, 16), 0) !== DEP_SECTION || cString(s.subarray(16, 32), 0) !== '__DATA')
          continue;
        const sizeBig = s.readBigUInt64LE(40);
        return {
          offset: s.readUInt32LE(48),
          size: sizeBig > BigInt(MAX_SECTION + 1) ? MAX_SECTION + 1 : Number(sizeBig),
        };
      }
    }
    at += cmdsize;
  }
  return undefined;
}

/** The raw (compressed) audit data of an executable, undefined when it has none (pure). */
export function findAuditSection(read: ReadAt, size: number): Buffer | undefined {
  const magic = read(0, 4);
  if (magic === undefined) return undefined;
  let where: { offset: number; size: number } | undefined;
  if (magic.toString('latin1', 1, 4) === 'ELF' && magic[0] === 0x7f) where = elfSection(read, size);
  else if (magic[0] === 0x4d && magic[1] === 0x5a) where = peSection(read);
  else if (magic.readUInt32LE(0) === 0xfeedfacf) where = machoSection(read);
  else return undefined;
  if (where === undefined) return undefined;
  if (where.size > MAX_SECTION)
    throw new Malformed(`${DEP_SECTION} is ${where.size} bytes (at most ${MAX_SECTION})`);
  return need(read(where.offset, where.size), `${DEP_SECTION} (offset ${where.offset}, ${where.size} bytes)`);
}

const SOURCES = /^[a-z][a-z0-9_.-]{0,31}$/;

/** Parses the decompressed audit JSON (pure). */
export function parseAuditJson(text: string): AuditPackage[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Malformed('the audit data is not JSON');
  }
  const list = (doc as { packages?: unknown } | null)?.packages;
  if (!Array.isArray(list)) throw new Malformed('the audit data has no "packages" list');
  if (list.length > MAX_PACKAGES) throw new Malformed(`${list.length} packages (at most ${MAX_PACKAGES})`);
  return list.map((p: unknown, i) => {
    const o = (p ?? {}) as Record<string, unknown>;
    const { name, version, source, kind, dependencies, root } = o;
    if (typeof name !== 'string' || name === '' || name.length > 200)
      throw new Malformed(`packages[${i}] has no valid "name"`);
    if (typeof version !== 'string' || version === '' || version.length > 200)
      throw new Malformed(`packages[${i}] (${name}) has no valid "version"`);
    if (typeof source !== 'string' || !SOURCES.test(source))
      throw new Malformed(`packages[${i}] (${name}) has no valid "source"`);
    if (kind !== undefined && kind !== 'runtime' && kind !== 'build')
      throw new Malformed(`packages[${i}] (${name}) has an unknown "kind"`);
    const deps = dependencies ?? [];
    if (
      !Array.isArray(deps) ||
      deps.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < 0 || d >= list.length)
    )
      throw new Malformed(`packages[${i}] (${name}) has "dependencies" that are not package indexes`);
    return {
      name,
      version,
      source,
      kind: kind === 'build' ? 'build' : 'runtime',
      dependencies: deps as number[],
      root: root === true,
    };
  });
}

/**
 * Reads the cargo auditable data of one executable (pure over `read`): its packages, nothing
 * when the file carries no such section, or a reason it could not be read.
 */
export function readCargoAuditable(read: ReadAt, size: number): AuditResult {
  try {
    const raw = findAuditSection(read, size);
    if (raw === undefined) return { ok: true, packages: undefined };
    let json: Buffer;
    try {
      json = inflateSync(raw, { maxOutputLength: MAX_JSON });
    } catch (e) {
      const code = (e as { code?: string }).code;
      throw new Malformed(
        code === 'ERR_BUFFER_TOO_LARGE'
          ? `the audit data inflates beyond ${MAX_JSON} bytes (decompression bomb)`
          : 'the audit data is not valid zlib data',
      );
    }
    return { ok: true, packages: parseAuditJson(json.toString('utf8')) };
  } catch (e) {
    if (e instanceof Malformed)
      return { ok: false, error: `cargo auditable section ${DEP_SECTION}: ${e.message}` };
    if (e instanceof RangeError)
      return { ok: false, error: `cargo auditable section ${DEP_SECTION}: malformed headers` };
    throw e;
  }
}

/**
 * Finds cargo auditable data in executables as layers stream past: keeps an executable's
 * chunks while it streams (at most {@link MAX_RUST_BINARY} bytes, one file at a time), reads the
 * section from its headers when it ends, and drops the chunks.
 */
export class RustBinaryScanner implements ContentScanner {
  readonly found = new Map<string, { layerDigest: string; packages: AuditPackage[] }>();
  /** Binaries whose audit data could not be read, with the reason (reported as skipped). */
  readonly errors = new Map<string, { layerDigest: string; reason: string }>();
  private readonly open = new Map<string, Buffer[]>();

  wants(_path: string, size: number, mode: number): boolean {
    return (mode & 0o111) !== 0 && size > 64 && size <= MAX_RUST_BINARY;
  }

  chunk(path: string, _layerDigest: string, data: Buffer): boolean {
    let chunks = this.open.get(path);
    if (chunks === undefined) {
      // Only the three executable formats; anything else (scripts) is let go at once.
      const elf = data.length >= 4 && data[0] === 0x7f && data.toString('latin1', 1, 4) === 'ELF';
      const pe = data.length >= 2 && data[0] === 0x4d && data[1] === 0x5a;
      const macho = data.length >= 4 && data.readUInt32LE(0) === 0xfeedfacf;
      if (!elf && !pe && !macho) return false;
      chunks = [];
      this.open.set(path, chunks);
    }
    chunks.push(data);
    return true;
  }

  end(path: string, layerDigest: string): void {
    const chunks = this.open.get(path);
    this.open.delete(path);
    if (chunks === undefined) return;
    const { size, read } = chunkReader(chunks);
    const r = readCargoAuditable(read, size);
    if (!r.ok) this.errors.set(path, { layerDigest, reason: r.error });
    else if (r.packages !== undefined) this.found.set(path, { layerDigest, packages: r.packages });
  }

  forget(path: string): void {
    this.found.delete(path);
    this.errors.delete(path);
    this.open.delete(path);
  }
}

/**
 * Packages of the Rust binaries found: crates linked into each binary (build dependencies and
 * the binary's own local crates and the standard library (`builtin`) are left out: none is a
 * published crate of crates.io that ships in it).
 */
export function rustPackages(found: RustBinaryScanner['found']): CatalogPackage[] {
  const out: CatalogPackage[] = [];
  for (const path of [...found.keys()].sort()) {
    const entry = found.get(path);
    if (entry === undefined) continue;
    const location = { layerDigest: entry.layerDigest, path: `/${path}` };
    const seen = new Set<string>();
    for (const p of entry.packages) {
      if (p.kind === 'build' || p.source === 'local' || p.source === 'builtin') continue;
      const key = `${p.name}@${p.version}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({
        name: p.name,
        version: p.version,
        purl: purl('cargo', undefined, p.name, p.version),
        ecosystem: 'crates.io',
        location,
      });
    }
  }
  return out;
}
