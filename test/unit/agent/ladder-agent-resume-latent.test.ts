/**
 * Level 3 rules of issue 13 (ladder/agent.ts, pure): a session that survives the medic (its CLI
 * session id kept with the incident, resumed on Boot, or the timeline says why not), and the agent
 * for latent corruption beside the running gateway (never stopped for it, judged by the config).
 */
import { describe, expect, it } from 'vitest';
import type { LadderEvent } from '../../../src/recovery/types.js';
import { LadderHarness, boot, diagnosed, diagnosis, ofType, probeOk, records, workTypes } from '../recovery/ladder-harness.js';

const ID = '0b7c6a52-9d3e-4c1f-8a20-5e4d3c2b1a00';

function withAgent(extra: Partial<LadderHarness['options']> = {}): LadderHarness {
  return new LadderHarness({ options: { agentEnabled: true, agentApprovalTimeoutMs: 60_000, ...extra } });
}

const ask = (requestId: string, command: string): LadderEvent => ({ type: 'AgentPermissionRequested', requestId, tool: 'Bash', command, description: 'fix it' });
const sessionStarted = (session = 'gw-1#1', agentSession = ID): LadderEvent => ({ type: 'AgentSessionStarted', session, agentSession });

/** Level 2 exhausted on a bad config: level 3, the session in flight. */
function atLevel3(h = withAgent()): LadderHarness {
  h.send(boot());
  h.send({ type: 'GatewayStarted', pid: 100 });
  h.send({ type: 'ProcessExited', exit: { code: 78, signal: null, at: h.now, hint: 'config' } });
  for (let i = 0; i <= h.options.maxDoctorRuns; i++) {
    h.send(diagnosed(diagnosis({ configOk: false })));
    if (h.state.pending?.work === 'doctor') h.send({ type: 'RepairFinished', step: 'doctor', ok: false, detail: 'exit 1' });
  }
  expect(h.state.pending?.work).toBe('agent');
  return h;
}

/** Healthy on a config that then breaks on disk, with no known-good copy. */
function latent(h = withAgent()): { h: LadderHarness; out: ReturnType<LadderHarness['send']> } {
  h.bootHealthy(100);
  h.advance(1_000);
  const out = h.send({ type: 'ConfigChanged', ok: false, error: 'gateway.mode: missing', lastKnownGood: false });
  return { h, out };
}

describe('a session that survives the medic', () => {
  it("keeps the agent CLI's session id with the incident, for the current session only", () => {
    const h = atLevel3();
    const out = h.send(sessionStarted());
    expect(h.openIncident.agent?.session).toBe(ID);
    expect(ofType(out, 'SaveIncident')).toHaveLength(1);
    h.send(sessionStarted('gw-1#0', 'an-earlier-one'));
    expect(h.openIncident.agent?.session).toBe(ID);
  });

  it('Boot with a session in flight and its id recorded: its question is withdrawn (the resumed agent asks again) and the session is resumed by id', () => {
    const h = atLevel3();
    h.send(sessionStarted());
    h.send(ask('r1', 'cp good.json openclaw.json'));
    expect(h.openIncident.approval?.kind).toBe('agent-tool');
    const out = h.send(boot());
    expect(ofType(out, 'ApprovalClosed')[0]).toMatchObject({ outcome: 'withdrawn', approval: { id: 'gw-1-t1' } });
    expect(ofType(out, 'StartAgent')).toEqual([{ type: 'StartAgent', incidentId: 'gw-1', session: 'gw-1#2', reason: 'level 2 has nothing left to try', resume: ID }]);
    expect(workTypes(out)).not.toContain('Diagnose');
    expect(workTypes(out)).not.toContain('StartGateway');
    expect(records(out)).toEqual([
      'question gw-1-t1 is withdrawn: the resumed agent asks it again',
      'medic restarted mid-session: the AI agent session is resumed with its history',
      `resuming the AI agent's session ${ID}`,
    ]);
    expect(h.openIncident).toMatchObject({ level: 3, state: 'recovering', approval: null, agent: { runs: 2, session: ID } });
    expect(h.state.pending?.work).toBe('agent');
    // The resumed agent asks again: a new question, answerable; its answer goes to the resumed session.
    const asked = h.send(ask('r2', 'cp good.json openclaw.json'));
    expect(ofType(asked, 'RequestApproval')[0]?.approval).toMatchObject({ id: 'gw-1-t2', requestId: 'r2' });
    const answered = h.send({ type: 'ApprovalDecided', approvalId: 'gw-1-t2', approved: true, by: 'alice' });
    expect(ofType(answered, 'AnswerAgent')[0]).toMatchObject({ requestId: 'r2', allow: true });
    // The resumed session's end is the one that counts.
    expect(workTypes(h.send({ type: 'AgentFinished', session: 'gw-1#1', outcome: 'aborted', detail: 'late' }))).toEqual([]);
    expect(workTypes(h.send({ type: 'AgentFinished', session: 'gw-1#2', outcome: 'finished', detail: 'RECOVERY COMPLETE' }))).toEqual(['StartGateway']);
  });

  it('a new session forgets the id of the earlier one (nothing stale is resumed)', () => {
    const h = atLevel3();
    h.send(sessionStarted());
    h.send({ type: 'AgentFinished', session: 'gw-1#1', outcome: 'finished', detail: 'done' });
    h.send({ type: 'GatewayStarted', pid: 101 });
    h.send({ type: 'ProcessExited', exit: { code: 78, signal: null, at: h.now, hint: 'config' } });
    h.send({ type: 'RecoverRequested', level: 3, by: 'alice', note: null });
    expect(h.state.pending?.work).toBe('agent');
    expect(h.openIncident.agent?.session).toBeUndefined();
  });

  it('Boot after the session had ended (verifying its work): nothing to resume', () => {
    const h = atLevel3();
    h.send(sessionStarted());
    h.send({ type: 'AgentFinished', session: 'gw-1#1', outcome: 'finished', detail: 'done' });
    const out = h.send(boot());
    expect(workTypes(out)).not.toContain('StartAgent');
  });

  it('Boot with level 3 turned off since: not resumed, says why, and the ladder goes on to a human', () => {
    const h = atLevel3();
    h.send(sessionStarted());
    h.options.agentEnabled = false;
    const out = h.send(boot());
    expect(workTypes(out)).toEqual(['Diagnose']);
    expect(records(out)).toContain('the AI agent session ended with the previous medic and cannot be resumed: level 3 is off now (AGENT_ENABLED)');
    expect(workTypes(h.send(diagnosed(diagnosis({ configOk: false }))))).toEqual(['NotifyHuman']);
    expect(h.openIncident.level).toBe(4);
  });
});

