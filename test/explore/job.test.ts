/**
 * A seed whose run throws is reported like a seed whose invariant fails: its fault sequence (so far), the
 * error in one line and the replay command, and it counts as failed. No medic here: the runners are stand-ins.
 */
import { describe, expect, it } from 'vitest';
import { oneLine, plan, report, type Outcome } from './explorer.js';
import { runJob } from './job.js';
import { crashPlan } from './medic-crash.js';

const never = (): Promise<never> => Promise.reject(new Error('not this world'));

/** An error as a failed fault or a medic that did not start throws it: a message over lines, and a stack. */
function failure(): Error {
  const err = new Error('timed out after 20000 ms waiting for healthy at first\nlast status: {"health":"down"}');
  err.stack = `${err.name}: ${err.message}\n    at waitStatus (test/e2e/harness.ts:120:11)\n    at explore (test/explore/explorer.ts:70:5)`;
  return err;
}

describe('a seed whose run throws', () => {
  it('out of the explorer: failed, its planned sequence, the error in one line, the replay command, no stack', async () => {
    const r = await runJob({ world: 'inproc', seed: 42 }, { explore: () => Promise.reject(failure()), exploreMedicCrash: never });
    expect(r.ok).toBe(false);
    const lines = r.report.split('\n');
    expect(lines[0]).toBe('in-process seed 42 failed: the run threw (replay: npm run explore -- --world inproc --seed 42)');
    const steps = plan(42);
    expect(lines.filter((l) => /^ {2}step \d+: /.test(l))).toHaveLength(steps.length);
    expect(lines.some((l) => l.includes(`step 1: wait ${steps[0]!.afterMs} ms, ${steps[0]!.fault}`))).toBe(true);
    expect(lines.at(-1)).toBe('  THREW: Error: timed out after 20000 ms waiting for healthy at first | last status: {"health":"down"}');
    expect(r.report).not.toMatch(/^\s+at /m);
  });

  it('in the medic-crash world too, with its own sequence', async () => {
    const r = await runJob({ world: 'crash', seed: 7 }, { explore: never, exploreMedicCrash: () => Promise.reject('medic never wrote its pid') });
    expect(r.ok).toBe(false);
    expect(r.report).toContain('medic-crash seed 7 failed: the run threw (replay: npm run explore -- --world crash --seed 7)');
    expect(r.report).toContain(`step 1: wait ${crashPlan(7)[0]!.afterMs} ms, ${crashPlan(7)[0]!.fault}`);
    expect(r.report.split('\n').at(-1)).toBe('  THREW: medic never wrote its pid');
  });

  it('inside the run (the explorer caught it after 2 of 4 steps): failed, the steps marked, the error, the replay', async () => {
    const steps = plan(5);
    const error = oneLine(failure());
    const outcome: Outcome = {
      seed: 5,
      steps,
      violations: [`the run threw after 2 of 4 steps: ${error}`],
      trace: ['command shape: wrapper'],
      mismatches: [],
      applied: 2,
      error,
    };
    const r = await runJob({ world: 'inproc', seed: 5 }, { explore: async () => outcome, exploreMedicCrash: never });
    expect(r.ok).toBe(false);
    const lines = r.report.split('\n');
    expect(lines[0]).toBe('in-process seed 5 failed (replay: npm run explore -- --world inproc --seed 5)');
    const marks = lines
      .filter((l) => /^ {2}step \d+: /.test(l))
      .map((l) => (l.endsWith(' (not reached)') ? 'not reached' : l.endsWith(' <- the run threw during or before this step') ? 'threw here' : 'applied'));
    expect(marks).toEqual(['applied', 'applied', 'threw here', 'not reached']);
    expect(lines.at(-1)).toBe(`  VIOLATION: the run threw after 2 of 4 steps: ${error}`);
    expect(report(outcome)).toBe(r.report);
  });

  it('a run that passes is ok with an empty report', async () => {
    const outcome: Outcome = { seed: 3, steps: plan(3), violations: [], trace: [], mismatches: [], applied: 4, error: null };
    const r = await runJob({ world: 'inproc', seed: 3 }, { explore: async () => outcome, exploreMedicCrash: never });
    expect(r).toMatchObject({ ok: true, report: '' });
  });
});
