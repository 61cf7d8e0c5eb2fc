/**
 * The gateway as a service another manager owns (launchd, systemd): the medic
 * cannot see its exits, only ask the manager to restart or stop it, and read
 * its log file when it knows where that is.
 */
import { GatewayStartError } from '../errors.js';
import { LogTail } from '../lib/log-tail.js';
import { bundleNames, classifyGatewayExit } from './classify/evidence.js';
import type { GatewayProcess, Logger } from './ports.js';
import type { ServiceJournal } from './service-journal.js';
import { stateDirOf } from './repair/state-lock.js';
import { describeResult, runCommand, type CommandResult } from '../lib/run-command.js';
import type { ExitInfo, FailureClass, ProcessActivity } from './types.js';
import { ServiceListener } from './service-listener.js';

export interface ServiceGatewayOptions {
  target: string;
  /**
   * A shell command that (re)starts the service, e.g. `systemctl --user restart openclaw-gateway`;
   * null when none is configured: the medic then watches and reports but cannot restart.
   */
  restartCommand: string | null;
  /** A shell command that stops it; without one, `stop()` does nothing and resolves false. */
  stopCommand?: string | null;
  /** Bound on each command. Default 60 000 ms. */
  timeoutMs?: number;
  /** The gateway's log file, tailed for `recentOutput()`. */
  logFile?: string | null;
  /** Lines kept from `logFile`. Default 500. */
  outputLines?: number;
  /** The systemd user unit's journal and exit status (GATEWAY_SERVICE_UNIT); null or absent: not read. */
  journal?: ServiceJournal | null;
  /** When the medic started watching (epoch ms): what the journal and the state dir hold from before is not read. Default: now. */
  since?: number;
  /**
   * An outage whose first reading names nothing is read once more this long after (ms): the dying gateway's last
   * lines may not have reached the journal (or its log file) yet, nor its exit the service manager. 0: read once.
   */
  settleMs?: number;
  /** Waits `ms` (the settle). Default: a timer. */
  sleep?: (ms: number) => Promise<void>;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  log: Logger;
  /**
   * The gateway's port (the health URL's): the process serving it, when /proc shows it (same user), is
   * watched, so a restart in process (port closed while it works) is told from an outage. Null or absent: not watched.
   */
  port?: number | null;
}

export const DefaultServiceGatewayOptions = {
  /** Default 60 s: a service manager may wait out the gateway's own 10-25 s start before returning. */
  timeoutMs: 60_000,
  /** Default 500 lines. */
  outputLines: 500,
  /** Default 1 s: journald and a log file take the last lines in well under that; a hang's rung waits that much more. */
  settleMs: 1_000,
} as const;

/** Drives a gateway owned by a service manager (`supervised` = false). */
export class ServiceGateway implements GatewayProcess {
  readonly supervised = false;
  private readonly options: ServiceGatewayOptions;
  private readonly tail: LogTail | null;
  private readonly listener: ServiceListener;
  /** Lines of the log already looked at by `classifyOutage` (the backlog before the medic started counts as seen). */
  private seen = 0;
  /** The last look at the journal (epoch ms): each outage reads only what came after. */
  private lastLook: number;
  /** Stability bundles there at the last look: they belong to an earlier outage (or to before the medic started). */
  private readonly seenBundles: Set<string>;

  constructor(options: ServiceGatewayOptions) {
    this.options = options;
    this.listener = new ServiceListener(options.port ?? null);
    this.tail =
      options.logFile === undefined || options.logFile === null
        ? null
        : new LogTail({ path: options.logFile, lines: options.outputLines ?? DefaultServiceGatewayOptions.outputLines });
    this.tail?.read();
    this.seen = this.tail?.mark ?? 0;
    this.lastLook = options.since ?? Date.now();
    this.seenBundles = new Set(bundleNames(stateDirOf(options.env ?? process.env)));
  }

  /**
   * The service stopped answering and its exit is invisible: what the gateway left behind says why, as for an
   * exit the medic saw (`classifyExit`), from what is observable since the last look (never the backlog from before
   * the medic started): the lines its log file (`logFile`) got, the lines the systemd unit left in the journal and
   * how its main process ended when that was after the last look (`journal`; systemd keeps an old exit's status), and
   * the newest stability bundle OpenClaw wrote in its state dir (OPENCLAW_STATE_DIR or ~/.openclaw) that was not
   * there at the last look. Without an exit of this outage, 1 is assumed: a plugin is then named only from a stability
   * bundle or a stack line, never from a code. When that names nothing, it is read once more after `settleMs` (the
   * last lines may still be on their way). Null when nothing names a class.
   */
  async classifyOutage(now: number): Promise<FailureClass | null> {
    const since = this.lastLook;
    const from = this.seen;
    let at = now;
    let failure = await this.readOutage(since, from, at);
    const settleMs = this.options.settleMs ?? DefaultServiceGatewayOptions.settleMs;
    const more = this.tail !== null || (this.options.journal ?? null) !== null;
    if (failure === null && settleMs > 0 && more) {
      await (this.options.sleep ?? delay)(settleMs);
      at = now + settleMs;
      failure = await this.readOutage(since, from, at);
    }
    this.seen = this.tail?.mark ?? 0;
    this.lastLook = at;
    for (const name of bundleNames(stateDirOf(this.options.env ?? process.env))) this.seenBundles.add(name);
    return failure;
  }

