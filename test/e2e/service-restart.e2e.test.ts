/**
 * A gateway run as a service (GATEWAY_RESTART_COMMAND, no GATEWAY_COMMAND: the medic has no child of its own)
 * restarting in process, as OpenClaw does on SIGUSR2: its port closes for seconds while the same process works
 * on its start. The medic finds the listener through /proc (same user) and must not count that as an outage,
 * nor run the restart command; as the supervised gateway's test in ladder.e2e.test.ts, but for a service.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listPortHolders } from '../../src/recovery/repair/port-holder.js';
import { isAlive, waitFor } from '../fixtures/gateways.js';
import { E2eWorld, type MedicUnderTest } from './harness.js';

/** Up, no incident (a service's pid is not the medic's to show). */
const upAndCalm = (t: ReturnType<MedicUnderTest['status']>) => t.health === 'up' && t.incident === null;

const world = new E2eWorld();
afterEach(() => world.cleanup());

describe('a service gateway restarting in process', () => {
  it('(SIGUSR2: its port closed for 3 s while it works) is neither counted as an outage nor restarted', async () => {
    // 3 s closed is six probe intervals, twice the failure threshold: counted as failures, it would be restarted.
    const setup = await world.envFor({ mode: 'ok', restartMs: 3_000 }, { PROBE_INTERVAL_MS: '500', PROBE_TIMEOUT_MS: '400' });
    const gatewayCommand = setup.env.GATEWAY_COMMAND!;
    delete setup.env.GATEWAY_COMMAND;
    const restarts = join(setup.dataDir, 'restarts');
    setup.env.GATEWAY_RESTART_COMMAND = `echo restart >> '${restarts}'`;
    // The "service": started by its manager (here the test), in its own session, before the medic.
    const service = spawn('/bin/sh', ['-c', gatewayCommand], { detached: true, stdio: 'ignore' });
    world.janitor.track(service.pid!);
    const gateway = await waitFor(async () => (await listPortHolders(setup.gatewayPort)).find((h) => h.pid > 0)?.pid, { what: 'the service gateway' });
    world.janitor.track(gateway);

    const m = await world.startWith(setup);
    await m.waitStatus('healthy', upAndCalm);
    // Its first good probes found the listener: the next (half-second) samples say whether it works.
    await new Promise((r) => setTimeout(r, 1_500));
    const sentAt = Date.now();
    process.kill(gateway, 'SIGUSR2');
    await waitFor(() => m.log.entries.some((e) => e.msg.includes('restarting in process')) || Date.now() - sentAt > 10_000, { timeoutMs: 15_000 });
    await m.waitStatus('answering again after its restart', (t) => upAndCalm(t) && Date.now() - sentAt > 3_500);
    expect(await m.incidents()).toEqual([]);
    expect(existsSync(restarts)).toBe(false);
    expect(isAlive(gateway)).toBe(true);
    expect(m.log.entries.some((e) => e.msg.includes('the gateway closed its port while it works: restarting in process'))).toBe(true);
  });
});
