/**
 * "Nuclear" (the article's Test 3): the medic itself killed -9, the config file deleted, the
 * gateway killed -9; the medic's own supervisor starts it again. The medic runs as the real
 * `clawmedic run` command here (a child process), since a test cannot kill -9 itself.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { isAlive, waitFor } from '../fixtures/gateways.js';
import { brokenCopies, chaosConfigured, ChaosWorld, expectResolved } from './harness.js';

const world = new ChaosWorld();

describe.skipIf(!chaosConfigured)('nuclear', () => {
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await world.dump();
  });
  afterAll(() => world.cleanup());

  it('medic kill -9, config deleted, gateway kill -9, medic started again: restored and back, no human', async () => {
    const setup = await world.setup();
    const startedAt = Date.now();
    const first = await world.spawnMedicProcess(setup, 'medic-1');
    await world.firstStart(first, 'first start (nuclear)', startedAt);
    const victim = await world.waitCalm(first, 'healthy before');
    const good = readFileSync(setup.configPath, 'utf8');
    const before = await world.incidentIds(first);

    process.kill(first.pid, 'SIGKILL');
    expect(await first.exited).toMatchObject({ signal: 'SIGKILL' });
    expect(isAlive(victim.pid!)).toBe(true); // the gateway outlives its medic (output to a file, own process group)
    rmSync(setup.configPath);
    const trace = world.trace(first);
    await waitFor(() => trace.isUp(), { what: 'the orphaned gateway still answering' });
    const faultAt = Date.now();
    process.kill(victim.pid!, 'SIGKILL');
    await waitFor(() => !isAlive(victim.pid!), { what: 'the gateway to die' });

    const second = await world.spawnMedicProcess(setup, 'medic-2');
    const r = await world.recovered(second, 'nuclear', { faultAt, before, trace, note: 'fault = the gateway kill -9 (medic dead, config deleted); medic started right after' });

    expectResolved(r, {
      maxLevel: 2,
      cause: 'gateway exited with code 78 (bad config)',
      outcome: 'fixed by restore-config',
      doctorRuns: 0,
    });
    expect(r.texts.find((t) => t.startsWith('diagnosis: '))).toMatch(/^diagnosis: config invalid: .*the file does not exist; last-known-good config differs/);
    // OpenClaw's own validation runs beside the verifying start (issue 10); its verdict is a line of its own,
    // in the incident or, when it comes after the incident resolved, in the medic's log.
    expect(r.texts.find((t) => t.startsWith('restore-config finished: restored '))).toContain('runs beside the verifying start');
    await waitFor(() => readFileSync(second.logPath, 'utf8').includes('restore-config checked: openclaw config validate: ok'), {
      timeoutMs: 60_000,
      what: 'the verdict of `openclaw config validate` on the restored file',
    });
    expect(r.records.filter((x) => x.kind === 'human' || x.kind === 'operator')).toEqual([]);
    expect(readFileSync(setup.configPath, 'utf8')).toBe(good);
    expect(brokenCopies(setup)).toEqual([]); // nothing was there to keep aside

    // Stopped by its supervisor (SIGTERM), the medic takes its gateway with it: no orphan.
    process.kill(second.pid, 'SIGTERM');
    expect(await second.exited).toMatchObject({ code: 0 });
    await waitFor(() => !isAlive(r.calm.pid!), { what: 'the gateway to stop with its medic' });
    expect(existsSync(setup.configPath)).toBe(true);
  });
});
