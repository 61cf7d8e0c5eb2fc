/**
 * The watch loop of a run: every `watchMs` it reads the run's processes from /proc to find
 * who serves the port (and records it), and notices an adopted leader's end (no exit event
 * for a process that is not our child).
 */
import { isSameProcess } from './pid-record.js';
import type { Logger } from './ports.js';
import { outsidersKey, type Run, tell } from './supervisor-run.js';

export interface ServingWatchHooks {
  target: string;
  /** The gateway's port; null: nobody is looked for. */
  port: number | null;
  log: Logger;
  watchMs: number;
  isClosed(): boolean;
  /** An adopted leader is gone (code and signal unknown). */
  leaderExited(run: Run): void;
  /** What a leader that is gone left is stopped, then the exit is reported. */
  endRun(run: Run): Promise<void>;
  writeRecord(run: Run): void;
  /**
   * Told the pid of the gateway whenever it changes: the process serving the port (`listens`), or
   * before that the gateway process below the spawned shell or wrapper (gateway-process.ts).
   */
  servingListeners: Array<(pid: number, listens: boolean) => void>;
  /** Told the pid of the process serving the port when it is found stopped (state T). */
  stoppedListeners: Array<(pid: number) => void>;
  /** Told the pid of the process serving the port when its main thread has been pinned `PINNED_TELL_MS` (once per stretch). */
  pinnedListeners: Array<(pid: number, ms: number) => void>;
}

/** A main thread pinned this long is told about (the probe loop probes at once: is its event loop blocked?). */
export const PINNED_TELL_MS = 1_000;

/** CPU samples kept: a window of this long is what "working" is judged over. */
export const ACTIVITY_WINDOW_MS = 1_500;

/** Watches the run's processes until it ends: who serves the port, and whether an adopted leader still runs. */
export function watchRun(run: Run, hooks: ServingWatchHooks): void {
  const tick = async (): Promise<void> => {
    run.watch = null;
    if (run.finished || hooks.isClosed()) return;
    try {
      if (run.leaderExit === null && !run.child && !(await isSameProcess(run.pid, run.startTime ?? ''))) {
        // Not our child: neither its exit code nor its signal can be known.
        hooks.leaderExited(run);
      } else if (run.leaderExit !== null && !run.stopping && !run.ending) {
        run.ending = hooks.endRun(run); // a stop that gave up on SIGKILL left the run open
      } else if (run.leaderExit === null && !run.stopping) {
        await findServingOnce(run, hooks);
        if (outsidersKey(run.tree) !== run.recorded && !run.finished) hooks.writeRecord(run);
        sampleActivity(run, hooks);
      }
    } catch (err) {
      hooks.log.debug('could not read the gateway processes', { target: hooks.target, err: String(err) });
    }
    if (!run.finished && !hooks.isClosed()) run.watch = setTimeout(() => void tick(), hooks.watchMs).unref();
  };
  run.watch = setTimeout(() => void tick(), hooks.watchMs).unref();
}

/**
 * Looks for who serves the port now, one look at a time: the watch tick's, or an early one when the
 * first good probe of a run comes before the next tick (the pid shown must be the listener's as soon
 * as health is up, never the wrapper shell's).
 */
export function findServingOnce(run: Run, hooks: ServingWatchHooks): Promise<void> {
  run.finding ??= findServing(run, hooks).finally(() => {
    run.finding = null;
  });
  return run.finding;
}

/** Tells the listeners when the process serving the port changed, or before it is known, the gateway process. */
async function findServing(run: Run, hooks: ServingWatchHooks): Promise<void> {
  if (!(await run.tree.updateServing(hooks.port))) {
    if (run.tree.serving === null && run.tree.updateMain() && run.tree.main !== null && !run.finished && run.leaderExit === null && !hooks.isClosed()) {
      const pid = run.tree.main.pid;
      hooks.log.info('the gateway runs as a child of what was spawned', { target: hooks.target, pid, spawnedPid: run.pid });
      tellGateway(hooks, pid, false);
    }
    return;
  }
  const pid = run.tree.serving!.pid;
  if (run.finished || run.leaderExit !== null || hooks.isClosed()) return;
  hooks.writeRecord(run);
  hooks.log.info('the gateway listens on its port', { target: hooks.target, pid, spawnedPid: run.pid, port: hooks.port });
  tellGateway(hooks, pid, true);
}

function tellGateway(hooks: ServingWatchHooks, pid: number, listens: boolean): void {
  for (const listener of hooks.servingListeners) {
    try {
      listener(pid, listens);
    } catch (err) {
      hooks.log.error('a gateway listener threw', { target: hooks.target, error: String(err) });
    }
  }
}

/** Keeps the run's CPU samples (a few seconds' worth) and tells when the serving process is found stopped. */
function sampleActivity(run: Run, hooks: ServingWatchHooks): void {
  const now = Date.now();
  const a = run.tree.activity();
  if (a === null) return;
  // Samples of another set of processes (the listener found) are not comparable: start the window again.
  if (run.cpu.length > 0 && run.cpu[0]!.of !== a.of) {
    run.cpu = [];
    run.pinned.reset();
  }
  run.cpu.push({ at: now, cpuTicks: a.cpuTicks, of: a.of });
  while (run.cpu.length > 2 && now - run.cpu[0]!.at > ACTIVITY_WINDOW_MS) run.cpu.shift();
  const was = run.stopped;
  run.stopped = a.stopped;
  if (a.stopped && !was && run.tree.serving && !run.finished) {
    hooks.log.warn('the gateway process is stopped (state T)', { target: hooks.target, pid: run.tree.serving.pid });
    tell(hooks.stoppedListeners, run.tree.serving.pid, hooks.log, hooks.target);
  }
  // Only the serving process's main thread is read (`main` absent before the listener is known).
  const pinned = run.tree.serving && a.main !== undefined ? run.pinned.sample(now, a.main, PINNED_TELL_MS) : null;
  if (pinned !== null && run.tree.serving && !run.finished) {
    const pid = run.tree.serving.pid;
    hooks.log.info('the gateway main thread is pinned (its event loop does not wait)', { target: hooks.target, pid, pinnedMs: pinned });
    for (const listener of hooks.pinnedListeners) {
      try {
        listener(pid, pinned);
      } catch (err) {
        hooks.log.error('a gateway listener threw', { target: hooks.target, error: String(err) });
      }
    }
  }
}
