/**
 * Failure classes in the ladder (issue 11): the incident names class, culprit and evidence; a
 * certain repair acts and says so; a person's decision goes to level 4 at once, with the exact
 * fix and no restart loop; two supervisors are never fought.
 */
import { describe, expect, it } from 'vitest';
import type { LadderEvent } from '../../../src/recovery/types.js';
import { LadderHarness, boot, diagnosed, diagnosis, ofType, probeFail, probeOk, records, repairFinished, started, stopped, tick, workTypes } from './ladder-harness.js';
import { duel, nodeTooOld, outOfMemory, pluginCrash, staleLock, stateSchema, versionDrift } from './failure-fixtures.js';

function healthy(): LadderHarness {
  const h = new LadderHarness();
  h.bootHealthy(100);
  h.advance(60_000);
  return h;
}

describe('failure classes in the ladder', () => {
  it('a plugin crash: named at the first exit, disabled (only it) at the second, channels brought back once healthy', () => {
    const h = healthy();
    const first = h.send(pluginCrash());
    expect(h.openIncident.cause).toBe('gateway exited with code 1: plugin crash-plugin crashed the gateway with an uncaught exception');
    expect(h.openIncident.failure).toMatchObject({ class: 'plugin-crash', culprit: 'crash-plugin' });
    expect(records(first)).toContain(
      'failure class plugin-crash (crash-plugin): plugin crash-plugin crashed the gateway with an uncaught exception (evidence: "Error: boom from crash-plugin")',
    );
    h.after(500, started(101));
    const second = h.after(15_000, pluginCrash());
    expect(records(second)).toContain('level 2: plugin crash-plugin crashed the gateway at two starts in a row: disabling only that plugin');
    const run = h.send(diagnosed(diagnosis()));
    expect(ofType(run, 'RunRepair')).toEqual([{ type: 'RunRepair', step: 'disable-plugin', pid: null, subject: 'crash-plugin' }]);
    expect(records(run)).toContain('repair: disable-plugin crash-plugin');
    h.sendAll(repairFinished('disable-plugin', true, 'disabled only plugin crash-plugin; to re-enable it: openclaw plugins enable crash-plugin'), started(102));
    h.after(15_000, probeOk());
    const done = h.after(1_000, probeOk());
    const closed = h.state.resolved!;
    expect(closed).toMatchObject({ state: 'resolved', outcome: 'fixed by disable-plugin', disabledPlugins: ['crash-plugin'] });
    expect(ofType(done, 'StartChannels')).toEqual([{ type: 'StartChannels', incidentId: closed.id }]);
  });

  it('a plugin crash: answering again is not recovery until the run stays up for FLAP_RUN_MS (no resolve-then-reopen)', () => {
    const h = healthy();
    h.send(pluginCrash());
    h.after(500, started(101));
    h.after(15_000, probeOk());
    const up = h.after(1_000, probeOk());
    expect(records(up)).toContain('answering again, but a plugin crashed it after its start: the incident stays open for 60 s');
    expect(h.state.incident?.state).toBe('recovering');
    // It crashes 3 s later: the same incident, now at level 2.
    const again = h.after(3_000, pluginCrash());
    expect(records(again)).toContain('level 2: plugin crash-plugin crashed the gateway at two starts in a row: disabling only that plugin');
    expect(h.state.resolved ?? null).toBeNull();
  });

  it('a plugin crash that does not come back: resolved once the run stayed up for FLAP_RUN_MS', () => {
    const h = healthy();
    h.send(pluginCrash());
    h.after(500, started(101));
    h.after(15_000, probeOk());
    h.after(1_000, probeOk());
    for (let i = 0; i < 59; i++) h.after(1_000, probeOk());
    expect(h.state.incident).not.toBeNull();
    h.after(1_000, probeOk());
    expect(h.state.incident).toBeNull();
    expect(h.state.resolved).toMatchObject({ state: 'resolved', outcome: '1 restart' });
  });

  it('a disable that failed (timed out) is tried again, not replaced by the doctor; a doctor\'s healthy start does not close it early', () => {
    const h = healthy();
    h.send(pluginCrash());
    h.after(500, started(101));
    h.after(15_000, pluginCrash());
    h.send(diagnosed(diagnosis()));
    h.send(repairFinished('disable-plugin', false, 'openclaw plugins disable crash-plugin: timed out after 63 s'));
    const again = h.send(diagnosed(diagnosis()));
    expect(ofType(again, 'RunRepair')[0]).toMatchObject({ step: 'disable-plugin', subject: 'crash-plugin' });
    expect(h.openIncident.disabledPlugins).toEqual(['crash-plugin']);
  });

  it('a second plugin crashing after the first was disabled is disabled too (one at a time)', () => {
    const h = healthy();
    h.send(pluginCrash('a-plugin'));
    h.after(500, started(101));
    h.after(15_000, pluginCrash('a-plugin'));
    h.sendAll(diagnosed(diagnosis()), repairFinished('disable-plugin', true), started(102));
    h.after(15_000, pluginCrash('b-plugin'));
    const run = h.send(diagnosed(diagnosis()));
    expect(ofType(run, 'RunRepair')[0]).toMatchObject({ step: 'disable-plugin', subject: 'b-plugin' });
  });

  it('out of memory: said plainly, restarted as usual', () => {
    const h = healthy();
    const actions = h.send(outOfMemory());
    expect(h.openIncident.cause).toBe('gateway ran out of memory (JavaScript heap out of memory)');
    expect(h.openIncident.failure?.class).toBe('out-of-memory');
    expect(ofType(actions, 'StartGateway')).toHaveLength(1);
  });

  it('out of memory while being stopped for a hang (the heap ran out in its last seconds of GC): still named, and counted', () => {
    const h = healthy();
    h.after(5_000, probeFail());
    h.after(5_000, probeFail());
    const hang = h.after(5_000, probeFail());
    expect(ofType(hang, 'StopGateway')).toHaveLength(1);
    const actions = h.send(outOfMemory());
    expect(h.openIncident.failure).toMatchObject({ class: 'out-of-memory', summary: 'ran out of memory (JavaScript heap out of memory)' });
    expect(records(actions)).toContain('failure class out-of-memory: ran out of memory (JavaScript heap out of memory) (evidence: "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory")');
    expect(h.state.vitals?.memoryRestarts).toHaveLength(1);
    expect(ofType(actions, 'StartGateway')).toHaveLength(1); // the restart the hang asked for goes on
  });

  it('a stale lock: level 2 at once, the lock removed for its pid (never a signal), then verified', () => {
    const h = new LadderHarness();
    h.sendAll(boot(), started(100));
    h.after(1_500, staleLock(4242));
    expect(h.openIncident.failure).toMatchObject({ class: 'stale-lock', culprit: 'pid 4242' });
    const run = h.send(diagnosed(diagnosis()));
    expect(ofType(run, 'RunRepair')).toEqual([{ type: 'RunRepair', step: 'remove-stale-lock', pid: 4242 }]);
    const verify = h.send(repairFinished('remove-stale-lock', true, 'removed gateway.state.lock'));
    expect(ofType(verify, 'StartGateway')).toHaveLength(1);
  });

  it('a lock held by a live gateway is not removed: the diagnosis names the other supervisor, level 4', () => {
    const h = new LadderHarness();
    h.sendAll(boot(), started(100));
    h.after(1_500, staleLock(4242));
    h.sendAll(diagnosed(diagnosis()), repairFinished('remove-stale-lock', false, 'not removing gateway.state.lock: pid 4242 is a gateway'));
    const other = 'pid 4242 is a gateway (openclaw-gateway), which holds this state directory\'s lock';
    const actions = h.send(diagnosed({ ...diagnosis(), otherSupervisor: other }));
    expect(ofType(actions, 'NotifyHuman')).toHaveLength(1);
    expect(h.openIncident).toMatchObject({ level: 4, retryAt: null, failure: { class: 'duelling-supervisors', culprit: other } });
  });

  it('version drift: level 2 at once, the doctor (no restart loop)', () => {
    const h = new LadderHarness();
    h.sendAll(boot(), started(100));
    h.after(800, versionDrift());
    expect(h.openIncident.restarts).toBe(0);
    const run = h.send(diagnosed(diagnosis()));
    expect(ofType(run, 'RunRepair')[0]).toMatchObject({ step: 'doctor' });
  });

  it.each([
    ['state-schema', stateSchema, 'openclaw backup create'],
    ['node-too-old', nodeTooOld, 'Node 24.16+'],
  ] as const)('%s: level 4 at once with the exact message and fix; no restart, ever', (cls, fault, fix) => {
    const h = new LadderHarness({ options: { agentEnabled: true } });
    h.sendAll(boot(), started(100));
    const actions = h.after(1_000, fault());
    const human = ofType(actions, 'NotifyHuman')[0]!;
    expect(human.summary).toContain(fix);
    expect(human.summary).toContain('evidence: "');
    expect(h.openIncident).toMatchObject({ level: 4, state: 'waiting_human', retryAt: null, restarts: 0, failure: { class: cls } });
    expect(ofType(actions, 'StartAgent')).toEqual([]); // no agent for a person's decision
    // An hour later: still no restart.
    h.advance(3_600_000);
    expect(ofType(h.send(tick()), 'StartGateway')).toEqual([]);
  });

  it('two supervisors: one incident naming both, the fix, no stop of the other gateway, no restart storm', () => {
    const h = new LadderHarness();
    h.sendAll(boot(), started(100));
    h.after(2_000, duel());
    const other = 'a gateway clawmedic did not start: pid 777 (openclaw-gateway) on the gateway\'s port, started by pid 700 (sh -c while :; do openclaw gateway run; done)';
    const actions = h.send(diagnosed({ ...diagnosis({ portHolder: { pid: 777, command: 'openclaw-gateway', stale: false } }), otherSupervisor: other }));
    expect(ofType(actions, 'RequestApproval')).toEqual([]); // stopping it would only start the fight
    expect(ofType(actions, 'RunRepair')).toEqual([]);
    const summary = ofType(actions, 'NotifyHuman')[0]!.summary;
    expect(summary).toContain('clawmedic (GATEWAY_COMMAND) and a gateway clawmedic did not start: pid 777');
    expect(summary).toContain('clawmedic install');
    expect(summary).toContain('GATEWAY_RESTART_COMMAND');
    expect(h.openIncident).toMatchObject({ level: 4, retryAt: null, restarts: 0 });
    h.advance(3_600_000);
    expect(ofType(h.send(tick()), 'StartGateway')).toEqual([]);
  });
});

