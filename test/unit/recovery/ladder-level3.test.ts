/** Level 3: the AI agent between level 2 and a human; its tool calls decided by policy or people; its verdict by the probe. */
import { describe, expect, it } from 'vitest';
import type { AgentOutcome, LadderEvent } from '../../../src/recovery/types.js';
import {
  LadderHarness,
  abort,
  badConfig,
  diagnosed,
  diagnosis,
  exhausted,
  exited,
  ofType,
  probeOk,
  records,
  recover,
  started,
  tick,
  workTypes,
} from './ladder-harness.js';

const readOnly = (tool: string, command: string) => tool === 'Bash' && command.startsWith('cat ');

function withAgent(): LadderHarness {
  return new LadderHarness({ options: { agentEnabled: true, agentApprovalTimeoutMs: 60_000, agentAutoAllow: readOnly } });
}

const ask = (requestId: string, command: string, description: string | null = 'fix it'): LadderEvent => ({
  type: 'AgentPermissionRequested',
  requestId,
  tool: 'Bash',
  command,
  description,
});
const finished = (outcome: AgentOutcome = 'finished', detail = 'RECOVERY SUMMARY: restored the config', session = 'gw-1#1'): LadderEvent => ({
  type: 'AgentFinished',
  session,
  outcome,
  detail,
});
const decided = (approvalId: string, approved: boolean, scope: 'once' | 'incident' = 'once'): LadderEvent => ({
  type: 'ApprovalDecided',
  approvalId,
  approved,
  by: 'alice',
  scope,
});

/** A bad config, two failed doctors; returns the actions of the diagnosis that finds nothing left to try. */
function exhaustLevel2(h: LadderHarness): ReturnType<LadderHarness['send']> {
  badConfig(h);
  for (let i = 0; i < h.options.maxDoctorRuns; i++) {
    h.send(diagnosed(diagnosis({ configOk: false })));
    h.send({ type: 'RepairFinished', step: 'doctor', ok: false, detail: 'exit 1' });
  }
  return h.send(diagnosed(diagnosis({ configOk: false })));
}

/** Level 2 exhausted with the agent on: level 3, StartAgent in flight. */
function atLevel3(): LadderHarness {
  const h = withAgent();
  exhaustLevel2(h);
  expect(h.openIncident.level).toBe(3);
  expect(h.state.pending?.work).toBe('agent');
  return h;
}

describe('level 3: when the agent is called', () => {
  it('level 2 with nothing left goes to the agent (not a human) when it is enabled, once per incident', () => {
    const h = withAgent();
    const out = exhaustLevel2(h);
    expect(workTypes(out)).toEqual(['StartAgent']);
    expect(ofType(out, 'StartAgent')[0]).toMatchObject({ incidentId: 'gw-1', session: 'gw-1#1', reason: 'level 2 has nothing left to try' });
    expect(records(out)).toContain('level 3: AI agent: level 2 has nothing left to try');
    expect(h.openIncident).toMatchObject({ level: 3, maxLevel: 3, state: 'recovering', agent: { runs: 1, result: null } });
    expect(ofType(out, 'NotifyHuman')).toEqual([]);
  });

  it('without the agent the ladder goes from level 2 to a human, as before', () => {
    const h = exhausted();
    expect(h.openIncident).toMatchObject({ level: 4, state: 'waiting_human' });
    expect(h.openIncident.agent).toBeUndefined();
  });

  it('an operator may ask for level 3 on a running gateway: it is stopped first, then the agent starts', () => {
    const h = withAgent();
    h.bootHealthy();
    const out = h.send(recover(3, 'alice', 'looks odd'));
    expect(workTypes(out)).toEqual(['StopGateway']);
    expect(h.state.afterStop).toBe('agent');
    const after = h.send(exited({ code: null, signal: 'SIGTERM' }));
    expect(workTypes(after)).toEqual(['StartAgent']);
    expect(ofType(after, 'StartAgent')[0]?.reason).toBe('requested by alice: looks odd');
  });
});

