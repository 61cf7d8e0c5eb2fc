/**
 * Narrow ports between the ladder's loop (`watchdog/`) and the world. Each has one
 * default adapter; tests swap any of them. Only the methods that are called are declared.
 */
import type { AgentOutcome, Diagnosis, ExitInfo, FailureClass, Incident, LadderRecord, ProbeResult, ProcessActivity, RepairStep, TargetState } from './types.js';

/** The clock is shared with the bot and the command source: it lives in the shared kernel. */
export type { Clock } from '../lib/clock.js';

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

/** Level 1: one HTTP health check. Never throws: a failure is a `ProbeResult` with `ok: false`. */
export interface HealthProbe {
  check(signal?: AbortSignal): Promise<ProbeResult>;
}

/**
 * The gateway as the medic drives it. Two adapters: a child process the medic
 * spawns and supervises itself (GATEWAY_COMMAND), and a service another manager
 * owns (launchd/systemd), restarted through GATEWAY_RESTART_COMMAND.
 */
export interface GatewayProcess {
  /** The medic spawns the gateway and sees its exits. */
  readonly supervised: boolean;
  /**
   * On medic start: a gateway a previous medic left running is adopted (its pid
   * returned) or stopped, so two gateways never fight for the port.
   */
  adoptOrClear(): Promise<number | null>;
  /** Starts (or, for a service, restarts) the gateway; resolves with its pid when known. Rejects with `GatewayStartError`. */
  start(): Promise<number | null>;
  /**
   * Stops it (SIGTERM to the group, wait, SIGKILL). `urgent`: it is not answering, so a frozen
   * process that cannot act on SIGTERM gets a short wait. Resolves false when nothing was running.
   */
  stop(reason: string, urgent?: boolean): Promise<boolean>;
  /** Every exit of a supervised gateway, including the ones `stop` caused. */
  onExit(listener: (exit: ExitInfo) => void): void;
  /**
   * A supervised gateway is another process than the one `start` (or `adoptOrClear`) named: a
   * descendant of the spawned shell or wrapper, found once it listens (`listens`), or before that
   * once a wrapper re-launched it; or a new one after the gateway listened again. That pid is the one to show.
   */
  onServing(listener: (pid: number, listens: boolean) => void): void;
  /**
   * Looks for the process serving the port now, telling `onServing` listeners before it resolves when
   * it is a new one (the first good probe of a run can come before the periodic look); absent: not watched.
   */
  lookForServing?(): Promise<void>;
  /** The process serving the port was found stopped (state T: SIGSTOP, a debugger); absent: not watched. */
  onStopped?(listener: (pid: number) => void): void;
  /** What the running gateway's processes do now (stopped, working, idle); null or absent: unknown. */
  activity?(): ProcessActivity | null;
  /**
   * How long the serving process's main thread (its event loop) has been pinned, wanting the CPU
   * without a pause, as of now: 0 when it is not; null or absent: unknown.
   */
  pinnedMs?(): number | null;
  /** The serving process's main thread has been pinned for about a second (once per stretch); absent: not watched. */
  onPinned?(listener: (pid: number, ms: number) => void): void;
  /** The last lines the gateway printed (stdout and stderr), oldest first. */
  recentOutput(lines?: number): string[];
  /**
   * A gateway whose exits are invisible (a service) stopped answering: the class its log, its journal and its state
   * dir name, or null (absent: nothing to read). Never rejects: what cannot be read names nothing.
   */
  classifyOutage?(now: number): Promise<FailureClass | null>;
  /**
   * A service: when its main process, running now, started (epoch ms), as its manager says (e.g. restarted by a person
   * or by systemd's Restart=); null when it does not run or that is not known. Never rejects.
   */
  runningSince?(): Promise<number | null>;
  /** A service: whether its manager says its main process runs; null when that is not known. Never rejects. */
  mainRuns?(): Promise<boolean | null>;
  /** Stops watching (and, when `stopGateway`, stops the gateway too). */
  close(stopGateway: boolean): Promise<void>;
}

