/**
 * The CLI as a real process (through tsx, from the sources): what signal handling and exit
 * codes need, which an in-process call cannot show.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { expect } from 'vitest';

const ROOT = path.join(import.meta.dirname, '..', '..');
const BIN = path.join(ROOT, 'src', 'cli', 'bin.ts');

/** Waits for `ready` on the child's output, sends SIGTERM, and returns the exit and stderr. */
export async function stopsOnSigterm(
  args: string[],
  ready: { on: 'stdout' | 'stderr'; text: string },
  env: Record<string, string>,
  whenStarted?: () => void,
): Promise<{ exit: number | NodeJS.Signals; stderr: string; stdout: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', BIN, ...args], {
    // tsx resolves from the working directory: run from the repository, files are absolute.
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  let signalled = false;
  const exited = new Promise<number | NodeJS.Signals>((resolve) =>
    child.once('exit', (code, signal) => {
      resolve(signal ?? code ?? -1);
    }),
  );
  const onData = (stream: 'stdout' | 'stderr') => (b: Buffer) => {
    out[stream] += b.toString('utf8');
    if (!signalled && stream === ready.on && out[stream].includes(ready.text)) {
      signalled = true;
      child.kill('SIGTERM');
    }
  };
  child.stdout.on('data', onData('stdout'));
  child.stderr.on('data', onData('stderr'));
  whenStarted?.();
  // A child that never gets ready is killed after a minute, not waited on forever.
  const exit = await Promise.race([
    exited,
    new Promise<never>((_, reject) => {
      const t = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`not ready within 60s: ${out.stderr}`));
      }, 60_000);
      void exited.then(() => {
        clearTimeout(t);
      });
    }),
  ]);
  expect(signalled, `exited before it was ready: ${out.stderr}`).toBe(true);
  return { exit, ...out };
}
