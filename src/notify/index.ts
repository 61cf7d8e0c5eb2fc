/**
 * Alerts beyond Discord: one `Notifier` adapter per configured channel (sinks/), each behind its
 * own durable queue (channel-queue.ts), fed by one router (router.ts). Built by the composition root.
 */
import { hostname } from 'node:os';
import type { AlertChannelConfig, AlertsConfig } from '../config/alerts.js';
import type { Redactor } from '../lib/redact.js';
import type { MedicEvents } from '../recovery/events.js';
import type { Clock, Logger, Store } from '../recovery/ports.js';
import type { Alert } from './alert.js';
import { ChannelQueue, type ChannelQueueOptions } from './channel-queue.js';
import type { DeliveryError, Notifier } from './port.js';
import { AlertRouter, type DiscordState } from './router.js';
import { NtfyNotifier } from './sinks/ntfy.js';
import { PagerDutyNotifier } from './sinks/pagerduty.js';
import { SlackNotifier } from './sinks/slack.js';
import { TelegramNotifier } from './sinks/telegram.js';
import { WebhookNotifier } from './sinks/webhook.js';

export type { Alert } from './alert.js';
export type { Notifier } from './port.js';
export { DeliveryError } from './port.js';

/** The adapter for one configured channel. */
export function createNotifier(c: AlertChannelConfig, source = hostname()): Notifier {
  switch (c.kind) {
    case 'webhook':
      return new WebhookNotifier({ url: c.url, secret: c.secret ?? '' });
    case 'ntfy':
      return new NtfyNotifier({ url: c.url, token: c.secret });
    case 'telegram':
      return new TelegramNotifier({ apiUrl: c.url, token: c.secret ?? '', chatId: c.chatId ?? '' });
    case 'slack':
      return new SlackNotifier({ url: c.url });
    case 'pagerduty':
      return new PagerDutyNotifier({ url: c.url, routingKey: c.secret ?? '', source: `clawmedic@${source}` });
  }
}

export interface AlertingOptions {
  config: AlertsConfig;
  events: MedicEvents;
  store: Pick<Store, 'getValue' | 'setValue'>;
  clock: Clock;
  log: Logger;
  redactor: Redactor;
  /** The Discord link's state; null when there is no bot (then `fallback` channels are used). */
  discord: DiscordState;
  onDelivered?: (channel: string, alert: Alert) => void;
  onFailed?: (channel: string, alert: Alert, err: DeliveryError) => void;
  /** Retry tuning (tests). */
  retry?: Pick<ChannelQueueOptions, 'retryMinMs' | 'retryMaxMs'>;
}

export class Alerting {
  readonly queues: ChannelQueue[];
  readonly router: AlertRouter;

  constructor(private readonly o: AlertingOptions) {
    this.queues = o.config.channels.map(
      (c) =>
        new ChannelQueue({
          notifier: createNotifier(c),
          store: o.store,
          clock: o.clock,
          log: o.log,
          minIntervalMs: Math.ceil(60_000 / o.config.ratePerMinute),
          ...o.retry,
          onDelivered: (a) => o.onDelivered?.(c.kind, a),
          onFailed: (a, e) => o.onFailed?.(c.kind, a, e),
        }),
    );
    this.router = new AlertRouter(
      this.queues.map((queue, i) => ({ queue, mode: o.config.channels[i]!.mode })),
      o.discord,
      o.redactor,
      () => o.clock.now(),
    );
  }

  /** Loads what is pending, starts delivering, then subscribes (before the medic's first event). */
  async start(): Promise<void> {
    await Promise.all(this.queues.map((q) => q.start()));
    this.router.attach(this.o.events);
    if (this.queues.length) this.o.log.info(`alerts beyond Discord: ${this.o.config.channels.map((c) => `${c.kind} (${c.mode})`).join(', ')}`);
  }

  /**
   * The scheduled digest (src/report/digest-poster.ts) as an info alert: to `always` channels, to
   * `fallback` ones while Discord cannot carry it, never to `level4` ones or PagerDuty. Resolves once
   * the queues holding it are in the store (they deliver it, durably, from there).
   */
  async postDigest(d: { slot: number; from: number; to: number; incidents: number; resolved: number; markdown: string }): Promise<string[]> {
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    const took = this.router.route({
      id: `digest:${d.slot}`,
      event: 'digest',
      incidentId: '',
      target: '',
      priority: 'info',
      severity: 'info',
      needsHuman: false,
      closes: false,
      level: 0,
      failureClass: 'unclassified',
      title: `clawmedic digest ${day(d.from)} to ${day(d.to)}: ${d.incidents} incident(s), ${d.resolved} resolved`,
      text: d.markdown,
      at: this.o.clock.now(),
    });
    await Promise.all(this.queues.map((q) => q.saved()));
    return took;
  }

  /** Whether any channel can take the digest (a mode that carries news, not PagerDuty). */
  takesDigests(): boolean {
    return this.o.config.channels.some((c) => c.kind !== 'pagerduty' && c.mode !== 'level4');
  }

  pending(): Record<string, number> {
    return Object.fromEntries(this.queues.map((q) => [q.name, q.pending()]));
  }

  async stop(): Promise<void> {
    await Promise.all(this.queues.map((q) => q.stop()));
  }
}
