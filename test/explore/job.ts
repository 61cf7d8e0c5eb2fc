/**
 * One seed of `npm run explore` as a job (worker.ts runs them): its result line, and for a failing seed
 * its report. A seed whose run throws is a failed seed like one whose invariant fails: its report gives
 * the fault sequence (as far as it is known), the error in one line and the replay command, never a bare
 * stack. The runners are parameters so the reporting is unit-tested without a medic (job.test.ts).
 */
import { explore, oneLine, plan, report, type Outcome } from './explorer.js';
import { crashPlan, crashReport, exploreMedicCrash, type CrashOutcome } from './medic-crash.js';
import type { Mismatch } from './monitor.js';

export interface Job {
  world: 'inproc' | 'crash';
  seed: number;
}

export interface JobResult extends Job {
  ms: number;
  ok: boolean;
  /** The failing seed's report (sequence, trace, violations, replay command); empty when it passed. */
  report: string;
  /** In-process world: how long each pid mismatch of /status lasted (the allowance's data). */
  mismatches?: Mismatch[];
}

export interface Runners {
  explore(seed: number): Promise<Outcome>;
  exploreMedicCrash(seed: number): Promise<CrashOutcome>;
}

export const replayCommand = (job: Job): string => `npm run explore -- --world ${job.world} --seed ${job.seed}`;

export async function runJob(job: Job, runners: Runners = { explore, exploreMedicCrash }): Promise<JobResult> {
  const t0 = Date.now();
  try {
    if (job.world === 'inproc') {
      const o = await runners.explore(job.seed);
      return { ...job, ms: Date.now() - t0, ok: o.violations.length === 0, report: o.violations.length ? report(o) : '', mismatches: o.mismatches };
    }
    const o = await runners.exploreMedicCrash(job.seed);
    return { ...job, ms: Date.now() - t0, ok: o.violations.length === 0, report: o.violations.length ? crashReport(o) : '' };
  } catch (err) {
    return { ...job, ms: Date.now() - t0, ok: false, report: thrownReport(job, err) };
  }
}

/** A run that threw out of the explorer: its planned sequence (how far it got is unknown), the error, the replay. */
export function thrownReport(job: Job, err: unknown): string {
  const steps =
    job.world === 'inproc'
      ? plan(job.seed).map((s, i) => `  step ${i + 1}: wait ${s.afterMs} ms, ${s.fault} (hold ${s.holdMs} ms, pick ${s.pick})`)
      : crashPlan(job.seed).map((s, i) => `  step ${i + 1}: wait ${s.afterMs} ms, ${s.fault} (pick ${s.pick})`);
  return [
    `${job.world === 'inproc' ? 'in-process' : 'medic-crash'} seed ${job.seed} failed: the run threw (replay: ${replayCommand(job)})`,
    '  its planned sequence (how many steps ran before the throw is not known):',
    ...steps,
    `  THREW: ${oneLine(err)}`,
  ].join('\n');
}
