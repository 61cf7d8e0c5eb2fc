/** Level 0: restarts after exits, backoff with jitter, the circuit breaker, exit 78 and EADDRINUSE. */
import { describe, expect, it } from 'vitest';
import {
  LadderHarness,
  T0,
  actionTypes,
  boot,
  diagnosed,
  diagnosis,
  exited,
  killed,
  ofType,
  probeOk,
  records,
  recordKinds,
  repairFinished,
  savedIncidents,
  startFailed,
  started,
  tick,
  workTypes,
} from './ladder-harness.js';

/** Boot, then `count` starts that each die after `runMs` without ever answering; waits out every backoff. */
function crashLoop(h: LadderHarness, count: number, runMs = 1_000): void {
  h.send(boot());
  for (let i = 0; i < count; i++) {
    if (h.state.restartAt !== null) {
      h.advanceTo(h.state.restartAt);
      h.send(tick());
    }
    expect(h.state.pending?.work).toBe('start');
    h.send(started(100 + i));
    h.after(runMs, exited({ code: 1 }));
  }
}

describe('kill -9 of a healthy gateway', () => {
  it('ten kills in a row make ten incidents, each restarted at once and resolved', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    for (let i = 1; i <= 10; i++) {
      h.advance(60_000);
      const onKill = h.send(killed());
      expect(actionTypes(onKill)).toEqual(['Record', 'Record', 'StartGateway', 'SaveIncident']);
      expect(records(onKill)).toEqual(['gateway down', 'gateway was killed by SIGKILL']);
      expect(recordKinds(onKill)).toEqual(['health', 'opened']);
      expect(h.openIncident).toMatchObject({ id: `gw-${i}`, level: 0, state: 'recovering', restarts: 1 });
      expect(h.state.restartAt).toBeNull();
      expect(h.state.backoffAttempt).toBe(0);
      expect(h.state.unstableExits).toEqual([]);

      expect(records(h.send(started(100 + i)))).toEqual([`gateway started (pid ${100 + i})`]);
      const back = h.probes(2, probeOk());
      expect(records(back)).toEqual(['healthy again (12 ms)', 'resolved after 10.0 s at level 0 (1 restart)']);
      expect(savedIncidents(back).at(-1)).toMatchObject({ id: `gw-${i}`, state: 'resolved', outcome: '1 restart' });
      expect(h.incident).toBeNull();
      expect(h.state.restarts).toBe(i);
    }
    expect(ofType(h.log, 'Diagnose')).toEqual([]);
    expect(records(h.log, 'opened')).toHaveLength(10);
    expect(records(h.log, 'resolved')).toHaveLength(10);
  });
});

