/** An incident and what it carries: levels, the failure class, approvals, the agent's runs, diagnoses. */
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
  /** Repairs the medic died running and tried again after its restart (once each: ladder/repair.ts). */
  retriedAfterCrash?: RepairStep[];
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
