/**
 * Level 3 of the ladder: the AI agent. Pure like the rest of the ladder: these functions
 * read and change the step's state and queue actions through `LadderCore`; the agent
 * itself runs behind the `AgentRunner` port (see `watchdog.ts`).
 *
 * The agent is called once per incident when level 2 has nothing left (or an operator asks),
 * on a stopped gateway; each tool call it wants is allowed by policy (read-only), by an
 * operator's earlier "for this incident", or asked of people; its end is judged by starting
 * the gateway and probing it, like any repair.
 */
import type { LadderOptions } from './ladder-options.js';
import type { AgentOutcome, Level, LadderAction, PendingApproval, RecordKind, TargetState } from './types.js';

/** What level 3 needs of a ladder step. */
export interface LadderCore {
  readonly s: TargetState;
  readonly o: LadderOptions;
  readonly now: number;
  readonly actions: LadderAction[];
  record(kind: RecordKind, text: string, by?: string): void;
  setLevel(level: Level, text: string): void;
  stop(reason: string, after: TargetState['afterStop']): void;
  restart(reason: string): void;
  resolve(outcome?: string): void;
  closeApproval(outcome: 'approved' | 'denied' | 'expired' | 'withdrawn', by: string | null): void;
}

/** Names one agent session: its incident and run. */
export function sessionOf(incidentId: string, run: number): string {
  return `${incidentId}#${run}`;
}

export function enterLevel3(c: LadderCore, reason: string): void {
  const inc = c.s.incident!;
  inc.verifying = null;
  inc.agent = { runs: inc.agent?.runs ?? 0, reason, startedAt: c.now, asks: inc.agent?.asks ?? 0, grantedBy: null, result: null };
  c.setLevel(3, `AI agent: ${reason}`);
  // Like level 2, the agent works on a stopped gateway; the medic starts it again to judge the result.
  if (c.o.supervised && (c.s.process.status === 'running' || c.s.process.status === 'starting')) {
    c.stop('the AI agent works on a stopped gateway', 'agent');
  } else {
    startAgent(c);
  }
}

export function startAgent(c: LadderCore): void {
  const inc = c.s.incident;
  if (!inc?.agent || inc.state !== 'recovering' || c.s.paused) return;
  inc.agent.runs += 1;
  inc.agent.startedAt = c.now;
  c.s.pending = { work: 'agent', since: c.now };
  c.record('step', 'starting the AI agent');
  c.actions.push({ type: 'StartAgent', incidentId: inc.id, session: sessionOf(inc.id, inc.agent.runs), reason: inc.agent.reason });
}

/** Ends a running agent session (abort, or the gateway came back); its late AgentFinished is ignored. */
export function stopAgent(c: LadderCore, reason: string): void {
  if (c.s.pending?.work !== 'agent') return;
  c.s.pending = null;
  c.actions.push({ type: 'StopAgent', reason });
}

/** The agent asks to run something: the policy, an earlier grant, or a person decides. */
export function agentPermission(c: LadderCore, requestId: string, tool: string, command: string, description: string | null): void {
  const inc = c.s.incident;
  const what = `${tool}: ${command}`;
  const answer = (allow: boolean, by: string, reason: string): void => {
    c.actions.push({ type: 'AnswerAgent', requestId, allow, by, reason });
  };
  if (!inc?.agent || c.s.pending?.work !== 'agent') return answer(false, 'clawmedic', 'no agent session is running');
  // Before policy and grants: nothing runs that could not be shown whole to a person.
  const refused = c.o.agentRefuse?.(tool, command) ?? null;
  if (refused) {
    c.record('step', `agent: ${refused}: ${what}`);
    return answer(false, 'clawmedic', refused);
  }
  if (c.o.agentAutoAllow?.(tool, command)) {
    c.record('step', `agent: allowed by policy (read-only) ${what}`);
    return answer(true, 'policy', 'read-only diagnostics are allowed by policy');
  }
  if (inc.agent.grantedBy) {
    c.record('step', `agent: allowed (${inc.agent.grantedBy} approved all actions of this incident) ${what}`);
    return answer(true, inc.agent.grantedBy, 'approved for this incident');
  }
  if (inc.approval) return answer(false, 'clawmedic', `another question is open (${inc.approval.id})`);
  inc.agent.asks += 1;
  const timeout = c.o.agentApprovalTimeoutMs ?? 300_000;
  inc.approval = {
    id: `${inc.id}-t${inc.agent.asks}`,
    kind: 'agent-tool',
    pid: 0,
    command,
    question: `The AI agent wants to run ${tool}${description ? ` (${description})` : ''}. Allow it?`,
    requestedAt: c.now,
    expiresAt: c.now + timeout,
    tool,
    description,
    requestId,
  };
  c.record('step', `approval needed: agent wants ${what}`);
  c.actions.push({ type: 'RequestApproval', incidentId: inc.id, approval: inc.approval });
}

export function agentDecided(c: LadderCore, a: PendingApproval, approved: boolean, by: string, scope: 'once' | 'incident'): void {
  const inc = c.s.incident!;
  const forAll = approved && scope === 'incident';
  c.record('operator', `${by} ${approved ? 'approved' : 'denied'}${forAll ? ' (and every further action of the agent in this incident)' : ''}: agent ${a.tool ?? 'tool'} ${a.command}`, by);
  c.closeApproval(approved ? 'approved' : 'denied', by);
  if (forAll && inc.agent) inc.agent.grantedBy = by;
  const reason = approved ? `approved by ${by}` : `denied by ${by}`;
  c.actions.push({ type: 'AnswerAgent', requestId: a.requestId ?? '', allow: approved, by, reason });
}

/** The session ended: whatever it says, the medic's own start and probes give the verdict. */
export function agentFinished(c: LadderCore, session: string, outcome: AgentOutcome, detail: string): void {
  const s = c.s;
  if (s.pending?.work !== 'agent') return; // stopped by an abort or a recovery: already moved on
  const current = s.incident?.agent ? sessionOf(s.incident.id, s.incident.agent.runs) : null;
  if (session !== current) return; // the late end of an earlier session, stopped while this one started
  s.pending = null;
  const inc = s.incident;
  if (!inc?.agent || inc.state !== 'recovering') return;
  inc.agent.result = `${outcome}: ${detail}`.slice(0, 500);
  c.closeApproval('withdrawn', null);
  c.record('step', `AI agent session ended (${outcome}): ${detail}`);
  if (s.paused) return;
  inc.verifying = 'agent';
  if (!c.o.supervised && s.health === 'up') return c.resolve();
  c.record('step', "verifying the AI agent's work: starting the gateway");
  c.restart("verifying the AI agent's work");
}
