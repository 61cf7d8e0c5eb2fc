/**
 * What a systemd user unit left in the journal: the lines the gateway printed since the medic's last look
 * (`journalctl --user -u <unit> --since @<seconds> -o cat`) and, from one `systemctl --user show -p ... <unit>`,
 * whether its main process runs and since when, and how it last ended and when (systemd keeps the status of the
 * last exit, however old, so its time says whether it belongs to this outage). Both run without a shell, each
 * bounded; a missing journalctl or systemctl (no systemd here) is said once in the log and names nothing.
 */
import { execFile } from 'node:child_process';
import { constants } from 'node:os';
import type { Logger } from './ports.js';

export interface ServiceJournalOptions {
  /** The systemd user unit, e.g. `openclaw-gateway` (GATEWAY_SERVICE_UNIT). */
  unit: string;
  /** Environment of the two commands (its PATH finds them). Default: the medic's. */
  env?: NodeJS.ProcessEnv;
  /** Bound on each command. Default 10 000 ms. */
  timeoutMs?: number;
  /** Lines kept from one look (the newest). Default 500. */
  maxLines?: number;
  log: Logger;
  /** Wall time (epoch ms) and CLOCK_MONOTONIC (µs, systemd's `...Monotonic` clock), to date an exit. Default: the process's. */
  clock?: { wallMs(): number; monotonicUs(): bigint };
}

export const DefaultServiceJournalOptions = {
  /** Default 10 s: a journal read is local; a hung one must not hold the ladder's next rung for long. */
  timeoutMs: 10_000,
  /** Default 500 lines, as the log file's tail. */
  maxLines: 500,
} as const;

/** How the unit's main process last ended: an exit code, or a signal's name; null when it runs or never ended. */
export interface UnitExit {
  code: number | null;
  signal: string | null;
  /** When it ended (epoch ms), from ExecMainExitTimestampMonotonic; null when systemd did not say. */
  at: number | null;
}

const processClock = { wallMs: () => Date.now(), monotonicUs: () => process.hrtime.bigint() / 1000n };

/** OpenClaw's systemd user unit (`openclaw gateway install`). */
export const OPENCLAW_UNIT = 'openclaw-gateway';

/**
 * The unit whose journal is read: GATEWAY_SERVICE_UNIT when set (`none`: no journal), else OpenClaw's own unit when
 * the restart command goes through `systemctl --user`, else none.
 */
export function serviceUnitOf(configured: string | null, restartCommand: string | null): string | null {
  if (configured !== null) return configured === 'none' ? null : configured;
  const words = restartCommand?.split(/\s+/) ?? [];
  return words.includes('systemctl') && words.includes('--user') ? OPENCLAW_UNIT : null;
}

/** The journal reader for `unit`, or null when there is none to read. */
export function journalOf(unit: string | null, deps: { env: NodeJS.ProcessEnv; log: Logger }): ServiceJournal | null {
  return unit === null ? null : new ServiceJournal({ unit, env: deps.env, log: deps.log });
}

/** What one `systemctl show` asks: every property lastExit, runningSince and mainRuns read. */
const SHOWN = 'MainPID,ExecMainStartTimestampMonotonic,ExecMainCode,ExecMainStatus,ExecMainExitTimestampMonotonic';

export class ServiceJournal {
  private readonly o: ServiceJournalOptions;
  /** Said once: the journal cannot be read here. */
  private missing = false;
  /** The `systemctl show` under way: questions asked meanwhile share its answer. */
  private showing: Promise<string | null> | null = null;

  constructor(options: ServiceJournalOptions) {
    this.o = options;
  }

  /** The unit's lines since `sinceMs` (epoch ms), oldest first; [] when the journal cannot be read. */
  async linesSince(sinceMs: number): Promise<string[]> {
    const since = `@${Math.floor(sinceMs / 1000)}`;
    const out = await this.run('journalctl', ['--user', '-u', this.o.unit, '--since', since, '-o', 'cat', '--no-pager']);
    if (out === null) return [];
    const lines = out.split('\n').filter((l) => l.trim() !== '');
    return lines.slice(-(this.o.maxLines ?? DefaultServiceJournalOptions.maxLines));
  }

