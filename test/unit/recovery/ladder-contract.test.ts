/**
 * The ladder's contract with its loop: unsupervised mode, GatewayStopped, SaveIncident,
 * `nextWakeAt`, and `step` never mutating its input.
 */
import { describe, expect, it } from 'vitest';
import { DefaultLadderOptions, initialState, nextWakeAt, step } from '../../../src/recovery/ladder/index.js';
import type { Incident, LadderEvent, TargetState } from '../../../src/recovery/types.js';
import {
  LadderHarness,
  T0,
  abort,
  actionTypes,
  badConfig,
  boot,
  deepFreeze,
  diagnosed,
  diagnosis,
  exhausted,
  exited,
  killed,
  ofType,
  pause,
  probeFail,
  probeOk,
  records,
  recordKinds,
  recover,
  repairFinished,
  resume,
  savedIncidents,
  startFailed,
  started,
  stopped,
  tick,
  workTypes,
} from './ladder-harness.js';

function unsupervised(): LadderHarness {
  return new LadderHarness({ options: { supervised: false } });
}

describe('unsupervised (a service manager owns the gateway)', () => {
  it('boots without starting anything and counts probes at once', () => {
    const h = unsupervised();
    expect(h.send(boot())).toEqual([]);
    expect(h.state.process).toMatchObject({ status: 'running', pid: null, startedAt: null });
    h.probes(2, probeOk());
    expect(h.state.health).toBe('up');
  });

  it('restarts a gateway that stops answering with the restart command, without a stop', () => {
    const h = unsupervised();
    h.send(boot());
    h.probes(2, probeOk());
    h.advance(60_000);
    h.probes(2, probeFail());
    const down = h.after(5_000, probeFail('ECONNREFUSED'));
    // ClassifyOutage: its exit is invisible, so what it left behind (log file, journal, stability bundle) is read
    // first; the restart waits for it (issue 11: a class it names takes its own rung, as an exit's does).
    expect(actionTypes(down)).toEqual(['Record', 'Record', 'ClassifyOutage', 'SaveIncident']);
    expect(h.state.pending).toEqual({ work: 'classify', since: h.now, why: 'not answering: ECONNREFUSED (3 failed probes)' });
    const actions = h.send({ type: 'OutageClassified', failure: null });
    expect(actionTypes(actions)).toEqual(['Record', 'StartGateway', 'SaveIncident']);
    expect(records([...down, ...actions])).toEqual([
      'gateway down',
      'gateway not answering: ECONNREFUSED (3 failed probes)',
      'level 1: not answering: restarting the service',
    ]);
    expect(ofType(h.log, 'StopGateway')).toEqual([]);
    expect(h.state.pending).toEqual({ work: 'start', since: h.now });
    expect(h.state.process.status).toBe('running'); // it is the service manager's process

    const done = h.after(3_000, started(null));
    expect(records(done)).toEqual(['restart command finished']);
    expect(h.state.process).toMatchObject({ status: 'running', pid: null, startedAt: h.now, becameHealthy: false });
    expect(h.state.pending).toBeNull();

    const back = h.probes(2, probeOk());
    expect(recordKinds(back)).toEqual(['health', 'resolved']);
    expect(savedIncidents(back)[0]).toMatchObject({ state: 'resolved', level: 1 });
    expect(h.state.health).toBe('up');
  });

  // Unsupervised, neither `process.startedAt` nor `process.lastExit` is set after Boot (there are
  // no exits), yet every StartGateway is a restart command and must be counted.
  it('counts the restart command in the incident', () => {
    const h = unsupervised();
    h.send(boot());
    h.probes(2, probeOk());
    h.probes(3, probeFail());
    h.send({ type: 'OutageClassified', failure: null });
    expect(h.openIncident.restarts).toBe(1);
    h.send(started(null));
    const back = h.probes(2, probeOk());
    expect(savedIncidents(back)[0]?.outcome).toBe('1 restart');
  });

  // No exit event comes on an unsupervised restart, so `started()` takes `health` from 'up' to
  // 'unknown': the good probes after the restart are a transition to 'up' and close the incident.
  it('resolves an operator restart of a healthy gateway', () => {
    const h = unsupervised();
    h.send(boot());
    h.probes(2, probeOk());
    const asked = h.send(recover(1, 'alice'));
    expect(workTypes(asked)).toEqual(['StartGateway']);
    h.after(3_000, started(null));
    h.probes(4, probeOk());
    expect(h.incident).toBeNull();
  });

  it('counts a failed restart command as a failed start', () => {
    const h = unsupervised();
    h.send(boot());
    h.probes(3, probeFail()); // never answered: an unstable "exit" too
    expect(h.state.unstableExits).toHaveLength(1);
    const actions = h.after(1_000, startFailed('systemctl restart openclaw: exit 5'));
    expect(records(actions)).toEqual(['gateway could not be started: systemctl restart openclaw: exit 5 again']);
    expect(h.state.unstableExits).toHaveLength(2);
    expect(h.state.backoffAttempt).toBe(1);
  });

  it('level 2 stops the service (GatewayStopped, no exit), then diagnoses', () => {
    const h = unsupervised();
    h.send(boot());
    h.probes(2, probeOk());
    const asked = h.send(recover(2, 'alice'));
    expect(ofType(asked, 'StopGateway')).toEqual([{ type: 'StopGateway', reason: 'level 2 repairs need the gateway stopped', urgent: false }]);
    expect(h.send(stopped())).toEqual([{ type: 'Diagnose' }]);
    expect(h.state.pending?.work).toBe('diagnose');
  });

  it('takes probe successes whatever the process status: the service manager may have restarted it', () => {
    const h = unsupervised();
    h.send(boot());
    h.send(startFailed('systemctl: unit not found'));
    expect(h.state.process.status).toBe('running'); // a service's process is not ours to mark stopped
    expect(h.state.pending?.work).toBe('start'); // retried at once (first failure)
    const back = h.probes(2, probeOk());
    expect(recordKinds(back)).toEqual(['resolved']);
    expect(h.state.health).toBe('up');
    expect(h.incident).toBeNull();
  });
});

