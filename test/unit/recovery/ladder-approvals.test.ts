/** Questions the ladder asks a person: approve, deny, expire, stale answers, withdrawal. */
import { describe, expect, it } from 'vitest';
import { checkApproval } from '../../../src/recovery/ladder/index.js';
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

describe('latent corruption: the config breaks on disk while the gateway runs', () => {
  const broken = { type: 'ConfigChanged', ok: false, error: 'gateway.mode: missing', lastKnownGood: true } as const;

  it('warns at once and offers the restore; approved, it is restored under the running gateway and resolved', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    const actions = h.send(broken);
    expect(records(actions)).toEqual([
      'the config on disk is broken while the gateway runs: gateway.mode: missing',
      'level 2: the running gateway ignores the broken file, but its next start will fail: acting before that',
      "approval needed: The config on disk is broken (gateway.mode: missing). The running gateway ignores it, but it will not start again. Restore the last-known-good config now?",
    ]);
    expect(h.openIncident).toMatchObject({ latent: true, level: 2, approval: { kind: 'restore-config', pid: 0 } });
    expect(workTypes(actions)).toEqual(['RequestApproval']);

    const go = h.send(decide(true, 'discord:alice', 'gw-1-a1'));
    expect(ofType(go, 'RunRepair')).toEqual([{ type: 'RunRepair', step: 'restore-config', pid: null }]);
    const done = h.send(repairFinished('restore-config', true, 'restored'));
    expect(workTypes(done)).toEqual([]); // no second gateway: it keeps running
    expect(h.incident).toBeNull();
    expect(records(done, 'resolved')[0]).toMatch(/\(fixed by restore-config\)$/);
  });

  it('the restore in flight writes a valid file: its own result closes the incident, not the file watcher', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    h.send(broken);
    h.send(decide(true, 'discord:alice', 'gw-1-a1'));
    expect(h.send({ type: 'ConfigChanged', ok: true, error: null, lastKnownGood: true })).toEqual([]);
    expect(h.openIncident.state).toBe('recovering');
    const done = h.send(repairFinished('restore-config', true, 'restored; openclaw config validate: ok'));
    expect(records(done)).toEqual([
      'restore-config finished: restored; openclaw config validate: ok',
      expect.stringMatching(/^resolved after [\d.]+ s at level 2 \(fixed by restore-config\)$/),
    ]);
  });

  it('without a known-good copy, a human is asked to fix it before the next restart', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    const actions = h.send({ ...broken, lastKnownGood: false });
    expect(workTypes(actions)).toEqual(['NotifyHuman']);
    expect(h.openIncident).toMatchObject({ state: 'waiting_human', latent: true });
  });

  it('fixed on disk by someone else: resolved, the question withdrawn', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    h.send(broken);
    const actions = h.send({ type: 'ConfigChanged', ok: true, error: null, lastKnownGood: false });
    expect(ofType(actions, 'ApprovalClosed')[0]).toMatchObject({ outcome: 'withdrawn' });
    expect(records(actions, 'resolved')[0]).toMatch(/\(the config on disk is valid again\)$/);
  });

  it('ignored during an outage (the ladder deals with the config itself) and while paused', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    h.send(exited({ code: 1 }));
    expect(h.send(broken)).toEqual([]);
    const p = new LadderHarness();
    p.bootHealthy(100);
    p.send({ type: 'PauseRequested', by: 'alice', until: null });
    expect(p.send(broken)).toEqual([]);
  });
});
