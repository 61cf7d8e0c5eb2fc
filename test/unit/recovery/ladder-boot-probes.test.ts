/** Boot, start-up grace, probe hysteresis (level 1), hangs and the last-known-good snapshot. */
import { describe, expect, it } from 'vitest';
import {
  LadderHarness,
  T0,
  actionTypes,
  boot,
  exited,
  killed,
  ofType,
  probeFail,
  probeOk,
  records,
  recordKinds,
  recordsOf,
  savedIncidents,
  started,
  diagnosed,
  diagnosis,
} from './ladder-harness.js';

describe('boot (supervised)', () => {
  it('starts the gateway on a fresh boot, without counting a restart', () => {
    const h = new LadderHarness();
    const actions = h.send(boot());
    expect(actions).toEqual([{ type: 'StartGateway' }]);
    expect(h.state.pending).toEqual({ work: 'start', since: T0 });
    expect(h.state.process.status).toBe('starting');
    expect(h.state.restarts).toBe(0);
    expect(h.state.incident).toBeNull();
    expect(h.state.health).toBe('unknown');
  });

  it('adopts a running gateway without starting another, with start-up grace from the adoption', () => {
    const h = new LadderHarness();
    const t0 = h.now;
    expect(h.send(boot(4242))).toEqual([]);
    expect(h.state.process).toMatchObject({ status: 'running', pid: 4242, startedAt: t0, becameHealthy: false });
    expect(h.state.pending).toBeNull();

    // It may still be starting (the previous medic died mid-restart): failures inside the grace are not counted.
    h.probes(5, probeFail());
    expect(h.incident).toBeNull();
    expect(h.state.probe.failures).toBe(0);

    // Past the grace, three failures open an incident and restart it.
    h.advance(60_000);
    h.probes(2, probeFail());
    expect(h.incident).toBeNull();
    const actions = h.after(5_000, probeFail());
    expect(actionTypes(actions)).toEqual(['Record', 'Record', 'StopGateway', 'SaveIncident']);
    expect(h.openIncident.level).toBe(1);
  });

  it('records the adoption in an open incident', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    h.after(60_000, killed()); // incident gw-1, restart in flight; the medic dies here
    const medic = new LadderHarness({ state: structuredClone(h.state), now: h.now + 3_000 });
    const actions = medic.send(boot(4343));
    expect(actions).toEqual([
      {
        type: 'Record',
        record: {
          kind: 'step',
          at: medic.now,
          target: 'gw',
          incidentId: 'gw-1',
          level: 0,
          text: 'medic restarted; adopted the running gateway (pid 4343)',
        },
      },
    ]);
    expect(medic.state.pending).toBeNull();
    expect(medic.state.process).toMatchObject({ status: 'running', pid: 4343 });
  });

  it('resumes an incident at level 0 by starting the gateway (a restart)', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    h.after(60_000, killed());
    expect(h.openIncident.restarts).toBe(1);
    const medic = new LadderHarness({ state: structuredClone(h.state), now: h.now + 3_000 });

    const actions = medic.send(boot());
    expect(actionTypes(actions)).toEqual(['Record', 'StartGateway', 'SaveIncident']);
    expect(records(actions)).toEqual(['medic restarted mid-incident; starting the gateway']);
    expect(medic.state.pending).toEqual({ work: 'start', since: medic.now });
    expect(medic.state.process.status).toBe('starting');
    expect(medic.openIncident).toMatchObject({ id: 'gw-1', level: 0, restarts: 2 });
    expect(savedIncidents(actions)[0]).toEqual(medic.state.incident);
  });

  it('resumes an incident at level 2 by diagnosing again, not by starting', () => {
    const h = new LadderHarness();
    h.send(boot());
    h.send(started(100));
    h.after(1_000, exited({ code: 78, hint: 'config' })); // level 2, Diagnose in flight
    expect(h.state.pending?.work).toBe('diagnose');
    const medic = new LadderHarness({ state: structuredClone(h.state), now: h.now + 3_000 });

    const actions = medic.send(boot());
    expect(actionTypes(actions)).toEqual(['Record', 'Diagnose']);
    expect(records(actions)).toEqual(['medic restarted mid-repair; diagnosing again']);
    expect(medic.state.pending).toEqual({ work: 'diagnose', since: medic.now });
    expect(medic.state.process.status).toBe('stopped');
  });

  it('a repair the medic died running is tried once more after its restart, not counted as tried (explorer, medic-crash seed 140)', () => {
    const stale = diagnosis({ portHolder: { pid: 4242, command: 'node gateway.mjs', stale: true } });
    const h = new LadderHarness();
    h.send(boot());
    h.send(started(100));
    h.after(1_000, exited({ code: 1, hint: 'port' })); // EADDRINUSE: level 2 at once
    h.after(100, diagnosed(stale));
    expect(h.state.pending?.work).toBe('stop-stale'); // killed -9 while it runs
    let medic = new LadderHarness({ state: structuredClone(h.state), now: h.now + 3_000 });
    let actions = medic.send(boot());
    expect(records(actions)).toEqual(['the medic stopped while stop-stale ran (no answer came): it may be tried once more', 'medic restarted mid-repair; diagnosing again']);
    actions = medic.after(100, diagnosed(stale));
    expect(ofType(actions, 'RunRepair')).toEqual([{ type: 'RunRepair', step: 'stop-stale', pid: 4242 }]); // before: a question for a person
    // Killed again while it runs: once is the bound (the repair may be what kills the medic).
    medic = new LadderHarness({ state: structuredClone(medic.state), now: medic.now + 3_000 });
    medic.send(boot());
    actions = medic.after(100, diagnosed(stale));
    expect(ofType(actions, 'RunRepair')).toEqual([]);
    expect(medic.openIncident.approval).toMatchObject({ kind: 'stop-port-holder', pid: 4242 });
  });

  it('does not start a gateway whose incident waits for a human, and keeps the half-open retry', () => {
    const h = new LadderHarness();
    h.send(boot());
    h.send(started(100));
    h.after(1_000, exited({ hint: 'port' }));
    h.send(diagnosed(diagnosis({ portHolder: { pid: 4242, command: 'nginx', stale: false } })));
    h.send({ type: 'ApprovalDecided', approvalId: 'gw-1-a1', approved: false, by: 'alice' });
    expect(h.openIncident.state).toBe('waiting_human');
    const retryAt = h.openIncident.retryAt;
    const medic = new LadderHarness({ state: structuredClone(h.state), now: h.now + 3_000 });

    expect(medic.send(boot())).toEqual([]);
    expect(medic.state.process.status).toBe('stopped');
    expect(medic.state.pending).toBeNull();
    expect(medic.nextWakeAt()).toBe(retryAt);
  });

  it('does not start a paused target', () => {
    const h = new LadderHarness();
    h.send({ type: 'PauseRequested', by: 'alice', until: null });
    expect(h.send(boot())).toEqual([]);
    expect(h.state.process.status).toBe('stopped');
    expect(h.state.pending).toBeNull();
  });
});

