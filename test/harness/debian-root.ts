import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { it } from 'vitest';
import { HARNESS_DIR } from './status.js';
import { inCI } from './status.js';

/** The cached Debian root tar, or why there is none. */
export type DebianRoot = { run: true; tar: string } | { run: false; reason: string };

/**
 * Builds (first time, minutes) or finds the cached debootstrap minbase root as a tar. Without
 * it a suite skips with the reason; under CI=true a failing test is registered instead.
 */
export function requireDebianRootOrSkip(suite = 'bookworm'): DebianRoot {
  const r = spawnSync('bash', [path.join(HARNESS_DIR, 'debian-root.sh'), suite], {
    encoding: 'utf8',
    timeout: 20 * 60 * 1000,
  });
  const tar = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status === 0 && tar !== '') return { run: true, tar };
  const reason = `Debian root unavailable: ${(r.stderr || r.error?.message || 'debian-root.sh failed').trim().split('\n').pop() ?? ''}`;
  if (inCI()) {
    it('has a debootstrap Debian root (required under CI=true)', () => {
      throw new Error(reason);
    });
  }
  return { run: false, reason };
}
