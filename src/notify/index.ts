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

  pending(): Record<string, number> {
    return Object.fromEntries(this.queues.map((q) => [q.name, q.pending()]));
  }

  async stop(): Promise<void> {
    await Promise.all(this.queues.map((q) => q.stop()));
  }
}