describe('start-up grace', () => {
  it('ignores failed probes for startupGraceMs after a start, then counts them', () => {
    const h = new LadderHarness();
    h.send(boot());
    h.send(started(100));
    // 11 failures at +5 s ... +55 s: all inside the 60 s grace.
    const during = h.probes(11, probeFail('ECONNREFUSED'));
    expect(during).toEqual([]);
    expect(h.state.probe.failures).toBe(0);
    expect(h.incident).toBeNull();

    h.advanceTo(T0 + 60_000);
    expect(h.send(probeFail('ECONNREFUSED'))).toEqual([]);
    expect(h.state.probe.failures).toBe(1);
    expect(h.after(5_000, probeFail('ECONNREFUSED'))).toEqual([]);
    const actions = h.after(5_000, probeFail('ECONNREFUSED'));
    expect(records(actions)).toEqual([
      'gateway not answering: ECONNREFUSED (3 failed probes)',
      'level 1: alive but not answering: restarting it',
    ]);
    expect(recordKinds(actions)).toEqual(['opened', 'level']);
    expect(ofType(actions, 'StopGateway')).toEqual([{ type: 'StopGateway', reason: 'not answering', urgent: true }]);
    // A hang of a process that never answered counts towards the breaker like a failed start.
    expect(h.state.unstableExits).toEqual([T0 + 70_000]);
  });

  it('ends at the first good probe', () => {
    const h = new LadderHarness();
    h.send(boot());
    h.send(started(100));
    h.after(5_000, probeOk());
    expect(h.state.process.becameHealthy).toBe(true);
    expect(h.state.health).toBe('unknown'); // one good probe is not yet "up"
    expect(h.probes(2, probeFail())).toEqual([]);
    expect(h.state.probe.failures).toBe(2);
    const actions = h.after(5_000, probeFail());
    expect(recordKinds(actions)).toEqual(['opened', 'level']);
    expect(h.openIncident).toMatchObject({ openedAt: T0 + 20_000, level: 1, state: 'recovering' });
    expect(h.state.unstableExits).toEqual([]); // it did answer once
    expect(h.state.health).toBe('down');
  });
});

