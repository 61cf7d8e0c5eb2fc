/**
 * Class 7 on the real gateway: another supervisor (a restart loop, as a service manager with
 * Restart=always) already runs the gateway on the same port and state dir when the medic,
 * with GATEWAY_COMMAND set, starts its own. The medic refuses to fight: one incident naming
 * both supervisors and the fix, the other gateway never signalled, no restart storm.
 */
import { spawn } from 'node:child_process';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { listPortHolders } from '../../src/recovery/repair/port-holder.js';
import { isAlive, waitFor } from '../fixtures/gateways.js';
import { chaosConfigured, ChaosWorld, classRow, RECOVERY_TIMEOUT_MS } from './harness.js';
import { firstOk } from './processes.js';

const world = new ChaosWorld();
/** The machine is shared (load above 10 seen): a start-up may take over 60 s; probes are not counted for longer. */
const SLOW_MACHINE = { STARTUP_GRACE_MS: '180000' };

describe.skipIf(!chaosConfigured)('two supervisors', () => {
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await world.dump();
  });
  afterAll(() => world.cleanup());

  it('a gateway kept by another restart loop: one incident naming both, the fix, nothing signalled, no storm', async () => {
    const setup = await world.setup({ env: SLOW_MACHINE });
    const loop = `while :; do openclaw gateway run --port ${setup.gatewayPort} --bind loopback; sleep 2; done`;
    const spawnedAt = Date.now();
    const other = spawn('/bin/sh', ['-c', loop], { env: setup.env, cwd: setup.dir, detached: true, stdio: 'ignore' });
    world.janitor.track(other.pid);
    // The floor of this test: the other supervisor's gateway, its shell's start to its first 200.
    const floorMs = (await firstOk(setup.healthUrl, RECOVERY_TIMEOUT_MS, "the other supervisor's gateway")) - spawnedAt;
    const theirs = (await listPortHolders(setup.gatewayPort)).map((h) => h.pid).filter((p) => p > 0);
    expect(theirs.length).toBeGreaterThan(0);

    const faultAt = Date.now();
    const m = await world.startMedic(setup);
    const t = await world.waitStatus(m, 'the duel named, waiting for a person', (s) => s.phase === 'waiting-for-human');
    const decidedMs = Date.now() - faultAt;
    const inc = (await m.incidents())[0]!;
    const { timeline } = await m.incident(inc.id);
    const texts = timeline.map((r) => r.text);
    expect(t.incident?.failure?.class).toBe('duelling-supervisors');
    expect(inc.failure?.class).toBe('duelling-supervisors');
    expect(inc.failure?.culprit).toContain(`started by pid ${other.pid}`);
    const human = texts.find((x) => x.startsWith('level 4: human needed: '))!;
    expect(human).toContain('two supervisors manage this gateway: clawmedic (GATEWAY_COMMAND) and a gateway clawmedic did not start');
    expect(human).toContain('clawmedic install');
    expect(human).toContain('GATEWAY_RESTART_COMMAND');
    expect(inc.approval).toBeNull(); // no "stop it?" question: stopping it starts the fight
    expect(inc.retryAt).toBeNull();

    // A while later: no restart storm, the other gateway untouched and still serving.
    await new Promise((r) => setTimeout(r, 30_000));
    const later = await m.status();
    expect(later.restarts).toBe(t.restarts);
    expect(later.restarts).toBeLessThanOrEqual(1);
    expect((await m.incidents()).length).toBe(1);
    for (const pid of theirs) expect(isAlive(pid)).toBe(true);
    expect((await listPortHolders(setup.gatewayPort)).map((h) => h.pid)).toEqual(theirs);
    world.record({
      scenario: 'two supervisors (a restart loop keeps the gateway)',
      faultToHealthyMs: decidedMs,
      faultToResolvedMs: null,
      floorMs: 0,
      incidents: [{ id: inc.id, outcome: inc.outcome, maxLevel: inc.maxLevel }],
      timeline: timeline.map((r) => `+${((r.at - faultAt) / 1000).toFixed(1)}s [${r.kind}] ${r.text}`),
      note: 'time = medic start to the level-4 notice naming both (the right human step); the other gateway kept serving',
      classRow: classRow(inc, timeline, {
        fault: 'another restart loop already runs the gateway on the same port and state dir',
        test: 'duel.test.ts',
        ms: decidedMs,
        floorMs,
        restarts: later.restarts,
        note: 'the other gateway never signalled and still serving; 0 restarts in the next 30 s',
      }),
    });
  });
});
