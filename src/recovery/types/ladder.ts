/** The facts that flow into the ladder (events), the work that flows out (actions) and its records. */
import type { AgentOutcome, Diagnosis, FailureClass, Incident, Level, PendingApproval, RepairStep } from './incident.js';
import type { ExitInfo, ProbeResult } from './probe.js';
import type { TargetState } from './state.js';
import type { ChannelError, ReadinessReading } from './vitals.js';

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
  | { type: 'GatewayServing'; pid: number; /** False: the gateway process found before it listens (a re-launch below the shell). Default true. */ listens?: boolean }
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
  /**
   * What a service gateway's log, journal and state dir say of the outage (`ClassifyOutage`); null: they name no class.
   * `startingSince`: when the service's main process, running now, started (epoch ms), as its manager says; null or
   * absent: not running, or not known.
   */
  | { type: 'OutageClassified'; failure: FailureClass | null; startingSince?: number | null };

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
