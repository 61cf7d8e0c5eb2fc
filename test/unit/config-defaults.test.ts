/** The ladder's defaults live in one place (DefaultLadderOptions); config and the medic start from it. */
import { DefaultVitalsOptions } from '../../src/recovery/ladder/vitals-options.js';
import { describe, expect, it } from 'vitest';
import { loadConfig, loadMedicSettings } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';
import { ladderOptionsFor } from '../../src/medic.js';
import { DefaultLadderOptions } from '../../src/recovery/ladder/index.js';

describe('defaults in one place', () => {
  it('a target with no settings gets exactly the ladder defaults', () => {
    const target = loadConfig({ HOME: '/home/op', GATEWAY_COMMAND: 'openclaw gateway run' }, '/srv').targets[0]!;
    const { backoff, vitals, ...options } = ladderOptionsFor(target);
    const { backoff: defaultBackoff, ...defaults } = DefaultLadderOptions;
    expect(options).toEqual(defaults);
    // The vitals rules' defaults come from their own one place (ladder/vitals-options.ts).
    const { channelBackoff, ...vitalsRest } = vitals!;
    const { channelBackoff: defaultChannelBackoff, ...vitalsDefaults } = DefaultVitalsOptions;
    expect(vitalsRest).toEqual(vitalsDefaults);
    expect([0, 1, 2, 3].map((n) => channelBackoff(n, 0.5))).toEqual([0, 1, 2, 3].map((n) => defaultChannelBackoff(n, 0.5)));
    const delays = (f: typeof backoff) => [0, 1, 2, 3, 4, 5, 6, 7].map((n) => f(n, 0.5));
    expect(delays(backoff)).toEqual(delays(defaultBackoff));
    expect(delays(backoff)).toEqual([0, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
  });

  it("a target's settings override the defaults, and the agent's approval timeout comes with the agent", () => {
    const target = loadConfig({ HOME: '/home/op', PROBE_FAILURE_THRESHOLD: '5', RESTART_BACKOFF_MAX_MS: '4000' }, '/srv').targets[0]!;
    const agent = { approvalTimeoutMs: 90_000, autoAllow: () => false } as unknown as Parameters<typeof ladderOptionsFor>[1];
    const options = ladderOptionsFor(target, agent);
    expect(options).toMatchObject({ supervised: false, failureThreshold: 5, agentEnabled: true, agentApprovalTimeoutMs: 90_000 });
    expect(options.canRestart).toBe(false); // no GATEWAY_COMMAND, no GATEWAY_RESTART_COMMAND: watch-only
    expect(options.backoff(5, 0.5)).toBe(4_000);
  });

  it("the guardian's view of the medic's settings: the same schema and defaults as the medic's", () => {
    expect(loadMedicSettings({})).toEqual({ httpPort: 18790, allowedHosts: [], dataDir: '~/.clawmedic', logLevel: 'info', logFormat: 'pretty', apiToken: null, targetsFile: null });
    expect(loadMedicSettings({ MEDIC_HTTP_PORT: '19999', LOG_LEVEL: 'debug' })).toMatchObject({ httpPort: 19999, logLevel: 'debug' });
    expect(() => loadMedicSettings({ MEDIC_HTTP_PORT: '70000' })).toThrow(ConfigError);
    expect(() => loadMedicSettings({ MEDIC_HTTP_PORT: '70000' })).toThrow("MEDIC_HTTP_PORT must be at most 65535 (got '70000')");
  });
});
