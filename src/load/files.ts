import { isUtf8 } from 'node:buffer';
import { closeSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { checkHeap, Inventory, MemoryLimitError, type InputIssue } from '../core/index.js';
import { ManifestStream, type ParsedManifests } from './manifests.js';
import { checkResources } from './shape-check.js';

/** Options for reading manifests from the file system and stdin. */
export interface LoadFilesOptions {
  /** Directory that reported file paths are relative to. */
  cwd: string;
  /** Reads standard input when a path is `-`. */
  readStdin?: () => Promise<Buffer>;
  /** Called after each file is read. */
  onProgress?: (done: number, total: number, file: string) => void;
}

/** Everything read from the given paths. */
export interface LoadFilesResult {
  inventory: Inventory;
  inputErrors: InputIssue[];
  files: number;
  documents: number;
}

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);
const SKIPPED_DIRECTORIES = new Set(['node_modules']);

/**
 * Reads manifests from files, directories (recursively: .yaml, .yml, .json) and `-` (stdin).
 * Unreadable inputs become input errors with their path; the other inputs are still read.
 */
export async function loadFiles(
  paths: readonly string[],
  options: LoadFilesOptions,
): Promise<LoadFilesResult> {
  const result: LoadFilesResult = { inventory: new Inventory(), inputErrors: [], files: 0, documents: 0 };
  const files: string[] = [];
  for (const p of paths) {
    if (p === '-') {
      files.push(p);
      continue;
    }
    const abs = path.resolve(options.cwd, p);
    let info;
    try {
      info = await stat(abs);
    } catch (e) {
      result.inputErrors.push({ file: p, message: `cannot read: ${errorMessage(e)}` });
      continue;
    }
    if (info.isDirectory()) {
      const found = await listManifests(abs, (file, message) => {
        result.inputErrors.push({ file: displayPath(options.cwd, file), message });
      });
      if (found.length === 0) {
        result.inputErrors.push({
          file: p,
          message: 'no manifests found (looked for .yaml, .yml and .json files)',
        });
      }
      files.push(...found);
    } else {
      files.push(abs);
    }
  }

  let done = 0;
  for (const f of files) {
    const display = f === '-' ? '<stdin>' : displayPath(options.cwd, f);
    let read: ReadResult;
    try {
      if (f === '-') {
        if (!options.readStdin) throw new Error('standard input is not available');
        const bytes = await options.readStdin();
        read = readManifestBytes(display, (emit) => {
          for (let at = 0; at < bytes.length; at += CHUNK_BYTES)
            if (!emit(bytes.subarray(at, Math.min(bytes.length, at + CHUNK_BYTES)))) return;
        });
      } else {
        read = readManifestFile(f, display);
      }
    } catch (e) {
      if (e instanceof MemoryLimitError) throw e;
      result.inputErrors.push({ file: display, message: `cannot read: ${errorMessage(e)}` });
      continue;
    }
    if (!read.ok) {
      result.inputErrors.push(read.issue);
    } else {
      const parsed = read.parsed;
      const checked = checkResources(parsed.resources, display);
      for (const r of checked.resources) result.inventory.add(r);
      // One at a time: a spread of a few hundred thousand issues would overflow the stack.
      for (const issue of parsed.issues) result.inputErrors.push(issue);
      for (const issue of checked.issues) result.inputErrors.push(issue);
      result.documents += parsed.documents;
    }
    result.files++;
    options.onProgress?.(++done, files.length, display);
  }
  return result;
}

/** Bytes read at a time: a file is never held whole, only the document being parsed. */
const CHUNK_BYTES = 1 << 20;

type ReadResult = { ok: true; parsed: ParsedManifests } | { ok: false; issue: InputIssue };

/** Reads a file in chunks into `readManifestBytes`. */
function readManifestFile(file: string, display: string): ReadResult {
  // Synchronous reads: one file at a time is faster than a promise per chunk here.
  const fd = openSync(file, 'r');
  try {
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    // From the start each time: a file that is not UTF-8 is read again to locate the bad byte.
    return readManifestBytes(display, (emit) => {
      for (let at = 0; ;) {
        const n = readSync(fd, chunk, 0, CHUNK_BYTES, at);
        if (n === 0 || !emit(chunk.subarray(0, n))) return;
        at += n;
      }
    });
  } finally {
    closeSync(fd);
  }
}

/**
 * Decodes strict UTF-8 chunk by chunk (a character split between chunks is carried over) and
 * parses the text as it comes. A file that is not UTF-8 yields one located issue and no
 * objects, wherever the bad byte is (the bytes are then produced again, up to it, to count the
 * lines before it). The heap is checked after each chunk. `produce` passes the bytes to
 * `emit` in order, from the first, and stops early when `emit` returns false.
 */
