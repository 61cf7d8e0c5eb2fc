/**
 * Level 3: the AI agent. Every rule about it is here: when it takes over, how a session
 * starts and ends, who allows its tool calls, what happens to its question when the
 * incident moves on, expires or the medic restarts, and when an operator may ask for it.
 * The agent itself runs behind the `AgentRunner` port (see `../watchdog/agent-bridge.ts`).
 *
 * The agent is called once per incident when level 2 has nothing left (or an operator asks),
 * on a stopped gateway; each tool call it wants is allowed by policy (read-only), by an
 * operator's earlier "for this incident", or asked of people; its end is judged by starting
 * the gateway and probing it, like any repair. A latent incident (the config broke under a
 * running gateway, no known-good copy) gets the agent beside the running gateway, which is never
 * stopped for it: its end is judged by the config on disk validating again.
 */
import type { AgentOutcome, Incident, PendingApproval } from '../types.js';
import { closeApproval } from './approvals.js';
import { record, type Step } from './context.js';
import { escalate, resolve, setLevel } from './incident.js';
import type { LadderOptions } from './options.js';
import { restart, stop } from './supervise.js';

/** Names one agent session: its incident and run. */
export function sessionOf(incidentId: string, run: number): string {
  return `${incidentId}#${run}`;
}

/**
 * Escalation from level 2: the agent once per incident (a person may ask for another run); a
 * latent incident too (its running gateway is kept running); a paused target acts on nothing.
 */
export function agentTakesOver(c: Step, inc: Incident): boolean {
  return Boolean(c.o.agentEnabled) && c.o.canRestart && !inc.agent && !c.s.paused;
}

/** What the agent's last session said, for the "human needed" summary ('' when it never ran). */
export function agentTried(inc: Incident): string {
  return inc.agent?.result ? ` The AI agent tried: ${inc.agent.result}.` : '';
}

/** Why an operator cannot ask for level 3, or null when they can. */
export function checkAgentRecover(options?: Pick<LadderOptions, 'agentEnabled'>): string | null {
  if (options?.agentEnabled) return null;
  return 'level 3 (AI agent) is off: set AGENT_ENABLED and ANTHROPIC_API_KEY (see .env.example), or ask for level 2 or 4';
}

export function enterLevel3(c: Step, reason: string): void {
  const inc = c.s.incident!;
  inc.verifying = null;
  inc.agent = { runs: inc.agent?.runs ?? 0, reason, startedAt: c.now, asks: inc.agent?.asks ?? 0, grantedBy: null, result: null };
  setLevel(c, 3, `AI agent: ${reason}`);
  // Like level 2, the agent works on a stopped gateway; the medic starts it again to judge the result.
  // A latent incident's gateway still serves on the config it started with: it keeps running.
  if (!inc.latent && c.o.supervised && (c.s.process.status === 'running' || c.s.process.status === 'starting')) {
    stop(c, 'the AI agent works on a stopped gateway', 'agent');
  } else {
    startAgent(c);
  }
}

/** `resume`: the agent CLI's session id to take up again (the medic restarted mid-session); absent: a new session. */
export function startAgent(c: Step, resume?: string): void {
  const inc = c.s.incident;
  if (!inc?.agent || inc.state !== 'recovering' || c.s.paused) return;
  inc.agent.runs += 1;
  inc.agent.startedAt = c.now;
  // A new session gets its own id (AgentSessionStarted); until then there is nothing to resume.
  if (!resume) delete inc.agent.session;
  c.s.pending = { work: 'agent', since: c.now };
  record(c, 'step', resume ? `resuming the AI agent's session ${resume}` : 'starting the AI agent');
  c.actions.push({ type: 'StartAgent', incidentId: inc.id, session: sessionOf(inc.id, inc.agent.runs), reason: inc.agent.reason, ...(resume ? { resume } : {}) });
}

