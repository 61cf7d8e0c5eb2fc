/**
 * Alerts beyond Discord from the real medic (the composition root, real gateway processes), each
 * channel against a local fake of its service: what each receives through an incident to level
 * 4, secrets masked, a channel down then back (also across a medic restart) loses nothing and
 * repeats nothing, and the fallback path while the (fake) Discord is down or refuses the token.
 */
import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../src/notify/alert.js';
import { E2eWorld, healthyAndCalm, type MedicUnderTest } from '../e2e/harness.js';
import { FakeDiscord } from '../fixtures/fake-discord/index.js';
import { discordEnvFor, FAST_BOT_OPTIONS } from '../fixtures/fake-discord/medic-config.js';
import { captureLogger, waitFor } from '../fixtures/gateways.js';
import { runMedic } from '../../src/main.js';
import { FakeReceiver } from '../unit/notify/receiver.js';
import { scrape } from '../unit/observe/prom-text.js';

const world = new E2eWorld();
const receivers: FakeReceiver[] = [];
let fake: FakeDiscord | undefined;
afterEach(async () => {
  await world.cleanup();
  await fake?.stop();
  fake = undefined;
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

async function receiver(): Promise<FakeReceiver> {
  const r = await new FakeReceiver().start();
  receivers.push(r);
  return r;
}

const SECRET = 'gwtok-5f0c1e9a7b3d4c2e8f6a1b0c9d8e7f6a';
const HOOK_SECRET = 'hook-secret-0123456789abcdef';
const TG_TOKEN = '123456:ABC-telegram-token-xyz';
const PD_KEY = 'R0UT1NGKEY0123456789abcdef012345';
/** A gateway that prints its token and dies at every start: the ladder goes to a person. */
const LEAKY_CRASH = 'echo "Gateway failed to start: auth token $OPENCLAW_GATEWAY_TOKEN refused"; exit 1';

const ids = (r: FakeReceiver) => r.bodies<Alert>().map((a) => a.id);

describe('alerts beyond Discord', () => {
  it('each channel gets what its mode says, in its service shape, secrets masked, PagerDuty triggered then resolved', async () => {
    const [hook, ntfy, tg, slack, pd] = await Promise.all([receiver(), receiver(), receiver(), receiver(), receiver()]);
    pd.status = 202;
    const m = await world.start(
      { mode: 'ok' },
      {
        GATEWAY_COMMAND: LEAKY_CRASH,
        OPENCLAW_GATEWAY_TOKEN: SECRET,
        ALERT_RATE_PER_MINUTE: '600',
        ALERT_WEBHOOK_URL: hook.url('/clawmedic'),
        ALERT_WEBHOOK_SECRET: HOOK_SECRET,
        ALERT_NTFY_URL: ntfy.url('/ops-alerts-topic'),
        ALERT_TELEGRAM_BOT_TOKEN: TG_TOKEN,
        ALERT_TELEGRAM_CHAT_ID: '-100200300',
        ALERT_TELEGRAM_API_URL: tg.url(''),
        ALERT_SLACK_WEBHOOK_URL: slack.url('/services/T1/B2/slacksecretslacksecret'),
        ALERT_SLACK_MODE: 'level4',
        ALERT_PAGERDUTY_ROUTING_KEY: PD_KEY,
        ALERT_PAGERDUTY_URL: pd.url('/v2/enqueue'),
      },
    );
    await m.waitStatus('waiting for a person', (t) => t.incident?.state === 'waiting_human');
    await waitFor(() => pd.received.length === 1 && slack.received.length === 1 && ids(hook).some((id) => id.includes(':human:')), {
      what: 'the level-4 alerts',
    });
    await m.running.medic.target('gw').abort('ops:carol', 'taking it from here');
    await waitFor(() => pd.received.length === 2 && slack.received.length === 2 && ids(hook).some((id) => id.startsWith('gw-1:aborted')), {
      what: 'the closing alerts',
    });

    // Webhook (always): every step, each once, each signed.
    const hookIds = ids(hook);
    expect(new Set(hookIds).size).toBe(hookIds.length);
    expect(hookIds[0]).toBe('gw-1:opened');
    expect(hookIds).toContain('gw-1:level2');
    expect(hookIds.filter((id) => id.startsWith('gw-1:human:')).length).toBeGreaterThanOrEqual(1);
    for (const r of hook.received) {
      expect(r.headers['x-clawmedic-signature']).toBe(`sha256=${createHmac('sha256', HOOK_SECRET).update(r.body).digest('hex')}`);
    }
    const human = hook.bodies<Alert>().find((a) => a.event === 'human')!;
    expect(human).toMatchObject({ incidentId: 'gw-1', target: 'gw', severity: 'critical', needsHuman: true, level: 4 });
    expect(human.text).toContain('auth token [REDACTED] refused');

    // ntfy and Telegram (always) got the same alerts as the webhook.
    expect(ntfy.bodies<{ topic: string; title: string }>().map((b) => b.title)).toEqual(hook.bodies<Alert>().map((a) => a.title));
    expect(ntfy.bodies<{ topic: string }>()[0]!.topic).toBe('ops-alerts-topic');
    expect(tg.received.every((r) => r.path === `/bot${TG_TOKEN}/sendMessage`)).toBe(true);
    expect(tg.bodies<{ chat_id: string }>().every((b) => b.chat_id === '-100200300')).toBe(true);
    expect(tg.received).toHaveLength(hook.received.length);

    // Slack and PagerDuty (level4): the person-needed alert and the closing, nothing before.
    expect(slack.bodies<{ text: string }>().map((b) => b.text)).toEqual([
      expect.stringMatching(/^:rotating_light: \[gw\] gw-1 needs a person: /),
      expect.stringMatching(/^:white_check_mark: \[gw\] gw-1 aborted: aborted by ops:carol/),
    ]);
    const [trigger, resolve] = pd.bodies<{ event_action: string; dedup_key: string; routing_key: string; payload?: { severity: string; component: string } }>();
    expect(trigger).toMatchObject({ event_action: 'trigger', dedup_key: 'clawmedic/gw-1', routing_key: PD_KEY, payload: { severity: 'critical', component: 'gw' } });
    expect(resolve).toEqual({ event_action: 'resolve', dedup_key: 'clawmedic/gw-1', routing_key: PD_KEY });

    // Nothing any service received carries the gateway's token; no log line carries a channel's secret.
    for (const r of [hook, ntfy, tg, slack, pd]) for (const got of r.received) expect(got.body).not.toContain(SECRET);
    const logs = JSON.stringify(m.log.entries);
    for (const s of [SECRET, HOOK_SECRET, TG_TOKEN, 'slacksecretslacksecret']) expect(logs).not.toContain(s);

    const metrics = await scrape(`http://127.0.0.1:${m.apiPort}/metrics`);
    expect(metrics.value('clawmedic_alerts_sent_total', { channel: 'pagerduty' })).toBe(2);
    expect(metrics.value('clawmedic_alerts_pending', { channel: 'webhook' })).toBe(0);
  });

  it('a channel that is down loses nothing: retried while the medic runs, kept across its restart, each alert once', async () => {
    const hook = await receiver();
    hook.down = true;
    const setup = await world.envFor({ mode: 'ok' }, { ALERT_RATE_PER_MINUTE: '600', ALERT_WEBHOOK_URL: hook.url('/h'), ALERT_WEBHOOK_SECRET: HOOK_SECRET });
    const first = await world.startWith(setup);
    const killAndRecover = async (m: MedicUnderTest) => {
      const before = await m.waitStatus('healthy', healthyAndCalm);
      process.kill(before.pid!, 'SIGKILL');
      await m.waitStatus('recovered', (t) => healthyAndCalm(t) && t.pid !== before.pid);
    };
    await killAndRecover(first);
    await waitFor(() => first.running.alerting.pending().webhook === 2, { what: 'two alerts pending' });
    expect(hook.received).toHaveLength(0);
    await first.running.stop();

    // The receiver is back; a new medic on the same data dir delivers what the first one kept.
    hook.down = false;
    const second = await world.startWith(setup);
    await waitFor(() => hook.received.length >= 2 && second.running.alerting.pending().webhook === 0, { what: 'the kept alerts' });
    expect(ids(hook)).toEqual(['gw-1:opened', expect.stringMatching(/^gw-1:resolved:\d+$/)]);

    // Down again while this medic runs: retried with backoff, delivered once it answers.
    hook.down = true;
    await killAndRecover(second);
    await waitFor(() => second.running.alerting.pending().webhook === 2, { what: 'the new alerts pending' });
    hook.down = false;
    await waitFor(() => second.running.alerting.pending().webhook === 0, { what: 'the retried alerts', timeoutMs: 20_000 });
    expect(ids(hook)).toEqual(['gw-1:opened', expect.stringMatching(/^gw-1:resolved:/), 'gw-2:opened', expect.stringMatching(/^gw-2:resolved:/)]);
    const failed = await scrape(`http://127.0.0.1:${second.apiPort}/metrics`);
    expect(failed.value('clawmedic_alerts_failed_total', { channel: 'webhook' })).toBeGreaterThan(0);
  });

  it('fallback: used while Discord is unreachable or refuses the token, silent while it works; the Discord thread catches up', async () => {
    fake = await FakeDiscord.start();
    await fake.setDown(true);
    const ntfy = await receiver();
    const setup = await world.envFor({ mode: 'ok' }, { ...discordEnvFor(fake), ALERT_RATE_PER_MINUTE: '600', ALERT_NTFY_URL: ntfy.url('/fallback-topic'), ALERT_NTFY_MODE: 'fallback' });
    const running = await runMedic({ env: setup.env, log: captureLogger(), bot: FAST_BOT_OPTIONS });
    const status = () => {
      const t = running.medic.status().targets[0]!;
      if (t.pid !== null) world.janitor.track(t.pid);
      return t;
    };
    try {
      const kill = async () => {
        const before = await waitFor(() => (healthyAndCalm(status()) ? status() : null), { what: 'healthy', timeoutMs: 20_000 });
        process.kill(before.pid!, 'SIGKILL');
        await waitFor(() => healthyAndCalm(status()) && status().pid !== before.pid, { what: 'recovered', timeoutMs: 20_000 });
      };
      await waitFor(() => running.bot!.status().state === 'unreachable', { what: 'Discord unreachable' });
      await kill();
      await waitFor(() => ntfy.received.length === 2, { what: 'the fallback alerts' });
      expect(ntfy.bodies<{ title: string }>().map((b) => b.title)).toEqual([
        expect.stringMatching(/^\[gw\] incident gw-1 opened: /),
        expect.stringMatching(/^\[gw\] gw-1 resolved after /),
      ]);

      // Discord back: the bot catches up (the incident's card), the fallback stays quiet.
      await fake.setDown(false);
      await waitFor(() => running.bot!.status().state === 'connected', { what: 'Discord connected', timeoutMs: 20_000 });
      await waitFor(() => fake!.channelMessages(fake!.channelId).some((msg) => msg.embeds?.[0]?.title?.includes('gw-1')), { what: 'the card of gw-1' });
      // Discord answers the next card with a 429: the bot waits and posts it, /metrics counts it.
      fake.inject429('POST /channels/:id/messages', 1, 0.2);
      await kill();
      await waitFor(() => fake!.channelMessages(fake!.channelId).some((msg) => msg.embeds?.[0]?.title?.includes('gw-2')), { what: 'the card of gw-2' });
      expect(ntfy.received).toHaveLength(2);
      const metrics = await scrape(`http://127.0.0.1:${setup.apiPort}/metrics`);
      expect(metrics.value('clawmedic_discord_rate_limited_total')).toBeGreaterThanOrEqual(1);
      expect(metrics.value('clawmedic_discord_link_state', { state: 'connected' })).toBe(1);
      expect(metrics.value('clawmedic_discord_writes_total', { result: 'sent' })).toBeGreaterThan(0);

      // The token refused: the fallback carries the alerts again.
      fake.revokeToken();
      await waitFor(() => running.bot!.status().state === 'auth-failed', { what: 'auth-failed' });
      await kill();
      await waitFor(() => ntfy.received.length === 4, { what: 'the fallback alerts after the token was refused' });
      expect(ntfy.bodies<{ title: string }>().slice(2).map((b) => b.title)).toEqual([
        expect.stringMatching(/^\[gw\] incident gw-3 opened: /),
        expect.stringMatching(/^\[gw\] gw-3 resolved after /),
      ]);
    } finally {
      await running.stop();
    }
  });
});
