import { defineConfig } from 'vitest/config';

// Integration suites (real services) live under test/ and are named *.int.test.ts;
// `npm run test:fast` excludes them through the FAST environment variable.
const fast = process.env.PALISADE_FAST === '1';
// Latency tests (*.latency.test.ts, the only tests that assert a latency) run in an invocation
// of their own after the others (`npm test`: PALISADE_LATENCY=0 leaves them out of the first
// run, `npm run test:latency` runs only them, one file at a time), so no other test file loads
// the machine while they measure. Named on the command line, they run as any other file.
const latency = process.env.PALISADE_LATENCY;

export default defineConfig({
  test: {
    include:
      latency === '1'
        ? ['src/**/*.latency.test.ts', 'test/**/*.latency.test.ts']
        : ['src/**/*.test.ts', 'test/**/*.test.ts', 'ui/src/**/*.test.ts'],
    exclude: [
      'node_modules/**',
      ...(latency === '0' ? ['**/*.latency.test.ts'] : []),
      ...(fast ? ['**/*.int.test.ts'] : []),
    ],
    fileParallelism: latency !== '1',
    testTimeout: 20_000,
    // Builds the kube-apiserver harness when Go is present, or says once why integration suites skip.
    globalSetup: fast || latency === '1' ? [] : ['./test/harness/global-setup.ts'],
    reporters: ['default', './test/summary-reporter.ts'],
    typecheck: { enabled: false },
  },
});