  /** One reading of what came after `since` (the journal, the exit) and after line `from` of the log file. */
  private async readOutage(since: number, from: number, at: number): Promise<FailureClass | null> {
    const lines = this.tail ? this.tail.linesSince(from) : [];
    const journal = this.options.journal ?? null;
    const [journalLines, last] = journal ? await Promise.all([journal.linesSince(since), journal.lastExit()]) : [[], null];
    // An exit with no time, or from before the last look, is not this outage's.
    const exit = last !== null && last.at !== null && last.at > since ? last : null;
    const stateDir = stateDirOf(this.options.env ?? process.env);
    return classifyGatewayExit({ code: exit ? exit.code : 1, signal: exit?.signal ?? null, at }, [...journalLines, ...lines], stateDir, this.seenBundles);
  }

  /** When the service's main process, running now, started, as systemd says (`journal`); null without a journal. */
  async runningSince(): Promise<number | null> {
    return (await this.options.journal?.runningSince().catch(() => null)) ?? null;
  }

  /** Whether its main process runs, as systemd says (`journal`); null without a journal. */
  async mainRuns(): Promise<boolean | null> {
    return (await this.options.journal?.mainRuns().catch(() => null)) ?? null;
  }

  /** The service manager owns the process: there is nothing to adopt. */
  async adoptOrClear(): Promise<number | null> {
    return null;
  }

  /** Runs the restart command; the pid stays unknown (null). */
  async start(): Promise<number | null> {
    const { target, restartCommand, log } = this.options;
    if (restartCommand === null) {
      throw new GatewayStartError('no restart command: set GATEWAY_RESTART_COMMAND (or GATEWAY_COMMAND) so clawmedic can restart the gateway', target, {
        permanent: true,
      });
    }
    const result = await this.runOne(restartCommand);
    if (!succeeded(result)) {
      const last = lastLine(result.output);
      const message = `restart command failed (${describeResult(result)})${last ? `: ${last}` : ''}`;
      throw new GatewayStartError(message, target);
    }
    log.info('gateway service restarted', { target, command: restartCommand });
    return null;
  }

  /** Runs the stop command; false when none is configured or it failed. */
  async stop(reason: string): Promise<boolean> {
    const { target, stopCommand, log } = this.options;
    if (stopCommand === undefined || stopCommand === null) return false;
    log.info('stopping the gateway service', { target, reason });
    const result = await this.runOne(stopCommand);
    if (succeeded(result)) return true;
    log.warn('the stop command failed', { target, result: describeResult(result), output: lastLine(result.output) });
    return false;
  }

  /** Exits of a service are invisible to the medic: the probe notices them instead. */
  onExit(_listener: (exit: ExitInfo) => void): void {}

  /** The service's pid stays unknown: its manager owns it. */
  onServing(_listener: (pid: number, listens: boolean) => void): void {}

  /** The first good probe of a run: the process serving the port is the one watched (service-listener.ts). */
  lookForServing(): Promise<void> {
    return this.listener.find();
  }

  /** What the process serving the port does now; null: unknown (not found, gone, another user's). */
  activity(): ProcessActivity | null {
    return this.listener.activity();
  }

  recentOutput(lines?: number): string[] {
    return this.tail?.lines(lines) ?? [];
  }

  /** The service keeps running whatever `stopGateway` says: stopping it is its manager's job. */
  async close(_stopGateway: boolean): Promise<void> {
    this.listener.close();
  }

  private runOne(command: string): Promise<CommandResult> {
    const { env, cwd, timeoutMs } = this.options;
    return runCommand(command, {
      timeoutMs: timeoutMs ?? DefaultServiceGatewayOptions.timeoutMs,
      ...(env !== undefined ? { env } : {}),
      ...(cwd !== undefined ? { cwd } : {}),
    });
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function succeeded(result: CommandResult): boolean {
  return result.spawnError === null && !result.timedOut && result.code === 0;
}

function lastLine(output: string): string {
  const lines = output.trimEnd().split('\n');
  return (lines[lines.length - 1] ?? '').trim();
}
