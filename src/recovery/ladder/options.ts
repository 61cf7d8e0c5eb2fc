/**
 * The ladder's policy knobs. A knob is a number, or a function where the
 * policy needs one; a function returning `null` means "give up".
 */

/**
 * Delay before restart number `attempt` (0-based count of consecutive exits of a
 * process that never became healthy), given a random number in [0, 1).
 * `null` gives up restarting and escalates to level 2.
 */
export type BackoffFunction = (attempt: number, random: number) => number | null;

export interface LadderOptions {
  /** The medic spawns the gateway itself (GATEWAY_COMMAND); otherwise a service manager owns it. */
  supervised: boolean;
  /**
   * The medic can start or restart the gateway (GATEWAY_COMMAND or GATEWAY_RESTART_COMMAND). Without
   * it the medic only watches: an outage goes to a person, no restart is tried or counted.
   */
  canRestart: boolean;
  /** Consecutive failed probes that open an incident. */
  failureThreshold: number;
  /** Consecutive good probes that close one. */
  recoveryThreshold: number;
  /** Probe failures are not counted for this long after a start, until the first good probe. */
  startupGraceMs: number;
  /**
   * The start-up grace is extended up to this long (from the start) while the failed probes find the
   * gateway's process alive and working (using CPU): a start slowed by load is not killed, a frozen or
   * idle one is not waited for. Not below `startupGraceMs`.
   */
  startupGraceMaxMs: number;
  /**
   * A probe that timed out while the gateway's main thread was pinned for its whole wait and at least
   * this long (`ProbeResult.pinnedMs`) is a verdict: its event loop is blocked. Absent: the default.
   */
  blockedLoopMs?: number;
  backoff: BackoffFunction;
  /** Exits of a never-healthy process within `breakerWindowMs` that open the circuit breaker. */
  breakerMaxExits: number;
  breakerWindowMs: number;
  /**
   * A run that exits by itself (an exit code, not a signal) within this long of its first good probe (of its
   * start, when it never answered; a slow start-up is not time up) is short: the
   * breaker counts it even when it answered a probe, and when its incident had resolved in that run,
   * the incident reopens (flapping).
   */
  flapRunMs: number;
  /** Doctor runs allowed per incident. */
  maxDoctorRuns: number;
  /** Healthy for this long before the running config becomes the last-known-good one. */
  snapshotAfterMs: number;
  /** While waiting for a human, let one restart through this often (half-open breaker); null: never. */
  humanRetryMs: number | null;
  /** An unanswered approval request counts as denied after this long. */
  approvalTimeoutMs: number;
  /** Level 3: the AI agent is configured; without it the ladder goes from level 2 to a human. */
  agentEnabled?: boolean;
  /** An agent's tool call nobody answered counts as denied after this long. */
  agentApprovalTimeoutMs: number;
  /** Tool calls of the agent allowed without asking (read-only diagnostics); default: none. */
  agentAutoAllow?: (tool: string, command: string) => boolean;
  /**
   * Why a tool call of the agent is refused outright (e.g. showing it to an operator would mean
   * hiding part of it: see `refuseToShow` in redact), or null; checked before the policy and grants.
   */
  agentRefuse?: (tool: string, command: string) => string | null;
  /** Memory, readiness and provider rules (`vitals.ts`); absent: `DefaultVitalsOptions`. */
  vitals?: import('./vitals-options.js').VitalsOptions;
}

/** Exponential backoff: immediate first, then `initialMs` doubling up to `maxMs`, with +/-20% jitter. */
export function exponentialBackoff(initialMs: number, maxMs: number): BackoffFunction {
  return (attempt, random) => {
    if (attempt <= 0) return 0;
    const base = Math.min(maxMs, initialMs * 2 ** (attempt - 1));
    return Math.round(base * (0.8 + 0.4 * random));
  };
}

/** The default restart backoff: its first delay and its cap (RESTART_BACKOFF_INITIAL_MS, RESTART_BACKOFF_MAX_MS). */
export const DefaultBackoff = { initialMs: 1_000, maxMs: 30_000 } as const;

/**
 * The ladder's defaults, in one place: `config.ts` starts every target's settings from here
 * and the unit tests drive the ladder with them.
 */
export const DefaultLadderOptions = {
  /** Default: true when GATEWAY_COMMAND is set. */
  supervised: true,
  /** Default: true when GATEWAY_COMMAND or GATEWAY_RESTART_COMMAND is set. */
  canRestart: true,
  /** Default 3 failed probes (15 s at the default 5 s interval). */
  failureThreshold: 3,
  /** Default 2 good probes. */
  recoveryThreshold: 2,
  /** Default 60 s: OpenClaw takes 10-25 s from exec to its first 200. */
  startupGraceMs: 60_000,
  /** Default 5 minutes: under load OpenClaw took 54-180 s to start. */
  startupGraceMaxMs: 300_000,
  /**
   * Default 2 s: OpenClaw 2026.9.6's main thread was read pinned (wanting the CPU, no voluntary switch)
   * at most 1-1.5 s at a time during and right after its start, at load 8 and 27 on 2 cores (its
   * answers then took up to 2.5 s); at the default 3 s probe timeout the whole wait must be pinned anyway.
   */
  blockedLoopMs: 2_000,
  /** Default: immediate, then 1 s, 2 s, 4 s ... capped at 30 s. */
  backoff: exponentialBackoff(DefaultBackoff.initialMs, DefaultBackoff.maxMs),
  /** Default 5 exits ... */
  breakerMaxExits: 5,
  /** ... within 2 minutes. */
  breakerWindowMs: 120_000,
  /** Default 60 s. */
  flapRunMs: 60_000,
  /** Default 2, as the seed article's watchdog. */
  maxDoctorRuns: 2,
  /** Default 30 s healthy. */
  snapshotAfterMs: 30_000,
  /** Default 10 minutes. */
  humanRetryMs: 600_000,
  /** Default 15 minutes. */
  approvalTimeoutMs: 900_000,
  /** Default 5 minutes (AGENT_APPROVAL_TIMEOUT_MS). */
  agentApprovalTimeoutMs: 300_000,
} as const satisfies LadderOptions;
