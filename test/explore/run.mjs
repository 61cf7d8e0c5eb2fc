#!/usr/bin/env node
// npm run explore -- --seeds N [--from S] [--crash-seeds M] | --seed S : runs the fault explorer (test/explore) on those
// seeds, in both worlds (the medic in-process; the medic as a process killed with -9: M seeds, default N).
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const value = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const seed = value('--seed');
const seeds = seed !== undefined ? '1' : (value('--seeds') ?? '20');
const from = seed ?? value('--from') ?? '1';
if (!/^\d+$/.test(seeds) || !/^\d+$/.test(from)) {
  console.error('usage: npm run explore -- --seeds N [--from S]   or   npm run explore -- --seed S');
  process.exit(2);
}
const r = spawnSync('npx', ['vitest', 'run', 'test/explore/explore.test.ts'], {
  stdio: 'inherit',
  env: { ...process.env, EXPLORE_SEEDS: seeds, EXPLORE_CRASH_SEEDS: value('--crash-seeds') ?? seeds, EXPLORE_FIRST_SEED: from },
});
process.exit(r.status ?? 1);
