import { it } from 'vitest';
import { postgresBinDir } from './postgres.js';
import { inCI } from './status.js';

/** Whether a PostgreSQL suite runs, and why not. */
export interface PostgresGate {
  run: boolean;
  reason?: string;
}

/**
 * Decides whether a suite that needs PostgreSQL runs: skipped with a reason when the binaries
 * are absent, a failing test instead under `CI=true`.
 */
export function requirePostgresOrSkip(): PostgresGate {
  if (postgresBinDir()) return { run: true };
  const reason = 'PostgreSQL server binaries not found (install Debian postgresql or set PALISADE_PG_BIN)';
  if (inCI()) {
    it('has PostgreSQL (required under CI=true)', () => {
      throw new Error(`integration prerequisite missing: ${reason}`);
    });
  }
  return { run: false, reason };
}
