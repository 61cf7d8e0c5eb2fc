/** Operators: recover at a level, abort, pause and resume; `checkRecover`. */
import { describe, expect, it } from 'vitest';
import { checkEnablePlugin, checkRecover, initialState } from '../../../src/recovery/ladder/index.js';
import { buttonLevel } from '../../../src/recovery/ladder/operators.js';
import {
  LadderHarness,
  abort,
  actionTypes,
  badConfig,
  boot,
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
  recordsOf,
  recover,
  resume,
  savedIncidents,
  started,
  tick,
  workTypes,
} from './ladder-harness.js';

describe('checkRecover', () => {
  it('accepts levels 0, 1, 2 and 4 when nothing is in flight', () => {
    const s = initialState('gw');
    expect([0, 1, 2, 4].map((l) => checkRecover(s, l as 0 | 1 | 2 | 4))).toEqual([null, null, null, null]);
  });

  it('refuses level 3 when the agent is off, saying how to turn it on; allows it when on', () => {
    expect(checkRecover(initialState('gw'), 3)).toMatch(/^level 3 \(AI agent\) is off: set AGENT_ENABLED and ANTHROPIC_API_KEY/);
    expect(checkRecover(initialState('gw'), 3, { agentEnabled: true })).toBeNull();
  });

  it('refuses while work is in flight, naming it', () => {
    const h = new LadderHarness();
    h.send(boot());
    expect(checkRecover(h.state, 0)).toBe('busy: start is in progress; try again when it finishes');
    const l2 = badConfig();
    expect(checkRecover(l2.state, 2)).toBe('busy: diagnose is in progress; try again when it finishes');
    l2.send(diagnosed(diagnosis()));
    expect(checkRecover(l2.state, 4)).toBe('busy: doctor is in progress; try again when it finishes');
  });
});

