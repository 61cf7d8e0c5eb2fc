/**
 * The ladder's vocabulary: its state, the facts that flow in (events) and the
 * work that flows out (actions). Plain data, no I/O: see `ladder/step.ts`.
 */

/** Ladder levels: 0 supervise, 1 watchdog, 2 repair, 3 AI agent, 4 a human. */
export type Level = 0 | 1 | 2 | 3 | 4;

export type Health = 'up' | 'down' | 'unknown';

export type IncidentState = 'open' | 'recovering' | 'waiting_human' | 'resolved' | 'aborted';

/** A repair the ladder can run at level 2, in the order it is usually tried. */
export type RepairStep =
  | 'stop-stale'
  | 'restore-config'
  | 'set-gateway-mode'
  | 'doctor'
  | 'stop-port-holder'
  /** `openclaw plugins disable <id>` for the plugin that crashes the gateway (`RunRepair.subject`). */
  | 'disable-plugin'
  /** Remove OpenClaw's state lock that names a live process which is not a gateway (never signals it). */
  | 'remove-stale-lock';

/** A decision the ladder waits for from a person (operators in Discord, or the local API). */
export interface PendingApproval {
  id: string;
  /**
   * Stop a foreign process holding the gateway's port, restore the config while the gateway runs,
   * or let the AI agent (level 3) run a tool call (`command`) that the policy does not allow by itself.
   */
  kind: 'stop-port-holder' | 'restore-config' | 'agent-tool';
  /** The process to stop (stop-port-holder); 0 otherwise. */
  pid: number;
  command: string;
  /** The question as a person reads it. */
  question: string;
  requestedAt: number;
  /** Unanswered by then, it counts as denied. */
  expiresAt: number;
  /** agent-tool: the agent's tool ('Bash', 'Edit'...), what it says the call is for, and the request it waits on. */
  tool?: string;
  description?: string | null;
  requestId?: string;
}

/** How a level-3 session of the AI agent ended (before the medic's own verdict). */
export type AgentOutcome = 'finished' | 'failed' | 'idle' | 'timeout' | 'aborted' | 'error';

/** The AI agent's part in an incident (level 3). */
export interface AgentRun {
  /** Sessions started in this incident. */
  runs: number;
  /** Why the ladder called it. */
  reason: string;
  startedAt: number;
  /** Tool-call questions asked of people so far (for their ids). */
  asks: number;
  /** An operator approved every further action of the agent in this incident. */
  grantedBy: string | null;
  /** How the last session ended, e.g. "finished: RECOVERY SUMMARY: ...". */
  result: string | null;
  /**
   * The agent CLI's own id of the current session (Claude Code `--session-id`), recorded as it starts:
   * a medic restarted while the session ran resumes it by this id (`--resume`). Absent: not recorded.
   */
  session?: string;
}

/** What the medic learnt about a stopped gateway before choosing a repair. */
export interface Diagnosis {
  /** The gateway config file validated (parses, has `gateway.mode` for OpenClaw). */
  config: { ok: boolean; error: string | null; modeMissingOnly?: boolean };
  /** A last-known-good snapshot exists and differs from the file on disk. */
  lastKnownGood: { available: boolean; differs: boolean };
  /** Who listens on the gateway's port while it is stopped, if anyone. */
  portHolder: PortHolder | null;
  /**
   * Another supervisor manages the same gateway (a gateway on the port whose parent is not the medic,
   * OpenClaw's own systemd service active while the medic spawns it): who, as a person reads it.
   */
  otherSupervisor?: string | null;
}

export interface PortHolder {
  pid: number;
  command: string;
  /** The holder is a gateway this target started earlier (a stale child), not a foreign process. */
  stale: boolean;
}

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

/**
 * What kind of failure an incident is, named from the evidence (exit code, the gateway's own lines, its
 * probes and vitals). One vocabulary for the ladder, the card, `/status`, the agent's prompt and metrics.
 */
