import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError, neutraliseControls } from '../core/index.js';

/** A place the CLI writes text to. */
export interface OutputStream {
  write(text: string): void;
  /** True when a person is watching (enables colour and progress). */
  isTTY?: boolean;
  columns?: number;
}

/** Everything a command may touch outside its own code: streams, files, environment. */
export interface CliIO {
  stdout: OutputStream;
  stderr: OutputStream;
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  readStdin(): Promise<Buffer>;
  writeFile(file: string, content: string): Promise<void>;
  /** Opens a file to write in pieces (large reports); without it, `writeFile` gets the whole text. */
  openFile?(file: string): Promise<OutputFile>;
}

/** A file being written piece by piece. */
export interface OutputFile {
  write(text: string): void;
  close(): Promise<void>;
}

/** What a system error code means, in the words of the message that names the path. */
export function systemErrorText(e: unknown): string {
  const code = typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : undefined;
  const known: Record<string, string> = {
    EISDIR: 'is a directory',
    ENOTDIR: 'a part of the path is not a directory',
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'read-only file system',
    ENOSPC: 'no space left on device',
    EDQUOT: 'disk quota exceeded',
    EFBIG: 'file too large',
    EIO: 'input/output error',
    EPIPE: 'the reader closed the pipe',
  };
  if (code !== undefined && known[code] !== undefined) return `${known[code]} (${code})`;
  return e instanceof Error ? e.message : String(e);
}

/** The process's IO plus what went wrong writing standard output, read when the run ends. */
export interface ProcessIO extends CliIO {
  /** Why standard output could not be written (not set for a reader that closed the pipe). */
  stdoutFailure(): string | undefined;
  /** Waits until what was written to stdout is handed to the system (or failed). */
  flush(): Promise<void>;
}

/**
 * The real process's IO. A reader that closes the pipe (`| head`) ends output quietly, as
 * `git log | head` does; any other write failure of stdout (a full disk) is kept for the exit
 * code. Files that cannot be written are an InputError naming the path.
 */
export function processIO(): ProcessIO {
  let stdoutClosed = false;
  let failure: string | undefined;
  process.stdout.on('error', (e) => {
    stdoutClosed = true;
    if ((e as NodeJS.ErrnoException).code !== 'EPIPE')
      failure ??= `cannot write to standard output: ${systemErrorText(e)}`;
  });
  // Nothing can be said about a failing stderr; it must not crash the run either.
  let stderrClosed = false;
  process.stderr.on('error', () => {
    stderrClosed = true;
  });
  return {
    stdout: {
      write: (t) => {
        if (!stdoutClosed) process.stdout.write(t);
      },
      isTTY: process.stdout.isTTY,
      columns: process.stdout.columns,
    },
    stderr: {
      write: (t) => {
        if (!stderrClosed) process.stderr.write(t);
      },
      isTTY: process.stderr.isTTY,
    },
    stdoutFailure: () => failure,
    flush: () =>
      new Promise<void>((resolve) => {
        if (stdoutClosed) {
          resolve();
          return;
        }
        process.stdout.write('', () => {
          // The error event, if any, comes after the callback: give it its turn.
          setImmediate(resolve);
        });
      }),
    cwd: process.cwd(),
    env: process.env,
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    },
    writeFile: async (file, content) => {
      try {
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, content);
      } catch (e) {
        throw new InputError(`cannot write ${file}: ${systemErrorText(e)}`);
      }
    },
    openFile: async (file) => {
      let fd: number;
      try {
        await mkdir(path.dirname(file), { recursive: true });
        // Synchronous writes: the report is produced synchronously, and nothing queues up.
        fd = openSync(file, 'w');
      } catch (e) {
        throw new InputError(`cannot write ${file}: ${systemErrorText(e)}`);
      }
      return {
        write: (text) => {
          const bytes = Buffer.from(text, 'utf8');
          try {
            for (let at = 0; at < bytes.length;) at += writeSync(fd, bytes, at, bytes.length - at);
          } catch (e) {
            throw new InputError(`cannot write ${file}: ${systemErrorText(e)}`);
          }
        },
        close: () => {
          closeSync(fd);
          return Promise.resolve();
        },
      };
    },
  };
}

/** An IO that records output in memory, for tests and embedding. */
export function memoryIO(options: { cwd: string; stdin?: string; env?: Record<string, string> }): CliIO & {
  out: () => string;
  err: () => string;
  files: Map<string, string>;
} {
  let out = '';
  let err = '';
  const files = new Map<string, string>();
  return {
    stdout: { write: (t) => (out += t), isTTY: false },
    stderr: { write: (t) => (err += t), isTTY: false },
    cwd: options.cwd,
    env: options.env ?? {},
    readStdin: () => Promise.resolve(Buffer.from(options.stdin ?? '')),
    writeFile: (file, content) => {
      files.set(file, content);
      return Promise.resolve();
    },
    openFile: (file) => {
      const parts: string[] = [];
      return Promise.resolve({
        write: (text) => void parts.push(text),
        close: () => {
          files.set(file, parts.join(''));
          return Promise.resolve();
        },
      });
    },
    out: () => out,
    err: () => err,
    files,
  };
}

/** Whether colour should be used on a stream (NO_COLOR and FORCE_COLOR are honoured). */
export function useColor(stream: OutputStream, env: CliIO['env']): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true;
}

// The progress line's own erase sequence is the one escape stderr keeps (see progress.ts).
const PROGRESS_ERASE = '\r\x1b[2K';

/**
 * The IO every command gets: control characters (ANSI escapes) in any text it writes, to a
 * file, to stderr or to an uncoloured stdout, are neutralised, so an object named with ESC
 * cannot repaint a terminal whatever the format. Renderers that colour (table, when
 * useColor says so) sanitise the data they print themselves and are passed through.
 */
export function neutralisingIO<T extends CliIO>(io: T): T {
  const colour = useColor(io.stdout, io.env);
  return {
    ...io,
    stdout: {
      ...io.stdout,
      write: (t: string) => {
        io.stdout.write(colour ? t : neutraliseControls(t));
      },
    },
    stderr: {
      ...io.stderr,
      write: (t: string) => {
        io.stderr.write(t === PROGRESS_ERASE ? t : neutraliseControls(t));
      },
    },
    writeFile: (file: string, content: string) => io.writeFile(file, neutraliseControls(content)),
  };
}
