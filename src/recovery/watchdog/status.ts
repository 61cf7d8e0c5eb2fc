/** What `/status`, the CLI and the card show of a target: a snapshot derived from its state. */
import { phaseOf } from '../ladder/index.js';
import type { TargetState, TargetStatus } from '../types.js';

export function statusOf(s: TargetState, supervised: boolean, agent: boolean): TargetStatus {
  const inc = s.incident;
  return {
    name: s.target,
    supervised,
    agent,
    phase: phaseOf(s),
    health: s.health,
    process: s.process.status,
    pid: s.process.pid,
    startedAt: s.process.startedAt,
    restarts: s.restarts,
    paused: s.paused,
    pausedUntil: s.pausedUntil,
    pending: s.pending?.work ?? null,
    restartAt: s.restartAt,
    lastProbe: s.probe.last,
    incident: inc
      ? { id: inc.id, state: inc.state, level: inc.level, cause: inc.cause, openedAt: inc.openedAt, approval: inc.approval ?? null, ...(inc.failure ? { failure: inc.failure } : {}) }
      : null,
    ...(s.vitals
      ? { memory: s.vitals.memory, readiness: s.vitals.readiness, provider: s.vitals.provider }
      : {}),
  };
}
