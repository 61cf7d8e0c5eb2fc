/**
 * How a run of the supervised gateway ends: a stop (SIGTERM, the grace, SIGKILL to every process of
 * the run), the leftovers of a leader that ended by itself, and the exit report once nothing of the
 * run is left (its class read from the gateway's last words). Used by the supervisor (supervisor.ts).
 */
import { classifyGatewayExit } from './classify/evidence.js';
import type { GatewayTree } from './gateway-tree.js';
import { removePidRecord } from './pid-record.js';
import type { Logger } from './ports.js';
import { stateDirOf } from './repair/state-lock.js';
import { type Run, shownPid, tell } from './supervisor-run.js';
import type { ExitInfo } from './types.js';
import type { LogTail } from '../lib/log-tail.js';
import { signalOfShellCode } from '../lib/process-group.js';

/** How long to wait for the exit after SIGKILL before giving up on it. */
export const KILL_WAIT_MS = 5_000;

/** What ending a run needs from its supervisor. */
export interface RunEndContext {
  target: string;
  dataDir: string;
  env: NodeJS.ProcessEnv | undefined;
  log: Logger;
  tail: LogTail;
  now(): number;
  isClosed(): boolean;
  exitListeners: Array<(exit: ExitInfo) => void>;
  /** The run is over: the supervisor forgets it if it is still its current one. */
  forget(run: Run): void;
}

/**
 * The spawned process ended by itself: a wrapper killed, or a shell whose gateway exited.
 * Whatever it left (the real gateway under a killed wrapper, helpers) would hold the port
 * against the next start: it is stopped first, and only then is the exit reported.
 */
export async function endRun(run: Run, ctx: RunEndContext): Promise<void> {
  const left = run.tree.refresh().map((p) => p.pid);
  if (left.length > 0) {
    ctx.log.warn('the gateway process ended but left processes running; killing them so the port is free', {
      target: ctx.target,
      pid: run.pid,
      left,
    });
  }
  await stopLeftovers(run.tree, ctx);
  finishRun(run, ctx);
}

/** Reports the run's exit (once): the pid record goes, the exit is classified and told. */
export function finishRun(run: Run, ctx: RunEndContext): void {
  if (run.finished) return;
  run.finished = true;
  if (run.watch) clearTimeout(run.watch);
  run.watch = null;
  removePidRecord(ctx.dataDir, run.pid);
  const ended = run.leaderExit ?? { code: null, signal: null };
  // `sh -c` reports a command killed by signal N as exit code 128+N.
  const shellSignal = run.child ? signalOfShellCode(ended.code) : null;
  const code = shellSignal ? null : ended.code;
  const signal = shellSignal ?? ended.signal;
  const exit: ExitInfo = { code, signal, at: ctx.now(), hint: readHint(run, code, ctx.tail) };
  // The gateway's last words name what killed it (a plugin, memory, a lock, a version): the ladder acts on the class.
  const failure = run.stopping ? null : classifyGatewayExit(exit, ctx.tail.linesSince(run.outputMark), stateDirOf(ctx.env ?? process.env));
  if (failure) exit.failure = failure;
  ctx.forget(run);
  run.resolveExit(exit);
  ctx.log.info('gateway exited', { target: ctx.target, pid: shownPid(run), code, signal, hint: exit.hint });
  if (!ctx.isClosed()) tell(ctx.exitListeners, exit, ctx.log, ctx.target);
}

function readHint(run: Run, code: number | null, tail: LogTail): ExitInfo['hint'] {
  if (code === 78) return 'config';
  // The shell's "not executable" / "command not found": restarting cannot help.
  if (code === 126 || code === 127) return 'command';
  // Read the file now: the gateway's last words are what explain its exit.
  const lines = tail.linesSince(run.outputMark);
  return lines.some((line) => line.includes('EADDRINUSE')) ? 'port' : null;
}

/** Stops every process of the run: SIGTERM, up to `graceMs`, then SIGKILL; the exit is reported once all are gone. */
export async function stopRun(run: Run, reason: string, graceMs: number, ctx: RunEndContext): Promise<boolean> {
  const { target, log } = ctx;
  const pid = shownPid(run);
  log.info('stopping the gateway', { target, pid, reason });
  const leaderDone = () => (run.child ? run.leaderExit !== null : !run.tree.leaderRuns());
  const onKill = () => log.warn('the gateway ignored SIGTERM; sending SIGKILL', { target, pid, waitedMs: graceMs });
  if (await run.tree.stop(graceMs, KILL_WAIT_MS, leaderDone, onKill)) {
    finishRun(run, ctx);
    return true;
  }
  log.error('the gateway survived SIGKILL (uninterruptible?); it is still counted as running', { target, pid });
  run.stopping = null;
  return true;
}

/**
 * Kills what is left of a run whose leader is gone, at once: it is a gateway that lost its
 * wrapper (as good as crashed) or helpers of one that died, and the next start waits for its port.
 */
export async function stopLeftovers(tree: GatewayTree, ctx: Pick<RunEndContext, 'log' | 'target'>): Promise<void> {
  if (await tree.signalUntilGone('SIGKILL', KILL_WAIT_MS, () => true)) return;
  const left = tree.refresh().map((p) => p.pid);
  ctx.log.error('processes of the gateway survived SIGKILL (uninterruptible?)', { target: ctx.target, left });
}