describe('crash loop: backoff', () => {
  it('restarts at once, then after growing delays; a Tick before restartAt does nothing', () => {
    const h = new LadderHarness({ random: 0.5 }); // jitter factor exactly 1.0
    h.send(boot());
    h.send(started(100));

    const first = h.after(1_000, exited({ code: 1 }));
    expect(actionTypes(first)).toEqual(['Record', 'StartGateway', 'SaveIncident']);
    expect(records(first)).toEqual(['gateway exited with code 1']);
    expect(h.state.restartAt).toBeNull();
    expect(h.state.backoffAttempt).toBe(1);
    expect(h.state.unstableExits).toEqual([T0 + 1_000]);

    const expected = [
      { delay: 1_000, text: 'restarting in 1.0 s (backoff attempt 1)' },
      { delay: 2_000, text: 'restarting in 2.0 s (backoff attempt 2)' },
      { delay: 4_000, text: 'restarting in 4.0 s (backoff attempt 3)' },
    ];
    for (const [i, { delay, text }] of expected.entries()) {
      h.send(started(101 + i));
      const onExit = h.after(1_000, exited({ code: 1 }));
      expect(actionTypes(onExit)).toEqual(['Record', 'Record']); // nothing in the incident changed
      expect(records(onExit)).toEqual(['gateway exited with code 1 again', text]);
      expect(h.state.restartAt).toBe(h.now + delay);
      expect(h.nextWakeAt()).toBe(h.now + delay);
      expect(h.state.backoffAttempt).toBe(i + 2);
      expect(h.state.pending).toBeNull();
      expect(h.state.process.status).toBe('stopped');

      const restartAt = h.state.restartAt ?? 0;
      h.advanceTo(restartAt - 1);
      expect(h.send(tick())).toEqual([]);
      expect(h.state.restartAt).toBe(restartAt);

      h.advanceTo(restartAt);
      const onTick = h.send(tick());
      expect(actionTypes(onTick)).toEqual(['StartGateway', 'SaveIncident']);
      expect(h.state.restartAt).toBeNull();
      expect(h.state.pending).toEqual({ work: 'start', since: restartAt });
      expect(h.openIncident.restarts).toBe(i + 2);
    }
  });

  it.each([
    { random: 0, delays: [800, 1_600, 3_200] },
    { random: 0.75, delays: [1_100, 2_200, 4_400] },
  ])('applies jitter from the injected random ($random)', ({ random, delays }) => {
    const h = new LadderHarness({ random });
    h.send(boot());
    const seen: number[] = [];
    for (let i = 0; i < 4; i++) {
      if (h.state.restartAt !== null) {
        h.advanceTo(h.state.restartAt);
        h.send(tick());
      }
      h.send(started(100 + i));
      h.after(500, exited({ code: 1 }));
      seen.push(h.state.restartAt === null ? 0 : h.state.restartAt - h.now);
    }
    expect(seen).toEqual([0, ...delays]);
  });

  it('caps the delay (30 s by default)', () => {
    const h = new LadderHarness({ options: { breakerMaxExits: 100 } });
    crashLoop(h, 9);
    expect(h.state.backoffAttempt).toBe(9);
    expect(h.state.restartAt).toBe(h.now + 30_000);
    expect(records(h.log).at(-1)).toBe('restarting in 30.0 s (backoff attempt 8)');
  });

  it('resets once the gateway becomes healthy; a later kill restarts at once', () => {
    const h = new LadderHarness();
    crashLoop(h, 3);
    expect(h.state.backoffAttempt).toBe(3);
    h.advanceTo(h.state.restartAt ?? 0);
    h.send(tick());
    h.send(started(200));
    h.after(5_000, probeOk());
    expect(h.state.backoffAttempt).toBe(3); // one good probe is not "up" yet
    const back = h.after(5_000, probeOk());
    expect(records(back, 'resolved')).toHaveLength(1);
    expect(h.state.backoffAttempt).toBe(0);

    h.advance(60_000);
    expect(workTypes(h.send(killed()))).toEqual(['StartGateway']);
    expect(h.state.restartAt).toBeNull();
  });

  it('escalates to level 2 when the backoff gives up (null)', () => {
    const h = new LadderHarness({ options: { backoff: (attempt) => (attempt >= 1 ? null : 0) } });
    h.send(boot());
    h.send(started(100));
    h.after(1_000, exited({ code: 1 }));
    h.send(started(101));
    const actions = h.after(1_000, exited({ code: 1 }));
    expect(workTypes(actions)).toEqual(['Diagnose']);
    expect(records(actions)).toEqual(['gateway exited with code 1 again', 'level 2: restart backoff gave up']);
    expect(h.openIncident).toMatchObject({ level: 2, maxLevel: 2 });
    expect(h.state.restartAt).toBeNull();
  });
});

