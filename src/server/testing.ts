/** Starts `palisade serve` in process for tests, on 127.0.0.1 with an ephemeral port. */
import { runServe, type ServeOptions } from '../cli/commands/serve.js';
import { memoryIO } from '../cli/io.js';

/** A running server: its base URL, what it printed, and how to stop it. */
export interface RunningServer {
  url: string;
  out: () => string;
  err: () => string;
  stop: () => Promise<void>;
}

/** Runs `runServe` until `stop()`; rejects when it fails to start. */
export async function startTestServer(
  options: Partial<ServeOptions>,
  cwd: string,
  env: Record<string, string> = {},
): Promise<RunningServer> {
  // HOME is the test's folder: a server without --db must never open the user's own store.
  const io = memoryIO({ cwd, env: { HOME: cwd, ...env } });
  const abort = new AbortController();
  let listening: (url: string) => void = () => undefined;
  const url = new Promise<string>((resolve) => {
    listening = resolve;
  });
  const done = runServe({ listen: '127.0.0.1:0', noAuth: false, demo: false, quiet: true, ...options }, io, {
    signal: abort.signal,
    onListening: (u) => {
      listening(u);
    },
  });
  const started = await Promise.race([
    url,
    done.then(() => {
      throw new Error(`serve stopped before listening: ${io.err()}`);
    }),
  ]);
  return {
    url: started.replace(/\/$/, ''),
    out: io.out,
    err: io.err,
    stop: async () => {
      abort.abort();
      await done;
    },
  };
}
