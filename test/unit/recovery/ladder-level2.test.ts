/** Level 2 (diagnose, repairs verified by the probe) and level 4 (a human, half-open retries). */
import { describe, expect, it } from 'vitest';
import type { Diagnosis } from '../../../src/recovery/types.js';
import {
  LadderHarness,
  T0,
  actionTypes,
  badConfig,
  boot,
  diagnosed,
  diagnosis,
  exhausted,
  exited,
  ofType,
  pause,
  probeFail,
  probeOk,
  records,
  recordKinds,
  repairFinished,
  savedIncidents,
  started,
  tick,
  workTypes,
} from './ladder-harness.js';

/** The verification of a repair fails by the probe: grace runs out, then failureThreshold failures. */
function hangAfterStart(h: LadderHarness): ReturnType<LadderHarness['send']> {
  h.advance(55_000);
  return h.probes(3, probeFail());
}

describe('level 2: order of repairs', () => {
  it('invalid config with a known-good one: restore-config first, then doctor twice, then a human', () => {
    const h = badConfig();
    const invalid = diagnosis({ configOk: false, configError: 'gateway.mode is missing', lkg: true, differs: true });

    const d1 = h.after(500, diagnosed(invalid));
    expect(actionTypes(d1)).toEqual(['Record', 'Record', 'RunRepair', 'SaveIncident']);
    expect(records(d1)).toEqual([
      'diagnosis: config invalid: gateway.mode is missing; last-known-good config differs',
      'repair: restore-config',
    ]);
    expect(ofType(d1, 'RunRepair')).toEqual([{ type: 'RunRepair', step: 'restore-config', pid: null }]);
    expect(h.openIncident).toMatchObject({ tried: ['restore-config'], verifying: 'restore-config', lastDiagnosis: invalid });
    expect(h.state.pending?.work).toBe('restore-config');

    const r1 = h.after(200, repairFinished('restore-config', true, 'restored openclaw.json'));
    expect(actionTypes(r1)).toEqual(['Record', 'Record', 'StartGateway', 'SaveIncident']);
    expect(records(r1)).toEqual(['restore-config finished: restored openclaw.json', 'verifying restore-config: starting the gateway']);
    h.send(started(101));

    // Verification fails by an exit: diagnose again at once, no restart.
    const v1 = h.after(1_000, exited({ code: 78, hint: 'config' }));
    expect(actionTypes(v1)).toEqual(['Record', 'Record', 'Diagnose', 'SaveIncident']);
    expect(records(v1)).toEqual([
      'gateway exited with code 78 (bad config) again',
      'restore-config did not bring it back: exited with code 78 (bad config)',
    ]);
    expect(h.openIncident.verifying).toBeNull();

    const sameAsLkg = diagnosis({ lkg: true, differs: false });
    const d2 = h.after(500, diagnosed(sameAsLkg));
    expect(records(d2)).toEqual(['diagnosis: config valid; config equals last-known-good', 'repair: doctor (run 1 of 2)']);
    expect(ofType(d2, 'RunRepair')).toEqual([{ type: 'RunRepair', step: 'doctor', pid: null }]);
    expect(h.openIncident).toMatchObject({ doctorRuns: 1, verifying: 'doctor' });

    expect(workTypes(h.after(4_000, repairFinished('doctor', true, 'exit 0 in 4.0 s')))).toEqual(['StartGateway']);
    h.send(started(102));

    // Verification fails by the probe: stop the gateway, then diagnose.
    const v2 = hangAfterStart(h);
    expect(actionTypes(v2)).toEqual(['Record', 'Record', 'StopGateway', 'SaveIncident']);
    expect(records(v2)).toEqual([
      'gateway not answering: timeout after 3000 ms (3 failed probes)',
      'doctor did not bring it back: not answering: timeout after 3000 ms (3 failed probes)',
    ]);
    expect(ofType(v2, 'StopGateway')).toEqual([{ type: 'StopGateway', reason: 'the repair did not help', urgent: true }]);
    expect(h.state.afterStop).toBe('diagnose');
    expect(h.after(1_000, exited({ code: null, signal: 'SIGTERM' }))).toEqual([{ type: 'Diagnose' }]);

    const d3 = h.after(500, diagnosed(sameAsLkg));
    expect(records(d3).at(-1)).toBe('repair: doctor (run 2 of 2)');

    // A failed repair goes straight to the next diagnosis: no start to verify it.
    const r3 = h.after(3_000, repairFinished('doctor', false, 'exit 1 in 3.0 s'));
    expect(workTypes(r3)).toEqual(['Diagnose']);
    expect(records(r3)[0]).toBe('doctor failed: exit 1 in 3.0 s');
    expect(h.openIncident.verifying).toBeNull();

    const d4 = h.after(500, diagnosed(sameAsLkg));
    expect(actionTypes(d4)).toEqual(['Record', 'Record', 'NotifyHuman', 'SaveIncident']);
    expect(records(d4)).toEqual([
      'diagnosis: config valid; config equals last-known-good',
      'level 4: human needed: level 2 has nothing left to try',
    ]);
    expect(recordKinds(d4)).toEqual(['step', 'human']);
    expect(ofType(d4, 'NotifyHuman')).toEqual([{ type: 'NotifyHuman', incidentId: 'gw-1', summary: 'level 2 has nothing left to try' }]);
    expect(h.openIncident).toMatchObject({
      state: 'waiting_human',
      level: 4,
      maxLevel: 4,
      tried: ['restore-config', 'doctor', 'doctor'],
      doctorRuns: 2,
      retryAt: h.now + 600_000,
      restarts: 2,
    });
    expect(h.state.pending).toBeNull();
  });

  it('valid config that differs from the known-good one: doctor twice, then restore-config, which fixes it', () => {
    const h = badConfig();
    const openedAt = h.openIncident.openedAt;
    const differs = diagnosis({ lkg: true, differs: true });
    const steps: string[] = [];
    for (let i = 0; i < 2; i++) {
      const d = h.after(500, diagnosed(differs));
      steps.push(...ofType(d, 'RunRepair').map((a) => a.step));
      h.send(repairFinished('doctor', true, 'exit 0'));
      h.send(started(101 + i));
      expect(workTypes(h.after(1_000, exited({ code: 1 })))).toEqual(['Diagnose']);
    }
    const d3 = h.after(500, diagnosed(differs));
    expect(records(d3)).toEqual(['diagnosis: config valid; last-known-good config differs', 'repair: restore-config']);
    steps.push(...ofType(d3, 'RunRepair').map((a) => a.step));
    expect(steps).toEqual(['doctor', 'doctor', 'restore-config']);

    h.send(repairFinished('restore-config', true, 'restored'));
    h.send(started(103));
    expect(h.after(5_000, probeOk())).toEqual([]);
    const back = h.after(5_000, probeOk());
    const secs = ((h.now - openedAt) / 1000).toFixed(1);
    expect(records(back)).toEqual(['healthy again (12 ms)', `resolved after ${secs} s at level 2 (fixed by restore-config)`]);
    expect(savedIncidents(back)).toHaveLength(1);
    expect(savedIncidents(back)[0]).toMatchObject({
      state: 'resolved',
      outcome: 'fixed by restore-config',
      closedAt: h.now,
      level: 2,
      maxLevel: 2,
      doctorRuns: 2,
      tried: ['doctor', 'doctor', 'restore-config'],
    });
    expect(h.incident).toBeNull();
    expect(h.state.health).toBe('up');
  });

  it('the doctor fixes it: resolved "fixed by doctor" after recoveryThreshold good probes', () => {
    const h = badConfig();
    h.send(diagnosed(diagnosis()));
    h.send(repairFinished('doctor', true, 'exit 0'));
    h.send(started(101));
    // Failures inside the start-up grace do not fail the verification.
    expect(h.probes(3, probeFail())).toEqual([]);
    h.after(5_000, probeOk());
    expect(h.openIncident.verifying).toBe('doctor');
    const back = h.after(5_000, probeOk());
    expect(records(back, 'resolved')).toEqual(['resolved after 25.0 s at level 2 (fixed by doctor)']);
    expect(savedIncidents(back)[0]?.outcome).toBe('fixed by doctor');
  });

  it('invalid config and no known-good one: doctor twice, never restore-config, then a human', () => {
    const h = exhausted();
    expect(ofType(h.log, 'RunRepair').map((a) => a.step)).toEqual(['doctor', 'doctor']);
    expect(h.openIncident).toMatchObject({ tried: ['doctor', 'doctor'], doctorRuns: 2, level: 4 });
    expect(records(h.log, 'human')).toEqual(['level 4: human needed: level 2 has nothing left to try']);
  });

  it('honours maxDoctorRuns', () => {
    const h = badConfig(new LadderHarness({ options: { maxDoctorRuns: 1 } }));
    expect(records(h.send(diagnosed(diagnosis()))).at(-1)).toBe('repair: doctor (run 1 of 1)');
    h.send(repairFinished('doctor', false, 'exit 1'));
    expect(workTypes(h.send(diagnosed(diagnosis())))).toEqual(['NotifyHuman']);
  });

  it('ignores a diagnosis or a repair result that arrives once nobody waits for it', () => {
    const h = exhausted();
    const before = structuredClone(h.state);
    // Late results (e.g. after a restart of the medic) while waiting for a human: nothing runs.
    expect(h.send(diagnosed(diagnosis()))).toEqual([]);
    expect(h.send(repairFinished('doctor', true, 'late'))).toEqual([]);
    expect(h.state.incident).toEqual(before.incident);
  });
});

