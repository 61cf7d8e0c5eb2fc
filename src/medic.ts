/**
 * The medic: one watchdog per target, the store, and the events out. Built by the
 * composition root (`main.ts`) from adapters it chooses; knows nothing of env or argv.
 */
import type { AgentSetup } from './agent/setup.js';
import type { MedicConfig, TargetConfig } from './config.js';
import { RequestRejectedError } from './errors.js';
import type { MedicEvents } from './recovery/events.js';
import { DefaultLadderOptions, exponentialBackoff, type LadderOptions } from './recovery/ladder/index.js';
import type { Clock, GatewayProcess, GatewayRepairs, HealthProbe, Logger, Store } from './recovery/ports.js';
import { refuseToShow, type Redactor } from './lib/redact.js';
import type { LadderRecord } from './recovery/types.js';
import { TargetWatchdog, type TargetStatus } from './recovery/watchdog/index.js';
import type { VitalsMonitor } from './recovery/vitals/ports.js';
import { vitalsOptionsFor } from './config/vitals.js';

export interface TargetAdapters {
  gateway: GatewayProcess;
  probe: HealthProbe;
  repairs: GatewayRepairs;
  /** Memory, readiness, the provider probe; absent: liveness only. */
  vitals?: VitalsMonitor;
}

export interface MedicDeps {
  config: MedicConfig;
  store: Store;
  clock: Clock;
  log: Logger;
  events: MedicEvents;
  redactor: Redactor;
  buildAdapters: (target: TargetConfig) => TargetAdapters;
  /** Level 3 (the AI agent); absent: the ladder goes from level 2 to a human. */
  agent?: AgentSetup | null;
  version: string;
}

export interface MedicStatus {
  medic: ReturnType<Medic['about']>;
  /** `host`: in fleet mode, the host a target runs on (src/fleet). */
  targets: (TargetStatus & { recentOutput?: string[]; host?: string })[];
}

/** A target's ladder options: the defaults (`DefaultLadderOptions`) with the target's settings over them. */
export function ladderOptionsFor(t: TargetConfig, agent?: AgentSetup | null, redactor?: Redactor): LadderOptions {
  return {
    ...DefaultLadderOptions,
    ...(agent ? { agentEnabled: true, agentApprovalTimeoutMs: agent.approvalTimeoutMs, agentAutoAllow: agent.autoAllow } : {}),
    // A command an operator could only be shown with part of it hidden is refused, never asked.
    ...(agent && redactor ? { agentRefuse: (_tool: string, command: string) => refuseToShow(redactor, command) } : {}),
    supervised: t.command !== null,
    canRestart: t.command !== null || t.restartCommand !== null,
    flapRunMs: t.flapRunMs,
    failureThreshold: t.failureThreshold,
    recoveryThreshold: t.recoveryThreshold,
    startupGraceMs: t.startupGraceMs,
    // The cap is never below the grace itself: a STARTUP_GRACE_MS raised alone still holds.
    startupGraceMaxMs: Math.max(t.startupGraceMs, t.startupGraceMaxMs),
    backoff: exponentialBackoff(t.backoffInitialMs, t.backoffMaxMs),
    breakerMaxExits: t.breakerMaxExits,
    breakerWindowMs: t.breakerWindowMs,
    snapshotAfterMs: t.snapshotAfterMs,
    humanRetryMs: t.humanRetryMs,
    approvalTimeoutMs: t.approvalTimeoutMs,
    vitals: vitalsOptionsFor(t),
  };
}

export class Medic {
  private readonly dogs = new Map<string, TargetWatchdog>();
  private readonly startedAt: number;

  constructor(private readonly d: MedicDeps) {
    this.startedAt = d.clock.now();
    for (const t of d.config.targets) {
      const adapters = d.buildAdapters(t);
      this.dogs.set(
        t.name,
        new TargetWatchdog({
          name: t.name,
          ladder: ladderOptionsFor(t, d.agent, d.redactor),
          probeIntervalMs: t.probeIntervalMs,
          probeRetryMs: t.probeRetryMs,
          ...adapters,
          store: d.store,
          clock: d.clock,
          log: d.log,
          events: d.events,
          redactor: d.redactor,
          ...(d.agent ? { agent: d.agent.runnerFor(t) } : {}),
        }),
      );
    }
  }

  async start(): Promise<void> {
    await Promise.all([...this.dogs.values()].map((dog) => dog.start()));
  }

  /** Stops every loop; supervised gateways are stopped with the medic, so none is left orphaned. */
  async stop(): Promise<void> {
    await Promise.all([...this.dogs.values()].map((dog) => dog.stop(true)));
  }

  target(name: string): TargetWatchdog {
    const dog = this.dogs.get(name);
    if (!dog) {
      throw new RequestRejectedError(`unknown target '${name}'; targets: ${[...this.dogs.keys()].join(', ')}`, 404);
    }
    return dog;
  }

  targets(): TargetWatchdog[] {
    return [...this.dogs.values()];
  }

  about() {
    return {
      version: this.d.version,
      pid: process.pid,
      startedAt: this.startedAt,
      uptimeMs: this.d.clock.now() - this.startedAt,
    };
  }

  /**
   * A record from outside the ladder for the audit (an operator's click, a refused request): its
   * text redacted once, as every record of the watchdogs' outbox is, then stored.
   */
  async audit(record: LadderRecord): Promise<void> {
    await this.d.store.appendRecord({ ...record, text: this.d.redactor.redact(record.text) });
  }

  status(): MedicStatus {
    return {
      medic: this.about(),
      targets: this.targets().map((dog) => {
        const s = dog.status();
        return s.incident ? { ...s, recentOutput: dog.recentOutput(20) } : s;
      }),
    };
  }
}
