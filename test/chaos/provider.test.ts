/**
 * The optional end-to-end model provider probe on the real OpenClaw gateway, against a local fake
 * OpenAI-compatible provider (`models.providers.fake.baseUrl`): a 401 is a person's step with
 * `openclaw models status` evidence, a 429 means wait; neither restarts the gateway. The probe is
 * off by default (each probe is a real model call); these tests turn it on every 60 s.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider, type FakeProviderMode } from '../fixtures/fake-provider.js';
import { chaosConfigured, ChaosWorld, classRow, type TargetView } from './harness.js';
import { writeGatewayConfig } from './vitals-fixtures.js';

const world = new ChaosWorld();
const fakes: FakeProvider[] = [];

function modelsSection(p: FakeProvider): Record<string, unknown> {
  return {
    models: {
      mode: 'merge',
      providers: {
        fake: {
          baseUrl: p.baseUrl,
          apiKey: 'sk-x',
          api: 'openai-completions',
          models: [{ id: 'fake-model', name: 'Fake', input: ['text'], contextWindow: 120000, maxTokens: 4096, cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 } }],
        },
      },
    },
    agents: { defaults: { model: { primary: 'fake/fake-model' } } },
  };
}

async function probedWorld(mode: FakeProviderMode) {
  const fake = await startFakeProvider(mode);
  fakes.push(fake);
  const setup = await world.setup({ env: { PROVIDER_PROBE_INTERVAL_MS: '60000', PROVIDER_PROBE_TIMEOUT_MS: '60000', STARTUP_GRACE_MS: '180000', PROBE_INTERVAL_MS: '3000', PROBE_TIMEOUT_MS: '2500' } });
  writeGatewayConfig(setup, modelsSection(fake));
  const m = await world.startMedic(setup);
  const { calm, floorMs } = await world.startUp(m, `provider probe (${mode})`);
  return { fake, setup, m, calm, floorMs };
}

const restartsOf = (t: TargetView) => ({ pid: t.pid, restarts: t.restarts });

describe.skipIf(!chaosConfigured)('the model provider probe', () => {
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await world.dump();
  });
  afterAll(async () => {
    await world.cleanup();
    await Promise.all(fakes.map((f) => f.close()));
  });

  it("401 (expired key): a person's step with `openclaw models status` evidence; the card shows it; no restart", async () => {
    const { fake, m, calm, floorMs } = await probedWorld('unauthorized');
    const healthyAt = Date.now();
    const waiting = await world.waitStatus(m, "a person's step for the provider", (t) => t.incident?.state === 'waiting_human', 240_000);
    expect(fake.calls).toBeGreaterThan(0);
    expect(waiting.provider).toMatchObject({ state: 'auth' });
    const [inc] = await m.incidents();
    expect(inc!.failure).toMatchObject({ class: 'provider-auth' });
    expect(inc!.failure!.evidence.join('\n')).toMatch(/401|Authentication failed/);
    expect(inc!.failure!.evidence.join('\n')).toContain('openclaw models status');
    await new Promise((r) => setTimeout(r, 15_000));
    expect(restartsOf(await m.status())).toEqual(restartsOf(calm));
    const { timeline } = await m.incident(inc!.id);
    await world.stopMedic(m); // one real gateway at a time
    world.record({
      scenario: 'model provider 401 (probe on)',
      faultToHealthyMs: 0,
      faultToResolvedMs: null,
      floorMs: 0,
      incidents: [{ id: inc!.id, outcome: inc!.outcome, maxLevel: inc!.maxLevel }],
      timeline: timeline.map((r) => `+${((r.at - healthyAt) / 1000).toFixed(1)}s [${r.kind}] ${r.text}`),
      classRow: classRow(inc!, timeline, {
        fault: 'fake OpenAI-compatible provider answering 401, probe every 60 s',
        test: 'provider.test.ts',
        ms: inc!.openedAt - healthyAt,
        floorMs,
        note: `at the first probe; ${fake.calls} provider call(s); no restart`,
      }),
      note: `fault = a 401 from the start; the person's step ${((inc!.openedAt - healthyAt) / 1000).toFixed(1)} s after healthy (first probe after 60 s); ${fake.calls} provider call(s); no restart`,
    });
  });

  it('429: the card says rate-limited, waiting; no incident, no restart', async () => {
    const { fake, m, calm, floorMs } = await probedWorld('rate-limit');
    const healthyAt = Date.now();
    const limited = await world.waitStatus(m, 'the provider rate-limited', (t) => t.provider?.state === 'rate-limited', 300_000);
    expect(limited.incident).toBeNull();
    expect(restartsOf(limited)).toEqual(restartsOf(calm));
    expect(fake.calls).toBeGreaterThan(0);
    const health = (await m.running.store.listAudit({ limit: 200 })).find((r) => r.text.startsWith('model provider rate-limited (429)'));
    expect(health?.text).toMatch(/^model provider rate-limited \(429\): waiting, not restarting \(/);
    world.record({
      scenario: 'model provider 429 (probe on)',
      faultToHealthyMs: 0,
      faultToResolvedMs: null,
      floorMs: 0,
      incidents: [],
      timeline: health ? [`+${((health.at - healthyAt) / 1000).toFixed(1)}s [${health.kind}] ${health.text}`] : [],
      // No incident to take the row from: the 429 is a state on the card, never a restart nor a person's step.
      classRow: {
        class: 'provider-rate-limit',
        fault: 'the same provider answering 429 (Retry-After 2)',
        test: 'provider.test.ts',
        culprit: null,
        endState: 'healthy: rate-limited, waiting (no incident)',
        healed: true,
        person: null,
        ms: limited.provider!.checkedAt - healthyAt,
        restarts: limited.restarts - calm.restarts,
        floorMs,
        said: health?.text ?? 'rate-limited (card and /status)',
        note: `${fake.calls} provider calls; no restart`,
      },
      note: `fault = 429 from the start; shown ${((limited.provider!.checkedAt - healthyAt) / 1000).toFixed(1)} s after healthy; ${fake.calls} provider calls; no incident, no restart`,
    });
  });
});