/** The agent CLI of the current session runs under its own id: kept with the incident, so a restarted medic can resume it. */
export function agentSessionStarted(c: Step, session: string, agentSession: string): void {
  const inc = c.s.incident;
  if (c.s.pending?.work !== 'agent' || !inc?.agent || session !== sessionOf(inc.id, inc.agent.runs)) return;
  inc.agent.session = agentSession;
}

/** Ends a running agent session (abort, or the gateway came back); its late AgentFinished is ignored. */
export function stopAgent(c: Step, reason: string): void {
  if (c.s.pending?.work !== 'agent') return;
  c.s.pending = null;
  c.actions.push({ type: 'StopAgent', reason });
}

/**
 * The medic restarted (`sessionWasRunning`: an agent session was in flight when it stopped). That
 * session died with the previous medic; it is resumed by the agent CLI's own id (its history comes
 * back; the question it waited on is withdrawn here and asked again by the resumed agent), or the
 * timeline says plainly why it cannot be, and the ladder goes on without it. True: resumed.
 */
export function agentOnBoot(c: Step, sessionWasRunning: boolean): boolean {
  const inc = c.s.incident;
  const question = inc?.approval?.kind === 'agent-tool' ? inc.approval : null;
  if (!inc?.agent || !sessionWasRunning) {
    if (!question) return false;
    record(c, 'step', 'the AI agent session ended with the previous medic');
    closeApproval(c, 'withdrawn', null);
    return false;
  }
  const why = !inc.agent.session
    ? 'its session id was not recorded before the medic stopped'
    : !c.o.agentEnabled
      ? 'level 3 is off now (AGENT_ENABLED)'
      : c.s.paused
        ? 'automatic actions are paused'
        : inc.state !== 'recovering'
          ? `the incident is ${inc.state}`
          : null;
  if (question) {
    record(c, 'step', why ? `question ${question.id} is withdrawn: the agent that asked it is gone` : `question ${question.id} is withdrawn: the resumed agent asks it again`);
    closeApproval(c, 'withdrawn', null);
  }
  if (why) {
    record(c, 'step', `the AI agent session ended with the previous medic and cannot be resumed: ${why}`);
    inc.agent.result = `the session was lost when the medic restarted (${why})`;
    return false;
  }
  record(c, 'step', 'medic restarted mid-session: the AI agent session is resumed with its history');
  startAgent(c, inc.agent.session);
  return true;
}

/** The agent asks to run something: the policy, an earlier grant, or a person decides. */
export function agentPermission(c: Step, requestId: string, tool: string, command: string, description: string | null): void {
  const inc = c.s.incident;
  const what = `${tool}: ${command}`;
  const answer = (allow: boolean, by: string, reason: string): void => {
    c.actions.push({ type: 'AnswerAgent', requestId, allow, by, reason });
  };
  if (!inc?.agent || c.s.pending?.work !== 'agent') return answer(false, 'clawmedic', 'no agent session is running');
  // Before policy and grants: nothing runs that could not be shown whole to a person.
  const refused = c.o.agentRefuse?.(tool, command) ?? null;
  if (refused) {
    record(c, 'step', `agent: ${refused}: ${what}`);
    return answer(false, 'clawmedic', refused);
  }
  if (c.o.agentAutoAllow?.(tool, command)) {
    record(c, 'step', `agent: allowed by policy (read-only) ${what}`);
    return answer(true, 'policy', 'read-only diagnostics are allowed by policy');
  }
  if (inc.agent.grantedBy) {
    record(c, 'step', `agent: allowed (${inc.agent.grantedBy} approved all actions of this incident) ${what}`);
    return answer(true, inc.agent.grantedBy, 'approved for this incident');
  }
  if (inc.approval) return answer(false, 'clawmedic', `another question is open (${inc.approval.id})`);
  inc.agent.asks += 1;
  inc.approval = {
    id: `${inc.id}-t${inc.agent.asks}`,
    kind: 'agent-tool',
    pid: 0,
    command,
    question: `The AI agent wants to run ${tool}${description ? ` (${description})` : ''}. Allow it?`,
    requestedAt: c.now,
    expiresAt: c.now + c.o.agentApprovalTimeoutMs,
    tool,
    description,
    requestId,
  };
  record(c, 'step', `approval needed: agent wants ${what}`);
  c.actions.push({ type: 'RequestApproval', incidentId: inc.id, approval: inc.approval });
}

