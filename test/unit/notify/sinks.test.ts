/**
 * Each alert adapter against a local fake of its service (a real HTTP server on 127.0.0.1):
 * the exact request each service documents, and how each failure is read.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { parseRetryAfter } from '../../../src/notify/http.js';
import { DeliveryError } from '../../../src/notify/port.js';
import { NtfyNotifier } from '../../../src/notify/sinks/ntfy.js';
import { PagerDutyNotifier } from '../../../src/notify/sinks/pagerduty.js';
import { SlackNotifier } from '../../../src/notify/sinks/slack.js';
import { TelegramNotifier } from '../../../src/notify/sinks/telegram.js';
import { WebhookNotifier } from '../../../src/notify/sinks/webhook.js';
import { alert, FakeReceiver } from './receiver.js';

const receivers: FakeReceiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});
async function receiver(): Promise<FakeReceiver> {
  const r = await new FakeReceiver().start();
  receivers.push(r);
  return r;
}
const signal = new AbortController().signal;

describe('generic webhook', () => {
  it('posts the alert as JSON, signed with HMAC-SHA256 of the exact body, its id in a header', async () => {
    const r = await receiver();
    const secret = 'a-webhook-secret-of-some-length';
    await new WebhookNotifier({ url: r.url('/hooks/clawmedic'), secret }).deliver(alert(), signal);
    const [got] = r.received;
    expect(got).toMatchObject({ method: 'POST', path: '/hooks/clawmedic' });
    expect(got!.headers['content-type']).toMatch(/^application\/json/);
    expect(got!.headers['x-clawmedic-delivery']).toBe('gw-1:human:abcd1234');
    const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(got!.body).digest('hex')}`);
    const signature = Buffer.from(String(got!.headers['x-clawmedic-signature']));
    expect(signature.length === expected.length && timingSafeEqual(signature, expected)).toBe(true);
    // Under another key the signature does not match.
    expect(String(got!.headers['x-clawmedic-signature'])).not.toBe(`sha256=${createHmac('sha256', 'other').update(got!.body).digest('hex')}`);
    expect(JSON.parse(got!.body)).toMatchObject({ source: 'clawmedic', id: 'gw-1:human:abcd1234', event: 'human', incidentId: 'gw-1', severity: 'critical', failureClass: 'plugin-crash' });
  });
});

describe('ntfy', () => {
  it('publishes JSON to the server root with the topic, title, priority and tags; a token as Bearer', async () => {
    const r = await receiver();
    await new NtfyNotifier({ url: r.url('/clawmedic-alerts-7f3a'), token: 'tk_secretsecret' }).deliver(alert(), signal);
    await new NtfyNotifier({ url: r.url('/clawmedic-alerts-7f3a'), token: null }).deliver(alert({ severity: 'info', event: 'resolved', title: 'ok' }), signal);
    const [a, b] = r.received;
    expect(a!.path).toBe('/');
    expect(a!.headers.authorization).toBe('Bearer tk_secretsecret');
    expect(JSON.parse(a!.body)).toEqual({
      topic: 'clawmedic-alerts-7f3a',
      title: '[gw] gw-1 needs a person: level 2 has nothing left to try',
      message: 'cause: gateway exited with code 1\nclass: plugin-crash',
      priority: 5,
      tags: ['rotating_light', 'clawmedic-human'],
    });
    expect(b!.headers.authorization).toBeUndefined();
    expect(JSON.parse(b!.body)).toMatchObject({ priority: 2, tags: ['white_check_mark', 'clawmedic-resolved'] });
  });
});

describe('Telegram Bot API', () => {
  it('calls sendMessage with the chat id and plain text', async () => {
    const r = await receiver();
    await new TelegramNotifier({ apiUrl: r.url(''), token: '123456:ABC-def_ghi-jkl', chatId: '-1001234567890' }).deliver(alert(), signal);
    const [got] = r.received;
    expect(got!.path).toBe('/bot123456:ABC-def_ghi-jkl/sendMessage');
    const body = JSON.parse(got!.body);
    expect(body).toMatchObject({ chat_id: '-1001234567890', disable_web_page_preview: true, disable_notification: false });
    expect(body.text).toBe('[gw] gw-1 needs a person: level 2 has nothing left to try\n\ncause: gateway exited with code 1\nclass: plugin-crash');
    expect(body.parse_mode).toBeUndefined();
  });

  it("reads Telegram's 429 retry_after, and keeps the token out of the error", async () => {
    const r = await receiver();
    r.status = 429;
    r.reply = '{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}}';
    const err = await new TelegramNotifier({ apiUrl: r.url(''), token: '123456:ABC-def_ghi-jkl', chatId: '1' }).deliver(alert(), signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeliveryError);
    expect(err).toMatchObject({ permanent: false, retryAfterMs: 7000 });
    expect((err as Error).message).not.toContain('ABC-def');
  });
});

describe('Slack incoming webhook', () => {
  it('posts text and blocks, with <, > and & escaped so a line cannot ping a channel', async () => {
    const r = await receiver();
    await new SlackNotifier({ url: r.url('/services/T000/B000/XXXX') }).deliver(alert({ title: 'boom <!channel> & <https://x|y>' }), signal);
    const body = JSON.parse(r.received[0]!.body);
    expect(body.text).toBe(':rotating_light: boom &lt;!channel&gt; &amp; &lt;https://x|y&gt;');
    expect(body.blocks).toHaveLength(2);
    expect(body.blocks[0]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: `*${body.text}*` } });
    expect(r.received[0]!.path).toBe('/services/T000/B000/XXXX');
  });
});

describe('PagerDuty Events v2', () => {
  it('triggers with a payload, then acknowledges and resolves the same dedup_key', async () => {
    const r = await receiver();
    r.status = 202;
    r.reply = '{"status":"success","message":"Event processed","dedup_key":"clawmedic/gw-1"}';
    const pd = new PagerDutyNotifier({ url: r.url('/v2/enqueue'), routingKey: 'R0UT1NGKEY0123456789abcdef012345', source: 'clawmedic@host' });
    await pd.deliver(alert(), signal);
    await pd.deliver(alert({ id: 'gw-1:ack:a1', event: 'acknowledged', severity: 'info', needsHuman: false }), signal);
    await pd.deliver(alert({ id: 'gw-1:resolved:1', event: 'resolved', closes: true, severity: 'info' }), signal);
    const [trigger, ack, resolve] = r.bodies();
    expect(trigger).toEqual({
      routing_key: 'R0UT1NGKEY0123456789abcdef012345',
      event_action: 'trigger',
      dedup_key: 'clawmedic/gw-1',
      payload: {
        summary: '[gw] gw-1 needs a person: level 2 has nothing left to try',
        source: 'clawmedic@host',
        severity: 'critical',
        component: 'gw',
        group: 'clawmedic',
        class: 'plugin-crash',
        custom_details: { text: 'cause: gateway exited with code 1\nclass: plugin-crash', level: 4, incident: 'gw-1', alert: 'gw-1:human:abcd1234' },
      },
    });
    expect(ack).toEqual({ routing_key: 'R0UT1NGKEY0123456789abcdef012345', event_action: 'acknowledge', dedup_key: 'clawmedic/gw-1' });
    expect(resolve).toEqual({ routing_key: 'R0UT1NGKEY0123456789abcdef012345', event_action: 'resolve', dedup_key: 'clawmedic/gw-1' });
  });
});

describe('how a failed delivery is read', () => {
  it('400 is permanent, 503 is retried, 429 carries Retry-After, a dead server is retried', async () => {
    const r = await receiver();
    const hook = new WebhookNotifier({ url: r.url('/h'), secret: 'x'.repeat(16) });
    r.status = 400;
    await expect(hook.deliver(alert(), signal)).rejects.toMatchObject({ permanent: true });
    r.status = 503;
    await expect(hook.deliver(alert(), signal)).rejects.toMatchObject({ permanent: false, retryAfterMs: null });
    r.status = 429;
    r.headers = { 'retry-after': '3' };
    await expect(hook.deliver(alert(), signal)).rejects.toMatchObject({ permanent: false, retryAfterMs: 3000 });
    r.down = true;
    await expect(hook.deliver(alert(), signal)).rejects.toMatchObject({ permanent: false });
    expect(parseRetryAfter(new Date(Date.now() + 5000).toUTCString())).toBeGreaterThan(3000);
    expect(parseRetryAfter(null)).toBeNull();
  });
});