describe('hysteresis', () => {
  it('alerts nobody for failureThreshold - 1 failures, opens an incident at failureThreshold', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    expect(h.state.health).toBe('up');
    h.advance(60_000);

    expect(h.send(probeFail())).toEqual([]);
    expect(h.after(5_000, probeFail())).toEqual([]);
    expect(h.state.health).toBe('up');
    expect(h.incident).toBeNull();

    const actions = h.after(5_000, probeFail());
    expect(actionTypes(actions)).toEqual(['Record', 'Record', 'Record', 'StopGateway', 'SaveIncident']);
    const [down, opened, level] = recordsOf(actions);
    expect(down).toEqual({ kind: 'health', at: h.now, target: 'gw', incidentId: null, level: null, text: 'gateway down' });
    expect(opened).toEqual({
      kind: 'opened',
      at: h.now,
      target: 'gw',
      incidentId: 'gw-1',
      level: 0,
      text: 'gateway not answering: timeout after 3000 ms (3 failed probes)',
    });
    expect(level).toMatchObject({ kind: 'level', incidentId: 'gw-1', level: 1, text: 'level 1: alive but not answering: restarting it' });
    expect(h.state.health).toBe('down');
    expect(h.state.probe.failures).toBe(0);
    expect(h.openIncident).toMatchObject({
      id: 'gw-1',
      state: 'recovering',
      level: 1,
      maxLevel: 1,
      cause: 'gateway not answering: timeout after 3000 ms (3 failed probes)',
      openedAt: h.now,
      restarts: 0,
    });
  });

  it('a good probe between failures resets the count: a blip alerts nobody', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    const actions = [
      ...h.probes(2, probeFail()),
      ...h.after(5_000, probeOk()),
      ...h.probes(2, probeFail()),
      ...h.after(5_000, probeOk()),
    ];
    // Nothing but the snapshot (30 s after it came up): no record, no incident, no restart.
    expect(actionTypes(actions).filter((t) => t !== 'SnapshotConfig')).toEqual([]);
    expect(h.state.health).toBe('up');
    expect(h.state.healthySince).toBe(T0 + 10_000);
    expect(h.incident).toBeNull();
    expect(h.state.incidentSeq).toBe(0);
  });

  it('does not resolve on recoveryThreshold - 1 good probes, resolves on recoveryThreshold', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    h.advance(60_000);
    h.probes(3, probeFail());
    const openedAt = h.openIncident.openedAt;

    // The hang restart: our stop's exit, then a start.
    const onExit = h.after(1_000, exited({ code: null, signal: 'SIGTERM' }));
    expect(actionTypes(onExit)).toEqual(['StartGateway', 'SaveIncident']);
    expect(h.state.pending?.work).toBe('start');
    expect(records(h.after(2_000, started(101)))).toEqual(['gateway started (pid 101)']);

    expect(h.after(5_000, probeOk())).toEqual([]);
    expect(h.openIncident.state).toBe('recovering');
    expect(h.state.health).toBe('down');

    // A failure in between (grace ended at the first good probe) resets the good streak.
    expect(h.after(5_000, probeFail())).toEqual([]);
    expect(h.after(5_000, probeOk())).toEqual([]);
    expect(h.incident).not.toBeNull();

    const actions = h.after(5_000, probeOk({ latencyMs: 40 }));
    expect(actionTypes(actions)).toEqual(['Record', 'Record', 'SaveIncident']);
    const secs = ((h.now - openedAt) / 1000).toFixed(1);
    expect(records(actions)).toEqual(['healthy again (40 ms)', `resolved after ${secs} s at level 1 (1 restart)`]);
    expect(recordKinds(actions)).toEqual(['health', 'resolved']);
    expect(h.incident).toBeNull();
    expect(h.state.health).toBe('up');
    expect(h.state.healthySince).toBe(h.now);
    expect(savedIncidents(actions)[0]).toMatchObject({
      id: 'gw-1',
      state: 'resolved',
      closedAt: h.now,
      outcome: '1 restart',
      level: 1,
      maxLevel: 1,
      restarts: 1,
    });
  });

  it('writes one "opened" and one "resolved" for an outage that takes several rungs', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    h.advance(60_000);
    h.probes(3, probeFail()); // hang: level 1 restart
    h.after(1_000, exited({ code: null, signal: 'SIGTERM' }));
    h.send(started(101));
    const crash = h.after(2_000, exited({ code: 1 })); // the restarted gateway crashes on start
    expect(records(crash)).toEqual(['gateway exited with code 1 again']);
    expect(actionTypes(crash)).toEqual(['Record', 'StartGateway', 'SaveIncident']);
    h.send(started(102));
    h.probes(2, probeOk());

    expect(records(h.log, 'opened')).toHaveLength(1);
    expect(records(h.log, 'resolved')).toEqual([`resolved after 13.0 s at level 1 (2 restarts)`]);
    expect(new Set(recordsOf(h.log).flatMap((r) => (r.incidentId ? [r.incidentId] : [])))).toEqual(new Set(['gw-1']));
    expect(h.state.incidentSeq).toBe(1);
  });
});