export function agentDecided(c: Step, a: PendingApproval, approved: boolean, by: string, scope: 'once' | 'incident'): void {
  const inc = c.s.incident!;
  const forAll = approved && scope === 'incident';
  record(c, 'operator', `${by} ${approved ? 'approved' : 'denied'}${forAll ? ' (and every further action of the agent in this incident)' : ''}: agent ${a.tool ?? 'tool'} ${a.command}`, by);
  closeApproval(c, approved ? 'approved' : 'denied', by);
  if (forAll && inc.agent) inc.agent.grantedBy = by;
  const reason = approved ? `approved by ${by}` : `denied by ${by}`;
  c.actions.push({ type: 'AnswerAgent', requestId: a.requestId ?? '', allow: approved, by, reason });
}

/** A tool-call question that closed without an answer still owes the waiting agent a "no". */
export function agentQuestionClosed(c: Step, a: PendingApproval, outcome: 'approved' | 'denied' | 'expired' | 'withdrawn', by: string | null): void {
  if (a.kind !== 'agent-tool' || !a.requestId || outcome === 'approved' || outcome === 'denied') return;
  const reason = outcome === 'expired' ? 'nobody answered in time: denied' : 'the incident moved on';
  c.actions.push({ type: 'AnswerAgent', requestId: a.requestId, allow: false, by: by ?? 'clawmedic', reason });
}

/** An expired tool-call question is only a "no" for the agent, which carries on: no escalation. */
export function agentQuestionExpired(a: PendingApproval): boolean {
  return a.kind === 'agent-tool';
}

/**
 * A latent incident's config changed on disk while its agent works: noted (`verifying: 'agent'` while it
 * validates), not acted on; the session goes on to its own end, which gives the verdict.
 */
export function agentSawConfig(c: Step, ok: boolean): void {
  const inc = c.s.incident!;
  record(c, 'step', ok ? 'the config on disk validates again (the AI agent is still working)' : 'the config on disk changed and is still broken');
  inc.verifying = ok ? 'agent' : null;
}

/**
 * The session ended: whatever it says, the medic's own start and probes give the verdict; for a latent
 * incident, the config on disk (`config`, checked as it ended; null: as the last ConfigChanged said).
 */
export function agentFinished(c: Step, session: string, outcome: AgentOutcome, detail: string, config: { ok: boolean; error: string | null } | null = null): void {
  const s = c.s;
  if (s.pending?.work !== 'agent') return; // stopped by an abort or a recovery: already moved on
  const current = s.incident?.agent ? sessionOf(s.incident.id, s.incident.agent.runs) : null;
  if (session !== current) return; // the late end of an earlier session, stopped while this one started
  s.pending = null;
  const inc = s.incident;
  if (!inc?.agent || inc.state !== 'recovering') return;
  inc.agent.result = `${outcome}: ${detail}`.slice(0, 500);
  closeApproval(c, 'withdrawn', null);
  record(c, 'step', `AI agent session ended (${outcome}): ${detail}`);
  if (s.paused) return;
  if (inc.latent) {
    if (config ? config.ok : inc.verifying === 'agent') return resolve(c, 'fixed by the AI agent: the config on disk is valid again');
    inc.verifying = null;
    return escalate(c, `the AI agent ended and the config on disk is still broken${config?.error ? ` (${config.error})` : ''}`);
  }
  inc.verifying = 'agent';
  if (!c.o.supervised && s.health === 'up') return resolve(c);
  record(c, 'step', "verifying the AI agent's work: starting the gateway");
  restart(c, "verifying the AI agent's work");
}
