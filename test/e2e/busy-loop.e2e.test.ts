/**
 * A frozen event loop that still runs (issue 10): the demo gateway, started from a plain command line as
 * users write it (no `exec`: /bin/sh stays its parent), answers, then spins (`for (;;);`, --mode
 * hang-after). Its main thread is read pinned from /proc: the first probe that times out through the
 * pinning is the verdict, and the incident says the event loop is blocked. A gateway blocked in a wait
 * (--mode sleep-after: no CPU) is frozen too, but not pinned: it is counted to the failure threshold.
 * Probe timings are the defaults' (a 3 s timeout), the interval shorter so the test does not idle.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive, plainGatewayCommand, waitFor } from '../fixtures/gateways.js';
import { E2eWorld, healthyAndCalm, type MedicUnderTest } from './harness.js';

const world = new E2eWorld();
afterEach(() => world.cleanup());

const DEFAULT_PROBES = { PROBE_INTERVAL_MS: '4000', PROBE_TIMEOUT_MS: '3000', PROBE_RETRY_MS: '500' };

async function startPlain(mode: 'hang-after' | 'sleep-after', afterMs: number): Promise<MedicUnderTest> {
  const setup = await world.envFor({}, DEFAULT_PROBES);
  setup.env.GATEWAY_COMMAND = plainGatewayCommand({ port: setup.gatewayPort, config: setup.configPath, mode, afterMs });
  return world.startWith(setup);
}

describe('a frozen event loop that still runs', () => {
  it('spinning (main thread pinned): not answering at the first probe that timed out through it, "event loop blocked"; restarted', async () => {
    const m = await startPlain('hang-after', 12_000);
    const before = await m.waitStatus('healthy', healthyAndCalm, 40_000);
    const inc = await waitFor(async () => (await m.incidents())[0] ?? null, { timeoutMs: 60_000, what: 'an incident for the busy loop' });
    expect(inc.cause).toMatch(/^gateway not answering: its event loop is blocked \(main thread at 100% CPU for \d+\.\d s\)$/);
    expect(inc.failure).toMatchObject({ class: 'hang' });
    expect(inc.failure!.evidence).toEqual([expect.stringMatching(/^timeout after 3000 ms$/), expect.stringMatching(/^main thread pinned \(100% of a core\) for \d+\.\d s$/)]);
    // Its main thread was pinned through a whole 3 s wait: at least the timeout, minus the /proc reading's slack.
    expect(Number(/for (\d+\.\d) s\)$/.exec(inc.cause)![1])).toBeGreaterThanOrEqual(2);
    // The log said so before the verdict: the probe loop was woken.
    expect(m.log.entries.some((e) => e.msg === 'the gateway main thread is pinned (its event loop does not wait)' && e.fields?.['pid'] === before.pid)).toBe(true);
    // One failed probe, not three: the timeline has no count.
    const { timeline } = await m.incident(inc.id);
    expect(timeline.map((r) => r.text)).toContain('level 1: alive but not answering: restarting it');
    const after = await m.waitStatus('restarted and healthy', (t) => healthyAndCalm(t) && t.pid !== before.pid, 60_000);
    expect(after.pid).not.toBe(before.pid);
    await waitFor(() => !isAlive(before.pid!), { what: 'the spinning gateway to be gone' });
    const [resolved] = await m.incidents();
    expect(resolved).toMatchObject({ id: inc.id, state: 'resolved', maxLevel: 1, restarts: 1 });
  });

  it('blocked in a wait (no CPU, not pinned): the failure threshold counts, as for a gateway merely slow', async () => {
    const m = await startPlain('sleep-after', 12_000);
    const before = await m.waitStatus('healthy', healthyAndCalm, 40_000);
    const inc = await waitFor(async () => (await m.incidents())[0] ?? null, { timeoutMs: 60_000, what: 'an incident for the blocked loop' });
    expect(inc.cause).toBe('gateway not answering: timeout after 3000 ms (3 failed probes)');
    expect(inc.failure?.evidence).toEqual(['timeout after 3000 ms']);
    const after = await m.waitStatus('restarted and healthy', (t) => healthyAndCalm(t) && t.pid !== before.pid, 60_000);
    expect(after.pid).not.toBe(before.pid);
    await waitFor(() => !isAlive(before.pid!), { what: 'the blocked gateway to be gone' });
  });
});