describe('a gateway alive but not answering (level 1)', () => {
  it('stops it, then starts it again on the exit of that stop', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    h.advance(60_000);
    h.probes(3, probeFail('HTTP 503', { status: 503 }));
    expect(h.state.pending).toEqual({ work: 'stop', since: h.now });
    expect(h.state.afterStop).toBe('start');
    expect(h.state.process.status).toBe('stopping');

    // Failed probes while it stops change nothing.
    expect(h.after(1_000, probeFail())).toEqual([]);

    const actions = h.after(1_000, exited({ code: null, signal: 'SIGTERM' }));
    expect(actions.filter((a) => a.type !== 'SaveIncident')).toEqual([{ type: 'StartGateway' }]);
    expect(h.state.afterStop).toBeNull();
    expect(h.state.pending?.work).toBe('start');
    expect(h.state.process).toMatchObject({ status: 'starting', pid: null });
    expect(h.state.process.lastExit).toEqual({ code: null, signal: 'SIGTERM', at: 0, hint: null });
    expect(h.openIncident.restarts).toBe(1);
    expect(h.state.restarts).toBe(1);
    // Our own stop is not a failed start.
    expect(h.state.unstableExits).toEqual([]);
    expect(h.state.backoffAttempt).toBe(0);
  });
});

describe('probes while our supervised gateway is not running', () => {
  it('do not count: whoever answers on the port is not our gateway', () => {
    const h = new LadderHarness();
    h.send(boot());
    h.send(started(100));
    h.after(1_000, exited({ code: 1 }));
    h.send(started(101));
    h.after(1_000, exited({ code: 1 })); // backoff: stopped until restartAt
    expect(h.state.process.status).toBe('stopped');
    expect(h.state.restartAt).not.toBeNull();

    expect(h.probes(3, probeOk(), 100)).toEqual([]);
    expect(h.state.probe.successes).toBe(0);
    expect(h.state.health).toBe('down');
    expect(h.openIncident.state).toBe('recovering');
    expect(h.state.probe.last?.ok).toBe(true); // still shown by /status

    // Nor while it is starting.
    h.advanceTo(h.state.restartAt ?? 0);
    h.send({ type: 'Tick' });
    expect(h.state.process.status).toBe('starting');
    expect(h.probes(3, probeOk(), 100)).toEqual([]);
    expect(h.state.probe.successes).toBe(0);
    expect(h.incident).not.toBeNull();
  });
});

describe('last-known-good snapshot', () => {
  it('is taken once per run, after snapshotAfterMs healthy', () => {
    const h = new LadderHarness();
    h.bootHealthy(100); // healthy since T0 + 10 s
    expect(h.state.healthySince).toBe(T0 + 10_000);
    expect(h.probes(5, probeOk())).toEqual([]); // up to +25 s healthy
    const snap = h.after(5_000, probeOk()); // 30 s healthy
    expect(snap).toEqual([{ type: 'SnapshotConfig', config: null }]);
    expect(h.state.snapshotTaken).toBe(true);
    expect(h.probes(20, probeOk())).toEqual([]);

    // A new run: snapshot again once it has been healthy long enough.
    h.after(1_000, killed());
    h.send(started(101));
    h.probes(2, probeOk()); // resolves the incident
    expect(h.state.snapshotTaken).toBe(false);
    expect(ofType(h.probes(5, probeOk()), 'SnapshotConfig')).toEqual([]);
    expect(h.after(5_000, probeOk())).toEqual([{ type: 'SnapshotConfig', config: null }]);
    expect(ofType(h.log, 'SnapshotConfig')).toHaveLength(2);
  });

  it('is not taken when health is lost before snapshotAfterMs', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    h.probes(3, probeOk());
    h.probes(3, probeFail()); // down before 30 s healthy
    h.after(1_000, exited({ code: null, signal: 'SIGTERM' }));
    h.send(started(101));
    h.probes(6, probeOk()); // healthy since the 2nd, 20 s at the 6th
    expect(ofType(h.log, 'SnapshotConfig')).toEqual([]);
  });
});
