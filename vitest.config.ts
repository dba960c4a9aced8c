import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Suites start real servers and databases; two cores do best with little file parallelism.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
