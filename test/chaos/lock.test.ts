/**
 * Class 3 on the real gateway: after a "reboot", OpenClaw's state locks name a pid that now
 * belongs to a live process that is not a gateway (here a `sleep`, with the matching start
 * time). OpenClaw refuses to start (exit 78). The medic verifies the pid is not a gateway,
 * removes the locks, and never signals the `sleep`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { readProcessStartTime } from '../../src/recovery/pid-record.js';
import { isAlive, waitFor } from '../fixtures/gateways.js';
import { chaosConfigured, ChaosWorld, classRow, expectResolved } from './harness.js';
import { locksNamingASleep } from './lock-fixture.js';

const world = new ChaosWorld();
/** The machine is shared (load above 10 seen): a start-up may take over 60 s; probes are not counted for longer. */
const SLOW_MACHINE = { STARTUP_GRACE_MS: '180000' };

describe.skipIf(!chaosConfigured)('a stale state lock', () => {
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await world.dump();
  });
  afterAll(() => world.cleanup());

  it('names a live sleep with its start time: exit 78, the lock removed, the sleep untouched, healthy', async () => {
    const setup = await world.setup({ env: SLOW_MACHINE });
    const startedAt = Date.now();
    const m1 = await world.startMedic(setup);
    await world.firstStart(m1, 'first start (lock file)', startedAt);
    // The locks of the running gateway, as OpenClaw writes them.
    const lockDir = join(setup.stateDir, 'tmp', `openclaw-${process.getuid!()}`);
    const names = readdirSync(lockDir).filter((n) => /^gateway\..+\.lock$/.test(n));
    expect(names.length).toBeGreaterThan(0);
    const locks = names.map((n) => ({ name: n, json: JSON.parse(readFileSync(join(lockDir, n), 'utf8')) as Record<string, unknown> }));
    const configBefore = readFileSync(setup.configPath, 'utf8');
    const before = await world.incidentIds(m1);
    await world.stopMedic(m1); // SIGTERM: OpenClaw removes its locks
    await waitFor(() => names.every((n) => !existsSync(join(lockDir, n))), { timeoutMs: 30_000, what: 'the locks removed by a clean stop' });

    // The "reboot": an innocent process got the pid the lock names, with the start time the lock holds.
    const { sleep, startTime: sleepStart } = await locksNamingASleep(world, lockDir, locks);

    const faultAt = Date.now();
    const m2 = await world.startMedic(setup);
    const trace = world.trace(m2);
    const r = await world.recovered(m2, 'stale state lock naming a live sleep', { faultAt, before, trace, note: 'fault = medic start with the stale locks', defer: true });

    const inc = expectResolved(r, { outcome: 'fixed by remove-stale-lock', maxLevel: 2, tried: ['remove-stale-lock'] });
    expect(inc.failure).toMatchObject({ class: 'stale-lock', culprit: `pid ${sleep.pid}` });
    expect(inc.failure!.evidence[0]).toContain(`Another gateway (pid ${sleep.pid}) already owns this state directory`);
    expect(r.texts).toContain(`repair: remove-stale-lock (pid ${sleep.pid})`);
    const done = r.texts.find((t) => t.startsWith('remove-stale-lock finished: '));
    expect(done).toContain(`pid ${sleep.pid} is \`sleep 3600\`, not a gateway`);
    expect(done).toContain('was not signalled');
    // The innocent process was never signalled: alive, the same process (same start time).
    expect(isAlive(sleep.pid!)).toBe(true);
    expect(sleep.exitCode).toBeNull();
    expect(sleep.signalCode).toBeNull();
    expect(await readProcessStartTime(sleep.pid!)).toBe(sleepStart);
    expect(readFileSync(setup.configPath, 'utf8')).toBe(configBefore);
    world.record({
      ...r.measurement,
      classRow: classRow(inc, r.records, {
        fault: 'state locks naming a live `sleep` with the matching start time (pid reuse after a reboot)',
        test: 'lock.test.ts',
        ms: r.measurement.faultToHealthyMs,
        floorMs: r.measurement.floorMs,
        note: 'the `sleep` alive, never signalled; config untouched',
      }),
    });
  });
});