describe('GatewayStopped (supervised)', () => {
  it('completes a stop that found nothing running (an adopted gateway that died unseen)', () => {
    const h = new LadderHarness();
    h.send(boot(4242));
    h.advance(60_000); // adopted: start-up grace from the adoption
    h.probes(3, probeFail()); // then level 1 restart
    expect(h.state.process.status).toBe('stopping');
    const actions = h.send(stopped());
    expect(workTypes(actions)).toEqual(['StartGateway']);
    expect(h.state.process).toMatchObject({ status: 'starting', pid: null });
    expect(h.state.afterStop).toBeNull();
  });

  // The loop sends GatewayStopped when its `stop()` found nothing running: the gateway died just
  // before the stop, and its ProcessExited (seen while 'stopping') already started the next run.
  // The late GatewayStopped must not erase that start in flight (single flight).
  it('ignores a GatewayStopped that arrives after the exit already continued', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    h.probes(3, probeFail()); // StopGateway, then start
    h.send(exited({ code: 1 })); // died on its own, seen as the stop's exit: StartGateway
    expect(h.state.pending?.work).toBe('start');
    h.send(stopped()); // stop() found nothing running
    expect(h.state.pending?.work).toBe('start');
    expect(h.state.process.status).toBe('starting');
  });
});

describe('SaveIncident', () => {
  it('carries the incident on open, on every change, and the closed one on resolve', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    const onOpen = h.after(60_000, killed());
    expect(actionTypes(onOpen).at(-1)).toBe('SaveIncident');
    expect(savedIncidents(onOpen)).toEqual([h.state.incident]);
    expect(savedIncidents(onOpen)[0]).toMatchObject({ id: 'gw-1', state: 'recovering', openedAt: h.now, closedAt: null, restarts: 1 });

    // Nothing about the incident changes: no save.
    expect(savedIncidents(h.send(started(101)))).toEqual([]);
    expect(savedIncidents(h.after(5_000, probeOk()))).toEqual([]);

    const onResolve = h.after(5_000, probeOk());
    expect(savedIncidents(onResolve)).toHaveLength(1);
    expect(actionTypes(onResolve).at(-1)).toBe('SaveIncident');
    expect(savedIncidents(onResolve)[0]).toMatchObject({ id: 'gw-1', state: 'resolved', closedAt: h.now });
    expect(h.incident).toBeNull();
  });

  it('is emitted exactly when the incident changed, as the last action, through a whole repair', () => {
    const h = new LadderHarness();
    const events: LadderEvent[] = [
      boot(),
      started(100),
      exited({ code: 78, hint: 'config' }),
      diagnosed(diagnosis({ configOk: false, lkg: true, differs: true })),
      repairFinished('restore-config', true, 'restored'),
      started(101),
      probeFail(),
      exited({ code: 1 }),
      diagnosed(diagnosis()),
      repairFinished('doctor', false, 'exit 1'),
      diagnosed(diagnosis()),
      tick(),
      repairFinished('doctor', true, 'exit 0'),
      started(102),
      probeOk(),
      probeOk(),
    ];
    let saves = 0;
    for (const e of events) {
      const before = h.state.incident;
      const actions = h.after(1_000, e);
      const after: Incident | null = h.state.incident ?? savedIncidents(actions)[0] ?? null;
      const changed = JSON.stringify(after) !== JSON.stringify(before);
      expect(savedIncidents(actions), e.type).toHaveLength(changed ? 1 : 0);
      if (changed) {
        expect(actionTypes(actions).at(-1)).toBe('SaveIncident');
        expect(savedIncidents(actions)[0]).toEqual(after);
        saves += 1;
      }
    }
    expect(saves).toBeGreaterThanOrEqual(8);
    expect(savedIncidents(h.log).at(-1)).toMatchObject({ state: 'resolved', outcome: 'fixed by doctor', tried: ['restore-config', 'doctor', 'doctor'] });
  });

  it('carries the aborted incident on abort', () => {
    const h = exhausted();
    const actions = h.send(abort('carol', 'moving hosts'));
    expect(savedIncidents(actions)).toEqual([
      expect.objectContaining({ id: 'gw-1', state: 'aborted', outcome: 'aborted by carol', closedAt: h.now, level: 4 }),
    ]);
  });
});

