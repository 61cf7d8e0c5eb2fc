/**
 * Issue 10, item 3: an incident waiting for a human is looked at again when a new fact comes in
 * (the gateway died, a known-good copy now exists, the config changed on disk), and never waits
 * while it holds a repair that has not been tried. Also the race of a medic restarted with a
 * question open: an answer given at once must not lose to the re-diagnosis.
 */
import { describe, expect, it } from 'vitest';
import type { LadderEvent } from '../../../src/recovery/types.js';
import {
  LadderHarness,
  boot,
  diagnosed,
  diagnosis,
  exhausted,
  exited,
  killed,
  ofType,
  records,
  repairFinished,
  started,
  workTypes,
} from './ladder-harness.js';

const squatter = diagnosis({ portHolder: { pid: 4242, command: 'python3 -m http.server', stale: false } });
const knownGoodSaved: LadderEvent = { type: 'KnownGoodSaved' };

/** Healthy, then the config broken on disk with no known-good copy: a latent incident waiting for a human. */
function latentAtLevel4(): LadderHarness {
  const h = new LadderHarness();
  h.bootHealthy(100);
  h.send({ type: 'ConfigChanged', ok: false, error: 'gateway.mode: missing', lastKnownGood: false });
  expect(h.openIncident.state).toBe('waiting_human');
  return h;
}

describe('a new fact re-evaluates an incident waiting for a human', () => {
  it('a known-good copy taken after level 4 is offered at once (the gateway still runs on the good config)', () => {
    const h = latentAtLevel4();
    const actions = h.after(5_000, knownGoodSaved);
    expect(workTypes(actions)).toEqual(['RequestApproval']);
    expect(h.openIncident.approval?.kind).toBe('restore-config');
    expect(h.openIncident.state).toBe('recovering');
  });

  it('the gateway killed while waiting: diagnosed again, and the known-good copy restored without waiting', () => {
    const h = latentAtLevel4();
    h.after(5_000, knownGoodSaved);
    const died = h.after(5_000, killed());
    expect(workTypes(died)).toContain('Diagnose');
    expect(ofType(died, 'ApprovalClosed')[0]?.outcome).toBe('withdrawn'); // the question no longer applies
    const next = h.send(diagnosed(diagnosis({ configOk: false, lkg: true, differs: true })));
    expect(ofType(next, 'RunRepair')).toEqual([{ type: 'RunRepair', step: 'restore-config', pid: null }]);
    expect(workTypes(h.send(repairFinished('restore-config', true)))).toEqual(['StartGateway']);
  });

  it('the gateway killed at level 4 with no copy: looked at again, then waits without a second notice', () => {
    const h = latentAtLevel4();
    const died = h.after(5_000, killed());
    expect(workTypes(died)).toEqual(['Diagnose']);
    const again = h.send(diagnosed(diagnosis({ configOk: false })));
    expect(workTypes(again)).toEqual(['RunRepair']); // the doctor was never tried in this incident
  });

  it('nothing new to try: back to waiting, without a second "human needed"', () => {
    const h = exhausted();
    h.send({ type: 'ConfigChanged', ok: false, error: 'still broken', lastKnownGood: false });
    expect(h.state.pending?.work).toBe('diagnose');
    const back = h.send(diagnosed(diagnosis({ configOk: false })));
    expect(workTypes(back)).toEqual([]);
    expect(h.openIncident.state).toBe('waiting_human');
    expect(records(back, 'human')).toEqual([]);
  });

  it('the config fixed on disk while waiting: the gateway is started to verify it', () => {
    const h = exhausted();
    const fixed = h.after(60_000, { type: 'ConfigChanged', ok: true, error: null, lastKnownGood: false });
    expect(workTypes(fixed)).toEqual(['StartGateway']);
  });
});

describe('medic restarted with a question open (stop a foreign port holder)', () => {
  function questionOpenThenRestart(): LadderHarness {
    const h = new LadderHarness();
    h.sendAll(boot(), started(100));
    h.after(1_000, exited({ code: 1, hint: 'port' }));
    h.send(diagnosed(squatter));
    expect(h.openIncident.approval?.id).toBe('gw-1-a1');
    const restarted = new LadderHarness({ state: h.state, now: h.now + 3_000 });
    restarted.send(boot());
    return restarted;
  }

  it('an approval given at once is carried out and the gateway started, whatever the re-diagnosis says', () => {
    const h = questionOpenThenRestart();
    expect(h.openIncident.approval?.id).toBe('gw-1-a1'); // still open
    h.send({ type: 'ApprovalDecided', approvalId: 'gw-1-a1', approved: true, by: 'alice' });
    expect(h.state.pending?.work).toBe('stop-port-holder');
    // A diagnosis that was in flight reports the holder it saw before it was stopped: stale news.
    h.send(diagnosed(squatter));
    expect(h.openIncident.level).toBe(2);
    const done = h.send(repairFinished('stop-port-holder', true, 'stopped pid 4242'));
    expect(workTypes(done)).toEqual(['StartGateway']);
    expect(h.openIncident.maxLevel).toBe(2);
  });
});

// Found by the fault explorer (issue 10): a foreign holder of the port that leaves by itself is a new fact.
describe('the foreign process holding the port leaves by itself', () => {
  function asked(): LadderHarness {
    const h = new LadderHarness();
    h.sendAll(boot(), started(100));
    h.after(1_000, exited({ code: 1, hint: 'port' }));
    h.send(diagnosed(squatter));
    expect(h.openIncident.approval?.kind).toBe('stop-port-holder');
    return h;
  }

  it('before anyone answered: the question is withdrawn and the gateway started to verify', () => {
    const h = asked();
    const actions = h.after(2_000, { type: 'PortFreed', pid: 4242 });
    expect(workTypes(actions)).toEqual(['ApprovalClosed', 'StartGateway']);
    expect(ofType(actions, 'ApprovalClosed')[0]).toMatchObject({ outcome: 'withdrawn' });
    expect(h.openIncident).toMatchObject({ state: 'recovering', level: 2, approval: null });
    expect(records(actions)).toContain('pid 4242 no longer holds the port: question gw-1-a1 no longer applies');
    h.send(started(101));
    expect(h.state.process.status).toBe('running');
  });

  it('after a person denied stopping it (waiting for a human): looked at again, the gateway started', () => {
    const h = asked();
    h.send({ type: 'ApprovalDecided', approvalId: 'gw-1-a1', approved: false, by: 'alice' });
    expect(h.openIncident.state).toBe('waiting_human');
    const actions = h.after(2_000, { type: 'PortFreed', pid: 4242 });
    expect(workTypes(actions)).toEqual(['StartGateway']);
    expect(h.openIncident.state).toBe('recovering');
  });

  it('paused, or another pid: nothing happens', () => {
    const h = asked();
    expect(workTypes(h.send({ type: 'PortFreed', pid: 999 }))).toEqual([]);
    h.send({ type: 'PauseRequested', by: 'bob', until: null });
    expect(workTypes(h.send({ type: 'PortFreed', pid: 4242 }))).toEqual([]);
    expect(h.openIncident.approval?.id).toBe('gw-1-a1');
  });
});