  /**
   * How the unit's main process last ended, from systemd's ExecMainCode (1 exited, 2 killed, 3 dumped) and
   * ExecMainStatus, and when (ExecMainExitTimestampMonotonic: the monotonic clock, unlike the wall-clock
   * ExecMainExitTimestamp, has one format whatever the locale and time zone).
   */
  async lastExit(): Promise<UnitExit | null> {
    const out = await this.show();
    const clock = this.o.clock ?? processClock;
    return out === null ? null : parseUnitExit(out, { wallMs: clock.wallMs(), monotonicUs: clock.monotonicUs() });
  }

  /** When the unit's main process, running now, started (epoch ms, from ExecMainStartTimestampMonotonic); null when it does not run. */
  async runningSince(): Promise<number | null> {
    const out = await this.show();
    const clock = this.o.clock ?? processClock;
    return out === null ? null : parseRunningSince(out, { wallMs: clock.wallMs(), monotonicUs: clock.monotonicUs() });
  }

  /** Whether the unit's main process runs (MainPID not 0); null when systemd cannot be asked. */
  async mainRuns(): Promise<boolean | null> {
    const out = await this.show();
    const pid = out === null ? undefined : /^MainPID=(\d+)\s*$/m.exec(out)?.[1];
    return pid === undefined ? null : pid !== '0';
  }

  /**
   * The unit's properties (SHOWN), asked once for questions asked together: an outage's reading wants how the
   * last run ended and whether a new one runs, at the same moment.
   */
  private show(): Promise<string | null> {
    this.showing ??= this.run('systemctl', ['--user', 'show', '-p', SHOWN, this.o.unit]).finally(() => {
      this.showing = null;
    });
    return this.showing;
  }

  private async run(program: string, args: string[]): Promise<string | null> {
    const { env, timeoutMs, log, unit } = this.o;
    return new Promise((resolve) => {
      execFile(program, args, { env: env ?? process.env, timeout: timeoutMs ?? DefaultServiceJournalOptions.timeoutMs, maxBuffer: 4 * 1024 * 1024 }, (err, stdout) => {
        if (!err) return resolve(stdout);
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
          // journalctl and systemctl go together: one line says neither can be read (no systemd here).
          if (!this.missing) log.warn(`no systemd here (${program} not found): the journal and exit status of ${unit} are not read`, { unit });
          this.missing = true;
        } else {
          log.warn(`${program} failed: the systemd journal of ${unit} is not read this time`, { unit, err: err.message.split('\n')[0] });
        }
        resolve(null);
      });
    });
  }
}

/**
 * `ExecMainCode=1\nExecMainStatus=134` -> { code: 134 }; a signal's number -> its name; null while it runs. `now`
 * (the wall and monotonic clocks read together) dates the exit from ExecMainExitTimestampMonotonic (0 or absent:
 * `at` is null).
 */
export function parseUnitExit(text: string, now: { wallMs: number; monotonicUs: bigint }): UnitExit | null {
  const value = (key: string) => {
    const m = new RegExp(`^${key}=(\\d+)\\s*$`, 'm').exec(text);
    return m ? m[1]! : null;
  };
  const how = Number(value('ExecMainCode') ?? NaN);
  const status = Number(value('ExecMainStatus') ?? NaN);
  if (!Number.isInteger(how) || !Number.isInteger(status) || how === 0) return null;
  const mono = value('ExecMainExitTimestampMonotonic');
  const at = mono === null || mono === '0' ? null : now.wallMs - Number(now.monotonicUs - BigInt(mono)) / 1000;
  if (how === 1) return { code: status, signal: null, at };
  const name = Object.entries(constants.signals).find(([, n]) => n === status)?.[0] ?? `signal ${status}`;
  return { code: null, signal: name, at };
}

/** `MainPID=4242\nExecMainStartTimestampMonotonic=...` -> when it started (epoch ms); null when MainPID is 0 (not running) or a value is missing. */
export function parseRunningSince(text: string, now: { wallMs: number; monotonicUs: bigint }): number | null {
  const pid = /^MainPID=(\d+)\s*$/m.exec(text)?.[1];
  const mono = /^ExecMainStartTimestampMonotonic=(\d+)\s*$/m.exec(text)?.[1];
  if (pid === undefined || pid === '0' || mono === undefined || mono === '0') return null;
  return now.wallMs - Number(now.monotonicUs - BigInt(mono)) / 1000;
}
