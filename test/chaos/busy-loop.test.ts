/**
 * A busy event loop on the real OpenClaw gateway (issue 10): a plugin makes the gateway spin
 * (`while (true) {}`) once a switch file exists. The port stays open, /healthz answers nothing, the
 * process runs (state R, not T). At the default probe settings (every 5 s, 3 s timeout) the medic reads
 * the gateway's main thread pinned and opens the incident at the first probe that timed out through it:
 * "its event loop is blocked". Level 1 stops it (SIGTERM, then SIGKILL: a spinning loop never runs its
 * handler) and starts a new one, which does not spin (the plugin spins once). A bystander process is
 * never signalled.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { readStat } from '../../src/lib/process-table.js';
import { listPortHolders } from '../../src/recovery/repair/port-holder.js';
import { isAlive, waitFor } from '../fixtures/gateways.js';
import { chaosConfigured, ChaosWorld, expectResolved } from './harness.js';
import { writeSpinPlugin } from './plugin-fixture.js';
import { pluginsSection, writeGatewayConfig } from './vitals-fixtures.js';

const world = new ChaosWorld();

describe.skipIf(!chaosConfigured)('a busy event loop', () => {
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await world.dump();
  });
  afterAll(() => world.cleanup());

  it('a plugin spins the gateway: "event loop blocked" at the first probe that timed out through it, restarted and healthy, nothing else signalled', async () => {
    const setup = await world.setup({
      // The defaults for probes (CHAOS_SETTINGS shortens them for the other tests): what users run.
      env: { PROBE_INTERVAL_MS: '5000', PROBE_TIMEOUT_MS: '3000', PROBE_RETRY_MS: '500' },
    });
    const switchFile = join(setup.dir, 'spin-now');
    const marker = join(setup.dir, 'spun');
    const dir = writeSpinPlugin(join(setup.dir, 'plugins'), 'spinner', switchFile, marker);
    writeGatewayConfig(setup, pluginsSection({ spinner: dir }));
    // A bystander: not the gateway's, it must be neither signalled nor replaced.
    const bystander = spawn('sleep', ['600'], { stdio: 'ignore' });
    world.janitor.track(bystander.pid);
    const bystanderStart = readStat(bystander.pid!)!.startTime;
    let bystanderSignal: string | null = null;
    bystander.once('exit', (_code, signal) => (bystanderSignal = signal ?? 'exited'));

    const startedAt = Date.now();
    const m = await world.startMedic(setup);
    await world.firstStart(m, 'first start (busy loop file)', startedAt);
    const victim = await world.waitCalm(m, 'healthy before the busy loop');
    const before = await world.incidentIds(m);
    const trace = world.trace(m);
    await waitFor(() => trace.isUp(), { what: 'the trace to see the gateway up' });
    const faultAt = Date.now();
    writeFileSync(switchFile, String(faultAt));
    await waitFor(() => existsSync(marker), { timeoutMs: 30_000, what: 'the plugin to start spinning' });
    const r = await world.recovered(m, 'busy loop (while (true) {}) -> restarted', { faultAt, before, trace, note: 'default probe settings (5 s, 3 s timeout)' });

    const inc = expectResolved(r, { maxLevel: 1, outcome: '1 restart' });
    expect(inc.cause).toMatch(/^gateway not answering: its event loop is blocked \(main thread at 100% CPU for \d+\.\d s\)$/);
    expect(inc.failure).toMatchObject({ class: 'hang' });
    expect(inc.failure!.evidence.at(-1)).toMatch(/^main thread pinned \(100% of a core\) for \d+\.\d s$/);
    expect(r.texts).toContain('level 1: alive but not answering: restarting it');
    // The spinning process was the one serving the port, and it is gone; the new one serves it.
    expect(Number(readFileSync(marker, 'utf8'))).toBe(victim.pid);
    expect(r.calm.pid).not.toBe(victim.pid);
    await waitFor(() => !isAlive(victim.pid!), { what: 'the spinning gateway to be gone' });
    expect((await listPortHolders(setup.gatewayPort)).map((h) => h.pid)).toContain(r.calm.pid);
    // Nothing else was signalled: the bystander runs, the same process.
    expect(bystanderSignal).toBeNull();
    expect(readStat(bystander.pid!)?.startTime).toBe(bystanderStart);
    bystander.kill('SIGTERM');
  });
});

