#!/usr/bin/env node
// npm run explore:fleet -- --seeds N [--from S] [--steps K] | --seed S [--steps K]: runs the fleet fault explorer
// (test/fleet/explorer.ts) on those seeds, each against its own etcd cluster, medics and fake Discord.
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const value = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const seed = value('--seed');
const seeds = seed !== undefined ? '1' : (value('--seeds') ?? '5');
const from = seed ?? value('--from') ?? '1';
const steps = value('--steps') ?? '6';
if (![seeds, from, steps].every((v) => /^\d+$/.test(v))) {
  console.error('usage: npm run explore:fleet -- --seeds N [--from S] [--steps K]   or   npm run explore:fleet -- --seed S [--steps K]');
  process.exit(2);
}
const r = spawnSync('npx', ['vitest', 'run', '--config', 'vitest.fleet.config.ts', 'test/fleet/explore.test.ts'], {
  stdio: 'inherit',
  env: { ...process.env, FLEET_EXPLORE_SEEDS: seeds, FLEET_EXPLORE_FIRST_SEED: from, FLEET_EXPLORE_STEPS: steps },
});
process.exit(r.status ?? 1);
