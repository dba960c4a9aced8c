import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Browser tests poll the page for what the hub answered; on a loaded 2-core CI machine one second is not enough.
    expect: { poll: { timeout: 15_000 } },
    // The tests' fetch keeps idle connections shorter than the hub does (see the file).
    setupFiles: ['test/support/http-agent.ts'],
    // Suites start real servers and databases; two cores do best with little file parallelism.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