describe('circuit breaker', () => {
  it('opens at the 5th failed start within the window: level 2, no more restarts', () => {
    const h = new LadderHarness();
    crashLoop(h, 4);
    expect(h.openIncident.level).toBe(0);
    expect(h.state.unstableExits).toHaveLength(4);
    h.advanceTo(h.state.restartAt ?? 0);
    h.send(tick());
    h.send(started(104));
    const actions = h.after(1_000, exited({ code: 1 }));
    expect(actionTypes(actions)).toEqual(['Record', 'Record', 'Diagnose', 'SaveIncident']);
    expect(records(actions)).toEqual([
      'gateway exited with code 1 again',
      'level 2: circuit breaker open: 5 failed starts within 120 s',
    ]);
    expect(h.state.unstableExits).toHaveLength(5);
    expect(h.state.restartAt).toBeNull();
    expect(h.state.pending).toEqual({ work: 'diagnose', since: h.now });
    expect(h.openIncident).toMatchObject({ level: 2, maxLevel: 2, state: 'recovering', restarts: 4 });
  });

  it('stays closed when the failed starts are spread beyond the window', () => {
    const h = new LadderHarness();
    const seen: number[] = [];
    h.send(boot());
    for (let i = 0; i < 8; i++) {
      if (h.state.restartAt !== null) {
        h.advanceTo(h.state.restartAt);
        h.send(tick());
      }
      h.send(started(100 + i));
      h.after(35_000, exited({ code: 1 })); // exits at least 35 s apart: at most 4 in any 120 s
      seen.push(h.state.unstableExits.length);
    }
    expect(seen).toEqual([1, 2, 3, 4, 4, 4, 3, 3]);
    expect(ofType(h.log, 'Diagnose')).toEqual([]);
    expect(h.openIncident.level).toBe(0);
    expect(h.state.backoffAttempt).toBe(8);
    expect(h.state.restartAt).toBe(h.now + 30_000);
  });

  it.each([
    { fifthAfter: 119_999, opens: true },
    { fifthAfter: 120_000, opens: false },
  ])('counts exits strictly within breakerWindowMs (5th at first + $fifthAfter ms: opens=$opens)', ({ fifthAfter, opens }) => {
    const h = new LadderHarness();
    crashLoop(h, 4, 100);
    const first = h.state.unstableExits[0] ?? 0;
    h.advanceTo(h.state.restartAt ?? 0);
    h.send(tick());
    h.send(started(200));
    h.advanceTo(first + fifthAfter);
    const actions = h.send(exited({ code: 1 }));
    expect(workTypes(actions)).toEqual(opens ? ['Diagnose'] : []);
    expect(h.state.unstableExits).toHaveLength(opens ? 5 : 4);
    expect(h.openIncident.level).toBe(opens ? 2 : 0);
  });

  it('counts a GatewayStartFailed as a failed start', () => {
    const h = new LadderHarness();
    h.send(boot());
    const first = h.send(startFailed('spawn openclaw ENOENT'));
    expect(records(first)).toEqual(['gateway could not be started: spawn openclaw ENOENT']);
    expect(workTypes(first)).toEqual(['StartGateway']);
    expect(h.state.process).toMatchObject({ status: 'starting', pid: null });
    expect(h.state.unstableExits).toEqual([T0]);
    expect(h.state.backoffAttempt).toBe(1);

    h.advance(100);
    h.send(startFailed('spawn openclaw ENOENT'));
    expect(h.state.restartAt).toBe(h.now + 1_000);
    expect(h.state.process.status).toBe('stopped');
    h.advanceTo(h.state.restartAt ?? 0);
    h.send(tick());
    h.send(started(100));
    h.after(1_000, exited({ code: 1 }));
    h.advanceTo(h.state.restartAt ?? 0);
    h.send(tick());
    h.after(100, startFailed('spawn openclaw ENOENT'));
    h.advanceTo(h.state.restartAt ?? 0);
    h.send(tick());
    const fifth = h.after(100, startFailed('spawn openclaw EACCES'));
    expect(records(fifth)).toEqual([
      'gateway could not be started: spawn openclaw EACCES again',
      'level 2: circuit breaker open: 5 failed starts within 120 s',
    ]);
    expect(workTypes(fifth)).toEqual(['Diagnose']);
  });

  // `becameHealthy` still describes the previous process when a start fails (only `started()`
  // resets it): a failed start must count as unstable anyway, or a healthy gateway that died
  // would be retried in a tight loop, never reaching the backoff or the breaker.
  it('counts failed starts after a healthy gateway died: backoff, then the breaker', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    h.after(60_000, killed()); // stable exit: immediate restart, not counted
    h.after(50, startFailed('spawn openclaw ENOENT')); // 1st failed start: immediate retry
    const second = h.after(50, startFailed('spawn openclaw ENOENT'));
    expect(workTypes(second)).toEqual([]); // must wait: no StartGateway at once
    expect(h.state.restartAt).toBe(h.now + 1_000);
    for (let i = 0; i < 3; i++) {
      h.advanceTo(h.state.restartAt ?? h.now);
      h.send(tick());
      h.after(50, startFailed('spawn openclaw ENOENT'));
    }
    expect(h.state.unstableExits).toHaveLength(5);
    expect(h.openIncident.level).toBe(2);
    expect(h.state.pending?.work).toBe('diagnose');
  });
});

describe('exit 78 (bad config)', () => {
  it('goes to level 2 directly, without a blind restart', () => {
    const h = new LadderHarness();
    h.send(boot());
    h.send(started(100));
    const actions = h.after(2_000, exited({ code: 78, hint: 'config' }));
    expect(actionTypes(actions)).toEqual(['Record', 'Record', 'Diagnose', 'SaveIncident']);
    expect(records(actions)).toEqual([
      'gateway exited with code 78 (bad config)',
      'level 2: exit 78: the gateway refuses its config; not restarting blindly',
    ]);
    expect(recordKinds(actions)).toEqual(['opened', 'level']);
    expect(ofType(h.log, 'StartGateway')).toHaveLength(1); // only the boot start
    expect(h.openIncident).toMatchObject({ level: 2, maxLevel: 2, state: 'recovering', restarts: 0, verifying: null });
    expect(h.state.restartAt).toBeNull();
    expect(h.state.pending).toEqual({ work: 'diagnose', since: h.now });
  });

  it('also from a gateway that was healthy (a config edit, then a crash)', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    const actions = h.after(60_000, exited({ code: 78, hint: 'config' }));
    expect(workTypes(actions)).toEqual(['Diagnose']);
    expect(records(actions)).toEqual([
      'gateway down',
      'gateway exited with code 78 (bad config)',
      'level 2: exit 78: the gateway refuses its config; not restarting blindly',
    ]);
  });
});