export type FailureClassName =
  | 'crash' // exited, nothing more specific known
  | 'hang' // alive but not answering its probes
  | 'config' // the config file does not validate
  | 'port' // another process holds the gateway's port
  | 'command' // the gateway's command cannot run
  | 'plugin-crash' // a plugin's uncaught exception or unhandled rejection kills every start
  | 'out-of-memory' // heap exhausted (exit 134), or RSS growth predicted to get there
  | 'stale-lock' // a state lock names a live process that is not a gateway
  | 'version-drift' // config stamped by a newer OpenClaw than the one running
  | 'state-schema' // state database newer than the build: a person's decision
  | 'node-too-old' // no usable Node for this OpenClaw: a person's decision
  | 'channel' // a chat channel failing readiness
  | 'channel-auth' // a chat channel's token refused (terminal): a person's step
  | 'event-loop' // the event loop degraded for a long time
  | 'provider-auth' // the model provider refuses the credentials: a person's step
  | 'provider-rate-limit' // the model provider says wait: never a restart
  | 'duelling-supervisors' // the same gateway is also managed elsewhere
  | 'latent-config'; // the config broke under a running gateway

export interface FailureClass {
  class: FailureClassName;
  /** What the evidence blames, when it names something: a plugin id, a pid, a channel, a provider. */
  culprit: string | null;
  /** A few lines that show it (redacted before they leave the medic), oldest first. */
  evidence: string[];
  /** One line as a person reads it ("plugin crash-plugin throws an uncaught exception at every start"). */
  summary: string;
}

export interface Incident {
  id: string;
  target: string;
  openedAt: number;
  closedAt: number | null;
  cause: string;
  state: IncidentState;
  level: Level;
  /** Highest level reached, for the summary. */
  maxLevel: Level;
  /** Restarts the ladder made in this incident. */
  restarts: number;
  doctorRuns: number;
  /** Level-2 repairs already tried, in order. */
  tried: RepairStep[];
  /** The repair whose effect is being verified ('agent': the AI agent's work), if any. */
  verifying: RepairStep | 'agent' | null;
  lastDiagnosis: Diagnosis | null;
  /** When the circuit breaker lets one more restart through (waiting for a human). */
  retryAt: number | null;
  /** A question waiting for a person's answer. */
  approval: PendingApproval | null;
  /** Opened because the config on disk broke while the gateway kept running (latent corruption). */
  latent?: boolean;
  /** Times the gateway died soon after this incident had resolved (it reopened): flapping. */
  flaps?: number;
  /** What the last "human needed" notice said: looked at again and nothing new, the incident waits without another. */
  humanNotified?: string;
  /** Level 3: the AI agent's sessions in this incident (absent: never called). */
  agent?: AgentRun;
  /** What kind of failure this is, once the evidence names it (absent: not classified). */
  failure?: FailureClass;
  /** Plugins disabled in this incident (`disable-plugin`), in order. */
  disabledPlugins?: string[];
  /** Of those, the plugins an operator re-enabled since (the card's button): their button is gone. */
  reenabledPlugins?: string[];
  /** What brought it back, or why it ended. */
  outcome: string | null;
}

/** The gateway's memory as last sampled: RSS from /proc, the line it dies at, and the trend between them. */
export interface MemoryVitals {
  /** The process sampled (the one serving the port). */
  pid: number;
  sampledAt: number;
  rssBytes: number;
  /**
   * The RSS it is expected to die at: the heap limit plus what the process holds besides its heap (OpenClaw's own
   * `memory pressure` figures when it logged them, else 60% of the run's first settled RSS); null: unknown.
   */
  limitBytes: number | null;
  /** The heap limit it runs with (--max-old-space-size, or Node's default), or MEMORY_LIMIT_MB; null: unknown. */
  heapLimitBytes: number | null;
  /** The trend (least squares over the window), bytes per minute; null: too few samples to say. */
  growthBytesPerMin: number | null;
  /** When the trend reaches `limitBytes`; null: not growing towards it (or unknown). */
  oomAt: number | null;
}

/** OpenClaw's own event-loop figures, as `/readyz` reports them. */
export interface EventLoopHealth {
  degraded: boolean;
  /** How long it has been degraded, by OpenClaw's clock (null: not degraded). */
  degradedSinceMs: number | null;
  reasons: string[];
  delayP99Ms: number | null;
  delayMaxMs: number | null;
  utilization: number | null;
}

/** One reading of the gateway's `/readyz` (readiness beyond liveness). */
export interface ReadinessReading {
  /** HTTP status; null when no answer came. */
  status: number | null;
  ready: boolean;
  /** What OpenClaw says fails: channel ids, or start-up states (`startup-sidecars`, `plugin-reload`...). */
  failing: string[];
  /** Channels whose auto-start OpenClaw's crash-loop breaker suppressed. */
  suppressed: string[];
  eventLoop: EventLoopHealth | null;
  /** Why there is no reading (timeout, connection refused, a body that is not OpenClaw's); null when there is one. */
  error: string | null;
}