describe('level 3: the agent asks', () => {
  it('read-only diagnostics are allowed by the policy, on the record', () => {
    const h = atLevel3();
    const out = h.send(ask('r1', 'cat /etc/hosts'));
    expect(ofType(out, 'AnswerAgent')).toEqual([
      { type: 'AnswerAgent', requestId: 'r1', allow: true, by: 'policy', reason: 'read-only diagnostics are allowed by policy' },
    ]);
    expect(records(out)).toEqual(['agent: allowed by policy (read-only) Bash: cat /etc/hosts']);
    expect(h.openIncident.approval).toBeNull();
  });

  it('anything else is a question for people; approved once, the next one is asked again', () => {
    const h = atLevel3();
    const out = h.send(ask('r1', 'cp a.json b.json', 'restore the config'));
    const [req] = ofType(out, 'RequestApproval');
    expect(req?.approval).toMatchObject({ id: 'gw-1-t1', kind: 'agent-tool', tool: 'Bash', command: 'cp a.json b.json', requestId: 'r1' });
    expect(req?.approval.expiresAt).toBe(h.now + 60_000);
    expect(ofType(out, 'AnswerAgent')).toEqual([]);

    const yes = h.send(decided('gw-1-t1', true));
    expect(ofType(yes, 'AnswerAgent')).toEqual([{ type: 'AnswerAgent', requestId: 'r1', allow: true, by: 'alice', reason: 'approved by alice' }]);
    expect(ofType(yes, 'ApprovalClosed')[0]).toMatchObject({ outcome: 'approved', by: 'alice' });
    expect(records(yes)).toEqual(['alice approved: agent Bash cp a.json b.json']);
    expect(h.state.pending?.work).toBe('agent'); // the session goes on

    const again = h.send(ask('r2', 'rm -f /tmp/x'));
    expect(ofType(again, 'RequestApproval')[0]?.approval.id).toBe('gw-1-t2');
  });

  it('"approve for this incident" allows the later actions without asking, naming who granted it', () => {
    const h = atLevel3();
    h.send(ask('r1', 'cp a b'));
    h.send(decided('gw-1-t1', true, 'incident'));
    const out = h.send(ask('r2', 'systemctl restart x'));
    expect(ofType(out, 'AnswerAgent')).toEqual([
      { type: 'AnswerAgent', requestId: 'r2', allow: true, by: 'alice', reason: 'approved for this incident' },
    ]);
    expect(ofType(out, 'RequestApproval')).toEqual([]);
  });

  it('denied: the agent hears it and goes on; the ladder does not escalate on it', () => {
    const h = atLevel3();
    h.send(ask('r1', 'cp a b'));
    const out = h.send(decided('gw-1-t1', false));
    expect(ofType(out, 'AnswerAgent')).toEqual([{ type: 'AnswerAgent', requestId: 'r1', allow: false, by: 'alice', reason: 'denied by alice' }]);
    expect(h.openIncident.level).toBe(3);
    expect(h.state.pending?.work).toBe('agent');
  });

  it('unanswered, the question expires as denied and the session goes on', () => {
    const h = atLevel3();
    h.send(ask('r1', 'cp a b'));
    expect(h.nextWakeAt()).toBe(h.now + 60_000);
    h.advance(60_000);
    const out = h.send(tick());
    expect(ofType(out, 'AnswerAgent')).toEqual([
      { type: 'AnswerAgent', requestId: 'r1', allow: false, by: 'clawmedic', reason: 'nobody answered in time: denied' },
    ]);
    expect(ofType(out, 'ApprovalClosed')[0]?.outcome).toBe('expired');
    expect(h.openIncident).toMatchObject({ level: 3, approval: null });
  });

  it('a request when no session runs is denied at once', () => {
    const h = withAgent();
    h.bootHealthy();
    const out = h.send(ask('r9', 'cp a b'));
    expect(ofType(out, 'AnswerAgent')).toEqual([
      { type: 'AnswerAgent', requestId: 'r9', allow: false, by: 'clawmedic', reason: 'no agent session is running' },
    ]);
  });
});

