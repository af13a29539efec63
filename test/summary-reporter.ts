import type { RunnerTestFile, RunnerTask } from 'vitest';
import type { Reporter } from 'vitest/reporters';

/** Counts of one run, as the closing line states them. */
export interface RunCounts {
  passed: number;
  failed: number;
  skipped: number;
}

/**
 * Counts tests by their result. A test that did not run because a hook of its suite or file
 * failed (beforeAll throwing, say) counts as failed, not skipped; a failed hook under which
 * every test passed (afterAll throwing) counts as one failure.
 */
export function countTasks(files: readonly RunnerTask[]): RunCounts {
  const counts: RunCounts = { passed: 0, failed: 0, skipped: 0 };
  const visit = (task: RunnerTask, underFailedSuite: boolean): number => {
    if (task.type === 'suite') {
      const failedHere = underFailedSuite || task.result?.state === 'fail';
      let failures = 0;
      for (const t of task.tasks) failures += visit(t, failedHere);
      if (task.result?.state === 'fail' && failures === 0) {
        counts.failed++;
        failures++;
      }
      return failures;
    }
    const state = task.result?.state;
    if (state === 'pass') counts.passed++;
    else if (state === 'fail' || underFailedSuite) {
      counts.failed++;
      return 1;
    } else counts.skipped++;
    return 0;
  };
  for (const f of files) visit(f, false);
  return counts;
}

/**
 * Prints one plain closing line, `N passed, N failed, N skipped`, after vitest's own
 * summary, so CI logs state the counts in a form any tool can read.
 */
export default class SummaryReporter implements Reporter {
  onFinished(files: RunnerTestFile[] = []): void {
    const { passed, failed, skipped } = countTasks(files);
    process.stdout.write(`\nvitest: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