/** A channel's own error, found in the gateway's output: `terminal` when no restart can help (a revoked token). */
export interface ChannelError {
  channel: string;
  error: string;
  terminal: boolean;
}

/** The end-to-end model provider probe's last outcome. */
export interface ProviderVitals {
  checkedAt: number;
  /** ok; auth: the credentials are refused (401); rate-limited: 429, wait; error: anything else. */
  state: 'ok' | 'auth' | 'rate-limited' | 'error';
  detail: string;
  latencyMs: number;
}

/** What the medic knows of a running gateway beyond liveness (see `ladder/vitals.ts`). */
export interface Vitals {
  /** RSS samples of the current pid, within the trend window, oldest first. */
  samples: { at: number; rssBytes: number }[];
  memory: MemoryVitals | null;
  /** The memory warning was given for this pid (once per run). */
  warnedPid: number | null;
  /** The first settled RSS sample of the current pid (its non-heap part is estimated from it). */
  baselineRss?: number | null;
  /** The plugins the gateway said it loaded (evidence for a memory finding); null: unknown. */
  plugins: string[] | null;
  readiness: (ReadinessReading & { checkedAt: number }) | null;
  /** `channels.start` per channel in this episode: attempts, when the next may go, one in flight. */
  channels: Record<string, { attempts: number; nextAt: number | null; inFlight: boolean; since?: number }>;
  provider: ProviderVitals | null;
  /** Times of the planned memory restarts and out-of-memory exits (repeated, a finding for a person). */
  memoryRestarts: number[];
}

/** `classify`: a service stopped answering and what it left behind is being read (ClassifyOutage). */
export type PendingWork = 'start' | 'stop' | 'diagnose' | 'agent' | 'classify' | RepairStep;

export interface TargetState {
  target: string;
  /** Counter for incident ids of this target. */
  incidentSeq: number;
  paused: boolean;
  pausedUntil: number | null;
  process: {
    status: 'stopped' | 'starting' | 'running' | 'stopping';
    pid: number | null;
    startedAt: number | null;
    /** The process answered at least once since it was started (or since it restarted in process). */
    becameHealthy: boolean;
    /** This run's start-up outlasted the start-up grace while it kept working: said once (absent: no). */
    graceExtended?: boolean;
    /**
     * When this run first answered a probe (null: not yet). A run's shortness (`flapRunMs`) counts from here, not
     * from its start: a start-up slower than `flapRunMs` says nothing about how long it then stays up. Absent in
     * states stored by an older medic (then the start counts).
     */
    answeredAt?: number | null;
    lastExit: ExitInfo | null;
  };
  health: Health;
  healthySince: number | null;
  probe: { failures: number; successes: number; last: ProbeResult | null };
  /** Exits of a process that never became healthy, inside the breaker window. */
  unstableExits: number[];
  /** Consecutive unstable exits: the backoff exponent. */
  backoffAttempt: number;
  /** Restarts made by the medic since it first saw this target. */
  restarts: number;
  restartAt: number | null;
  /** The one piece of work in flight (single flight), and what follows a stop. */
  /** Work in flight; `why`: for `classify`, the outage being read (it goes on the timeline with the next rung). */
  pending: { work: PendingWork; since: number; why?: string } | null;
  afterStop: 'start' | 'diagnose' | 'agent' | null;
  /** The config the gateway runs on is proven and kept as known-good (a copy was asked for). */
  snapshotTaken: boolean;
  /**
   * The proof that a config is good: healthy time summed over every run on the same content
   * (`config`, its fingerprint; null: unknown, then each run proves itself). Absent in states
   * stored by an older medic.
   */
  proof?: ConfigProof;
  /** The doctor's program was found at the medic's start-up (absent: not checked, assumed there). */
  doctor?: boolean;
  /** The incident that resolved last: a short run that dies after it resolved reopens it (flapping). */
  resolved?: Incident | null;
  incident: Incident | null;
  /** Memory, readiness and the model provider of the running gateway (absent: never sampled). */
  vitals?: Vitals;
}