describe('nextWakeAt', () => {
  const base = initialState('gw');

  it('is null when nothing is scheduled', () => {
    expect(nextWakeAt(base)).toBeNull();
  });

  it('derives from restartAt, the incident retryAt and pausedUntil, the earliest first', () => {
    const incident = exhausted().openIncident;
    expect(nextWakeAt({ ...base, restartAt: 5_000 })).toBe(5_000);
    expect(nextWakeAt({ ...base, pausedUntil: 7_000 })).toBe(7_000);
    expect(nextWakeAt({ ...base, incident: { ...incident, retryAt: 9_000 } })).toBe(9_000);
    expect(nextWakeAt({ ...base, restartAt: 5_000, pausedUntil: 3_000, incident: { ...incident, retryAt: 9_000 } })).toBe(3_000);
    expect(nextWakeAt({ ...base, restartAt: 5_000, pausedUntil: 8_000, incident: { ...incident, retryAt: 4_000 } })).toBe(4_000);
    expect(nextWakeAt({ ...base, incident: { ...incident, retryAt: null } })).toBeNull();
  });

  it('follows the ladder: backoff restart, then nothing once restarted', () => {
    const h = new LadderHarness();
    h.send(boot());
    h.send(started(100));
    h.after(1_000, exited());
    h.send(started(101));
    h.after(1_000, exited());
    expect(h.nextWakeAt()).toBe(T0 + 3_000);
    h.advanceTo(T0 + 3_000).send(tick());
    expect(h.nextWakeAt()).toBeNull();
  });
});

describe('step is pure', () => {
  it('never mutates a deep-frozen input state, whatever the event', () => {
    const states: TargetState[] = [initialState('gw'), badConfig().state, exhausted().state];
    const h = new LadderHarness();
    h.bootHealthy(100);
    h.send(pause('alice', T0 + 3_600_000));
    states.push(h.state);
    const events: LadderEvent[] = [
      boot(),
      boot(4242),
      tick(),
      probeOk(),
      probeFail(),
      started(1),
      startFailed(),
      stopped(),
      exited({ code: 78, hint: 'config' }),
      killed(),
      diagnosed(diagnosis({ portHolder: { pid: 1, command: 'x', stale: true } })),
      repairFinished('doctor', false),
      recover(0),
      recover(2),
      recover(4),
      abort(),
      pause('bob', null),
      resume(),
    ];
    for (const s of states) {
      const frozen = deepFreeze(structuredClone(s));
      const json = JSON.stringify(frozen);
      for (const e of events) {
        const ctx = { now: T0 + 10_000_000, random: 0.3, options: DefaultLadderOptions };
        const out = step(frozen, e, ctx);
        expect(out.state).not.toBe(frozen);
        expect(JSON.stringify(frozen)).toBe(json);
      }
    }
  });

  it('is deterministic: the same input gives the same output', () => {
    const s = badConfig().state;
    const ctx = { now: T0 + 5_000, random: 0.42, options: DefaultLadderOptions };
    expect(step(s, diagnosed(diagnosis({ lkg: true, differs: true })), ctx)).toEqual(
      step(s, diagnosed(diagnosis({ lkg: true, differs: true })), ctx),
    );
  });
});

describe('a gateway that cannot be started as configured', () => {
  it('goes to level 2 at once, without blind retries (no restart command; exit 127)', () => {
    const h = new LadderHarness({ options: { supervised: false } });
    h.send(boot());
    h.probes(3, probeFail());
    const actions = h.send({ type: 'GatewayStartFailed', error: 'no restart command', permanent: true });
    expect(records(actions)).toContain('level 2: the gateway cannot be started as configured; no blind retries');
    expect(h.state.restartAt).toBeNull();

    const s = new LadderHarness();
    s.send(boot());
    s.send(started(100));
    const exit = s.after(100, exited({ code: 127, hint: 'command' }));
    expect(records(exit)).toEqual([
      'gateway exited with code 127 (the command cannot run)',
      'level 2: the gateway cannot be started as configured; no blind retries',
    ]);
    expect(workTypes(exit)).toEqual(['Diagnose']);
  });
});
