/**
 * Readiness beyond liveness on the real OpenClaw gateway, with a local fake Telegram Bot API
 * (`channels.telegram.apiRoot`): a revoked token (401) is a person's step naming the channel and
 * the fix, never a gateway restart, and a new token brings it back; a channel suppressed by
 * OpenClaw's own crash-loop breaker (three unclean boots) is brought back with `channels.start`.
 */
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runCommand } from '../../src/lib/run-command.js';
import { startFakeTelegram, type FakeTelegram } from '../fixtures/fake-telegram.js';
import { waitFor } from '../fixtures/gateways.js';
import { chaosConfigured, ChaosWorld } from './harness.js';
import { pluginsSection, writeGatewayConfig, writeThrowFirstBootsPlugin } from './vitals-fixtures.js';

const world = new ChaosWorld();
const fakes: FakeTelegram[] = [];

async function telegram(mode: 'ok' | 'unauthorized'): Promise<FakeTelegram> {
  const tg = await startFakeTelegram(mode);
  fakes.push(tg);
  return tg;
}

const telegramSection = (tg: FakeTelegram) => ({ channels: { telegram: { enabled: true, botToken: '123456:FAKE', apiRoot: tg.url, dmPolicy: 'pairing' } } });

describe.skipIf(!chaosConfigured)('channels and readiness', () => {
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await world.dump();
  });
  afterAll(async () => {
    await world.cleanup();
    await Promise.all(fakes.map((f) => f.close()));
  });

  it("a revoked Telegram token (401): a person's step with the channel's own error and the fix; no restart; a new token brings it back", async () => {
    const tg = await telegram('unauthorized');
    const setup = await world.setup({ env: { READINESS_GRACE_MS: '5000', VITALS_INTERVAL_MS: '1000', STARTUP_GRACE_MS: '180000', PROBE_INTERVAL_MS: '3000', PROBE_TIMEOUT_MS: '2500' } });
    writeGatewayConfig(setup, telegramSection(tg));
    const medicStart = Date.now();
    const m = await world.startMedic(setup);
    const humans: { at: number; summary: string }[] = [];
    m.running.events.on('human', (e) => humans.push({ at: Date.now(), summary: e.summary }));
    const healthyAt = await waitFor(async () => ((await m.status()).health === 'up' ? Date.now() : null), { timeoutMs: 240_000, what: 'healthy' });
    const waiting = await world.waitStatus(m, "a person's step for telegram", (t) => t.incident?.state === 'waiting_human', 120_000);
    const pid = waiting.pid;
    const [inc] = await m.incidents();
    expect(inc!.failure).toMatchObject({ class: 'channel-auth', culprit: 'telegram' });
    expect(inc!.failure!.evidence.join('\n')).toMatch(/\/readyz 503: failing \[telegram\][\s\S]*Telegram bot token unauthorized for account "default"/);
    expect(humans).toHaveLength(1);
    expect(humans[0]!.summary).toContain('set a new one from @BotFather with `openclaw config set channels.telegram.botToken <new token>`');
    expect(waiting.readiness).toMatchObject({ status: 503, ready: false, failing: ['telegram'] });
    expect(tg.calls).toContain('getMe');
    // Twenty more seconds of failing readiness: no restart, no second notice.
    await new Promise((r) => setTimeout(r, 20_000));
    const still = await m.status();
    expect({ pid: still.pid, restarts: still.restarts, incident: still.incident?.id, humans: humans.length }).toEqual({ pid, restarts: waiting.restarts, incident: inc!.id, humans: 1 });
    // The person's fix: a new token (the fake accepts it), set the way the notice says.
    tg.mode = 'ok';
    const fixAt = Date.now();
    const set = await runCommand('openclaw config set channels.telegram.botToken 123456:NEWFAKE', { timeoutMs: 60_000, env: setup.env, cwd: setup.dir });
    expect(set.code).toBe(0);
    const calm = await world.waitCalm(m, 'ready again after the new token', 120_000);
    expect(calm.pid).toBe(pid);
    const [done] = await m.incidents();
    expect(done).toMatchObject({ id: inc!.id, state: 'resolved', restarts: 0, outcome: 'channel telegram ready again' });
    const { timeline } = await m.incident(inc!.id);
    expect(timeline.map((r) => r.text)).toContain('the config on disk changed: the gateway applies it itself; the next check tells whether it helped');
    await world.stopMedic(m); // one real gateway at a time
    world.record({
      scenario: 'channel token revoked (Telegram 401)',
      faultToHealthyMs: (done!.closedAt ?? fixAt) - fixAt,
      faultToResolvedMs: (done!.closedAt ?? fixAt) - medicStart,
      floorMs: 0,
      incidents: [{ id: done!.id, outcome: done!.outcome, maxLevel: done!.maxLevel }],
      timeline: timeline.map((r) => `+${((r.at - healthyAt) / 1000).toFixed(1)}s [${r.kind}] ${r.text}`),
      note: `fault = a 401 from the start; healthy at +${((healthyAt - medicStart) / 1000).toFixed(1)} s, the person's step ${((humans[0]!.at - healthyAt) / 1000).toFixed(1)} s after healthy; no gateway restart; new token to ready ${(((done!.closedAt ?? fixAt) - fixAt) / 1000).toFixed(1)} s`,
    });
  });

  it("a channel suppressed by OpenClaw's crash-loop breaker: channels.start brings it back, without a restart", async () => {
    const tg = await telegram('ok');
    const setup = await world.setup({ env: { READINESS_GRACE_MS: '5000', VITALS_INTERVAL_MS: '1000', STARTUP_GRACE_MS: '180000', PROBE_INTERVAL_MS: '3000', PROBE_TIMEOUT_MS: '2500' } });
    const dir = writeThrowFirstBootsPlugin(join(setup.dir, 'plugins'), 'flaky', join(setup.dir, 'boots'), 3);
    writeGatewayConfig(setup, { ...telegramSection(tg), ...pluginsSection({ flaky: dir }) });
    const medicStart = Date.now();
    const m = await world.startMedic(setup);
    // Three boots die 4 s after the plugin registers; the fourth stays up with telegram suppressed.
    const channelInc = await waitFor(async () => (await m.incidents()).find((i) => i.failure?.class === 'channel') ?? null, {
      timeoutMs: 400_000,
      intervalMs: 500,
      what: 'a channel incident after the crash loop',
    });
    const calm = await world.waitCalm(m, 'telegram started again', 120_000);
    const [last] = await m.incidents();
    expect(last).toMatchObject({ id: channelInc.id, state: 'resolved', restarts: 0, outcome: 'channel telegram ready again', failure: { class: 'channel', culprit: 'telegram' } });
    expect(channelInc.cause).toBe("channel telegram suppressed by OpenClaw's crash-loop breaker (/readyz)");
    const { timeline } = await m.incident(channelInc.id);
    const texts = timeline.map((r) => r.text);
    expect(texts).toContain("level 1: channel telegram suppressed by OpenClaw's crash-loop breaker: channels.start telegram (attempt 1 of 3); the gateway itself is not restarted");
    expect(texts.find((t) => t.startsWith('channels.start telegram: '))).toMatch(/^channels\.start telegram: started \(rc 0 in [\d.]+ s\)$/);
    expect(calm.readiness).toMatchObject({ ready: true, failing: [], suppressed: [] });
    world.record({
      scenario: "channel suppressed by OpenClaw's breaker",
      faultToHealthyMs: (last!.closedAt ?? 0) - channelInc.openedAt,
      faultToResolvedMs: (last!.closedAt ?? 0) - channelInc.openedAt,
      floorMs: 0,
      incidents: [{ id: last!.id, outcome: last!.outcome, maxLevel: last!.maxLevel }],
      timeline: timeline.map((r) => `+${((r.at - channelInc.openedAt) / 1000).toFixed(1)}s [${r.kind}] ${r.text}`),
      note: `fault = suppressed seen (${((channelInc.openedAt - medicStart) / 1000).toFixed(1)} s after the medic start, 3 crashed boots); no gateway restart for the channel`,
    });
  });
});