/** Facts that flow into the ladder. */
export type LadderEvent =
  /** `doctor`: the doctor's program was found at start-up (absent: not checked). */
  | { type: 'Boot'; adoptedPid: number | null; doctor?: boolean }
  | { type: 'Tick' }
  | { type: 'ProbeSucceeded'; result: ProbeResult }
  | { type: 'ProbeFailed'; result: ProbeResult }
  /** `config`: the fingerprint of the config file it was started with (absent or null: unknown). */
  | { type: 'GatewayStarted'; pid: number | null; config?: string | null }
  /** The running gateway's port is served by `pid` (a descendant of the started pid, or a new listener). */
  | { type: 'GatewayServing'; pid: number }
  | { type: 'GatewayStartFailed'; error: string; permanent: boolean }
  | { type: 'GatewayStopped' }
  | { type: 'ProcessExited'; exit: ExitInfo }
  | { type: 'Diagnosed'; diagnosis: Diagnosis }
  | { type: 'RepairFinished'; step: RepairStep; ok: boolean; detail: string }
  /**
   * A check that ran beside the verifying start of a repair finished (OpenClaw's `config validate` after
   * a restore): a failure undoes the verification; a success is a line in the timeline.
   */
  | { type: 'RepairChecked'; step: RepairStep; ok: boolean; detail: string }
  | { type: 'RecoverRequested'; level: Level; by: string; note: string | null }
  | { type: 'AbortRequested'; by: string; reason: string | null }
  | { type: 'ApprovalDecided'; approvalId: string; approved: boolean; by: string; scope?: 'once' | 'incident' }
  | { type: 'AgentPermissionRequested'; requestId: string; tool: string; command: string; description: string | null }
  /**
   * `session`: as in the StartAgent it answers (a late end of an earlier session is ignored). `config`: a
   * latent incident's config checked as the session ended (null: unchanged since the last ConfigChanged).
   */
  | { type: 'AgentFinished'; session: string; outcome: AgentOutcome; detail: string; config?: { ok: boolean; error: string | null } | null }
  /** The agent CLI of `session` (as in its StartAgent) runs under its own id `agentSession`: kept to resume it. */
  | { type: 'AgentSessionStarted'; session: string; agentSession: string }
  | { type: 'ConfigChanged'; ok: boolean; error: string | null; lastKnownGood: boolean }
  /** A known-good copy of the config was kept (after `SnapshotConfig`): a repair that was not possible before is now. */
  | { type: 'KnownGoodSaved' }
  /** `pid`, the foreign process found holding the gateway's port (asked about, or awaited by a person), no longer holds it. */
  | { type: 'PortFreed'; pid: number }
  | { type: 'PauseRequested'; by: string; until: number | null }
  | { type: 'ResumeRequested'; by: string }
  /**
   * The gateway's RSS (`pid`: the process sampled) and the heap limit it runs with; `plugins` when known;
   * `nonHeapBytes`: RSS minus heap used, from OpenClaw's own `memory pressure` line when it logged one.
   */
  | { type: 'VitalsSampled'; pid: number; rssBytes: number; limitBytes: number | null; plugins?: string[] | null; nonHeapBytes?: number | null }
  /** One `/readyz` reading, with the failing channels' own errors found in the gateway's output. */
  | { type: 'ReadinessChecked'; reading: ReadinessReading; channelErrors?: ChannelError[] }
  | { type: 'ChannelStartFinished'; channel: string; ok: boolean; detail: string }
  /** The end-to-end provider probe (one real model call through the gateway); `evidence`: e.g. `openclaw models status` lines. */
  | { type: 'ProviderProbed'; outcome: 'ok' | 'auth' | 'rate-limit' | 'error'; provider: string | null; detail: string; evidence: string[]; latencyMs: number }
  /** An operator re-enables `plugin`, which the ladder disabled in incident `incidentId` (`disable-plugin`). */
  | { type: 'PluginEnableRequested'; plugin: string; incidentId: string; by: string }
  | { type: 'PluginEnableFinished'; plugin: string; incidentId: string; by: string; ok: boolean; detail: string }
  /** What a service gateway's log, journal and state dir say of the outage (`ClassifyOutage`); null: they name no class. */
  | { type: 'OutageClassified'; failure: FailureClass | null };

