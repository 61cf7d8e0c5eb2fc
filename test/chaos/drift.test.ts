/**
 * Class 4 on the real gateway: the config was stamped by a newer OpenClaw
 * (`meta.lastTouchedVersion`), so this one refuses to start (exit 1). The medic names the
 * drift, runs OpenClaw's doctor (which rewrites the stamp) without a restart loop, and the
 * user's other edits survive.
 */
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { chaosConfigured, ChaosWorld, expectResolved, readConfigJson, writeConfig } from './harness.js';

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
    const r = await world.recovered(m, 'config stamped by a newer OpenClaw', { faultAt, before: new Set(), trace, note: 'fault = medic start on the drifted config' });

    const inc = expectResolved(r, { outcome: 'fixed by doctor', maxLevel: 2, tried: ['doctor'], restarts: 1 });
    expect(inc.failure).toMatchObject({ class: 'version-drift', culprit: `config stamped ${NEWER}` });
    expect(inc.failure!.evidence.join('\n')).toContain(`written by version ${NEWER}`);
    expect(r.texts).toContain('level 2: the config was stamped by a newer OpenClaw: its doctor rewrites the stamp; no restart loop');
    expect(r.texts.filter((t) => t.startsWith('restarting in '))).toEqual([]);
    const after = JSON.parse(readFileSync(setup.configPath, 'utf8')) as Record<string, any>;
    expect(after.meta?.lastTouchedVersion).not.toBe(NEWER);
    expect(after.logging.level).toBe('info');
    expect(after.gateway).toMatchObject({ mode: 'local', port: setup.gatewayPort, bind: 'loopback' });
  });
});