describe('RecoverRequested', () => {
  it('level 0 on a healthy gateway opens an incident and restarts it (stop, then start)', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    h.advance(60_000);
    const actions = h.send(recover(0, 'alice', 'config changed'));
    expect(actionTypes(actions)).toEqual(['Record', 'Record', 'Record', 'StopGateway', 'SaveIncident']);
    const [asked, opened, level] = recordsOf(actions);
    expect(asked).toEqual({
      kind: 'operator',
      at: h.now,
      target: 'gw',
      incidentId: null,
      level: null,
      text: 'alice asked for level 0: config changed',
      by: 'alice',
    });
    expect(opened).toMatchObject({ kind: 'opened', incidentId: 'gw-1', text: 'manual recovery at level 0 requested by alice' });
    expect(level).toMatchObject({ kind: 'level', level: 0, text: 'level 0: alice: restart' });
    expect(ofType(actions, 'StopGateway')).toEqual([{ type: 'StopGateway', reason: 'requested by alice', urgent: false }]);

    const onExit = h.after(1_000, exited({ code: null, signal: 'SIGTERM' }));
    expect(records(onExit)).toEqual(['gateway down']);
    expect(workTypes(onExit)).toEqual(['StartGateway']);
    h.send(started(101));
    const back = h.probes(2, probeOk());
    expect(records(back, 'resolved')).toEqual(['resolved after 11.0 s at level 0 (1 restart)']);
  });

  it('level 1 restarts at level 1', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    const actions = h.send(recover(1, 'bob'));
    expect(records(actions)).toEqual(['bob asked for level 1', 'manual recovery at level 1 requested by bob', 'level 1: bob: restart']);
    expect(workTypes(actions)).toEqual(['StopGateway']);
    expect(h.openIncident).toMatchObject({ level: 1, maxLevel: 1, state: 'recovering' });
  });

  it('level 0 during a backoff wait restarts now', () => {
    const h = new LadderHarness();
    h.send(boot());
    h.send(started(100));
    h.after(1_000, exited());
    h.send(started(101));
    h.after(1_000, exited());
    expect(h.state.restartAt).not.toBeNull();
    const actions = h.after(100, recover(0, 'alice'));
    expect(records(actions)).toEqual(['alice asked for level 0', 'level 0: alice: restart']); // same incident
    expect(workTypes(actions)).toEqual(['StartGateway']);
    expect(h.state.restartAt).toBeNull();
    expect(h.openIncident.id).toBe('gw-1');
  });

  it('level 2 on a running gateway stops it, then diagnoses', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    const actions = h.send(recover(2, 'alice'));
    expect(records(actions)).toEqual(['alice asked for level 2', 'manual recovery at level 2 requested by alice', 'level 2: requested by alice']);
    expect(ofType(actions, 'StopGateway')).toEqual([{ type: 'StopGateway', reason: 'level 2 repairs need the gateway stopped', urgent: false }]);
    expect(workTypes(actions)).toEqual(['StopGateway']);
    expect(h.after(1_000, exited({ code: 0 }))).toEqual([
      expect.objectContaining({ type: 'Record', record: expect.objectContaining({ text: 'gateway down' }) }),
      { type: 'Diagnose' },
    ]);
  });

  it('level 2 gives a fresh repair budget (doctor runs and tried steps)', () => {
    const h = exhausted();
    expect(h.openIncident).toMatchObject({ doctorRuns: 2, tried: ['doctor', 'doctor'], level: 4 });
    const actions = h.after(60_000, recover(2, 'bob', 'fixed the disk'));
    expect(actionTypes(actions)).toEqual(['Record', 'Record', 'Diagnose', 'SaveIncident']);
    expect(records(actions)).toEqual(['bob asked for level 2: fixed the disk', 'level 2: requested by bob']);
    expect(h.openIncident).toMatchObject({
      state: 'recovering',
      level: 2,
      maxLevel: 4,
      doctorRuns: 0,
      tried: [],
      retryAt: null,
      verifying: null,
    });
    expect(h.nextWakeAt()).toBeNull();
    expect(records(h.send(diagnosed(diagnosis({ configOk: false }))))).toContain('repair: doctor (run 1 of 2)');
  });

  it('level 4 hands the incident to a human and leaves the gateway alone', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    const actions = h.send(recover(4, 'alice'));
    expect(actionTypes(actions)).toEqual(['Record', 'Record', 'Record', 'NotifyHuman', 'SaveIncident']);
    expect(recordKinds(actions)).toEqual(['operator', 'opened', 'human']);
    expect(records(actions, 'human')).toEqual(['level 4: human needed: alice asked for a human']);
    expect(ofType(actions, 'NotifyHuman')).toEqual([{ type: 'NotifyHuman', incidentId: 'gw-1', summary: 'alice asked for a human' }]);
    expect(h.openIncident).toMatchObject({ state: 'waiting_human', level: 4, retryAt: h.now + 600_000 });
    expect(h.state.process.status).toBe('running');
  });

  it('unpauses a paused target', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    h.send(pause('alice', h.now + 3_600_000));
    h.send(recover(1, 'bob'));
    expect(h.state.paused).toBe(false);
    expect(h.state.pausedUntil).toBeNull();
    expect(h.state.pending?.work).toBe('stop');
  });

  // Outcome text: `resolve()` says "came back while waiting for a human" whenever maxLevel is 4,
  // even when a person took the incident back to level 0 and that restart brought it back.
  it('credits the restart, not "waiting for a human", after a person restarts from level 4', () => {
    const h = exhausted();
    h.send(recover(0, 'bob'));
    h.send(started(300));
    const back = h.probes(2, probeOk());
    expect(savedIncidents(back)[0]?.outcome).not.toBe('came back while waiting for a human');
  });
});

