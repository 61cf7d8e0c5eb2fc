/**
 * The fleet fault explorer (test/fleet/explorer.ts) on a few seeds: `npm run test:fleet` runs one short
 * sequence; `npm run explore:fleet -- --seeds N` runs many (FLEET_EXPLORE_SEEDS, _FIRST_SEED, _STEPS).
 * A failure prints its seed, its sequence and the command that replays it.
 */
import { describe, expect, it } from 'vitest';
import { FleetExplorer } from './explorer.js';

const seeds = Number(process.env.FLEET_EXPLORE_SEEDS ?? '1');
const first = Number(process.env.FLEET_EXPLORE_FIRST_SEED ?? '28');
const steps = Number(process.env.FLEET_EXPLORE_STEPS ?? '5');

describe('fleet fault explorer', () => {
  for (let seed = first; seed < first + seeds; seed++) {
    it(`seed ${seed}: ${steps} random faults; one bot writing at a time, every event delivered once, every host heals`, async () => {
      const r = await new FleetExplorer(seed, steps).run();
      console.log(`[fleet explore] seed ${seed}: terms ${r.figures.terms.join(' -> ')}; ${r.figures.writes} writes, ${r.figures.incidents} incidents, ${r.figures.lines} lines checked; failovers ${r.figures.failoverMs.join(', ') || 'none'} ms`);
      expect(r.violations, `seed ${seed}; replay: npm run explore:fleet -- --seed ${seed} --steps ${steps}`).toEqual([]);
    }, 20 * 60_000);
  }
});
