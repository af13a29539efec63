/**
 * How a long-running command (`serve`, `admission serve`, `detect serve|run`, `watch`,
 * `registry watch`) learns that it should stop: SIGINT or SIGTERM, or an injected AbortSignal
 * (tests and embedders). One place so every command stops the same way: the first signal starts
 * a graceful close; if that close has not finished within the bound, or a second signal
 * arrives, the process ends with exit code 2 and one line on stderr (a peer that never answers
 * must not keep a pod in Terminating until the kubelet kills it).
 */

/** How long a command may take to close after a stop signal before the process ends anyway. */
export const STOP_BOUND_MS = 10_000;

/** The exit code when closing did not finish within the bound. */
export const STOP_FORCED_EXIT = 2;

/** Options of {@link listenForStop}. */
export interface StopOptions {
  /** Also stops when this aborts (tests, embedding). */
  signal?: AbortSignal | undefined;
  /** Listen for SIGINT and SIGTERM (default true; `registry watch --once` does not). */
  processSignals?: boolean;
  /** The close bound after a process signal (default {@link STOP_BOUND_MS}). */
  boundMs?: number;
  /** Where the forced-exit line goes (default the process's stderr). */
  stderr?: { write(text: string): unknown };
  /** Ends the process (default `process.exit`); replaced in tests. */
  exit?: (code: number) => void;
}

/** A stop request being listened for. */
export interface StopListener {
  /** Aborted when a stop is requested. */
  readonly signal: AbortSignal;
  /** Resolves when a stop is requested. */
  readonly requested: Promise<void>;
  /**
   * Stops listening and ends the bound (idempotent). Call it once closing has finished, in
   * `finally`: until then the bound and a second signal can still end the process.
   */
  dispose(): void;
}

/**
 * Listens for a stop: SIGINT, SIGTERM or the injected signal. After a process signal the
 * command has `boundMs` to close; the timer does not keep the process alive, so a command that
 * closes in time exits with its own code.
 */
export function listenForStop(options: StopOptions = {}): StopListener {
  const ac = new AbortController();
  const boundMs = options.boundMs ?? STOP_BOUND_MS;
  const stderr = options.stderr ?? process.stderr;
  const exit =
    options.exit ??
    ((code: number): void => {
      process.exit(code);
    });
  let requested: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => {
    requested = resolve;
  });
  const request = (): void => {
    if (ac.signal.aborted) return;
    ac.abort();
    requested();
  };
  let forced = false;
  const force = (why: string): void => {
    if (forced) return;
    forced = true;
    stderr.write(`palisade: ${why}; exiting\n`);
    exit(STOP_FORCED_EXIT);
  };
  let timer: NodeJS.Timeout | undefined;
  const onProcessSignal = (): void => {
    if (ac.signal.aborted) {
      force('a second stop signal arrived while closing');
      return;
    }
    request();
    timer = setTimeout(() => {
      force(`closing took longer than ${Math.round(boundMs / 1000)}s after the stop signal`);
    }, boundMs);
    timer.unref();
  };
  const listening = options.processSignals !== false;
  if (listening) {
    process.on('SIGINT', onProcessSignal);
    process.on('SIGTERM', onProcessSignal);
  }
  if (options.signal?.aborted) request();
  else options.signal?.addEventListener('abort', request, { once: true });
  return {
    signal: ac.signal,
    requested: promise,
    dispose: () => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', request);
      if (!listening) return;
      process.off('SIGINT', onProcessSignal);
      process.off('SIGTERM', onProcessSignal);
    },
  };
}

/** Waits `ms`, or less when the signal aborts; leaves no listener behind either way. */
export function pauseUnlessStopped(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const wake = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', wake);
      resolve();
    }, ms);
    signal.addEventListener('abort', wake, { once: true });
  });
}
