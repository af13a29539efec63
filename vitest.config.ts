import { defineConfig } from 'vitest/config';

// Integration suites (real services) live under test/ and are named *.int.test.ts;
// `npm run test:fast` excludes them through the FAST environment variable.
const fast = process.env.PALISADE_FAST === '1';
// Latency tests (*.latency.test.ts, the only tests that assert a latency) run in an invocation
// of their own after the others (`npm test`, `npm run test:latency`), one file at a time, so
// no other test file loads the machine while they measure.
const latency = process.env.PALISADE_LATENCY === '1';

export default defineConfig({
  test: {
    include: latency
      ? ['src/**/*.latency.test.ts', 'test/**/*.latency.test.ts']
      : ['src/**/*.test.ts', 'test/**/*.test.ts', 'ui/src/**/*.test.ts'],
    exclude: [
      'node_modules/**',
      ...(latency ? [] : ['**/*.latency.test.ts']),
      ...(fast ? ['**/*.int.test.ts'] : []),
    ],
    fileParallelism: !latency,
    testTimeout: 20_000,
    // Builds the kube-apiserver harness when Go is present, or says once why integration suites skip.
    globalSetup: fast || latency ? [] : ['./test/harness/global-setup.ts'],
    reporters: ['default', './test/summary-reporter.ts'],
    typecheck: { enabled: false },
  },
});
