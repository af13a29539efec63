// The process around the CLI: arguments in, exit code out, and the failures of standard output
// that only a real process has (a closed pipe, a full disk). bin/palisade.js runs the build of it.
import { main } from './main.js';
import { processIO } from './io.js';

/** Runs `palisade` with the process's arguments and sets the exit code (docs/cli.md). */
async function runProcess(argv: readonly string[]): Promise<number> {
  const io = processIO();
  let code: number;
  try {
    code = await main(argv, io);
  } catch (e) {
    // main maps every error; this is the last guard, without a stack unless asked.
    const debug = argv.includes('--debug') || process.env.PALISADE_DEBUG === '1';
    io.stderr.write(
      `palisade: internal error: ${e instanceof Error ? ((debug ? e.stack : undefined) ?? e.message) : String(e)}\n`,
    );
    code = 3;
  }
  await io.flush();
  const failure = io.stdoutFailure();
  if (failure !== undefined) {
    io.stderr.write(`palisade: ${failure}\n`);
    return 2;
  }
  return code;
}

// An error thrown outside the run's promise (an event without a listener) ends the process the
// same way: one line, no stack unless asked.
process.on('uncaughtException', (e) => {
  const debug = process.argv.includes('--debug') || process.env.PALISADE_DEBUG === '1';
  process.stderr.write(`palisade: internal error: ${(debug ? e.stack : undefined) ?? e.message}\n`);
  process.exit(3);
});

process.exitCode = await runProcess(process.argv.slice(2));
// The command has finished and its output is handed to the system: a handle left open by a
// library (a worker thread's message port after a review was cut at its deadline) must not
// keep the process alive. Normally the loop drains first and the timer never fires.
setTimeout(() => {
  process.exit();
}, 2000).unref();