export function readManifestBytes(
  display: string,
  produce: (emit: (bytes: Uint8Array) => boolean) => void,
): ReadResult {
  const stream = new ManifestStream(display);
  let carry: Buffer | undefined;
  let offset = 0;
  let bad: { offset: number; byte: number } | undefined;
  let first = true;
  const decode = (bytes: Uint8Array, final: boolean): void => {
    const whole = final ? bytes.length : completeUtf8Length(bytes);
    const part = bytes.subarray(0, whole);
    if (!isUtf8(part)) {
      const at = firstInvalidUtf8(part);
      bad = { offset: offset + at, byte: part[at] ?? 0 };
      return;
    }
    offset += whole;
    let text = Buffer.from(part.buffer, part.byteOffset, part.byteLength).toString('utf8');
    if (first && text !== '') {
      first = false;
      if (text.startsWith('\ufeff')) text = text.slice(1);
    }
    stream.push(text);
    carry = whole < bytes.length ? Buffer.from(bytes.subarray(whole)) : undefined;
  };
  produce((bytes) => {
    decode(carry ? Buffer.concat([carry, bytes]) : bytes, false);
    checkHeap(`reading ${display}`);
    return bad === undefined;
  });
  if (!bad && carry) decode(carry, true);
  if (bad) {
    // Line and column (in bytes) of the bad byte, from the bytes before it.
    const end = bad.offset;
    let line = 1;
    let lineStart = 0;
    let at = 0;
    produce((bytes) => {
      const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let i = b.indexOf(10); i >= 0 && at + i < end; i = b.indexOf(10, i + 1)) {
        line++;
        lineStart = at + i + 1;
      }
      at += b.length;
      return at < end;
    });
    return {
      ok: false,
      issue: {
        file: display,
        line,
        column: bad.offset - lineStart + 1,
        message: `not valid UTF-8 (byte 0x${bad.byte.toString(16).padStart(2, '0')} at offset ${bad.offset}); manifests must be UTF-8`,
      },
    };
  }
  return { ok: true, parsed: stream.end() };
}

/** Length of the part of `b` that does not end inside a UTF-8 sequence. */
function completeUtf8Length(b: Uint8Array): number {
  let i = b.length - 1;
  let continuation = 0;
  while (i >= 0 && continuation < 3 && ((b[i] ?? 0) & 0xc0) === 0x80) {
    i--;
    continuation++;
  }
  if (i < 0) return b.length;
  const c = b[i] ?? 0;
  const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
  return need > b.length - i ? i : b.length;
}

/**
 * Lists manifest files below a directory, sorted, skipping hidden folders and node_modules.
 * Special files (FIFOs, sockets, devices, also behind a symbolic link) are reported through
 * `problem` and never opened: reading a FIFO nobody writes to would wait forever.
 */
async function listManifests(
  dir: string,
  problem: (file: string, message: string) => void,
): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (!e.name.startsWith('.') && !SKIPPED_DIRECTORIES.has(e.name))
        out.push(...(await listManifests(full, problem)));
      continue;
    }
    let special = e.isFile() ? undefined : specialKind(e);
    if (e.isSymbolicLink()) {
      let target: Stats | undefined;
      try {
        target = statSync(full);
      } catch {
        // A dangling link: reading it reports the error below, as before.
      }
      special = target && !target.isFile() && !target.isDirectory() ? specialKind(target) : undefined;
    }
    if (special !== undefined) {
      problem(full, `${special}, not a regular file: not read (move it out of the scanned directory)`);
    } else if (
      (e.isFile() || e.isSymbolicLink()) &&
      MANIFEST_EXTENSIONS.has(path.extname(e.name).toLowerCase())
    )
      out.push(full);
  }
  return out;
}

/** Names a special file's type, or undefined for regular files, directories and links. */
function specialKind(e: {
  isFIFO(): boolean;
  isSocket(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
}): string | undefined {
  if (e.isFIFO()) return 'a named pipe (FIFO)';
  if (e.isSocket()) return 'a socket';
  if (e.isCharacterDevice()) return 'a character device';
  if (e.isBlockDevice()) return 'a block device';
  return undefined;
}

function displayPath(cwd: string, abs: string): string {
  const rel = path.relative(cwd, abs);
  const shown = rel.startsWith('..') || path.isAbsolute(rel) ? abs : rel;
  return shown.split(path.sep).join('/');
}

function errorMessage(e: unknown): string {
  if (e instanceof Error && 'code' in e && e.code === 'ENOENT') return 'no such file or directory';
  return e instanceof Error ? e.message : String(e);
}

/** Decodes UTF-8 strictly, locating the first invalid byte. */
export function decodeUtf8(
  bytes: Uint8Array,
): { ok: true; value: string } | { ok: false; line: number; column: number; message: string } {
  if (isUtf8(bytes)) {
    const value = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
    return { ok: true, value: value.startsWith('\ufeff') ? value.slice(1) : value };
  }
  {
    const bad = firstInvalidUtf8(bytes);
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < bad; i++) {
      if (bytes[i] === 10) {
        line++;
        lineStart = i + 1;
      }
    }
    return {
      ok: false,
      line,
      column: bad - lineStart + 1,
      message: `not valid UTF-8 (byte 0x${(bytes[bad] ?? 0).toString(16).padStart(2, '0')} at offset ${bad}); manifests must be UTF-8`,
    };
  }
}

function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i] ?? 0;
    const n =
      c < 0x80
        ? 0
        : c >= 0xc2 && c <= 0xdf
          ? 1
          : c >= 0xe0 && c <= 0xef
            ? 2
            : c >= 0xf0 && c <= 0xf4
              ? 3
              : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) {
      const cc = b[i + k];
      if (cc === undefined || (cc & 0xc0) !== 0x80) return i;
    }
    i += n + 1;
  }
  return 0;
}