describe('level 2: the gateway is stopped before diagnosing', () => {
  it('a hang that fills the breaker stops the gateway, then diagnoses on its exit', () => {
    const h = new LadderHarness(); // random 0.5: delays exactly 0, 1, 2, 4 s
    h.send(boot());
    h.send(started(100));
    h.after(1_000, exited({ code: 1 })); // #1, T0 + 1 s
    for (const pid of [101, 102, 103]) {
      h.send(started(pid));
      h.after(1_000, exited({ code: 1 })); // #2..#4
      h.advanceTo(h.state.restartAt ?? 0);
      h.send(tick());
    }
    h.send(started(104));
    const startedAt = h.now;
    expect(startedAt).toBe(T0 + 11_000);
    expect(h.state.unstableExits).toHaveLength(4);

    h.advanceTo(startedAt + 60_000);
    h.send(probeFail());
    h.after(5_000, probeFail());
    const actions = h.after(5_000, probeFail()); // #5 at T0 + 81 s, within 120 s of #1
    expect(actionTypes(actions)).toEqual(['Record', 'Record', 'StopGateway', 'SaveIncident']);
    expect(records(actions)).toEqual([
      'gateway not answering: timeout after 3000 ms (3 failed probes)',
      'level 2: circuit breaker open: 5 failed starts within 120 s',
    ]);
    expect(ofType(actions, 'StopGateway')).toEqual([{ type: 'StopGateway', reason: 'level 2 repairs need the gateway stopped', urgent: true }]);
    expect(h.state.pending).toEqual({ work: 'stop', since: h.now });
    expect(h.state.afterStop).toBe('diagnose');
    expect(h.state.process.status).toBe('stopping');
    expect(h.openIncident).toMatchObject({ level: 2, maxLevel: 2, state: 'recovering' });

    expect(h.after(2_000, exited({ code: null, signal: 'SIGTERM' }))).toEqual([{ type: 'Diagnose' }]);
    expect(h.state.pending?.work).toBe('diagnose');
    expect(h.state.process.status).toBe('stopped');
    expect(h.state.unstableExits).toHaveLength(5); // our stop is not one more
  });
});

