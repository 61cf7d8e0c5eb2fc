/**
 * The fleet suite: several medics against a real etcd (test/fleet/, docs/fleet.md).
 * `npm run test:fleet` (it builds dist/ first: the medics run as real `clawmedic run` processes).
 * One file at a time: each starts its own etcd members, medics and stand-in gateways.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/fleet/**/*.test.ts'],
    pool: 'forks',
    poolOptions: { forks: { singleFork: true } },
    fileParallelism: false,
    testTimeout: 5 * 60_000,
    hookTimeout: 2 * 60_000,
    globalSetup: ['test/fleet/global-setup.ts'],
    reporters: ['verbose'],
  },
});