/** Level 2: what the medic can learn and fix while the gateway is stopped. */
export interface GatewayRepairs {
  diagnose(): Promise<Diagnosis>;
  /** Whether the doctor's program is installed (checked once, at start-up): a missing one is never run. */
  doctorInstalled(): Promise<boolean>;
  /**
   * `subject`: what the step acts on when it is not a pid (the plugin `disable-plugin` disables).
   * `check`: a slower check that runs on beside the verifying start (OpenClaw's `config validate`
   * after a restore); its verdict comes back as a `RepairChecked` fact.
   */
  run(step: RepairStep, pid: number | null, subject?: string): Promise<RepairResult>;
  /** After a crash loop: starts the channels OpenClaw's own breaker suppressed; what it did, or null (nothing to do). */
  startChannels?(): Promise<string | null>;
  /** An operator's undo of `disable-plugin`: `openclaw plugins enable <id>` (absent: not an OpenClaw gateway). */
  enablePlugin?(id: string): Promise<{ ok: boolean; detail: string }>;
  /** Whether `pid` still holds a listening socket on the gateway's port (a foreign holder that leaves is a new fact). */
  holdsPort?(pid: number): Promise<boolean>;
  /** Remembers the config file as it is when the gateway is (re)started; resolves with its fingerprint (null: no file). */
  captureConfig(): Promise<string | null>;
  /**
   * The gateway was proven healthy on the config with fingerprint `config` (null: the captured
   * one): keep it as last-known-good, if it validates. Resolves true when a new copy was kept.
   */
  snapshotConfig(config: string | null): Promise<boolean>;
  /**
   * The config file's check when it changed since the last call, else null; with whether a known-good copy
   * exists. The first call while the gateway does not answer (`answering` false) is only the baseline.
   */
  configDrift(answering: boolean): Promise<{ ok: boolean; error: string | null; lastKnownGood: boolean } | null>;
}

export interface RepairResult {
  ok: boolean;
  detail: string;
  check?: Promise<{ ok: boolean; detail: string }>;
}

export interface IncidentWithTimeline {
  incident: Incident;
  timeline: LadderRecord[];
}

/** Durable state: everything committed survives a kill -9 of the medic. */
export interface Store {
  loadTarget(target: string): Promise<TargetState | undefined>;
  saveTarget(state: TargetState): Promise<void>;
  saveIncident(incident: Incident): Promise<void>;
  appendRecord(record: LadderRecord): Promise<void>;
  getIncident(id: string): Promise<IncidentWithTimeline | undefined>;
  /** Newest first. */
  listIncidents(options?: { target?: string; limit?: number }): Promise<Incident[]>;
  /** Operator decisions and other audited records, newest first. */
  listAudit(options?: { limit?: number }): Promise<LadderRecord[]>;
  /** Small named values of the medic's other parts (e.g. the Discord message of an incident). */
  getValue<T>(key: string): Promise<T | undefined>;
  setValue(key: string, value: unknown): Promise<void>;
  close(): Promise<void>;
}

/** What the AI agent (level 3) is told: the incident as the ladder knows it (already redacted). */
export interface AgentRequest {
  target: string;
  incident: Incident;
  timeline: LadderRecord[];
  /** The gateway's last output lines. */
  recentOutput: string[];
  /** Why the ladder called the agent. */
  reason: string;
  /** The agent CLI's own session id to resume (the medic restarted mid-session); absent: a new session. */
  resume?: string;
}

export interface AgentToolCall {
  tool: string;
  command: string;
  description: string | null;
}

/** How an agent session reaches the ladder while it runs. */
export interface AgentCallbacks {
  /** The agent asks to run a tool call; resolves with the ladder's decision (policy, operator, timeout). */
  permission(call: AgentToolCall): Promise<{ allow: boolean; reason: string; by: string }>;
  /** New meaningful lines of the agent's screen, in order (not yet redacted). */
  output(lines: string[]): void;
  /** The agent CLI starts under its own session id (a new one, or the one resumed): kept to resume it. */
  started?(agentSession: string): void;
}

export interface AgentReport {
  outcome: AgentOutcome;
  /** One line: what ended the session ("finished: <the agent's last words>", "idle for 120 s"...). */
  detail: string;
  /** The whole session as text, redacted; where it was saved (null: not saved). */
  transcript: string[];
  transcriptPath: string | null;
}

/** Level 3: one recovery session of an AI agent. Never rejects: a failure is an outcome. */
export interface AgentRunner {
  run(request: AgentRequest, callbacks: AgentCallbacks, signal: AbortSignal): Promise<AgentReport>;
  /** The incident closed: whatever the agent kept of its sessions (kept while one might be resumed) goes. */
  forget?(incidentId: string): Promise<void>;
}