describe('EADDRINUSE', () => {
  function portInUse(): LadderHarness {
    const h = new LadderHarness();
    h.send(boot());
    h.send(started(100));
    const actions = h.after(2_000, exited({ code: 1, hint: 'port' }));
    expect(workTypes(actions)).toEqual(['Diagnose']);
    expect(records(actions)).toEqual([
      'gateway exited with code 1 (port already in use)',
      'level 2: the port is in use; finding out who holds it',
    ]);
    return h;
  }

  it("a foreign holder is a person's decision: the ladder asks, with the facts, and waits", () => {
    const h = portInUse();
    const d = diagnosis({ portHolder: { pid: 4242, command: 'nginx', stale: false } });
    const actions = h.after(500, diagnosed(d));
    expect(actionTypes(actions)).toEqual(['Record', 'Record', 'RequestApproval', 'SaveIncident']);
    const question = "Stop pid 4242 (nginx), which holds the gateway's port, so the gateway can start?";
    expect(records(actions)).toEqual([
      'diagnosis: config valid; no last-known-good config; port held by pid 4242 (nginx)',
      `approval needed: ${question}`,
    ]);
    expect(ofType(actions, 'RequestApproval')).toEqual([
      {
        type: 'RequestApproval',
        incidentId: 'gw-1',
        approval: { id: 'gw-1-a1', kind: 'stop-port-holder', pid: 4242, command: 'nginx', question, requestedAt: h.now, expiresAt: h.now + 900_000 },
      },
    ]);
    expect(ofType(h.log, 'RunRepair')).toEqual([]);
    expect(h.openIncident).toMatchObject({ state: 'recovering', level: 2, lastDiagnosis: d, tried: [] });
    expect(h.state.pending).toBeNull();
    expect(h.nextWakeAt()).toBe(h.now + 900_000);
  });

  it('a stale gateway of ours is stopped (RunRepair stop-stale with its pid), then verified', () => {
    const h = portInUse();
    const openedAt = h.openIncident.openedAt;
    const d = diagnosis({ portHolder: { pid: 4242, command: 'openclaw gateway', stale: true } });
    const actions = h.after(500, diagnosed(d));
    expect(actionTypes(actions)).toEqual(['Record', 'Record', 'RunRepair', 'SaveIncident']);
    expect(records(actions)).toEqual([
      'diagnosis: config valid; no last-known-good config; port held by a stale gateway pid 4242 (openclaw gateway)',
      'repair: stop-stale',
    ]);
    expect(ofType(actions, 'RunRepair')).toEqual([{ type: 'RunRepair', step: 'stop-stale', pid: 4242 }]);
    expect(h.openIncident).toMatchObject({ tried: ['stop-stale'], verifying: 'stop-stale', doctorRuns: 0 });
    expect(h.state.pending?.work).toBe('stop-stale');

    const done = h.after(500, repairFinished('stop-stale', true, 'stopped pid 4242'));
    expect(workTypes(done)).toEqual(['StartGateway']);
    expect(records(done)).toEqual(['stop-stale finished: stopped pid 4242', 'verifying stop-stale: starting the gateway']);
    h.send(started(101));
    const back = h.probes(2, probeOk());
    const secs = ((h.now - openedAt) / 1000).toFixed(1);
    expect(records(back, 'resolved')).toEqual([`resolved after ${secs} s at level 2 (fixed by stop-stale)`]);
    expect(savedIncidents(back).at(-1)).toMatchObject({ state: 'resolved', outcome: 'fixed by stop-stale' });
  });

  it('a stale holder still there after stop-stale was tried needs a person\'s approval', () => {
    const h = portInUse();
    const d = diagnosis({ portHolder: { pid: 4242, command: 'openclaw gateway', stale: true } });
    h.send(diagnosed(d));
    h.send(repairFinished('stop-stale', true, 'stopped pid 4242'));
    h.send(started(101));
    h.after(1_000, exited({ code: 1, hint: 'port' }));
    const again = h.send(diagnosed(d));
    // Ours, yet still there after stop-stale: only a person may force it.
    expect(workTypes(again)).toEqual(['RequestApproval']);
    expect(h.openIncident.approval).toMatchObject({ pid: 4242 });
    expect(ofType(h.log, 'RunRepair')).toHaveLength(1);
  });
});
