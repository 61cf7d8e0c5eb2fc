/**
 * Level 0: the gateway as a child of the medic. It runs in its own process group
 * (so a stop reaches its helpers too), writes to a log file rather than a pipe
 * (so it outlives a kill -9 of the medic without EPIPE), and leaves a pid record
 * that the next medic uses to adopt it instead of starting a second gateway.
 */
import type { ChildProcess } from 'node:child_process';
import { renameSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { GatewayStartError } from '../errors.js';
import { LogTail } from './log-tail.js';
import { isSameProcess, readPidRecord, readProcessStartTime, removePidRecord, writePidRecord } from './pid-record.js';
import { pidExists, settlesWithin, signalGroup, spawnGroupLeader } from './process-group.js';
import type { Clock, GatewayProcess, Logger } from './ports.js';
import type { ExitInfo } from './types.js';

export { readPidRecord, type PidRecord } from './pid-record.js';

export interface ChildSupervisorOptions {
  target: string;
  /** A shell command line, run with `/bin/sh -c`. */
  command: string;
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
  /** How often an adopted gateway (not our child: no exit event) is checked. */
  adoptedPollMs: 500,
  /** How long to wait for the exit after SIGKILL before giving up on it. */
  killWaitMs: 5_000,
} as const;

interface Run {
  pid: number;
  /** Null for an adopted gateway: not our child, so no exit event. */
  child: ChildProcess | null;
  /** Known for an adopted gateway: checked before each signal, so a recycled pid is never hit. */
  startTime: string | null;
  /** Lines of the log before this run, so a hint reads only this run's output. */
  outputMark: number;
  exited: boolean;
  exit: Promise<ExitInfo>;
  resolveExit: (exit: ExitInfo) => void;
  stopping: Promise<boolean> | null;
  poll: NodeJS.Timeout | null;
}

/** Spawns, watches and stops the gateway as a child process (`supervised` = true). */
export class ChildSupervisor implements GatewayProcess {
  readonly supervised = true;
  private readonly options: ChildSupervisorOptions;
  private readonly stopTimeoutMs: number;
  private readonly logPath: string;
  private readonly tail: LogTail;
  private readonly listeners: Array<(exit: ExitInfo) => void> = [];
  private run: Run | null = null;
  private closed = false;

  constructor(options: ChildSupervisorOptions) {
    this.options = options;
    this.stopTimeoutMs = options.stopTimeoutMs ?? DefaultChildSupervisorOptions.stopTimeoutMs;
    this.logPath = join(options.dataDir, 'gateway.log');
    this.tail = new LogTail({ path: this.logPath, lines: options.outputLines ?? DefaultChildSupervisorOptions.outputLines });
  }

  async adoptOrClear(): Promise<number | null> {
    if (this.run) return this.run.pid;
    const { dataDir, target, log } = this.options;
    const record = readPidRecord(dataDir);
    if (!record) return null;
    if (!(await isSameProcess(record.pid, record.startTime))) {
      removePidRecord(dataDir, record.pid);
      log.info('cleared a stale gateway pid record', { target, pid: record.pid });
      return null;
    }
    const run = this.beginRun(record.pid, null, record.startTime, this.markOutput());
    this.pollAdopted(run, record.startTime);
    log.info('adopted the running gateway', { target, pid: record.pid });
    return record.pid;
  }

  async start(): Promise<number | null> {
    const { target, command, dataDir, log } = this.options;
    if (this.closed) throw new GatewayStartError('the supervisor is closed', target);
    if (this.run) throw new GatewayStartError(`a gateway is already running (pid ${this.run.pid})`, target);
    let child: ChildProcess;
    let outputMark: number;
    try {
      await mkdir(dataDir, { recursive: true });
      this.rotateLog();
      outputMark = this.markOutput();
      child = await spawnGroupLeader(command, { logPath: this.logPath, cwd: this.options.cwd, env: this.options.env });
    } catch (err) {
      throw new GatewayStartError(`could not spawn the gateway: ${(err as Error).message}`, target, { cause: err });
    }
    const pid = child.pid as number;
    const run = this.beginRun(pid, child, null, outputMark);
    child.on('exit', (code, signal) => this.finishRun(run, code, signal));
    const startTime = await readProcessStartTime(pid);
    // A gateway that died at once was already handled; a record now would be stale.
    if (!run.exited) {
      if (startTime !== null) writePidRecord(dataDir, { pid, startTime, command });
      else log.warn('could not read the gateway start time: it cannot be adopted later', { target, pid });
    }
    log.info('gateway started', { target, pid, command });
    return pid;
  }

  stop(reason: string, urgent = false): Promise<boolean> {
    const run = this.run;
    if (!run) return Promise.resolve(false);
    // A gateway that does not answer probes cannot be expected to act on SIGTERM for long.
    const graceMs = urgent ? Math.min(this.stopTimeoutMs, DefaultChildSupervisorOptions.urgentStopMs) : this.stopTimeoutMs;
    run.stopping ??= this.stopRun(run, reason, graceMs);
    return run.stopping;
  }

  onExit(listener: (exit: ExitInfo) => void): void {
    this.listeners.push(listener);
  }

  recentOutput(lines?: number): string[] {
    return this.tail.lines(lines);
  }

  async close(stopGateway: boolean): Promise<void> {
    this.closed = true;
    if (stopGateway) await this.stop('the medic is closing');
    const run = this.run;
    if (!run) return;
    // Leave the gateway running for the next medic to adopt; let this process exit without it.
    if (run.poll) clearTimeout(run.poll);
    run.poll = null;
    run.child?.unref();
  }

  /** Everything logged so far belongs to earlier runs. */
  private markOutput(): number {
    this.tail.read();
    return this.tail.mark;
  }

  private beginRun(pid: number, child: ChildProcess | null, startTime: string | null, outputMark: number): Run {
    let resolveExit!: (exit: ExitInfo) => void;
    const exit = new Promise<ExitInfo>((resolve) => (resolveExit = resolve));
    const run: Run = { pid, child, startTime, outputMark, exited: false, exit, resolveExit, stopping: null, poll: null };
    this.run = run;
    return run;
  }

  private finishRun(run: Run, code: number | null, signal: string | null): void {
    if (run.exited) return;
    run.exited = true;
    if (run.poll) clearTimeout(run.poll);
    // Helpers the gateway left in its group would hold the port against the next start. An
    // adopted pid is only reused as a group id when no process holds it: never hit a stranger's group.
    if (run.child || !pidExists(run.pid)) signalGroup(run.pid, 'SIGKILL');
    removePidRecord(this.options.dataDir, run.pid);
    const exit: ExitInfo = { code, signal, at: this.now(), hint: this.readHint(run, code) };
    if (this.run === run) this.run = null;
    run.resolveExit(exit);
    this.options.log.info('gateway exited', { target: this.options.target, pid: run.pid, code, signal, hint: exit.hint });
    if (this.closed) return;
    for (const listener of this.listeners) {
      try {
        listener(exit);
      } catch (err) {
        this.options.log.error('an exit listener threw', { target: this.options.target, error: String(err) });
      }
    }
  }

  private readHint(run: Run, code: number | null): ExitInfo['hint'] {
    if (code === 78) return 'config';
    // The shell's "not executable" / "command not found": restarting cannot help.
    if (code === 126 || code === 127) return 'command';
    // Read the file now: the gateway's last words are what explain its exit.
    const lines = this.tail.linesSince(run.outputMark);
    return lines.some((line) => line.includes('EADDRINUSE')) ? 'port' : null;
  }

  private async stopRun(run: Run, reason: string, graceMs: number): Promise<boolean> {
    const { target, log } = this.options;
    log.info('stopping the gateway', { target, pid: run.pid, reason });
    if (run.startTime !== null && !(await isSameProcess(run.pid, run.startTime))) {
      this.finishRun(run, null, null);
      return true;
    }
    signalGroup(run.pid, 'SIGTERM');
    if (await settlesWithin(run.exit, graceMs)) return true;
    log.warn('the gateway ignored SIGTERM; sending SIGKILL', { target, pid: run.pid, waitedMs: graceMs });
    signalGroup(run.pid, 'SIGKILL');
    if (await settlesWithin(run.exit, DefaultChildSupervisorOptions.killWaitMs)) return true;
    log.error('the gateway survived SIGKILL (uninterruptible?); it is still counted as running', { target, pid: run.pid });
    run.stopping = null;
    return true;
  }

  private pollAdopted(run: Run, startTime: string): void {
    const check = async (): Promise<void> => {
      run.poll = null;
      if (run.exited) return;
      if (!(await isSameProcess(run.pid, startTime))) {
        // Not our child: neither its exit code nor its signal can be known.
        this.finishRun(run, null, null);
        return;
      }
      if (!this.closed) run.poll = setTimeout(() => void check(), DefaultChildSupervisorOptions.adoptedPollMs).unref();
    };
    run.poll = setTimeout(() => void check(), DefaultChildSupervisorOptions.adoptedPollMs).unref();
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
