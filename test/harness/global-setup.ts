import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { goAvailable, harnessStatus, HARNESS_DIR, inCI } from './status.js';

/**
 * Vitest global setup: before integration suites run, builds the harness when Go is present
 * and the binary for the current sources is missing (build.sh prints its progress), then says
 * in one line why the integration suites will be skipped, if they will.
 */
export default function setup(): void {
  if (process.env.PALISADE_FAST === '1') return;
  let status = harnessStatus();
  if (!status.ok && goAvailable() && process.env.PALISADE_HARNESS_NO_BUILD !== '1') {
    spawnSync('bash', [path.join(HARNESS_DIR, 'build.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
    status = harnessStatus();
  }
  if (!status.ok) {
    process.stdout.write(
      inCI()
        ? `integration suites FAIL (CI=true): ${status.reason}\n`
        : `integration suites skipped: ${status.reason}\n`,
    );
  }
}
