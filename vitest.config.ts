import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The chaos suite runs the real OpenClaw gateway: its own config (vitest.chaos.config.ts).
    exclude: ['test/chaos/**', 'test/fleet/**', 'node_modules/**', 'dist/**'],
    // Real child processes, sockets and sqlite: forks isolate them; two cores here.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    globalSetup: ['test/global-setup.ts'],
    reporters: ['default'],
  },
});