describe('level 4: waiting for a human', () => {
  it('lets one restart through every humanRetryMs (half-open), and stays waiting when it fails', () => {
    const h = exhausted();
    const retryAt = h.openIncident.retryAt ?? 0;
    expect(retryAt).toBe(h.now + 600_000);
    expect(h.nextWakeAt()).toBe(retryAt);

    h.advanceTo(retryAt - 1);
    expect(h.send(tick())).toEqual([]);

    h.advanceTo(retryAt);
    const retry = h.send(tick());
    expect(actionTypes(retry)).toEqual(['Record', 'StartGateway', 'SaveIncident']);
    expect(records(retry)).toEqual(['circuit breaker half-open: trying one restart']);
    expect(h.openIncident).toMatchObject({ state: 'waiting_human', level: 4, retryAt: retryAt + 600_000 });
    expect(h.state.pending?.work).toBe('start');

    h.send(started(200));
    const failed = h.after(1_000, exited({ code: 78, hint: 'config' }));
    expect(actionTypes(failed)).toEqual(['Record']); // no restart, no diagnosis: a person decides
    expect(records(failed)).toEqual(['gateway exited with code 78 (bad config) again']);
    expect(h.openIncident.state).toBe('waiting_human');
    expect(h.state.pending).toBeNull();
    expect(h.nextWakeAt()).toBe(retryAt + 600_000);
  });

  it('resolves when the half-open restart comes back', () => {
    const h = exhausted();
    const openedAt = h.openIncident.openedAt;
    h.advanceTo(h.openIncident.retryAt ?? 0);
    h.send(tick());
    h.send(started(200));
    const back = h.probes(2, probeOk());
    const secs = ((h.now - openedAt) / 1000).toFixed(1);
    expect(records(back, 'resolved')).toEqual([`resolved after ${secs} s at level 4 (came back while waiting for a human)`]);
    expect(savedIncidents(back)[0]).toMatchObject({ state: 'resolved', retryAt: null, outcome: 'came back while waiting for a human' });
    expect(h.nextWakeAt()).toBeNull();
  });

  it('never retries when humanRetryMs is null', () => {
    const h = exhausted(new LadderHarness({ options: { humanRetryMs: null } }));
    expect(h.openIncident.retryAt).toBeNull();
    expect(h.nextWakeAt()).toBeNull();
    h.advance(24 * 3_600_000);
    expect(h.send(tick())).toEqual([]);
  });

  it('probe failures while waiting for a human notify nobody again', () => {
    const h = exhausted();
    h.advanceTo(h.openIncident.retryAt ?? 0);
    h.send(tick());
    h.send(started(200));
    h.advance(55_000);
    const actions = h.probes(6, probeFail());
    expect(workTypes(actions)).toEqual([]);
    expect(ofType(h.log, 'NotifyHuman')).toHaveLength(1);
    expect(h.openIncident.state).toBe('waiting_human');
  });

  // An operator who paused automatic actions (e.g. to work on the box) gets no half-open
  // StartGateway every humanRetryMs, and `nextWakeAt` skips `incident.retryAt` while paused.
  it('does not let a half-open restart through while paused', () => {
    const h = exhausted();
    h.send(pause('alice', null));
    h.advanceTo(h.openIncident.retryAt ?? 0);
    expect(workTypes(h.send(tick()))).toEqual([]);
    expect(h.state.pending).toBeNull();
  });
});

