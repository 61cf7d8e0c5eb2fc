/** Questions the ladder asks a person: approve, deny, expire, stale answers, withdrawal. */
import { describe, expect, it } from 'vitest';
import { checkApproval } from '../../../src/recovery/ladder.js';
import {
  LadderHarness,
  actionTypes,
  boot,
  diagnosed,
  diagnosis,
  exited,
  ofType,
  probeOk,
  records,
  recordKinds,
  repairFinished,
  started,
  tick,
  workTypes,
} from './ladder-harness.js';

const foreign = diagnosis({ portHolder: { pid: 4242, command: 'python3 -m http.server 18789', stale: false } });
const decide = (approved: boolean, by = 'discord:alice', approvalId = 'gw-1-a1') =>
  ({ type: 'ApprovalDecided', approvalId, approved, by }) as const;

function asking(): LadderHarness {
  const h = new LadderHarness();
  h.send(boot());
  h.send(started(100));
  h.after(2_000, exited({ code: 1, hint: 'port' }));
  h.send(diagnosed(foreign));
  expect(h.openIncident.approval?.id).toBe('gw-1-a1');
  return h;
}

describe('approval to stop a foreign port holder', () => {
  it('approved: audited with who, the approved pid is stopped, then verified and resolved', () => {
    const h = asking();
    expect(checkApproval(h.state, 'gw-1-a1')).toBeNull();
    const actions = h.after(30_000, decide(true));
    expect(actionTypes(actions)).toEqual(['Record', 'ApprovalClosed', 'Record', 'RunRepair', 'SaveIncident']);
    expect(records(actions)).toEqual([
      'discord:alice approved: stop pid 4242 (python3 -m http.server 18789)',
      'repair: stop-port-holder',
    ]);
    expect(recordKinds(actions)).toEqual(['operator', 'step']);
    expect(ofType(actions, 'ApprovalClosed')[0]).toMatchObject({ outcome: 'approved', by: 'discord:alice', incidentId: 'gw-1' });
    expect(ofType(actions, 'RunRepair')).toEqual([{ type: 'RunRepair', step: 'stop-port-holder', pid: 4242 }]);
    expect(h.openIncident.approval).toBeNull();

    expect(workTypes(h.send(repairFinished('stop-port-holder', true, 'stopped pid 4242')))).toEqual(['StartGateway']);
    h.send(started(101));
    h.probes(2, probeOk());
    expect(h.incident).toBeNull();
    expect(records(h.log, 'resolved')[0]).toMatch(/\(fixed by stop-port-holder\)$/);
  });

  it('denied: a human is needed, nothing is stopped', () => {
    const h = asking();
    const actions = h.send(decide(false, 'discord:bob'));
    expect(workTypes(actions)).toEqual(['ApprovalClosed', 'NotifyHuman']);
    expect(records(actions)).toEqual([
      'discord:bob denied: stop pid 4242 (python3 -m http.server 18789)',
      'level 4: human needed: discord:bob denied stopping pid 4242 (python3 -m http.server 18789), which holds the port',
    ]);
    expect(h.openIncident).toMatchObject({ state: 'waiting_human', level: 4, approval: null });
    expect(ofType(h.log, 'RunRepair')).toEqual([]);
  });

  it('unanswered: expires as denied at the deadline, not before', () => {
    const h = asking();
    const expiresAt = h.openIncident.approval!.expiresAt;
    h.advanceTo(expiresAt - 1);
    expect(h.send(tick())).toEqual([]);
    h.advanceTo(expiresAt);
    const actions = h.send(tick());
    expect(workTypes(actions)).toEqual(['ApprovalClosed', 'NotifyHuman']);
    expect(ofType(actions, 'ApprovalClosed')[0]).toMatchObject({ outcome: 'expired', by: null });
    expect(records(actions)).toEqual([
      'approval gw-1-a1 expired: treated as denied',
      'level 4: human needed: nobody answered within 15 min whether to stop pid 4242 (python3 -m http.server 18789); treated as denied',
    ]);
    // A late click changes nothing.
    expect(h.send(decide(true))).toEqual([]);
    expect(checkApproval(h.state, 'gw-1-a1')).toBe('gw has no question waiting for an answer');
  });

  it('a second answer, or an answer to another question, does nothing', () => {
    const h = asking();
    expect(checkApproval(h.state, 'gw-7-a1')).toBe('approval gw-7-a1 is no longer open (the open one is gw-1-a1)');
    expect(h.send(decide(true, 'discord:eve', 'gw-7-a1'))).toEqual([]);
    h.send(decide(false));
    expect(h.send(decide(true))).toEqual([]);
    expect(ofType(h.log, 'RunRepair')).toEqual([]);
  });

  it('is asked once per incident: still held after the approved stop, a human is next', () => {
    const h = asking();
    h.send(decide(true));
    h.send(repairFinished('stop-port-holder', true, 'stopped pid 4242'));
    h.send(started(101));
    h.after(1_000, exited({ code: 1, hint: 'port' }));
    const again = h.send(diagnosed(foreign));
    expect(workTypes(again)).toEqual(['NotifyHuman']);
    expect(h.openIncident.approval).toBeNull();
  });

  it('abort withdraws the open question', () => {
    const h = asking();
    const actions = h.send({ type: 'AbortRequested', by: 'discord:alice', reason: null });
    expect(ofType(actions, 'ApprovalClosed')[0]).toMatchObject({ outcome: 'withdrawn', by: 'discord:alice' });
    expect(h.nextWakeAt()).toBeNull();
  });
});
