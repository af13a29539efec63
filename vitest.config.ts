import { defineConfig } from 'vitest/config';

// Integration suites (real services) live under test/ and are named *.int.test.ts;
// `npm run test:fast` excludes them through the FAST environment variable.
const fast = process.env.PALISADE_FAST === '1';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'ui/src/**/*.test.ts'],
    exclude: fast ? ['**/*.int.test.ts', 'node_modules/**'] : ['node_modules/**'],
    testTimeout: 20_000,
    // Builds the kube-apiserver harness when Go is present, or says once why integration suites skip.
    globalSetup: fast ? [] : ['./test/harness/global-setup.ts'],
    reporters: ['default', './test/summary-reporter.ts'],
    typecheck: { enabled: false },
  },
});