describe('AbortRequested', () => {
  it('closes the incident as aborted and pauses: exits no longer restart; resume starts it', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    h.after(60_000, killed());
    h.send(started(101));
    const actions = h.after(2_000, abort('alice', 'looking at it myself'));
    expect(actionTypes(actions)).toEqual(['Record', 'Record', 'SaveIncident']);
    expect(recordsOf(actions)).toEqual([
      { kind: 'operator', at: h.now, target: 'gw', incidentId: 'gw-1', level: 0, text: 'alice aborted: looking at it myself', by: 'alice' },
      {
        kind: 'aborted',
        at: h.now,
        target: 'gw',
        incidentId: 'gw-1',
        level: 0,
        text: 'incident aborted by alice; automatic actions paused until resumed',
      },
    ]);
    expect(savedIncidents(actions)[0]).toMatchObject({
      id: 'gw-1',
      state: 'aborted',
      closedAt: h.now,
      retryAt: null,
      outcome: 'aborted by alice',
    });
    expect(h.incident).toBeNull();
    expect(h.state).toMatchObject({ paused: true, pausedUntil: null, restartAt: null });

    const onExit = h.after(5_000, exited({ code: 1 }));
    expect(actionTypes(onExit)).toEqual(['Record']);
    expect(recordsOf(onExit)[0]).toMatchObject({ kind: 'health', incidentId: null, text: 'gateway exited with code 1; paused, not acting' });
    expect(h.incident).toBeNull();
    expect(h.after(600_000, tick())).toEqual([]);

    const onResume = h.send(resume('alice'));
    expect(actionTypes(onResume)).toEqual(['Record', 'Record', 'StartGateway', 'SaveIncident']);
    expect(records(onResume)).toEqual(['alice resumed automatic actions', 'gateway is down after maintenance']);
    expect(recordKinds(onResume)).toEqual(['operator', 'opened']);
    expect(h.state.paused).toBe(false);
    expect(h.openIncident.id).toBe('gw-2');
  });

  it('cancels a pending backoff restart and a half-open retry', () => {
    const h = new LadderHarness();
    h.send(boot());
    h.send(started(100));
    h.after(1_000, exited());
    h.send(started(101));
    h.after(1_000, exited());
    expect(h.nextWakeAt()).not.toBeNull();
    h.send(abort('alice'));
    expect(h.nextWakeAt()).toBeNull();
    expect(h.after(60_000, tick())).toEqual([]);

    const w = exhausted();
    w.send(abort('bob'));
    expect(w.nextWakeAt()).toBeNull();
    expect(savedIncidents(w.log).at(-1)).toMatchObject({ state: 'aborted', retryAt: null, maxLevel: 4 });
  });

  it('cancels the start that would follow a stop in flight, and ignores late diagnoses', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    h.probes(3, probeFail()); // hang: StopGateway, then a start
    h.send(abort('alice'));
    expect(h.state.afterStop).toBeNull();
    expect(h.after(1_000, exited({ code: null, signal: 'SIGTERM' }))).toEqual([]);
    expect(h.state.process.status).toBe('stopped');

    const l2 = badConfig();
    l2.send(abort('alice'));
    expect(l2.send(diagnosed(diagnosis()))).toEqual([]);
    expect(l2.state.pending).toBeNull();
  });

  it('without an incident only records the request', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    const actions = h.send(abort('alice'));
    expect(records(actions)).toEqual(['alice aborted']);
    expect(actionTypes(actions)).toEqual(['Record']);
  });
});

describe('PauseRequested / ResumeRequested', () => {
  it('pauses until a time: exits do not restart, a Tick after the window resumes and starts', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    const until = h.now + 30 * 60_000;
    const onPause = h.send(pause('alice', until));
    expect(recordsOf(onPause)).toEqual([
      { kind: 'operator', at: h.now, target: 'gw', incidentId: null, level: null, text: 'alice paused automatic actions for 30 min', by: 'alice' },
    ]);
    expect(h.state).toMatchObject({ paused: true, pausedUntil: until });
    expect(h.nextWakeAt()).toBe(until);

    const onKill = h.after(60_000, killed());
    expect(actionTypes(onKill)).toEqual(['Record', 'Record']);
    expect(records(onKill)).toEqual(['gateway down', 'gateway was killed by SIGKILL; paused, not acting']);
    expect(h.incident).toBeNull();

    h.advanceTo(until - 1);
    expect(h.send(tick())).toEqual([]);
    h.advanceTo(until);
    const onTick = h.send(tick());
    expect(actionTypes(onTick)).toEqual(['Record', 'Record', 'StartGateway', 'SaveIncident']);
    expect(recordsOf(onTick)[0]).toMatchObject({
      kind: 'operator',
      text: 'maintenance window end resumed automatic actions',
      by: 'maintenance window end',
    });
    expect(records(onTick, 'opened')).toEqual(['gateway is down after maintenance']);
    expect(h.state).toMatchObject({ paused: false, pausedUntil: null });
    expect(h.nextWakeAt()).toBeNull();
  });

  it('pauses until resumed, and cancels a pending backoff restart', () => {
    const h = new LadderHarness();
    h.send(boot());
    h.send(started(100));
    h.after(1_000, exited());
    h.send(started(101));
    h.after(1_000, exited());
    const restartAt = h.state.restartAt ?? 0;
    expect(records(h.send(pause('alice')))).toEqual(['alice paused automatic actions until resumed']);
    expect(h.state.restartAt).toBeNull();
    expect(h.nextWakeAt()).toBeNull();
    h.advanceTo(restartAt + 60_000);
    expect(h.send(tick())).toEqual([]);

    // The incident is still open: resume continues it rather than opening another.
    const onResume = h.send(resume('alice'));
    expect(records(onResume)).toEqual(['alice resumed automatic actions']);
    expect(workTypes(onResume)).toEqual(['StartGateway']);
    expect(h.openIncident.id).toBe('gw-1');
  });

  it('resume diagnoses again an incident at level 2', () => {
    const h = badConfig();
    h.send(pause('alice'));
    expect(h.send(diagnosed(diagnosis()))).toEqual([]); // paused: the result is dropped
    expect(workTypes(h.send(resume('alice')))).toEqual(['Diagnose']);
  });

  it('resume leaves a running gateway alone', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    h.send(pause('alice'));
    expect(actionTypes(h.send(resume('alice')))).toEqual(['Record']);
  });

  it('resume makes an incident waiting for a human look again, and notifies no one twice for nothing new', () => {
    // Behaviour change (issue 10): a resume is an operator's act, a new fact; before, the incident waited on.
    const w = exhausted();
    const notices = ofType(w.log, 'NotifyHuman').length;
    w.send(pause('alice'));
    expect(workTypes(w.send(resume('alice')))).toEqual(['Diagnose']);
    expect(w.openIncident).toMatchObject({ state: 'recovering', level: 2 });
    w.send(diagnosed(diagnosis({ configOk: false }))); // nothing new: the config is still broken, no repair left
    expect(w.openIncident.state).toBe('waiting_human');
    expect(ofType(w.log, 'NotifyHuman').length).toBe(notices);
  });

  it('while paused, a hang is recorded once and opens no incident', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    h.send(pause('alice'));
    const actions = h.probes(3, probeFail());
    expect(records(actions)).toEqual([
      'gateway down',
      'gateway not answering: timeout after 3000 ms (3 failed probes); paused, not acting',
    ]);
    expect(recordKinds(actions)).toEqual(['health', 'health']);
    expect(h.probes(6, probeFail())).toEqual([]);
    expect(h.incident).toBeNull();
    expect(ofType(h.log, 'StopGateway')).toEqual([]);
  });
});