describe('level 3 for latent corruption (no known-good copy)', () => {
  it('the agent is offered beside the running gateway: no stop, no start', () => {
    const { h, out } = latent();
    expect(workTypes(out)).toEqual(['StartAgent']);
    expect(h.openIncident).toMatchObject({ latent: true, level: 3, state: 'recovering' });
    expect(h.state.process.status).toBe('running');
    expect(records(out)).toContain('level 3: AI agent: the config on disk is broken and there is no known-good copy: fix it before the gateway restarts');
  });

  it('without the agent it still goes to a human, as before', () => {
    const { h, out } = latent(new LadderHarness());
    expect(workTypes(out)).toEqual(['NotifyHuman']);
    expect(h.openIncident.level).toBe(4);
  });

  it('its tool calls are asked of people like any other session', () => {
    const { h } = latent();
    const out = h.send(ask('r1', 'openclaw config set gateway.mode local'));
    expect(ofType(out, 'RequestApproval')[0]?.approval).toMatchObject({ kind: 'agent-tool', command: 'openclaw config set gateway.mode local' });
  });

  it('the config validates while it works: noted, the session goes on; its end resolves without touching the gateway', () => {
    const { h } = latent();
    const seen = h.send({ type: 'ConfigChanged', ok: true, error: null, lastKnownGood: false });
    expect(workTypes(seen)).toEqual([]);
    expect(h.state.pending?.work).toBe('agent');
    expect(records(seen)).toContain('the config on disk validates again (the AI agent is still working)');
    h.send(probeOk());
    const out = h.send({ type: 'AgentFinished', session: 'gw-1#1', outcome: 'finished', detail: 'RECOVERY SUMMARY: set gateway.mode' });
    expect(workTypes(out)).toEqual([]);
    expect(h.incident).toBeNull();
    expect(h.state.resolved).toMatchObject({ state: 'resolved', maxLevel: 3, outcome: 'fixed by the AI agent: the config on disk is valid again' });
    expect(h.state.process.status).toBe('running');
  });

  it('the check made as the session ends decides: valid resolves, still broken goes to a human with what the agent tried', () => {
    const ok = latent().h;
    ok.send({ type: 'AgentFinished', session: 'gw-1#1', outcome: 'finished', detail: 'done', config: { ok: true, error: null } });
    expect(ok.incident).toBeNull();

    const bad = latent().h;
    bad.send({ type: 'ConfigChanged', ok: true, error: null, lastKnownGood: false });
    bad.send({ type: 'ConfigChanged', ok: false, error: 'still broken', lastKnownGood: false });
    const out = bad.send({ type: 'AgentFinished', session: 'gw-1#1', outcome: 'finished', detail: 'RECOVERY FAILED: no idea' });
    expect(workTypes(out)).toEqual(['NotifyHuman']);
    expect(ofType(out, 'NotifyHuman')[0]?.summary).toBe(
      'the AI agent ended and the config on disk is still broken The AI agent tried: finished: RECOVERY FAILED: no idea.',
    );
    expect(bad.state.process.status).toBe('running');
  });

  it('the medic restarted mid-session on a latent incident: adopts the gateway, resumes the agent', () => {
    const { h } = latent();
    h.send(sessionStarted());
    const out = h.send(boot(100));
    expect(ofType(out, 'StartAgent')[0]).toMatchObject({ resume: ID });
    expect(workTypes(out)).not.toContain('StopGateway');
  });
});
