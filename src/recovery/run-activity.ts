/**
 * What a run of the supervised gateway is doing now, from /proc through its tree and the CPU samples
 * its watch loop keeps (serving-watch.ts): which process is the gateway as it starts, whether it is
 * stopped, working or idle, and how long the serving process's main thread has been pinned.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isShell, programOf } from './gateway-process.js';
import type { Run } from './supervisor-run.js';
import type { ProcessActivity } from './types.js';
import { CLOCK_TICKS_PER_SECOND } from '../lib/process-table.js';

/** A run using at least this share of one core is working (OpenClaw idles at about 1%, starts at about 130%). */
const WORKING_CPU_SHARE = 0.1;

/** How long the serving process's main thread has been pinned as of a fresh reading (pinned-thread.ts); null: unknown. */
export function pinnedMsOf(run: Run): number | null {
  if (run.finished || run.leaderExit !== null || !run.tree.serving) return null;
  const now = run.tree.activity();
  if (now === null || now.main === undefined || now.of !== run.tree.serving.pid) return null;
  return run.pinned.pinnedMs(Date.now(), now.main);
}

/**
 * What the running gateway does now: `stopped` (the process serving the port is in state T),
 * `working` (its processes used at least `WORKING_CPU_SHARE` of a core over the last few seconds),
 * else `idle`; null when the run ended or /proc cannot say.
 */
export function activityOf(run: Run): ProcessActivity | null {
  if (run.finished || run.leaderExit !== null) return null;
  const now = run.tree.activity();
  if (now === null) return null;
  if (now.stopped) return 'stopped';
  const first = run.cpu[0];
  const at = Date.now();
  if (!first || first.of !== now.of || at - first.at < 400) return null; // too soon to say
  const share = (now.cpuTicks - first.cpuTicks) / CLOCK_TICKS_PER_SECOND / ((at - first.at) / 1000);
  return share >= WORKING_CPU_SHARE ? 'working' : 'idle';
}

/** How long a start waits for the spawned shell to fork the gateway (it does so within a few ms). */
const FORK_WAIT_MS = 300;
const FORK_POLL_MS = 5;

/**
 * Right after the spawn: waits (briefly) until the spawned `sh -c` has forked the gateway, so the pid
 * a start reports, shows and writes on the timeline is the gateway's, not the shell's. Returns at once
 * for an `exec`'d command (the leader is no shell), and when the leader is gone or /proc cannot say.
 */
export async function awaitGatewayProcess(run: Run): Promise<void> {
  const until = Date.now() + FORK_WAIT_MS;
  for (;;) {
    run.tree.updateMain();
    if (run.leaderExit !== null || run.finished) return;
    const gateway = run.tree.main?.pid ?? run.pid;
    const program = programOf(gateway);
    if (program === null || !isShell(program) || Date.now() >= until) return;
    await sleep(FORK_POLL_MS);
  }
}
