import { describe, expect, it } from 'vitest';
import type { RunnerTask } from 'vitest';
import { countTasks } from './summary-reporter.js';

type State = 'pass' | 'fail' | 'skip' | undefined;
const test = (state: State): RunnerTask =>
  ({ type: 'test', result: state ? { state } : undefined }) as RunnerTask;
const suite = (state: State, tasks: RunnerTask[]): RunnerTask =>
  ({ type: 'suite', tasks, result: state ? { state } : undefined }) as RunnerTask;

describe('countTasks', () => {
  it.each<[string, RunnerTask[], { passed: number; failed: number; skipped: number }]>([
    [
      'plain results',
      [suite('pass', [test('pass'), test('fail'), test('skip')])],
      { passed: 1, failed: 1, skipped: 1 },
    ],
    [
      'tests under a suite whose beforeAll failed are failures, not skips',
      [suite('fail', [test(undefined), suite(undefined, [test(undefined)])])],
      { passed: 0, failed: 2, skipped: 0 },
    ],
    [
      'a failed afterAll under passing tests is one failure',
      [suite('fail', [test('pass'), test('pass')])],
      { passed: 2, failed: 1, skipped: 0 },
    ],
    ['a file that failed to load counts once', [suite('fail', [])], { passed: 0, failed: 1, skipped: 0 }],
    [
      'skips stay skips when the suite did not fail',
      [suite('skip', [test('skip'), test(undefined)])],
      { passed: 0, failed: 0, skipped: 2 },
    ],
  ])('%s', (_name, files, expected) => {
    expect(countTasks(files)).toEqual(expected);
  });
});
