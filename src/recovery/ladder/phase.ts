/**
 * The phase of a target: one word for where it stands, derived from the ladder's state (never
 * stored, so it cannot disagree with it). The card, the CLI and the API show it.
 */
import type { TargetPhase, TargetState } from '../types.js';

export function phaseOf(s: TargetState): TargetPhase {
  if (s.paused) return 'paused';
  const inc = s.incident;
  if (inc) {
    if (inc.state === 'waiting_human') return 'waiting-for-human';
    // A level-2 question (stop a process, restore the config) waits for a person; the agent's own questions are part of its work.
    if (inc.approval && inc.approval.kind !== 'agent-tool') return 'waiting-for-human';
    if (inc.level === 3) return 'agent';
    if (inc.level === 2) return 'repairing';
    return inc.flaps ? 'flapping' : 'restarting';
  }
  if (s.health === 'up') return 'healthy';
  if (s.health === 'down') return 'down';
  if (s.process.status === 'stopped' && s.pending === null) return 'stopped';
  return 'starting';
}
