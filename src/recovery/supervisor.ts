/**
 * Level 0: the gateway as a child of the medic. It runs in its own process group
 * (so a stop reaches its helpers too), writes to a log file rather than a pipe
 * (so it outlives a kill -9 of the medic without EPIPE), and leaves a pid record
 * that the next medic uses to adopt it instead of starting a second gateway.
 *
 * The process spawned is `/bin/sh -c <command>`, which for a plain command line stays
 * as the gateway's parent (Debian's sh does not exec the last command), and the gateway
 * may itself run under a wrapper or leave the group: every process of the run is tracked
 * (gateway-tree.ts), the pid shown is the one listening on the port, a stop reaches all
 * of them, and an exit is reported only once none of them is left.
 */
import type { ChildProcess } from 'node:child_process';
import { renameSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { GatewayStartError } from '../errors.js';
import { readAdoptable } from './adopt-gateway.js';
import { GatewayTree } from './gateway-tree.js';
import { LogTail } from '../lib/log-tail.js';
import { readProcessStartTime, readProcessStartTimeSync, writePidRecord } from './pid-record.js';
import { GATEWAY_MARKER, markerValue } from '../lib/gateway-marker.js';
import { spawnGroupLeader } from '../lib/process-group.js';
import type { Clock, GatewayProcess, Logger } from './ports.js';
import { findServingOnce, watchRun, type ServingWatchHooks } from './serving-watch.js';
import { createRun, type Run, shownPid, writeRunRecord } from './supervisor-run.js';
import { endRun, KILL_WAIT_MS, type RunEndContext, stopLeftovers, stopRun } from './run-end.js';
import type { ExitInfo, ProcessActivity } from './types.js';
import { activityOf, awaitGatewayProcess, pinnedMsOf } from './run-activity.js';

export { readPidRecord, type PidRecord } from './pid-record.js';

export interface ChildSupervisorOptions {
  target: string;
  /** A shell command line, run with `/bin/sh -c`. */
  command: string;
  /**
   * The gateway's port (the health URL's): the process of the run listening on it is the one
   * shown and recorded. Null: the spawned pid is shown.
   */
  port?: number | null;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** A per-target directory the caller owns (created if missing): gateway.log, gateway.pid.json. */
  dataDir: string;
  /** Grace between SIGTERM and SIGKILL. Default 10 000 ms. */
  stopTimeoutMs?: number;
  /** Lines kept for `recentOutput()`. Default 500. */
  outputLines?: number;
  log: Logger;
  /** For `ExitInfo.at`. Default `Date.now`. */
  clock?: Pick<Clock, 'now'>;
}

export const DefaultChildSupervisorOptions = {
  /** Default 10 s: OpenClaw exits on SIGTERM in under 3 s. */
  stopTimeoutMs: 10_000,
  /** Default 2 s: the SIGTERM grace of a gateway that stopped answering (frozen, event loop blocked). */
  urgentStopMs: 2_000,
  /** Default 500 lines. */
  outputLines: 500,
  /** A log over 5 MB at a start is renamed to gateway.log.1 first. */
  rotateBytes: 5 * 1024 * 1024,
  /**
   * How often the run's processes are read from /proc: who listens on the port (found within
   * this of the gateway's listen), and whether an adopted gateway (no exit event) still runs.
   */
  watchMs: 500,
  /** How long to wait for the exit after SIGKILL before giving up on it. */
  killWaitMs: KILL_WAIT_MS,
} as const;

/** Spawns, watches and stops the gateway as a child process (`supervised` = true). */
export class ChildSupervisor implements GatewayProcess {
  readonly supervised = true;
  private readonly options: ChildSupervisorOptions;
  private readonly stopTimeoutMs: number;
  private readonly logPath: string;
  private readonly tail: LogTail;
  private readonly listeners: Array<(exit: ExitInfo) => void> = [];
  private readonly servingListeners: Array<(pid: number, listens: boolean) => void> = [];
  private readonly stoppedListeners: Array<(pid: number) => void> = [];
  private readonly pinnedListeners: Array<(pid: number, ms: number) => void> = [];
  private run: Run | null = null;
  private closed = false;

  constructor(options: ChildSupervisorOptions) {
    this.options = options;
    this.stopTimeoutMs = options.stopTimeoutMs ?? DefaultChildSupervisorOptions.stopTimeoutMs;
    this.logPath = join(options.dataDir, 'gateway.log');
    this.tail = new LogTail({ path: this.logPath, lines: options.outputLines ?? DefaultChildSupervisorOptions.outputLines });
  }

  async adoptOrClear(): Promise<number | null> {
    if (this.run) return shownPid(this.run);
    const { dataDir, target, log } = this.options;
    const found = await readAdoptable(dataDir, target, log, (tree) => this.stopLeftovers(tree));
    if (!found) return null;
    const run = this.beginRun(found.pid, null, found.startTime, found.tree, this.markOutput());
    if (!found.tree.serving) found.tree.updateMain();
    this.watch(run);
    log.info('adopted the running gateway', { target, pid: shownPid(run), spawnedPid: found.pid });
    return shownPid(run);
  }

  async start(): Promise<number | null> {
    const { target, command, dataDir, log } = this.options;
    if (this.closed) throw new GatewayStartError('the supervisor is closed', target);
    if (this.run) throw new GatewayStartError(`a gateway is already running (pid ${shownPid(this.run)})`, target);
    let child: ChildProcess;
    let outputMark: number;
    // The record is written in the spawn's own turn: a medic killed -9 right after the spawn (before the 'spawn'
    // event, or while the start time is read) left a gateway no record named, which the next medic did not adopt
    // and fought for the port (the fault explorer's medic-crash seed 353).
    const spawned = { startTime: null as string | null };
    const recordAtOnce = (pid: number) => {
      spawned.startTime = readProcessStartTimeSync(pid);
      if (spawned.startTime === null) return;
      try {
        writePidRecord(dataDir, { pid, startTime: spawned.startTime, command });
      } catch (err) {
        log.warn('could not write the gateway pid record', { target, pid, error: String(err) });
      }
    };
    try {
      await mkdir(dataDir, { recursive: true });
      this.rotateLog();
      outputMark = this.markOutput();
      // Marked as this target's (gateway-marker.ts): known by its environment even if it escapes every record.
      const env = { ...(this.options.env ?? process.env), [GATEWAY_MARKER]: markerValue(dataDir) };
      child = await spawnGroupLeader(command, { logPath: this.logPath, cwd: this.options.cwd, env, onSpawned: recordAtOnce });
    } catch (err) {
      throw new GatewayStartError(`could not spawn the gateway: ${(err as Error).message}`, target, { cause: err });
    }
    const pid = child.pid as number;
    const tree = new GatewayTree({ pid, startTime: null });
    const run = this.beginRun(pid, child, null, tree, outputMark);
    child.on('exit', (code, signal) => this.leaderExited(run, code, signal));
    const startTime = spawned.startTime ?? (await readProcessStartTime(pid));
    // A gateway that died at once was already handled; a record now would be stale.
    if (run.leaderExit === null) {
      if (startTime !== null) {
        run.startTime = tree.leader.startTime = startTime;
        this.writeRecord(run);
      } else {
        log.warn('could not read the gateway start time: it cannot be adopted later', { target, pid });
      }
    }
    await awaitGatewayProcess(run);
    this.watch(run);
    log.info('gateway started', { target, pid: shownPid(run), spawnedPid: pid, command });
    return shownPid(run);
  }

  stop(reason: string, urgent = false): Promise<boolean> {
    const run = this.run;
    if (!run) return Promise.resolve(false);
    if (run.ending) return run.ending.then(() => true);
    // A gateway that does not answer probes cannot be expected to act on SIGTERM for long.
    const graceMs = urgent ? Math.min(this.stopTimeoutMs, DefaultChildSupervisorOptions.urgentStopMs) : this.stopTimeoutMs;
    run.stopping ??= stopRun(run, reason, graceMs, this.endContext());
    return run.stopping;
  }

  onExit(listener: (exit: ExitInfo) => void): void {
    this.listeners.push(listener);
  }

  onServing(listener: (pid: number, listens: boolean) => void): void {
    this.servingListeners.push(listener);
  }

  onStopped(listener: (pid: number) => void): void {
    this.stoppedListeners.push(listener);
  }

  onPinned(listener: (pid: number, ms: number) => void): void {
    this.pinnedListeners.push(listener);
  }

  /** How long the serving process's main thread has been pinned as of a fresh reading (pinned-thread.ts); null: unknown. */
  pinnedMs(): number | null {
    return this.run ? pinnedMsOf(this.run) : null;
  }

  /** What the running gateway does now (run-activity.ts); null when nothing runs or /proc cannot say. */
  activity(): ProcessActivity | null {
    return this.run ? activityOf(this.run) : null;
  }

  recentOutput(lines?: number): string[] {
    return this.tail.lines(lines);
  }

  async close(stopGateway: boolean): Promise<void> {
    this.closed = true;
    if (stopGateway) await this.stop('the medic is closing');
    const run = this.run;
    if (!run) return;
    // What a gateway that already died left behind is stopped all the same: nobody would adopt it.
    if (run.ending) await run.ending;
    // Leave the gateway running for the next medic to adopt; let this process exit without it.
    if (run.watch) clearTimeout(run.watch);
    run.watch = null;
    run.child?.unref();
  }

  /** Everything logged so far belongs to earlier runs. */
  private markOutput(): number {
    this.tail.read();
    return this.tail.mark;
  }

  private beginRun(pid: number, child: ChildProcess | null, startTime: string | null, tree: GatewayTree, outputMark: number): Run {
    const run = createRun(pid, child, startTime, tree, outputMark);
    this.run = run;
    return run;
  }

  /** The spawned process ended. The run ends once nothing of it is left, never before. */
  private leaderExited(run: Run, code: number | null, signal: string | null): void {
    if (run.leaderExit !== null || run.finished) return;
    // A closed supervisor left the gateway to the next medic, which will find out what is left of it.
    if (this.closed && !run.stopping) return;
    run.leaderExit = { code, signal };
    run.tree.markLeaderGone();
    // A stop in progress reports the exit itself, once every process is gone.
    if (!run.stopping) run.ending = this.endRun(run);
  }

  /** What ending a run needs (run-end.ts), made once. */
  private endContext(): RunEndContext {
    return (this.ending ??= {
      target: this.options.target,
      dataDir: this.options.dataDir,
      env: this.options.env,
      log: this.options.log,
      tail: this.tail,
      now: () => this.now(),
      isClosed: () => this.closed,
      exitListeners: this.listeners,
      forget: (run) => {
        if (this.run === run) this.run = null;
      },
    });
  }

  private ending: RunEndContext | null = null;

  private endRun(run: Run): Promise<void> {
    return endRun(run, this.endContext());
  }

  private stopLeftovers(tree: GatewayTree): Promise<void> {
    return stopLeftovers(tree, this.options);
  }

  /** Watches the run's processes until it ends (serving-watch.ts). */
  private watch(run: Run): void {
    watchRun(run, this.watchHooks());
  }

  /**
   * The first good probe of a run can come before the watch finds who serves the port: look now, so
   * the pid reported (GatewayServing) is the listener's by the time health is up.
   */
  async lookForServing(): Promise<void> {
    const run = this.run;
    if (!run || run.finished || run.leaderExit !== null || run.stopping || run.tree.serving) return;
    await findServingOnce(run, this.watchHooks());
  }

  private hooks: ServingWatchHooks | null = null;

  /** The watch's hooks, made once (they only read this supervisor's options and listeners). */
  private watchHooks(): ServingWatchHooks {
    return (this.hooks ??= {
      target: this.options.target,
      port: this.options.port ?? null,
      log: this.options.log,
      watchMs: DefaultChildSupervisorOptions.watchMs,
      isClosed: () => this.closed,
      leaderExited: (r) => this.leaderExited(r, null, null),
      endRun: (r) => this.endRun(r),
      writeRecord: (r) => this.writeRecord(r),
      servingListeners: this.servingListeners,
      stoppedListeners: this.stoppedListeners,
      pinnedListeners: this.pinnedListeners,
    });
  }

  private writeRecord(run: Run): void {
    writeRunRecord(this.options.dataDir, this.options.command, run);
  }

  private rotateLog(): void {
    try {
      if (statSync(this.logPath).size <= DefaultChildSupervisorOptions.rotateBytes) return;
      this.tail.read(); // keep the old file's last lines in the buffer
      renameSync(this.logPath, `${this.logPath}.1`);
    } catch {
      // No log yet.
    }
  }

  private now(): number {
    return this.options.clock?.now() ?? Date.now();
  }
}
