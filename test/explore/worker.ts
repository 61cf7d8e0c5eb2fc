/**
 * One worker of `npm run explore` (run by vite-node from test/explore/run.mjs): reads jobs from stdin, one
 * JSON line each (`{"world":"inproc"|"crash","seed":N}`), runs them one at a time and writes one result line
 * each to stdout, prefixed with `@@explore ` (the medic-crash world's medics write nothing here).
 * Stopped with SIGTERM or SIGINT (the runner interrupted, or a seed past its time), it stops every process
 * below it first, by pid (start time checked): a medic's gateways run in their own process groups, so
 * killing the worker's group alone would leave them running.
 */
import { createInterface } from 'node:readline';
import { descendants, readStat } from '../../src/lib/process-table.js';
import { runJob, type Job } from './job.js';

export type { Job, JobResult } from './job.js';

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

let stopping = false;
/** Every process below the worker now, with its start time (to never signal a recycled pid). */
const below = () => descendants(process.pid).map((pid) => ({ pid, startTime: readStat(pid)?.startTime }));
function kill(procs: { pid: number; startTime: number | undefined }[], signal: NodeJS.Signals): void {
  for (const p of procs) {
    if (p.startTime === undefined || readStat(p.pid)?.startTime !== p.startTime) continue; // gone, or a new process on a recycled pid
    try {
      process.kill(p.pid, signal);
    } catch {
      // Gone meanwhile.
    }
  }
}
async function stopEverything(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  kill(below(), 'SIGTERM');
  await new Promise((r) => setTimeout(r, 3_000));
  // A medic still running in this process may have started a gateway again meanwhile: the table is read
  // afresh, everything in it killed, and the worker exits in the same turn (nothing can start after it).
  kill(below(), 'SIGKILL');
  process.exit(signal === 'SIGINT' ? 130 : 143);
}
process.on('SIGTERM', () => void stopEverything('SIGTERM'));
process.on('SIGINT', () => void stopEverything('SIGINT'));
