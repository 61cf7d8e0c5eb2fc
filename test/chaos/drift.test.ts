/**
 * Class 4 on the real gateway: the config was stamped by a newer OpenClaw
 * (`meta.lastTouchedVersion`), so this one refuses to start (exit 1). The medic names the
 * drift, runs OpenClaw's doctor (which rewrites the stamp) without a restart loop, and the
 * user's other edits survive.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sqlite3 from 'sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { chaosConfigured, ChaosWorld, classRow, expectResolved, readConfigJson, writeConfig } from './harness.js';

/** `PRAGMA user_version = N` on a sqlite file, as a newer OpenClaw's migration leaves it. */
function setUserVersion(path: string, version: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(path, (err) => {
      if (err) return reject(err);
      db.exec(`PRAGMA user_version = ${version}`, (e) => db.close(() => (e ? reject(e) : resolve())));
    });
  });
}

const world = new ChaosWorld();
/** The machine is shared (load above 10 seen): a start-up may take over 60 s; probes are not counted for longer. */
const SLOW_MACHINE = { STARTUP_GRACE_MS: '180000' };
const NEWER = '2099.1.0';

describe.skipIf(!chaosConfigured)('version drift', () => {
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await world.dump();
  });
  afterAll(() => world.cleanup());

  it('a config stamped by a newer OpenClaw: doctor --fix, healthy, no restart loop', async () => {
    const setup = await world.setup({ env: SLOW_MACHINE });
    const config = readConfigJson(setup) as Record<string, any>;
    config.logging = { ...config.logging, level: 'info' }; // the user's own edit
    config.meta = { lastTouchedVersion: NEWER };
    writeConfig(setup, `${JSON.stringify(config, null, 2)}\n`);

    const faultAt = Date.now();
    const m = await world.startMedic(setup);
    const trace = world.trace(m);
    const r = await world.recovered(m, 'config stamped by a newer OpenClaw', { faultAt, before: new Set(), trace, note: 'fault = medic start on the drifted config', defer: true });

    const inc = expectResolved(r, { outcome: 'fixed by doctor', maxLevel: 2, tried: ['doctor'], restarts: 1 });
    expect(inc.failure).toMatchObject({ class: 'version-drift', culprit: `config stamped ${NEWER}` });
    expect(inc.failure!.evidence.join('\n')).toContain(`written by version ${NEWER}`);
    expect(r.texts).toContain('level 2: the config was stamped by a newer OpenClaw: its doctor rewrites the stamp; no restart loop');
    expect(r.texts.filter((t) => t.startsWith('restarting in '))).toEqual([]);
    const after = JSON.parse(readFileSync(setup.configPath, 'utf8')) as Record<string, any>;
    expect(after.meta?.lastTouchedVersion).not.toBe(NEWER);
    expect(after.logging.level).toBe('info');
    expect(after.gateway).toMatchObject({ mode: 'local', port: setup.gatewayPort, bind: 'loopback' });
    const doctor = r.texts.find((t) => t.startsWith('doctor finished: '));
    world.record({
      ...r.measurement,
      classRow: classRow(inc, r.records, {
        fault: `config stamped by OpenClaw ${NEWER} (\`meta.lastTouchedVersion\`)`,
        test: 'drift.test.ts',
        ms: r.measurement.faultToHealthyMs,
        floorMs: r.measurement.floorMs,
        note: `stamp rewritten by the doctor${doctor ? ` (${doctor.slice('doctor finished: '.length).split(';')[0]})` : ''}, the user's log level kept, no restart loop`,
      }),
    });
  });

  it("a state database newer than the build: a person's decision at once, with the message and the fix; no restart", async () => {
    const setup = await world.setup({ env: SLOW_MACHINE });
    const startedAt = Date.now();
    const m1 = await world.startMedic(setup);
    const { floorMs } = await world.firstStart(m1, 'first start (state schema)', startedAt);
    await world.stopMedic(m1);
    await setUserVersion(join(setup.stateDir, 'state', 'openclaw.sqlite'), 99);

    const faultAt = Date.now();
    const m = await world.startMedic(setup);
    const t = await world.waitStatus(m, 'a person asked', (s) => s.phase === 'waiting-for-human');
    const decidedMs = Date.now() - faultAt;
    const inc = (await m.incidents())[0]!;
    const { timeline } = await m.incident(inc.id);
    expect(inc.failure).toMatchObject({ class: 'state-schema' });
    expect(inc.failure!.evidence[0]).toContain('uses newer schema version 99');
    const human = timeline.map((r) => r.text).find((x) => x.startsWith('level 4: human needed: '))!;
    expect(human).toContain('the state database has schema version 99, newer than this OpenClaw supports');
    expect(human).toContain('openclaw backup create');
    expect(inc).toMatchObject({ level: 4, retryAt: null, restarts: 0 });
    await new Promise((r) => setTimeout(r, 20_000));
    expect((await m.status()).restarts).toBe(t.restarts); // no restart loop
    world.record({
      scenario: 'state database newer than the build',
      faultToHealthyMs: decidedMs,
      faultToResolvedMs: null,
      floorMs: 0,
      incidents: [{ id: inc.id, outcome: inc.outcome, maxLevel: inc.maxLevel }],
      timeline: timeline.map((r) => `+${((r.at - faultAt) / 1000).toFixed(1)}s [${r.kind}] ${r.text}`),
      note: "time = medic start to the level-4 notice with the fix (the right human step)",
      classRow: classRow(inc, timeline, {
        fault: 'state database at schema 99, newer than the build',
        test: 'drift.test.ts',
        ms: decidedMs,
        floorMs,
        note: '0 restarts in the next 20 s',
      }),
    });
  });
});
