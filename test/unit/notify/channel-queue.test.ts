/**
 * One channel's durable queue against a real local receiver: a channel that is down loses
 * nothing (retried, then delivered, also across a restart of the medic), an alert is delivered
 * once whatever the replays, questions go before news.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/lib/clock.js';
import { memoryLogger } from '../../../src/logger.js';
import { ChannelQueue } from '../../../src/notify/channel-queue.js';
import { WebhookNotifier } from '../../../src/notify/sinks/webhook.js';
import { KeyvStore } from '../../../src/store/index.js';
import { waitFor } from '../../fixtures/gateways.js';
import { alert, FakeReceiver } from './receiver.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function setup() {
  const r = await new FakeReceiver().start();
  cleanup.push(() => r.close());
  const store = await KeyvStore.inMemory();
  cleanup.push(() => store.close());
  const log = memoryLogger();
  const make = () => {
    const q = new ChannelQueue({
      notifier: new WebhookNotifier({ url: r.url('/h'), secret: 's'.repeat(16) }),
      store,
      clock: systemClock,
      log,
      minIntervalMs: 1,
      retryMinMs: 20,
      retryMaxMs: 100,
    });
    cleanup.push(() => q.stop());
    return q;
  };
  return { r, store, log, make };
}

const ids = (r: FakeReceiver) => r.bodies<{ id: string }>().map((b) => b.id);

describe('ChannelQueue', () => {
  it('keeps alerts while the channel is down and delivers each once when it is back, questions first', async () => {
    const { r, log, make } = await setup();
    r.down = true;
    const q = make();
    await q.start();
    expect(q.enqueue(alert({ id: 'gw-1:opened', priority: 'info', at: 1 }))).toBe(true);
    await waitFor(() => log.lines.some((l) => l.msg.includes('webhook delivery failed')), { what: 'a failed delivery' });
    // Queued while down, behind the first: a question, and a human notice.
    expect(q.enqueue(alert({ id: 'gw-1:human:1', priority: 'alert', at: 2 }))).toBe(true);
    expect(q.enqueue(alert({ id: 'gw-1:approval:a1', priority: 'approval', at: 3 }))).toBe(true);
    expect(q.enqueue(alert({ id: 'gw-1:human:1', priority: 'alert', at: 4 }))).toBe(false); // the same alert again
    expect(q.pending()).toBe(3);
    r.down = false;
    await waitFor(() => q.pending() === 0, { what: 'the queue to drain' });
    // Each once; of those queued behind the first, the question first (the first may have been on its way already).
    expect(ids(r).sort()).toEqual(['gw-1:approval:a1', 'gw-1:human:1', 'gw-1:opened']);
    expect(ids(r).indexOf('gw-1:approval:a1')).toBeLessThan(ids(r).indexOf('gw-1:human:1'));
    // Replayed after delivery (a medic restart re-emits an open incident): not sent again.
    expect(q.enqueue(alert({ id: 'gw-1:opened', priority: 'info' }))).toBe(false);
    expect(log.lines.some((l) => l.msg === 'alerts: webhook reachable again')).toBe(true);
  });

  it('a digest (no incident) is delivered once, kept in the store before it is, and makes no incident known', async () => {
    const { r, store, make } = await setup();
    r.down = true;
    const q = make();
    await q.start();
    expect(q.enqueue(alert({ id: 'digest:1', event: 'digest', incidentId: '', priority: 'info' }))).toBe(true);
    await q.saved();
    expect((await store.getValue<{ pending: { id: string }[]; incidents: string[] }>('notify:webhook'))).toMatchObject({ pending: [{ id: 'digest:1' }], incidents: [] });
    expect(q.knows('')).toBe(false);
    r.down = false;
    await waitFor(() => q.pending() === 0, { what: 'the digest delivered' });
    expect(q.enqueue(alert({ id: 'digest:1', event: 'digest', incidentId: '', priority: 'info' }))).toBe(false);
    expect(ids(r)).toEqual(['digest:1']);
  });

  it('keeps what is pending in the store: a new medic delivers it, and remembers what was delivered', async () => {
    const { r, make } = await setup();
    r.down = true;
    const first = make();
    await first.start();
    first.enqueue(alert({ id: 'gw-2:opened', incidentId: 'gw-2', priority: 'info' }));
    first.enqueue(alert({ id: 'gw-2:resolved:9', incidentId: 'gw-2', priority: 'info', closes: true }));
    await first.stop();
    expect(r.received).toHaveLength(0);

    r.down = false;
    const second = make();
    await second.start();
    await waitFor(() => second.pending() === 0 && r.received.length === 2, { what: 'the pending alerts after a restart' });
    expect(ids(r).sort()).toEqual(['gw-2:opened', 'gw-2:resolved:9']);
    expect(second.knows('gw-2')).toBe(true);
    await second.stop();

    const third = make();
    await third.start();
    expect(third.enqueue(alert({ id: 'gw-2:opened' }))).toBe(false);
    expect(third.pending()).toBe(0);
  });

  it('drops an alert the service refuses for good (HTTP 400) and goes on with the next', async () => {
    const { r, log, make } = await setup();
    r.status = 400;
    const q = make();
    await q.start();
    q.enqueue(alert({ id: 'bad' }));
    await waitFor(() => q.pending() === 0, { what: 'the refused alert to go' });
    expect(log.lines.find((l) => l.level === 'error')?.msg).toMatch(/^alerts: webhook refused bad for good \(webhook: HTTP 400/);
    r.status = 200;
    q.enqueue(alert({ id: 'good' }));
    await waitFor(() => ids(r).includes('good'), { what: 'the next alert' });
  });
});
