/** One probe with what the gateway's process says beside it (watchdog/probe-once.ts). */
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/lib/clock.js';
import type { GatewayProcess, HealthProbe } from '../../../src/recovery/ports.js';
import type { ProbeResult } from '../../../src/recovery/types.js';
import { probeWithActivity } from '../../../src/recovery/watchdog/probe-once.js';

const refused: ProbeResult = { ok: false, at: 0, latencyMs: 1, status: null, error: 'ECONNREFUSED', kind: 'refused' };
const failing: HealthProbe = { check: async () => refused };
const gateway = (parts: Partial<GatewayProcess>) => parts as GatewayProcess;

describe('probeWithActivity: a service whose main process is gone', () => {
  it('says so (serviceDown) when systemd says its main process no longer runs, also when its listener is watched', async () => {
    // A ServiceGateway has both: mainRuns (systemd) and activity (its listener, service-listener.ts). Before, the
    // second hid the first: the check ran only for a gateway without activity(), so it never ran at all.
    const service = gateway({ supervised: false, activity: () => null, mainRuns: async () => false });
    expect(await probeWithActivity(failing, service, systemClock, new AbortController().signal)).toMatchObject({ ok: false, serviceDown: true });
    const unwatched = gateway({ supervised: false, mainRuns: async () => false });
    expect(await probeWithActivity(failing, unwatched, systemClock, new AbortController().signal)).toMatchObject({ serviceDown: true });
  });

  it('says nothing while it runs, when systemd cannot be asked, or for a good probe', async () => {
    const runs = gateway({ supervised: false, activity: () => null, mainRuns: async () => true });
    expect(await probeWithActivity(failing, runs, systemClock, new AbortController().signal)).not.toHaveProperty('serviceDown');
    const unknown = gateway({ supervised: false, activity: () => null, mainRuns: async () => null });
    expect(await probeWithActivity(failing, unknown, systemClock, new AbortController().signal)).not.toHaveProperty('serviceDown');
    const ok: HealthProbe = { check: async () => ({ ok: true, at: 0, latencyMs: 1, status: 200, error: null }) };
    const down = gateway({ supervised: false, activity: () => null, mainRuns: async () => false });
    expect(await probeWithActivity(ok, down, systemClock, new AbortController().signal)).not.toHaveProperty('serviceDown');
  });
});