describe('OpenClaw playbook: gateway.mode missing and no known-good copy', () => {
  it('sets gateway.mode (doctor does not fix it), verifies, and resolves', () => {
    const h = badConfig();
    const modeOnly: Diagnosis = { ...diagnosis({ configOk: false }), config: { ok: false, error: 'gateway.mode: missing', modeMissingOnly: true } };
    const actions = h.send(diagnosed(modeOnly));
    expect(ofType(actions, 'RunRepair')).toEqual([{ type: 'RunRepair', step: 'set-gateway-mode', pid: null }]);
    expect(workTypes(h.send(repairFinished('set-gateway-mode', true, 'set')))).toEqual(['StartGateway']);
    h.send(started(101));
    h.probes(2, probeOk());
    expect(records(h.log, 'resolved')[0]).toMatch(/\(fixed by set-gateway-mode\)$/);
  });

  it('prefers the known-good copy when there is one, and tries set-gateway-mode once', () => {
    const h = badConfig();
    const withCopy: Diagnosis = { ...diagnosis({ configOk: false, lkg: true, differs: true }), config: { ok: false, error: 'x', modeMissingOnly: true } };
    expect(ofType(h.send(diagnosed(withCopy)), 'RunRepair')[0]).toMatchObject({ step: 'restore-config' });
    const h2 = badConfig();
    const modeOnly: Diagnosis = { ...diagnosis({ configOk: false }), config: { ok: false, error: 'x', modeMissingOnly: true } };
    h2.send(diagnosed(modeOnly));
    h2.send(repairFinished('set-gateway-mode', false, 'openclaw: not found'));
    expect(ofType(h2.send(diagnosed(modeOnly)), 'RunRepair')[0]).toMatchObject({ step: 'doctor' });
  });
});