/** Kinds of record the ladder writes to the incident timeline and the audit log. */
export type RecordKind =
  | 'opened'
  | 'step'
  | 'level'
  | 'resolved'
  | 'human'
  | 'aborted'
  | 'health'
  | 'operator';

export interface LadderRecord {
  kind: RecordKind;
  at: number;
  target: string;
  incidentId: string | null;
  level: Level | null;
  text: string;
  /** Who asked, for operator records. */
  by?: string;
}

/** Work that flows out of the ladder; results come back as events. */
export type LadderAction =
  | { type: 'StartGateway' }
  | { type: 'StopGateway'; reason: string; urgent: boolean }
  | { type: 'Diagnose' }
  /** `subject`: what the repair acts on when it is not a pid (the plugin to disable). */
  | { type: 'RunRepair'; step: RepairStep; pid: number | null; subject?: string }
  /** The gateway is healthy after a crash loop: start the channels OpenClaw's own breaker suppressed. */
  | { type: 'StartChannels'; incidentId: string }
  /** Keep the config as known-good; `config`: the fingerprint that was proven (null: the one captured at the start). */
  | { type: 'SnapshotConfig'; config: string | null }
  | { type: 'Record'; record: LadderRecord }
  | { type: 'SaveIncident'; incident: Incident }
  | { type: 'NotifyHuman'; incidentId: string; summary: string }
  | { type: 'RequestApproval'; incidentId: string; approval: PendingApproval }
  | { type: 'ApprovalClosed'; incidentId: string; approval: PendingApproval; outcome: 'approved' | 'denied' | 'expired' | 'withdrawn'; by: string | null }
  /** `session`: `<incident>#<run>`, echoed by its AgentFinished. */
  /** `resume`: the agent CLI's session id to resume (a medic restarted mid-session); absent: a new session. */
  | { type: 'StartAgent'; incidentId: string; session: string; reason: string; resume?: string }
  | { type: 'StopAgent'; reason: string }
  | { type: 'AnswerAgent'; requestId: string; allow: boolean; by: string; reason: string }
  /** Restart one chat channel inside the running gateway (`channels.start`); answered by ChannelStartFinished. */
  | { type: 'StartChannel'; channel: string }
  /** `openclaw plugins enable <plugin>`, an operator's undo of the ladder's `disable-plugin` in `incidentId`. */
  | { type: 'EnablePlugin'; plugin: string; incidentId: string; by: string }
  /** A service gateway (its exits invisible) stopped answering: read what it left behind; answered by OutageClassified. */
  | { type: 'ClassifyOutage' };

export interface StepResult {
  state: TargetState;
  actions: LadderAction[];
}

/**
 * One word for where a target stands, derived from its state (`ladder/phase.ts`):
 * healthy; starting (first probes pending); down (not answering, no incident yet); stopped;
 * restarting (levels 0-1); flapping (levels 0-1, the gateway keeps dying soon after it came back); repairing (level 2); agent (level 3); waiting-for-human (level 4,
 * or a question only a person can answer); paused (automatic actions off).
 */
export type TargetPhase =
  | 'healthy'
  | 'starting'
  | 'down'
  | 'stopped'
  | 'restarting'
  | 'flapping'
  | 'repairing'
  | 'agent'
  | 'waiting-for-human'
  | 'paused';

/** What `/status` shows of a target. */
export interface TargetStatus {
  name: string;
  supervised: boolean;
  /** Level 3 (the AI agent) is available. */
  agent: boolean;
  /** Where the target stands, in one word. */
  phase: TargetPhase;
  health: TargetState['health'];
  process: TargetState['process']['status'];
  pid: number | null;
  startedAt: number | null;
  restarts: number;
  paused: boolean;
  pausedUntil: number | null;
  pending: string | null;
  /** When a scheduled restart (backoff) is due. */
  restartAt: number | null;
  lastProbe: ProbeResult | null;
  incident: (Pick<Incident, 'id' | 'state' | 'level' | 'cause' | 'openedAt' | 'approval'> & { failure?: FailureClass }) | null;
  /** The gateway's memory: RSS, the limit, growth and the predicted out-of-memory time (absent: not sampled). */
  memory?: MemoryVitals | null;
  /** The last `/readyz` reading (absent: not probed). */
  readiness?: (ReadinessReading & { checkedAt: number }) | null;
  /** The end-to-end model provider probe (absent: off). */
  provider?: ProviderVitals | null;
}
