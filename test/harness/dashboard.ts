import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { CliIO } from '../../src/cli/io.js';
import { runServe } from '../../src/cli/commands/serve.js';
import { REPO_ROOT } from './status.js';

/** A `palisade serve --demo` running in this process on a loopback port. */
export interface RunningDashboard {
  /** Base URL without the trailing slash, e.g. `http://127.0.0.1:41234`. */
  url: string;
  close: () => Promise<void>;
}

/** Options of {@link startDashboard}. */
export interface StartDashboardOptions {
  /** Folder of a built UI (index.html and assets/). */
  uiDir: string;
  /** Lines of the token file (`TOKEN role`); none: `--no-auth`. */
  tokens?: string[];
  /** A SQLite store to serve (the demo scans are added to it); default a temporary one. */
  db?: string;
}

const START_TIMEOUT_MS = 60_000;

/**
 * Starts the real server the way `palisade serve --demo --listen 127.0.0.1:0` does (the demo
 * cluster scanned twice into a temporary store, so drift has two scans), and resolves with its
 * URL once it listens. Closing stops it and removes the token file.
 */
export async function startDashboard(options: StartDashboardOptions): Promise<RunningDashboard> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'palisade-serve-'));
  let tokenFile: string | undefined;
  if (options.tokens) {
    tokenFile = path.join(dir, 'tokens');
    await writeFile(tokenFile, `${options.tokens.join('\n')}\n`, { mode: 0o600 });
  }
  const errors: string[] = [];
  const io: CliIO = {
    stdout: { write: () => undefined },
    stderr: { write: (t) => errors.push(t) },
    cwd: REPO_ROOT,
    env: {},
    readStdin: () => Promise.resolve(Buffer.alloc(0)),
    writeFile: (file, content) => writeFile(file, content),
  };
  const stop = new AbortController();
  let listening: (url: string) => void = () => undefined;
  const ready = new Promise<string>((resolve) => {
    listening = resolve;
  });
  const done = runServe(
    {
      listen: '127.0.0.1:0',
      noAuth: tokenFile === undefined,
      demo: true,
      quiet: true,
      uiDir: options.uiDir,
      ...(options.db !== undefined ? { db: options.db } : {}),
      ...(tokenFile !== undefined ? { tokenFile } : {}),
    },
    io,
    { signal: stop.signal, onListening: listening },
  );
  const timeout = new Promise<never>((_, reject) => {
    const t = setTimeout(() => {
      reject(new Error(`palisade serve did not listen within ${START_TIMEOUT_MS} ms: ${errors.join('')}`));
    }, START_TIMEOUT_MS);
    t.unref();
  });
  let url: string;
  try {
    url = await Promise.race([
      ready,
      done.then(() => Promise.reject(new Error('palisade serve ended early'))),
      timeout,
    ]);
  } catch (e) {
    stop.abort();
    await done.catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    url: url.replace(/\/$/, ''),
    close: async () => {
      stop.abort();
      await done;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
