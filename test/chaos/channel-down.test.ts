/**
 * A chat channel whose API cannot be reached, on the real OpenClaw gateway (class `channel`), the way
 * `../shared/reference/openclaw-failures.md` saw it with no DNS: `channels.telegram.apiRoot` names a
 * host under `.invalid` (RFC 6761: never resolves, no network needed). OpenClaw keeps /healthz green
 * and grants a starting channel 120 s to connect (not configurable) before /readyz fails for it.
 * The medic names the class and the channel, runs `channels.start` for it (bounded: here once), never
 * restarts the gateway, and then asks a person with the channel's own error; the person's fix (a
 * reachable API, set with `openclaw config set`, which restarts only that channel) brings it back on
 * the same pid and the incident resolves. Seen on the real gateway: `channels.start` of a channel that
 * runs but cannot connect answers "started" in ~0.2 s and /readyz stays 503 (no new grace).
 * (A fake API that resets every connection, or one that never answers, kept /readyz green for 400 s:
 * OpenClaw retries those inside its transport. No DNS is what fails readiness.) */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runCommand } from '../../src/lib/run-command.js';
import { startFakeTelegram, type FakeTelegram } from '../fixtures/fake-telegram.js';
import { waitFor } from '../fixtures/gateways.js';
import { chaosConfigured, ChaosWorld, classRow } from './harness.js';
import { writeGatewayConfig } from './vitals-fixtures.js';

const world = new ChaosWorld();
let tg: FakeTelegram | null = null;

describe.skipIf(!chaosConfigured)('a channel whose API cannot be reached', () => {
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await world.dump();
  });
  afterAll(async () => {
    await world.cleanup();
    await tg?.close();
  });

  it("no DNS for the Telegram API: channels.start, then a person's step with the channel's own error; never a gateway restart", async () => {
    tg = await startFakeTelegram('ok');
    const setup = await world.setup({
      env: { READINESS_GRACE_MS: '5000', VITALS_INTERVAL_MS: '2000', STARTUP_GRACE_MS: '180000', PROBE_INTERVAL_MS: '3000', PROBE_TIMEOUT_MS: '2500', CHANNEL_RESTART_MAX: '1' },
    });
    writeGatewayConfig(setup, { channels: { telegram: { enabled: true, botToken: '123456:FAKE', apiRoot: 'http://telegram-api.invalid', dmPolicy: 'pairing' } } });
    const m = await world.startMedic(setup);
    const humans: { at: number; summary: string }[] = [];
    m.running.events.on('human', (e) => humans.push({ at: Date.now(), summary: e.summary }));
    const { healthyAt, floorMs } = await world.firstAnswer(m, 'telegram with no DNS');
    const { pid, restarts } = await m.status();

    const inc = await waitFor(async () => (await m.incidents()).find((i) => i.failure?.class === 'channel') ?? null, {
      timeoutMs: 300_000,
      intervalMs: 1_000,
      what: 'a channel incident (after OpenClaw grants the channel 120 s)',
    });
    expect(inc.failure).toMatchObject({ class: 'channel', culprit: 'telegram' });
    expect(inc.failure!.evidence[0]).toMatch(/^\/readyz 503: failing \[telegram\]/);
    // The one channels.start (CHANNEL_RESTART_MAX=1) does not bring it back: a person's step, in the same incident.
    const waiting = await world.waitStatus(m, "a person's step for telegram", (t) => t.incident?.state === 'waiting_human', 400_000);
    expect(waiting.incident?.id).toBe(inc.id);
    expect(humans).toHaveLength(1);
    expect(humans[0]!.summary).toMatch(/channel telegram not ready .*after 1 channels\.start/);
    const { timeline: before } = await m.incident(inc.id);
    expect(before.some((r) => /^channels\.start telegram: started/.test(r.text))).toBe(true);
    expect(humans[0]!.summary).toMatch(/Network request for '\w+' failed/); // the channel's own error, from the gateway's output
    expect((await m.incidents()).filter((i) => i.failure?.class === 'channel')).toHaveLength(1);
    expect({ pid: waiting.pid, restarts: waiting.restarts }).toEqual({ pid, restarts });

    // The person's fix: a reachable API (here the local fake), set the way a user would.
    const fixAt = Date.now();
    const set = await runCommand(`openclaw config set channels.telegram.apiRoot ${tg.url}`, { timeoutMs: 60_000, env: setup.env, cwd: setup.dir });
    expect(set.code).toBe(0);
    await waitFor(() => (tg!.calls.includes('getUpdates') ? true : null), { timeoutMs: 120_000, intervalMs: 500, what: 'telegram polling the fake' });
    const done = await waitFor(async () => (await m.incidents()).find((i) => i.id === inc.id && i.state !== 'open' && i.state !== 'waiting_human') ?? null, {
      timeoutMs: 400_000,
      intervalMs: 1_000,
      what: 'the channel incident to close',
    });
    expect(done).toMatchObject({ state: 'resolved', restarts: 0, outcome: 'channel telegram ready again' });
    const after = await m.status();
    expect({ pid: after.pid, restarts: after.restarts }).toEqual({ pid, restarts });
    const { timeline } = await m.incident(inc.id);
    await world.stopMedic(m);
    world.record({
      scenario: 'channel API unreachable (no DNS for the Telegram API)',
      faultToHealthyMs: (done.closedAt ?? fixAt) - fixAt,
      faultToResolvedMs: (done.closedAt ?? fixAt) - healthyAt,
      floorMs: 0,
      incidents: [{ id: done.id, outcome: done.outcome, maxLevel: done.maxLevel }],
      timeline: timeline.map((r) => `+${((r.at - healthyAt) / 1000).toFixed(1)}s [${r.kind}] ${r.text}`),
      classRow: classRow(done, timeline, {
        fault: '`channels.telegram.apiRoot` on a host that does not resolve (no DNS)',
        test: 'channel-down.test.ts',
        ms: humans[0]!.at - healthyAt,
        floorMs,
        note: `incident ${((inc.openedAt - healthyAt) / 1000).toFixed(1)} s after healthy (OpenClaw's 120 s connect grace), 1 channels.start (/readyz still 503), no gateway restart; after the person's \`openclaw config set channels.telegram.apiRoot …\` resolved in ${(((done.closedAt ?? fixAt) - fixAt) / 1000).toFixed(1)} s`,
      }),
      note: `incident at +${((inc.openedAt - healthyAt) / 1000).toFixed(1)} s, a person's step at +${((humans[0]!.at - healthyAt) / 1000).toFixed(1)} s, fix to resolved ${(((done.closedAt ?? fixAt) - fixAt) / 1000).toFixed(1)} s; same pid, no restart`,
    });
  });
});
