/**
 * One worker of `npm run explore` (run by vite-node from test/explore/run.mjs): reads jobs from stdin, one
 * JSON line each (`{"world":"inproc"|"crash","seed":N}`), runs them one at a time and writes one result line
 * each to stdout, prefixed with `@@explore ` (the medic-crash world's medics write nothing here).
 */
import { createInterface } from 'node:readline';
import { explore, report } from './explorer.js';
import { crashReport, exploreMedicCrash } from './medic-crash.js';
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

async function runJob(job: Job): Promise<JobResult> {
  const t0 = Date.now();
  try {
    if (job.world === 'inproc') {
      const o = await explore(job.seed);
      return { ...job, ms: Date.now() - t0, ok: o.violations.length === 0, report: o.violations.length ? report(o) : '', mismatches: o.mismatches };
    }
    const o = await exploreMedicCrash(job.seed);
    return { ...job, ms: Date.now() - t0, ok: o.violations.length === 0, report: o.violations.length ? crashReport(o) : '' };
  } catch (err) {
    // The explorer itself threw (e.g. the medic did not start): a failure of this seed, with its stack.
    return { ...job, ms: Date.now() - t0, ok: false, report: `${job.world} seed ${job.seed} threw: ${(err as Error).stack ?? String(err)}` };
  }
}

const lines = createInterface({ input: process.stdin });
// One job at a time, in arrival order: the parent sends the next one when this one's result is back.
let chain: Promise<void> = Promise.resolve();
lines.on('line', (line) => {
  if (!line.trim()) return;
  const job = JSON.parse(line) as Job;
  chain = chain.then(async () => {
    process.stdout.write(`@@explore ${JSON.stringify(await runJob(job))}\n`);
  });
});
lines.on('close', () => {
  void chain.then(() => process.exit(0));
});
