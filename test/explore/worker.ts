/**
 * One worker of `npm run explore` (run by vite-node from test/explore/run.mjs): reads jobs from stdin, one
 * JSON line each (`{"world":"inproc"|"crash","seed":N}`), runs them one at a time and writes one result line
 * each to stdout, prefixed with `@@explore ` (the medic-crash world's medics write nothing here).
 */
import { createInterface } from 'node:readline';
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
