/**
 * The scheduled digest from the real medic (the composition root, a real gateway process): at its
 * slot the fake Discord's incident channel and a webhook (a fake of the service, recording) each get
 * it once; a restart does not post it again; a medic that was down over the next slot posts that one
 * once when it is back. A week passes by a jump of the clock, not by waiting.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../src/notify/alert.js';
import { runMedic, type RunningMedic } from '../../src/main.js';
import { DIGEST_RECORD_KEY, type DigestRecord } from '../../src/report/digest-poster.js';
import { DEFAULT_DIGEST_SCHEDULE, nextSlot, previousSlot } from '../../src/report/schedule.js';
import { E2eWorld } from '../e2e/harness.js';
import { FakeDiscord } from '../fixtures/fake-discord/index.js';
import { discordEnvFor, FAST_BOT_OPTIONS } from '../fixtures/fake-discord/medic-config.js';
import { captureLogger, waitFor } from '../fixtures/gateways.js';
import { JumpClock } from '../fixtures/jump-clock.js';
import { FakeReceiver } from '../unit/notify/receiver.js';

const world = new E2eWorld();
let fake: FakeDiscord | undefined;
let hook: FakeReceiver | undefined;
let running: RunningMedic | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
  await world.cleanup();
  await fake?.stop();
  fake = undefined;
  await hook?.close();
  hook = undefined;
});

const SECRET = 'svc-digest-token-f00dfacecafebeef';

describe('the scheduled digest', () => {
  it('posted once at its slot to Discord and to an alert channel; not again after a restart; a slot slept through is posted once when back', async () => {
    fake = await FakeDiscord.start();
    hook = await new FakeReceiver().start();
    const setup = await world.envFor(
      { mode: 'ok' },
      { ...discordEnvFor(fake), ALERT_WEBHOOK_URL: hook.url('/hook'), ALERT_WEBHOOK_SECRET: 'hook-secret-0123456789abcdef', ALERT_RATE_PER_MINUTE: '600', OTHER_SERVICE_TOKEN: SECRET },
    );
    const clock = new JumpClock();
    const start = async () => {
      running = await runMedic({ env: setup.env, log: captureLogger(), clock, bot: FAST_BOT_OPTIONS });
      const r = running;
      await waitFor(() => r.bot!.status().state === 'connected', { what: 'the bot to connect' });
      return r;
    };
    const digests = () => fake!.channelMessages(fake!.channelId).filter((m) => m.content?.startsWith('# clawmedic digest:'));
    const hookDigests = () => hook!.bodies<Alert>().filter((a) => a.event === 'digest');

    let r = await start();
    const baseline = await waitFor(() => r.store.getValue<DigestRecord>(DIGEST_RECORD_KEY), { what: 'the baseline slot' });
    expect(baseline).toEqual({ slot: previousSlot(DEFAULT_DIGEST_SCHEDULE, clock.now()), pending: [] });
    // An incident in this week, with a secret in its cause as an older medic might have stored it.
    await r.store.saveIncident({
      id: 'gw-9', target: 'gw', openedAt: clock.now(), closedAt: clock.now() + 30_000, cause: `backup said ${SECRET}`, state: 'resolved', level: 0, maxLevel: 0,
      restarts: 1, doctorRuns: 0, tried: [], verifying: null, lastDiagnosis: null, retryAt: null, approval: null, outcome: '1 restart',
    });
    await new Promise((ok) => setTimeout(ok, 500));
    expect(digests()).toEqual([]);
    expect(hookDigests()).toEqual([]);

    const slot = nextSlot(DEFAULT_DIGEST_SCHEDULE, clock.now())!;
    clock.jump(slot - clock.now() + 1_000);
    const [posted] = await waitFor(() => (digests().length ? digests() : null), { what: 'the digest in the incident channel' });
    await waitFor(() => hookDigests().length > 0 || null, { what: 'the digest at the webhook' });
    expect(posted!.content).toContain('- Incidents: 1; resolved 1;');
    expect(posted!.content).not.toContain(SECRET);
    const [alert] = hookDigests();
    expect(alert).toMatchObject({ id: `digest:${slot}`, event: 'digest', priority: 'info' });
    expect(alert!.text).toContain('- Incidents: 1; resolved 1;');
    expect(alert!.text).not.toContain(SECRET);
    await waitFor(async () => (await r.store.getValue<DigestRecord>(DIGEST_RECORD_KEY))?.pending.length === 0 || null, { what: 'the slot recorded as posted' });

    // A restart: nothing posted again.
    await r.stop();
    running = undefined;
    r = await start();
    await new Promise((ok) => setTimeout(ok, 1_500));
    expect(digests()).toHaveLength(1);
    expect(hookDigests()).toHaveLength(1);

    // Down over the next slot: posted once, late, when the medic is back.
    await r.stop();
    running = undefined;
    clock.jump(7 * 86_400_000);
    r = await start();
    await waitFor(() => (digests().length === 2 && hookDigests().length === 2) || null, { what: 'the slot slept through, posted when back' });
    expect(hookDigests()[1]!.id).toBe(`digest:${nextSlot(DEFAULT_DIGEST_SCHEDULE, slot)}`);
    await new Promise((ok) => setTimeout(ok, 1_000));
    expect(digests()).toHaveLength(2);
    expect(hookDigests()).toHaveLength(2);
  });
});