describe('level 3: the verdict is the probe', () => {
  it('the agent finished and the gateway answers: resolved, fixed by the AI agent', () => {
    const h = atLevel3();
    const out = h.send(finished());
    expect(workTypes(out)).toEqual(['StartGateway']);
    expect(h.openIncident).toMatchObject({ verifying: 'agent', agent: { result: 'finished: RECOVERY SUMMARY: restored the config' } });
    h.send(started(200));
    const healthy = h.probes(2, probeOk());
    expect(records(healthy, 'resolved')[0]).toMatch(/at level 3 \(fixed by the AI agent\)$/);
  });

  it('the agent finished but the gateway still fails: a human, told what the agent did', () => {
    const h = atLevel3();
    h.send(finished('finished', 'RECOVERY SUMMARY: could not find the cause'));
    h.send(started(200));
    h.after(1_000, exited({ code: 78, hint: 'config' })); // diagnose again
    const out = h.send(diagnosed(diagnosis({ configOk: false })));
    expect(workTypes(out)).toEqual(['NotifyHuman']);
    expect(h.openIncident).toMatchObject({ level: 4, maxLevel: 4, state: 'waiting_human' });
    expect(ofType(out, 'NotifyHuman')[0]?.summary).toContain('The AI agent tried: finished: RECOVERY SUMMARY: could not find the cause');
  });

  it('a failed session (API error) is still verified, then goes to a human; the agent is not called twice', () => {
    const h = atLevel3();
    h.send(finished('failed', 'API Error: 500 Internal server error'));
    h.send(started(200));
    h.after(500, exited({ code: 78, hint: 'config' }));
    const out = h.send(diagnosed(diagnosis({ configOk: false })));
    expect(workTypes(out)).toEqual(['NotifyHuman']);
    expect(h.openIncident.agent?.runs).toBe(1);
  });
});

describe('level 3: the medic restarted mid-session', () => {
  it("no session id recorded: the agent's open question is withdrawn, the timeline says why it cannot be resumed, diagnosed again, then a human (the agent ran once)", () => {
    const h = atLevel3();
    h.send(ask('r1', 'cp a b'));
    const out = h.send({ type: 'Boot', adoptedPid: null });
    expect(ofType(out, 'ApprovalClosed')[0]).toMatchObject({ outcome: 'withdrawn' });
    expect(records(out)).toContain('the AI agent session ended with the previous medic and cannot be resumed: its session id was not recorded before the medic stopped');
    expect(workTypes(out)).toContain('Diagnose');
    const next = h.send(diagnosed(diagnosis({ configOk: false })));
    expect(workTypes(next)).toEqual(['NotifyHuman']);
  });
});

describe('level 3: abort and recovery end the session', () => {
  it('abort stops the agent at once; its late end changes nothing', () => {
    const h = atLevel3();
    h.send(ask('r1', 'cp a b'));
    const out = h.send(abort('bob', 'enough'));
    expect(workTypes(out)).toContain('StopAgent');
    expect(ofType(out, 'AnswerAgent')[0]).toMatchObject({ requestId: 'r1', allow: false });
    expect(h.incident).toBeNull();
    const late = h.send(finished('aborted', 'aborted by bob'));
    expect(workTypes(late)).toEqual([]);
  });

  it('the late end of an aborted session does not end the next one', () => {
    const h = atLevel3();
    h.send(abort('bob'));
    h.send({ type: 'ResumeRequested', by: 'bob' });
    h.send(started(300));
    h.send(recover(3, 'alice')); // stops the gateway first, then a new session
    h.send(exited({ code: null, signal: 'SIGTERM' }));
    expect(h.state.pending?.work).toBe('agent');
    expect(workTypes(h.send(finished('aborted', 'aborted by bob', 'gw-1#1')))).toEqual([]);
    expect(h.state.pending?.work).toBe('agent');
    expect(workTypes(h.send(finished('finished', 'done', 'gw-2#1')))).toEqual(['StartGateway']);
  });

  it('a watched service that still answers when the agent finishes: resolved without a restart', () => {
    const h = new LadderHarness({ options: { supervised: false, agentEnabled: true } });
    h.send({ type: 'Boot', adoptedPid: null });
    h.probes(2, probeOk());
    expect(workTypes(h.send(recover(3, 'alice')))).toEqual(['StartAgent']);
    const out = h.send(finished());
    expect(workTypes(out)).toEqual([]);
    expect(records(out, 'resolved')[0]).toMatch(/fixed by the AI agent/);
  });
});
