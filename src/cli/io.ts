import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

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

/** The real process's IO. */
export function processIO(): CliIO {
  return {
    stdout: {
      write: (t) => void process.stdout.write(t),
      isTTY: process.stdout.isTTY,
      columns: process.stdout.columns,
    },
    stderr: { write: (t) => void process.stderr.write(t), isTTY: process.stderr.isTTY },
    cwd: process.cwd(),
    env: process.env,
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    },
    writeFile: async (file, content) => {
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, content);
    },
    openFile: async (file) => {
      await mkdir(path.dirname(file), { recursive: true });
      // Synchronous writes: the report is produced synchronously, and nothing queues up.
      const fd = openSync(file, 'w');
      return {
        write: (text) => {
          const bytes = Buffer.from(text, 'utf8');
          for (let at = 0; at < bytes.length;) at += writeSync(fd, bytes, at, bytes.length - at);
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
