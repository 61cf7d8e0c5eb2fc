/**
 * What people ask of the ladder (Discord, the CLI, the local API): recover at a level, abort,
 * pause, resume, re-enable a plugin the ladder disabled; and the checks that refuse a request
 * before it is queued.
 */
import type { Incident, Level, RecordKind, TargetState } from '../types.js';
import { checkAgentRecover, enterLevel3, stopAgent } from './agent.js';
import { closeApproval } from './approvals.js';
import { record, type Step } from './context.js';
import { escalate, openIncident, setLevel } from './incident.js';
import type { LadderOptions } from './options.js';
import { diagnose, enterLevel2, reEvaluate } from './repair.js';
import { restart, start } from './supervise.js';

/** Why an operator's recovery request cannot run now, or null when it can. */
export function checkRecover(state: TargetState, level: Level, options?: Pick<LadderOptions, 'agentEnabled'> & Partial<Pick<LadderOptions, 'canRestart'>>): string | null {
  if (level <= 1 && options?.canRestart === false) {
    return `${state.target} is watch-only: clawmedic cannot restart it; set GATEWAY_COMMAND or GATEWAY_RESTART_COMMAND (see .env.example)`;
  }
  if (level === 3) {
    const off = checkAgentRecover(options);
    if (off) return off;
  }
  if (state.pending) return `busy: ${state.pending.work} is in progress; try again when it finishes`;
  return null;
}

/** Why an abort cannot run now, or null when it can. */
export function checkAbort(state: TargetState): string | null {
  return state.incident ? null : `${state.target} has no open incident to abort`;
}

/** Why a resume cannot run now, or null when it can. */
export function checkResume(state: TargetState): string | null {
  return state.paused ? null : `${state.target} is not paused`;
}

/**
 * The level an incident card's button asks for. Retry: the incident's level again, 2 at most (the
 * card's label says the same). Escalate: the next level that can run: 2 from a restart, 3 from a
 * repair when the AI agent is available, else 4 (a human).
 */
export function buttonLevel(button: 'retry' | 'escalate', level: Level, agentAvailable: boolean): Level {
  if (button === 'retry') return level < 2 ? level : 2;
  if (level < 2) return 2;
  return level === 2 && agentAvailable ? 3 : 4;
}

export function recoverRequested(c: Step, level: Level, by: string, note: string | null): void {
  const s = c.s;
  record(c, 'operator', `${by} asked for level ${level}${note ? `: ${note}` : ''}`, by);
  if (s.paused) unpause(c);
  const inc = openIncident(c, `manual recovery at level ${level} requested by ${by}`, null);
  s.restartAt = null;
  if (level <= 1) {
    setLevel(c, level, `${by}: restart`);
    inc.verifying = null;
    return restart(c, `requested by ${by}`);
  }
  if (level === 2) {
    // A person asking for level 2 gets a fresh repair budget.
    inc.doctorRuns = 0;
    inc.tried = [];
    return enterLevel2(c, `requested by ${by}`);
  }
  if (level === 3) return enterLevel3(c, `requested by ${by}${note ? `: ${note}` : ''}`);
  escalate(c, `${by} asked for a human`);
}

export function abortRequested(c: Step, by: string, reason: string | null): void {
  const s = c.s;
  const inc = s.incident;
  record(c, 'operator', `${by} aborted${reason ? `: ${reason}` : ''}`, by);
  if (!inc) return;
  closeApproval(c, 'withdrawn', by);
  stopAgent(c, `aborted by ${by}`);
  Object.assign(inc, { state: 'aborted', closedAt: c.now, retryAt: null, outcome: `aborted by ${by}` });
  record(c, 'aborted', `incident aborted by ${by}; automatic actions paused until resumed`);
  c.closed = inc;
  s.incident = null;
  s.paused = true;
  s.pausedUntil = null;
  s.restartAt = null;
  s.afterStop = null;
}

export function pauseRequested(c: Step, by: string, until: number | null): void {
  const s = c.s;
  s.paused = true;
  s.pausedUntil = until;
  s.restartAt = null;
  const span = until === null ? 'until resumed' : `for ${Math.round((until - c.now) / 60_000)} min`;
  record(c, 'operator', `${by} paused automatic actions ${span}`, by);
}

export function resumeRequested(c: Step, by: string): void {
  const s = c.s;
  unpause(c);
  record(c, 'operator', `${by} resumed automatic actions`, by);
  if (!c.o.supervised || s.pending || s.process.status !== 'stopped') return;
  const inc = openIncident(c, 'gateway is down after maintenance', null);
  // An operator's resume is a new fact: an incident waiting for a human looks again (it notifies no one twice for nothing new).
  if (inc.state === 'waiting_human') return reEvaluate(c, `${by} resumed automatic actions`, 'diagnose');
  if (inc.level >= 2) diagnose(c);
  else start(c);
}

/** Tick: a maintenance window (pause with an end) is over. */
export function endMaintenance(c: Step): void {
  const s = c.s;
  if (s.paused && s.pausedUntil !== null && c.now >= s.pausedUntil) resumeRequested(c, 'maintenance window end');
}

function unpause(c: Step): void {
  c.s.paused = false;
  c.s.pausedUntil = null;
}

/**
 * Why a plugin the ladder disabled in `incident` cannot be re-enabled now, or null when it can: only a plugin that
 * incident disabled, once it is over (while it is open, its repair is still being verified), and not while other
 * work on the gateway is in flight.
 */
export function checkEnablePlugin(state: TargetState, incident: Pick<Incident, 'id' | 'target' | 'disabledPlugins' | 'reenabledPlugins'>, plugin: string): string | null {
  if (incident.target !== state.target || incident.disabledPlugins?.includes(plugin) !== true) {
    return `incident ${incident.id} did not disable plugin ${plugin} on ${state.target}; nothing done`;
  }
  if (incident.reenabledPlugins?.includes(plugin)) return alreadyEnabled(plugin, incident.id);
  if (state.incident?.id === incident.id) return `incident ${incident.id} is still open: re-enable plugin ${plugin} once it is resolved`;
  if (state.pending) return `busy: ${state.pending.work} is in progress; try again when it finishes`;
  return null;
}

export function enablePluginRequested(c: Step, plugin: string, incidentId: string, by: string): void {
  recordOn(c, incidentId, 'operator', `${by} re-enables plugin ${plugin} (disabled in ${incidentId}): openclaw plugins enable ${plugin}`, by);
  c.actions.push({ type: 'EnablePlugin', plugin, incidentId, by });
}

export function enablePluginFinished(c: Step, plugin: string, incidentId: string, by: string, ok: boolean, detail: string): void {
  const text = ok ? `plugin ${plugin} re-enabled for ${by}: ${detail}` : `plugin ${plugin} could not be re-enabled for ${by}: ${detail}`;
  recordOn(c, incidentId, 'operator', text, by);
}

/** A line on the timeline of `incidentId`, which may be closed (the thread where the plugin was disabled). */
function recordOn(c: Step, incidentId: string, kind: RecordKind, text: string, by: string): void {
  c.actions.push({ type: 'Record', record: { kind, at: c.now, target: c.s.target, incidentId, level: null, text, by } });
}

/** A second click on a re-enable button (a stale card, two operators at once): said politely, nothing run again. */
export function alreadyEnabled(plugin: string, incidentId: string): string {
  return `plugin ${plugin} is already enabled again (it was re-enabled after ${incidentId}); nothing done`;
}
