/**
 * The chaos suite: the real medic against the real OpenClaw gateway (see test/chaos/).
 * `npx vitest run --config vitest.chaos.config.ts`. One file at a time, one test at a time:
 * each real gateway takes about 1 GB and 1.3 cores to start, and this kind of machine has two.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/chaos/**/*.test.ts'],
    pool: 'forks',
    poolOptions: { forks: { singleFork: true } },
    fileParallelism: false,
    // Real start-ups (10-25 s each), a doctor run (about 20 s), EADDRINUSE retries (27 s).
    testTimeout: 15 * 60_000,
    hookTimeout: 5 * 60_000,
    teardownTimeout: 60_000,
    globalSetup: ['test/chaos/global-setup.ts'],
    reporters: ['verbose'],
  },
});
