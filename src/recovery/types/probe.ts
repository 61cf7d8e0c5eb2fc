/** What a probe, an exit and a verified config tell the ladder about the gateway's process. */
import type { FailureClass } from './incident.js';

export interface ProbeResult {
  ok: boolean;
  at: number;
  latencyMs: number;
  /** HTTP status, or null when no response arrived. */
  status: number | null;
  /** Short reason for a failure ("timeout after 3000 ms", "ECONNREFUSED", "HTTP 503"). */
  error: string | null;
  /**
   * How it failed (absent: it did not, or unknown): `refused`, nothing listens on the port (a gateway
   * restarting in process closes it); `timeout`, no answer in time (a frozen process keeps its port
   * and answers nothing); `error`, anything else (an HTTP error status, a reset).
   */
  kind?: 'refused' | 'timeout' | 'error';
  /**
   * The gateway's process as the medic saw it when the probe failed (absent: not looked at, or not
   * known, e.g. a service's): `stopped`, in state T (SIGSTOP, a debugger), it cannot answer whatever
   * the wait; `working`, alive and using CPU (starting, or restarting in process); `idle`, alive, no CPU.
   */
  process?: ProcessActivity;
  /**
   * How long the gateway's main thread (its event loop) had been pinned when the probe failed: wanting
   * the CPU without a pause (>= 90 % of the time, run-queue waits included) for the probe's whole wait
   * and this long in all. A loop that spins (`while (true) {}`) answers nothing however long the wait.
   * Absent: it was not pinned through the wait, or it is not known (a service's, no /proc).
   */
  pinnedMs?: number;
  /**
   * A service's failed probe while its manager says its main process does not run (systemd's MainPID=0): it is not
   * starting, it is gone. Absent: it runs, or that is not known (a gateway the medic runs: its exits speak for it).
   */
  serviceDown?: true;
}

/** What the gateway's process is doing, read from /proc (see `ProbeResult.process`). */
export type ProcessActivity = 'stopped' | 'working' | 'idle';

/** Healthy time on one config content, summed across runs (see `snapshotTaken`). */
export interface ConfigProof {
  /** Fingerprint of the config file the gateway was started with, or null when unknown. */
  config: string | null;
  healthyMs: number;
  /** The last good probe of the current healthy stretch (null: not healthy now). */
  lastOkAt: number | null;
}

export interface ExitInfo {
  code: number | null;
  signal: string | null;
  at: number;
  /**
   * A reading of the exit: `config` for exit 78, `port` for EADDRINUSE in the last lines,
   * `command` when the command cannot run (126/127, or nothing configured to start it with).
   */
  hint: 'config' | 'port' | 'command' | null;
  /** The class the exit's evidence names (its last lines, a stability bundle), when it names one. */
  failure?: FailureClass;
}
