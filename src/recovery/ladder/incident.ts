/**
 * The incident's bookkeeping: open it (or continue the open one), move it between levels,
 * resolve it, escalate it when a level has nothing left, and the half-open retry while a
 * human is awaited.
 */
import type { Incident, IncidentState, Level } from '../types.js';
import { agentTakesOver, agentTried, enterLevel3, stopAgent } from './agent.js';
import { closeApproval } from './approvals.js';
import { record, type Step } from './context.js';
import { restart } from './supervise.js';

/** A fresh incident record: nothing tried, nothing asked, not closed. */
export function newIncident(id: string, target: string, openedAt: number, cause: string, state: IncidentState, level: Level): Incident {
  return {
    id,
    target,
    openedAt,
    closedAt: null,
    cause,
    state,
    level,
    maxLevel: level,
    restarts: 0,
    doctorRuns: 0,
    tried: [],
    verifying: null,
    lastDiagnosis: null,
    retryAt: null,
    approval: null,
    outcome: null,
  };
}

/** The open incident, or a new one; `again` is written to the timeline of one already open. */
export function openIncident(c: Step, cause: string, again: string | null): Incident {
  const s = c.s;
  if (s.incident) {
    if (again) record(c, 'step', again);
    if (s.incident.state === 'open') s.incident.state = 'recovering';
    return s.incident;
  }
  s.incidentSeq += 1;
  s.incident = newIncident(`${s.target}-${s.incidentSeq}`, s.target, c.now, cause, 'recovering', 0);
  record(c, 'opened', cause);
  return s.incident;
}

export function setLevel(c: Step, level: Level, text: string): void {
  const inc = c.s.incident!;
  inc.level = level;
  inc.maxLevel = Math.max(inc.maxLevel, level) as Level;
  inc.state = level === 4 ? 'waiting_human' : 'recovering';
  if (level !== 4) inc.retryAt = null;
  record(c, level === 4 ? 'human' : 'level', `level ${level}: ${text}`);
}

/** The gateway is healthy again (or the cause went away): the incident closes. */
export function resolve(c: Step, outcome?: string): void {
  const s = c.s;
  const inc = s.incident!;
  const secs = ((c.now - inc.openedAt) / 1000).toFixed(1);
  const by = outcome ?? (inc.verifying === 'agent'
    ? 'fixed by the AI agent'
    : inc.verifying
      ? `fixed by ${inc.verifying}`
      : inc.state === 'waiting_human'
        ? 'came back while waiting for a human'
        : `${inc.restarts} restart${inc.restarts === 1 ? '' : 's'}`);
  closeApproval(c, 'withdrawn', null);
  stopAgent(c, 'the gateway is healthy again');
  Object.assign(inc, { state: 'resolved', closedAt: c.now, retryAt: null, outcome: by });
  record(c, 'resolved', `resolved after ${secs} s at level ${inc.maxLevel} (${by})`);
  // OpenClaw's own breaker suppresses channel auto-start after 3 unclean boots in 5 minutes: bring them back.
  if (inc.failure?.class === 'plugin-crash' || inc.restarts >= 3) c.actions.push({ type: 'StartChannels', incidentId: inc.id });
  c.closed = inc;
  s.incident = null;
  s.resolved = inc;
}

/**
 * The run that brought `s.resolved` back died soon after its start: the same outage, flapping.
 * The incident reopens with its count; true when it did.
 */
export function reopenFlapping(c: Step, what: string): boolean {
  const s = c.s;
  const last = s.resolved;
  const startedAt = s.process.startedAt;
  if (s.incident || !last || last.closedAt === null || startedAt === null || last.closedAt < startedAt) return false;
  const flaps = (last.flaps ?? 0) + 1;
  s.incident = { ...last, state: 'recovering', closedAt: null, outcome: null, retryAt: null, verifying: null, approval: null, flaps };
  s.resolved = null;
  const secs = ((c.now - last.closedAt) / 1000).toFixed(1);
  record(c, 'step', `gateway ${what} ${secs} s after it came back: flapping (death ${flaps + 1} of this incident)`);
  return true;
}

/** Level 2 (or an operator) has nothing left: the AI agent when it may take over, else a human. */
export function escalate(c: Step, reason: string): void {
  const inc = c.s.incident!;
  if (agentTakesOver(c, inc)) return enterLevel3(c, reason);
  const why = `${reason}${agentTried(inc)}`;
  // Watch-only: no restart to let through.
  const retryAt = c.o.humanRetryMs === null || !c.o.canRestart ? null : c.now + c.o.humanRetryMs;
  if (inc.humanNotified === why) {
    // Looked at again after a new fact and found nothing new: the people already know; one line, no second notice.
    Object.assign(inc, { level: 4, state: 'waiting_human', retryAt });
    record(c, 'step', 'nothing new to try: still waiting for a human');
    return;
  }
  setLevel(c, 4, `human needed: ${why}`);
  inc.retryAt = retryAt;
  inc.humanNotified = why;
  c.actions.push({ type: 'NotifyHuman', incidentId: inc.id, summary: why });
}

/** Tick: while a human is awaited, the circuit breaker lets one restart through every `humanRetryMs`. */
export function halfOpenRetry(c: Step): void {
  const s = c.s;
  const inc = s.incident;
  if (inc?.state !== 'waiting_human' || inc.retryAt === null || c.now < inc.retryAt || s.pending || s.paused) return;
  inc.retryAt = c.o.humanRetryMs === null ? null : c.now + c.o.humanRetryMs;
  record(c, 'step', 'circuit breaker half-open: trying one restart');
  restart(c, 'half-open retry');
}

/**
 * Level 4 for a person's decision the evidence names (a state database newer than the build, no
 * usable Node, two supervisors): no agent, no half-open restart, one notice with the exact fix.
 */
export function needPerson(c: Step, why: string): void {
  const inc = c.s.incident!;
  if (inc.humanNotified === why && inc.state === 'waiting_human') {
    record(c, 'step', 'nothing new to try: still waiting for a human');
    return;
  }
  setLevel(c, 4, `human needed: ${why}`);
  inc.retryAt = null;
  inc.humanNotified = why;
  c.actions.push({ type: 'NotifyHuman', incidentId: inc.id, summary: why });
}
