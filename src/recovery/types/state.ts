/** A target's state as the ladder keeps it, and its status as the medic shows it. */
import type { FailureClass, Health, Incident, RepairStep } from './incident.js';
import type { ConfigProof, ExitInfo, ProbeResult } from './probe.js';
import type { MemoryVitals, ProviderVitals, ReadinessReading, Vitals } from './vitals.js';

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
