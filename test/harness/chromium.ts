import { it } from 'vitest';
import { chromiumPath } from './browser.js';
import { inCI } from './status.js';

export { buildDashboard, chromiumPath } from './browser.js';

/** Whether a browser suite runs, and why not. */
export interface ChromiumGate {
  run: boolean;
  executable?: string;
  reason?: string;
}

/**
 * Decides whether a suite that drives Chromium runs: skipped with a one-line reason when the
 * binary is absent, a failing test instead under `CI=true` (no browser is ever downloaded).
 */
export function requireChromiumOrSkip(): ChromiumGate {
  const executable = chromiumPath();
  if (executable) return { run: true, executable };
  const reason = 'chromium not found (install Debian chromium or set PALISADE_CHROMIUM)';
  if (inCI()) {
    it('has chromium (required under CI=true)', () => {
      throw new Error(`integration prerequisite missing: ${reason}`);
    });
  }
  return { run: false, reason };
}
