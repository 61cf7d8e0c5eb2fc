/**
 * The fault explorer, bounded for `npm test` (EXPLORE_SEEDS seeds from EXPLORE_FIRST_SEED, default
 * 2 from 1, and as many of the medic-crash world: EXPLORE_CRASH_SEEDS, default 1); `npm run explore --
 * --seeds N` runs many, `-- --seed S` replays one.
 */
import { describe, expect, it } from 'vitest';
import { explore, plan, report } from './explorer.js';
import { crashPlan, crashReport, exploreMedicCrash } from './medic-crash.js';

const first = Number(process.env.EXPLORE_FIRST_SEED ?? 1);
const count = Number(process.env.EXPLORE_SEEDS ?? 2);
const crashCount = Number(process.env.EXPLORE_CRASH_SEEDS ?? 1);
const seeds = Array.from({ length: count }, (_, i) => first + i);
const crashSeeds = Array.from({ length: crashCount }, (_, i) => first + i);

describe('the fault explorer', () => {
  it('plans the same sequence from the same seed, and another from another', () => {
    expect(plan(7)).toEqual(plan(7));
    expect(plan(7)).not.toEqual(plan(8));
    expect(crashPlan(7)).toEqual(crashPlan(7));
    expect(crashPlan(7).some((s) => s.fault === 'kill-medic' || s.fault === 'kill-both')).toBe(true);
  });

  it.each(seeds)('seed %i: every invariant holds', async (seed) => {
    const outcome = await explore(seed);
    expect(outcome.violations, report(outcome)).toEqual([]);
  }, 120_000);

  it.each(crashSeeds)('medic kill -9, seed %i: what was stored survives, every invariant holds', async (seed) => {
    const outcome = await exploreMedicCrash(seed);
    expect(outcome.violations, crashReport(outcome)).toEqual([]);
  }, 240_000);
});