describe("buttonLevel: the level a card's button asks for", () => {
  it.each([
    // level, agent available, retry, escalate
    [0, false, 0, 2],
    [1, true, 1, 2],
    [2, false, 2, 4],
    [2, true, 2, 3],
    [3, true, 2, 4],
    [4, true, 2, 4],
  ] as const)('at level %i (agent %s): retry %i, escalate %i', (level, agent, retry, escalate) => {
    expect(buttonLevel('retry', level, agent)).toBe(retry);
    expect(buttonLevel('escalate', level, agent)).toBe(escalate);
  });
});

describe('re-enabling a plugin the ladder disabled (an operator\'s undo of disable-plugin)', () => {
  const disabledIn = (id: string) => ({ id, target: 'gw', disabledPlugins: ['crash-plugin'] });

  it('is refused for a plugin that incident did not disable, while that incident is open, and while work is in flight', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    expect(checkEnablePlugin(h.state, disabledIn('gw-1'), 'crash-plugin')).toBeNull();
    expect(checkEnablePlugin(h.state, disabledIn('gw-1'), 'other-plugin')).toBe('incident gw-1 did not disable plugin other-plugin on gw; nothing done');
    expect(checkEnablePlugin(h.state, { ...disabledIn('gw-1'), target: 'other' }, 'crash-plugin')).toMatch(/did not disable/);
    expect(checkEnablePlugin(h.state, { ...disabledIn('gw-1'), reenabledPlugins: ['crash-plugin'] }, 'crash-plugin')).toBe(
      'plugin crash-plugin is already enabled again (it was re-enabled after gw-1); nothing done',
    );
    h.send(killed());
    expect(checkEnablePlugin(h.state, disabledIn('gw-1'), 'crash-plugin')).toBe('incident gw-1 is still open: re-enable plugin crash-plugin once it is resolved');
    expect(checkEnablePlugin(h.state, disabledIn('gw-0'), 'crash-plugin')).toBe('busy: start is in progress; try again when it finishes');
  });

  it("runs `plugins enable` and says so on the disabling incident's timeline, attributed to the operator", () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    const out = h.send({ type: 'PluginEnableRequested', plugin: 'crash-plugin', incidentId: 'gw-7', by: 'alice' });
    expect(ofType(out, 'EnablePlugin')).toEqual([{ type: 'EnablePlugin', plugin: 'crash-plugin', incidentId: 'gw-7', by: 'alice' }]);
    expect(recordsOf(out)).toEqual([expect.objectContaining({ kind: 'operator', incidentId: 'gw-7', by: 'alice', text: 'alice re-enables plugin crash-plugin (disabled in gw-7): openclaw plugins enable crash-plugin' })]);
    const done = h.send({ type: 'PluginEnableFinished', plugin: 'crash-plugin', incidentId: 'gw-7', by: 'alice', ok: false, detail: 'exit 1' });
    expect(recordsOf(done)).toEqual([expect.objectContaining({ kind: 'operator', incidentId: 'gw-7', text: 'plugin crash-plugin could not be re-enabled for alice: exit 1' })]);
    expect(h.incident).toBeNull(); // no incident, no restart: the gateway applies it at its next start
    expect(workTypes([...out, ...done])).toEqual(['EnablePlugin']);
  });
});