describe('a gateway run as a service (GATEWAY_RESTART_COMMAND): its exits are invisible, what it left behind names the class', () => {
  const failureOf = (e: ReturnType<typeof stateSchema>) => (e.type === 'ProcessExited' ? e.exit.failure! : null)!;
  const classified = (e: ReturnType<typeof stateSchema> | null): LadderEvent => ({ type: 'OutageClassified', failure: e ? failureOf(e) : null });

  function serviceDown(): { h: LadderHarness; actions: ReturnType<LadderHarness['send']> } {
    const h = new LadderHarness({ options: { supervised: false, canRestart: true } });
    h.send(boot());
    h.probes(2, probeOk());
    const actions = h.probes(h.options.failureThreshold, probeFail('ECONNREFUSED'));
    return { h, actions };
  }

  /** The service restarted by its restart command, and down again at once (it never answered). */
  function downAgain(h: LadderHarness): ReturnType<LadderHarness['send']> {
    h.after(500, started(null));
    h.advance(h.options.startupGraceMs);
    return h.probes(h.options.failureThreshold, probeFail('ECONNREFUSED'));
  }

  it('an outage asks for the evidence (ClassifyOutage) first, and the restart through the service waits for it; a supervised gateway does not ask', () => {
    const { h, actions } = serviceDown();
    expect(workTypes(actions)).toEqual(['ClassifyOutage']);
    expect(h.state.pending?.work).toBe('classify');
    expect(h.openIncident.failure?.class).toBe('hang');
    // Nothing named: the usual rung, level 1, the restart command.
    const next = h.send(classified(null));
    expect(workTypes(next)).toEqual(['StartGateway']);
    expect(records(next)).toEqual(['level 1: not answering: restarting the service']);
    const supervised = new LadderHarness();
    supervised.bootHealthy(100);
    expect(workTypes(supervised.probes(supervised.options.failureThreshold, probeFail('ECONNREFUSED')))).not.toContain('ClassifyOutage');
  });

  it("a person's class found in its log goes to a person at once, with the fix; no more restarts through the service", () => {
    const { h } = serviceDown();
    const actions = h.send(classified(stateSchema()));
    expect(h.openIncident).toMatchObject({ level: 4, state: 'waiting_human', retryAt: null, failure: { class: 'state-schema' } });
    expect(ofType(actions, 'NotifyHuman')[0]!.summary).toContain('restore a backup made with `openclaw backup create`');
    expect(ofType(actions, 'StartGateway')).toEqual([]);
    expect(records(actions)).toContain('failure class state-schema (state database): the state database has schema version 99, newer than this OpenClaw supports (18) (evidence: "/s/state/openclaw.sqlite uses newer schema version 99; this build supports 18.")');
    h.advance(3_600_000);
    expect(ofType(h.send(tick()), 'StartGateway')).toEqual([]);
  });

  it('out of memory found in its log: named plainly, the restart goes on, it counts towards the memory finding', () => {
    const { h } = serviceDown();
    const actions = h.send(classified(outOfMemory()));
    expect(h.openIncident).toMatchObject({ level: 1, failure: { class: 'out-of-memory', summary: 'ran out of memory (JavaScript heap out of memory)' } });
    expect(workTypes(actions)).toEqual(['StartGateway']);
    expect(ofType(actions, 'NotifyHuman')).toEqual([]);
    expect(h.state.vitals?.memoryRestarts).toHaveLength(1);
    // Late evidence for an incident already named (or closed) changes nothing.
    expect(h.send(classified(stateSchema()))).toEqual([]);
  });

  it('a plugin named at one outage: restarted; named again at the next: disabled (only it), then the restart command verifies', () => {
    const { h } = serviceDown();
    const first = h.send(classified(pluginCrash()));
    expect(workTypes(first)).toEqual(['StartGateway']);
    expect(h.openIncident.failure).toMatchObject({ class: 'plugin-crash', culprit: 'crash-plugin' });
    expect(workTypes(downAgain(h))).toEqual(['ClassifyOutage']);
    const second = h.send(classified(pluginCrash()));
    expect(records(second)).toContain('level 2: plugin crash-plugin crashed the gateway at two starts in a row: disabling only that plugin');
    // The service manager's process: stopped through GATEWAY_STOP_COMMAND (or said stopped without one), then diagnosed.
    expect(workTypes(second)).toEqual(['StopGateway']);
    expect(workTypes(h.send(stopped()))).toEqual(['Diagnose']);
    const run = h.send(diagnosed(diagnosis()));
    expect(ofType(run, 'RunRepair')).toEqual([{ type: 'RunRepair', step: 'disable-plugin', pid: null, subject: 'crash-plugin' }]);
    const verify = h.send(repairFinished('disable-plugin', true, 'disabled only plugin crash-plugin; to re-enable it: openclaw plugins enable crash-plugin'));
    expect(workTypes(verify)).toEqual(['StartGateway']);
    expect(records(verify)).toContain('verifying disable-plugin: starting the gateway');
    h.after(500, started(null));
    h.after(2_000, probeOk());
    const done = h.after(1_000, probeOk());
    expect(h.state.resolved).toMatchObject({ state: 'resolved', outcome: 'fixed by disable-plugin', disabledPlugins: ['crash-plugin'], failure: { class: 'plugin-crash' } });
    expect(workTypes(done)).toContain('StartChannels');
  });

  it('a config stamped by a newer OpenClaw: its doctor at once, then the restart command; no restart loop', () => {
    const { h } = serviceDown();
    const next = h.send(classified(versionDrift()));
    expect(records(next)).toContain('level 2: the config was stamped by a newer OpenClaw: its doctor rewrites the stamp; no restart loop');
    expect(workTypes(next)).toEqual(['StopGateway']);
    h.send(stopped());
    const run = h.send(diagnosed(diagnosis()));
    expect(ofType(run, 'RunRepair')).toEqual([{ type: 'RunRepair', step: 'doctor', pid: null }]);
    expect(workTypes(h.send(repairFinished('doctor', true)))).toEqual(['StartGateway']);
    h.after(500, started(null));
    h.probes(2, probeOk());
    expect(h.state.resolved).toMatchObject({ outcome: 'fixed by doctor', failure: { class: 'version-drift' } });
  });

  it('a stale state lock: removed (its pid never signalled: the adapter checks it), then the restart command', () => {
    const { h } = serviceDown();
    h.send(classified(staleLock(4242)));
    h.send(stopped());
    const run = h.send(diagnosed(diagnosis()));
    expect(ofType(run, 'RunRepair')).toEqual([{ type: 'RunRepair', step: 'remove-stale-lock', pid: 4242 }]);
    expect(workTypes(h.send(repairFinished('remove-stale-lock', true)))).toEqual(['StartGateway']);
    h.after(500, started(null));
    h.probes(2, probeOk());
    expect(h.state.resolved).toMatchObject({ outcome: 'fixed by remove-stale-lock', failure: { class: 'stale-lock', culprit: 'pid 4242' } });
  });

  it('an outage while its manager has just started it again (a person, Restart=): waited for, not restarted; then healthy', () => {
    const { h } = serviceDown();
    const since = h.now - 4_000;
    const actions = h.send({ type: 'OutageClassified', failure: null, startingSince: since });
    expect(workTypes(actions)).toEqual([]);
    const grace = Math.round(h.options.startupGraceMs / 1000);
    expect(records(actions)).toEqual([`its service manager started it again 4.0 s ago (not clawmedic): waiting for that start-up, up to ${grace} s from it, instead of restarting it`]);
    // Its start-up: not answering, not counted, no restart.
    expect(workTypes(h.probes(h.options.failureThreshold * 3, probeFail('ECONNREFUSED')))).toEqual([]);
    h.probes(2, probeOk());
    expect(h.state.resolved).toMatchObject({ state: 'resolved', restarts: 0 });
  });

  it('a run the manager started long ago (a hang), or before it last answered: restarted as before; after the wait, restarted', () => {
    const old = serviceDown();
    expect(workTypes(old.h.send({ type: 'OutageClassified', failure: null, startingSince: old.h.now - old.h.options.startupGraceMs - 1 }))).toEqual(['StartGateway']);
    // It answered after that start (the same run, now hung): not a new run.
    const hung = serviceDown();
    const answered = hung.h.state.process.answeredAt!;
    expect(workTypes(hung.h.send({ type: 'OutageClassified', failure: null, startingSince: answered - 1 }))).toEqual(['StartGateway']);
    // Waited for, and still not answering once the grace from its start is over: the outage takes its rung.
    const { h } = serviceDown();
    h.send({ type: 'OutageClassified', failure: null, startingSince: h.now - 1_000 });
    h.advance(h.options.startupGraceMs);
    expect(workTypes(h.probes(h.options.failureThreshold, probeFail('ECONNREFUSED')))).toEqual(['ClassifyOutage']);
    expect(workTypes(h.send({ type: 'OutageClassified', failure: null, startingSince: h.now - h.options.startupGraceMs - 1_000 }))).toEqual(['StartGateway']);
  });

  it("a service that exits during its start-up (its manager says no main process runs): an outage at once, not after the grace", () => {
    const { h } = serviceDown();
    expect(workTypes(h.send(classified(null)))).toEqual(['StartGateway']);
    h.after(500, started(null));
    // Starting: refused probes while its main process runs are the start-up's.
    expect(workTypes(h.probes(h.options.failureThreshold * 2, probeFail('ECONNREFUSED'), 1_000))).toEqual([]);
    // It exited (exit 78 on a lock, a plugin that throws before the first answer): its manager says it does not run.
    const gone: LadderEvent = { type: 'ProbeFailed', result: { ok: false, at: 0, latencyMs: 1, status: null, error: 'ECONNREFUSED', serviceDown: true } };
    expect(workTypes(h.probes(h.options.failureThreshold, gone, 1_000))).toEqual(['ClassifyOutage']);
    expect(h.now - h.state.process.startedAt!).toBeLessThan(h.options.startupGraceMs);
  });

  it('a service that answers again while its outage is read: resolved; the late reading takes no rung', () => {
    const { h } = serviceDown();
    h.probes(2, probeOk());
    expect(h.state.resolved).toMatchObject({ state: 'resolved' });
    expect(h.send(classified(pluginCrash()))).toEqual([]);
    expect(h.state.pending).toBeNull();
  });
});
