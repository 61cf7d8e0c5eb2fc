/**
 * The recovery ladder: a pure state machine. `step(state, event, ctx)` returns the next state
 * and the actions to run; it reads no clock, spawns nothing and imports nothing with side
 * effects, so every escalation rule is unit-tested with plain data.
 *
 * Each event type has one handler (the table below); the rules live in one file per concern:
 * `supervise.ts` (levels 0-1), `repair.ts` (level 2), `approvals.ts`, `agent.ts` (level 3),
 * `incident.ts` (open, level, resolve, escalate to a human), `operators.ts`, `vitals.ts` (memory,
 * readiness, the model provider of a running gateway).
 */
import type { LadderEvent, StepResult, TargetState } from '../types.js';
import { agentFinished, agentPermission, agentSessionStarted } from './agent.js';
import { approvalDecided, expireApproval } from './approvals.js';
import { newStep, type Step, type StepContext } from './context.js';
import { halfOpenRetry } from './incident.js';
import { abortRequested, enablePluginFinished, enablePluginRequested, endMaintenance, pauseRequested, recoverRequested, resumeRequested } from './operators.js';
import { configChanged, diagnosed, portFreed, reEvaluate, repairChecked, repairFinished } from './repair.js';
import { outageClassified } from './failure.js';
import { channelStartFinished, providerProbed, readinessChecked, vitalsConfigChanged, vitalsSampled } from './vitals.js';
import { boot, dueRestart, exited, probeFailed, probeSucceeded, serving, started, startFailed, stopped } from './supervise.js';

type Handlers = { [K in LadderEvent['type']]: (c: Step, e: Extract<LadderEvent, { type: K }>) => void };

/** Every event type and the rule that takes it. */
const HANDLERS: Handlers = {
  Boot: (c, e) => boot(c, e.adoptedPid, e.doctor),
  Tick: (c) => {
    endMaintenance(c);
    dueRestart(c);
    if (expireApproval(c)) return;
    halfOpenRetry(c);
  },
  ProbeSucceeded: (c, e) => probeSucceeded(c, e.result),
  ProbeFailed: (c, e) => probeFailed(c, e.result),
  GatewayStarted: (c, e) => started(c, e.pid, e.config ?? null),
  GatewayServing: (c, e) => serving(c, e.pid, e.listens ?? true),
  GatewayStartFailed: (c, e) => startFailed(c, e.error, e.permanent),
  GatewayStopped: (c) => stopped(c),
  ProcessExited: (c, e) => exited(c, e.exit),
  Diagnosed: (c, e) => diagnosed(c, e.diagnosis),
  RepairFinished: (c, e) => repairFinished(c, e.step, e.ok, e.detail),
  RepairChecked: (c, e) => repairChecked(c, e.step, e.ok, e.detail),
  ConfigChanged: (c, e) => vitalsConfigChanged(c) || configChanged(c, e.ok, e.error, e.lastKnownGood),
  KnownGoodSaved: (c) => reEvaluate(c, 'a known-good copy of the config now exists', 'known-good'),
  PortFreed: (c, e) => portFreed(c, e.pid),
  ApprovalDecided: (c, e) => approvalDecided(c, e.approvalId, e.approved, e.by, e.scope ?? 'once'),
  AgentPermissionRequested: (c, e) => agentPermission(c, e.requestId, e.tool, e.command, e.description),
  AgentFinished: (c, e) => agentFinished(c, e.session, e.outcome, e.detail, e.config ?? null),
  AgentSessionStarted: (c, e) => agentSessionStarted(c, e.session, e.agentSession),
  RecoverRequested: (c, e) => recoverRequested(c, e.level, e.by, e.note),
  AbortRequested: (c, e) => abortRequested(c, e.by, e.reason),
  PauseRequested: (c, e) => pauseRequested(c, e.by, e.until),
  ResumeRequested: (c, e) => resumeRequested(c, e.by),
  VitalsSampled: (c, e) => vitalsSampled(c, e),
  ReadinessChecked: (c, e) => readinessChecked(c, e.reading, e.channelErrors ?? []),
  ChannelStartFinished: (c, e) => channelStartFinished(c, e.channel, e.ok, e.detail),
  ProviderProbed: (c, e) => providerProbed(c, e),
  PluginEnableRequested: (c, e) => enablePluginRequested(c, e.plugin, e.incidentId, e.by),
  PluginEnableFinished: (c, e) => enablePluginFinished(c, e.plugin, e.incidentId, e.by, e.ok, e.detail),
  OutageClassified: (c, e) => outageClassified(c, e.failure, e.startingSince ?? null),
};

/** The event types the ladder takes, in the order of the table. */
export const EVENT_TYPES = Object.keys(HANDLERS) as LadderEvent['type'][];

export function initialState(target: string): TargetState {
  return {
    target,
    incidentSeq: 0,
    paused: false,
    pausedUntil: null,
    process: { status: 'stopped', pid: null, startedAt: null, becameHealthy: false, answeredAt: null, lastExit: null },
    health: 'unknown',
    healthySince: null,
    probe: { failures: 0, successes: 0, last: null },
    unstableExits: [],
    backoffAttempt: 0,
    restarts: 0,
    restartAt: null,
    pending: null,
    afterStop: null,
    snapshotTaken: false,
    proof: { config: null, healthyMs: 0, lastOkAt: null },
    incident: null,
  };
}

export function step(state: TargetState, event: LadderEvent, ctx: StepContext): StepResult {
  const c = newStep(structuredClone(state), ctx);
  const handle = HANDLERS[event.type] as (c: Step, e: LadderEvent) => void;
  handle(c, event);
  // The incident as it stands after the step (or as it closed), whenever it changed: the store keeps it.
  const incident = c.s.incident ?? c.closed;
  if (incident && JSON.stringify(incident) !== JSON.stringify(state.incident)) {
    c.actions.push({ type: 'SaveIncident', incident });
  }
  return { state: c.s, actions: c.actions };
}

/** When the ladder next needs a `Tick`, derived from the state; null when it does not. */
export function nextWakeAt(state: TargetState): number | null {
  const retryAt = state.paused ? null : (state.incident?.retryAt ?? null);
  const expiresAt = state.incident?.approval?.expiresAt ?? null;
  const times = [state.restartAt, retryAt, state.pausedUntil, expiresAt].filter((t): t is number => t !== null);
  return times.length ? Math.min(...times) : null;
}
