/**
 * The gateway's port held by a foreign listener before the real gateway starts: OpenClaw
 * retries the bind for about 27 s and exits 1 with EADDRINUSE; the ladder finds who holds the
 * port and asks a person before stopping a process that is not its own.
 */
import { spawn } from 'node:child_process';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { isPortListening } from '../../src/recovery/repair/port-holder.js';
import { isAlive, waitFor } from '../fixtures/gateways.js';
import { chaosConfigured, ChaosWorld, expectResolved } from './harness.js';

const world = new ChaosWorld();

describe.skipIf(!chaosConfigured)('a squatted port', () => {
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await world.dump();
  });
  afterAll(() => world.cleanup());

  it('a foreign listener on the port: the ladder asks; approved, the squatter is stopped and the gateway starts', async () => {
    const setup = await world.setup();
    const squatter = spawn(process.execPath, ['-e', `require('net').createServer().listen(${setup.gatewayPort}, '127.0.0.1')`], {
      stdio: 'ignore',
    });
    world.janitor.track(squatter.pid);
    await waitFor(() => isPortListening(setup.gatewayPort), { what: 'the squatter to listen' });

    const faultAt = Date.now();
    const m = await world.startMedic(setup);
    const trace = world.trace(m);
    const asking = await world.waitStatus(m, 'a question for a person', (t) => t.incident?.approval?.kind === 'stop-port-holder');
    const askedAfterMs = Date.now() - faultAt;
    expect(asking.incident!.approval).toMatchObject({ pid: squatter.pid });
    expect(asking.incident!.approval!.question).toContain(`Stop pid ${squatter.pid} (`);
    expect(isAlive(squatter.pid!)).toBe(true); // nothing is stopped without a person

    await m.target().decide(null, true, 'chaos');
    const r = await world.recovered(m, 'port squatted (approved at once)', {
      faultAt,
      before: new Set(),
      trace,
      note: `fault = the medic starting; asked after ${(askedAfterMs / 1000).toFixed(1)} s, approved at once`,
    });
    await waitFor(() => !isAlive(squatter.pid!), { what: 'the squatter to be stopped' });
    expectResolved(r, { maxLevel: 2, outcome: 'fixed by stop-port-holder', tried: ['stop-port-holder'] });
    expect(r.texts[0]).toBe('gateway exited with code 1 (port already in use)');
    expect(r.texts).toContain('level 2: the port is in use; finding out who holds it');
    expect(r.texts.find((t) => t.startsWith('diagnosis: '))).toContain(`port held by pid ${squatter.pid} (`);
    expect(r.texts.find((t) => t.startsWith('chaos approved: stop pid '))).toBeDefined();
    expect(r.texts.find((t) => t.startsWith('stop-port-holder finished: stopped '))).toContain(`port ${setup.gatewayPort} is free`);
  });
});
