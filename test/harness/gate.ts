import { it } from 'vitest';
import { harnessStatus, inCI } from './status.js';

/** Whether an integration suite runs, and why not. */
export interface HarnessGate {
  run: boolean;
  reason?: string;
}

/**
 * Decides whether a suite that needs the harness runs. Use as
 * `const gate = requireHarnessOrSkip(); describe.skipIf(!gate.run)(…)`.
 * Without the harness the suite is skipped (the global setup prints the one-line reason once
 * per run); under `CI=true` a failing test is registered instead, so a CI machine that cannot
 * start the API server fails the run rather than passing with nothing tested.
 */
export function requireHarnessOrSkip(): HarnessGate {
  const status = harnessStatus();
  if (status.ok) return { run: true };
  if (inCI()) {
    it('has the kube-apiserver harness (required under CI=true)', () => {
      throw new Error(`integration prerequisite missing: ${status.reason}`);
    });
  }
  return { run: false, reason: status.reason };
}
