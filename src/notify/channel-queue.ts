/**
 * One channel's delivery queue: durable (what is pending survives a restart of the medic, in the
 * store), deduplicated (an alert id already delivered or waiting is dropped), rate limited (one
 * delivery per `minIntervalMs`), highest priority first, retried with backoff while the channel
 * is down. A single-flight loop on the injected clock; nothing the ladder does waits on it.
 */
import type { Clock, Logger, Store } from '../recovery/ports.js';
import { PRIORITY_ORDER, type Alert } from './alert.js';
import { DeliveryError, type Notifier } from './port.js';

export interface ChannelQueueOptions {
  notifier: Notifier;
  store: Pick<Store, 'getValue' | 'setValue'>;
  clock: Clock;
  log: Logger;
  /** Between two deliveries. */
  minIntervalMs: number;
  /** Backoff after a failed delivery: `retryMinMs` doubling to `retryMaxMs`. */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** Alerts kept waiting at most; past it the oldest news goes first, questions and pages last. */
  maxPending?: number;
  onDelivered?: (alert: Alert) => void;
  onFailed?: (alert: Alert, err: DeliveryError) => void;
}

export const DefaultChannelQueueOptions = {
  /** Default 2 s doubling to 5 min. */
  retryMinMs: 2_000,
  retryMaxMs: 300_000,
  /** Default 500 alerts waiting. */
  maxPending: 500,
} as const;

/** Ids remembered as delivered: enough to cover replays after a restart. */
const DELIVERED_KEPT = 2_000;
/** Incidents this channel has been told about (its closing alerts follow). */
const INCIDENTS_KEPT = 500;

interface Saved {
  pending: Alert[];
  delivered: string[];
  incidents: string[];
}

export class ChannelQueue {
  private state: Saved = { pending: [], delivered: [], incidents: [] };
  private delivered = new Set<string>();
  private readonly stopping = new AbortController();
  private wake: AbortController = new AbortController();
  private loop: Promise<void> | null = null;
  private saving: Promise<void> = Promise.resolve();
  private readonly key: string;

  constructor(private readonly o: ChannelQueueOptions) {
    this.key = `notify:${o.notifier.name}`;
  }

  get name(): string {
    return this.o.notifier.name;
  }

  /** Alerts waiting for delivery. */
  pending(): number {
    return this.state.pending.length;
  }

  /** Whether this channel was sent (or is sending) an alert of `incidentId`: its follow-ups go too. */
  knows(incidentId: string): boolean {
    return this.state.incidents.includes(incidentId);
  }

  /** Loads what a previous run left pending and starts delivering. */
  async start(): Promise<void> {
    const saved = await this.o.store.getValue<Saved>(this.key);
    if (saved) {
      // Anything queued before the load (an event during start-up) is kept after what was saved.
      const early = this.state.pending.filter((a) => !saved.pending?.some((s) => s.id === a.id) && !saved.delivered?.includes(a.id));
      this.state = { pending: [...(saved.pending ?? []), ...early], delivered: saved.delivered ?? [], incidents: [...new Set([...(saved.incidents ?? []), ...this.state.incidents])] };
    }
    this.delivered = new Set(this.state.delivered);
    if (this.state.pending.length) this.o.log.info(`alerts: ${this.state.pending.length} ${this.name} alert(s) left pending by the last run, delivering them`);
    this.loop = this.run();
  }

  /** Queues `alert` unless it was delivered or is waiting already; false when it was a duplicate. */
  enqueue(alert: Alert): boolean {
    if (this.delivered.has(alert.id) || this.state.pending.some((a) => a.id === alert.id)) return false;
    this.state.pending.push(alert);
    if (alert.incidentId && !this.state.incidents.includes(alert.incidentId)) this.state.incidents = [...this.state.incidents, alert.incidentId].slice(-INCIDENTS_KEPT);
    this.trim();
    this.save();
    this.wake.abort();
    return true;
  }

  /** Resolves once what was queued so far is in the store. */
  saved(): Promise<void> {
    return this.saving;
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
    await this.saving;
  }

  private trim(): void {
    const max = this.o.maxPending ?? DefaultChannelQueueOptions.maxPending;
    while (this.state.pending.length > max) {
      const order = [...this.state.pending].sort((a, b) => PRIORITY_ORDER[b.priority] - PRIORITY_ORDER[a.priority] || a.at - b.at);
      const drop = order[0]!;
      this.state.pending = this.state.pending.filter((a) => a !== drop);
      this.o.log.warn(`alerts: ${this.name} queue full: dropped ${drop.id} (${drop.title})`);
    }
  }

  /** Highest priority first, then oldest. */
  private next(): Alert | undefined {
    return [...this.state.pending].sort((a, b) => PRIORITY_ORDER[a.priority] - PRIORITY_ORDER[b.priority] || a.at - b.at)[0];
  }

  private save(): void {
    const snapshot: Saved = { ...this.state, delivered: [...this.delivered].slice(-DELIVERED_KEPT) };
    this.saving = this.saving
      .then(() => this.o.store.setValue(this.key, snapshot))
      .catch((err: Error) => this.o.log.error(`alerts: could not save the ${this.name} queue: ${err.message}`));
  }

  private async run(): Promise<void> {
    const { clock } = this.o;
    const min = this.o.retryMinMs ?? DefaultChannelQueueOptions.retryMinMs;
    const max = this.o.retryMaxMs ?? DefaultChannelQueueOptions.retryMaxMs;
    let failures = 0;
    while (!this.stopping.signal.aborted) {
      const alert = this.next();
      if (!alert) {
        this.wake = new AbortController();
        await clock.sleep(3_600_000, AbortSignal.any([this.stopping.signal, this.wake.signal]));
        continue;
      }
      try {
        await this.o.notifier.deliver(alert, this.stopping.signal);
        if (failures) this.o.log.info(`alerts: ${this.name} reachable again`);
        failures = 0;
        this.delivered.add(alert.id);
        this.state.pending = this.state.pending.filter((a) => a.id !== alert.id);
        this.save();
        this.o.onDelivered?.(alert);
        await clock.sleep(this.o.minIntervalMs, this.stopping.signal);
      } catch (err) {
        if (this.stopping.signal.aborted) break;
        const e = err instanceof DeliveryError ? err : new DeliveryError(String((err as Error)?.message ?? err), false, null, { cause: err });
        this.o.onFailed?.(alert, e);
        if (e.permanent) {
          this.o.log.error(`alerts: ${this.name} refused ${alert.id} for good (${e.message}); dropped`);
          this.state.pending = this.state.pending.filter((a) => a.id !== alert.id);
          this.save();
          continue;
        }
        const wait = e.retryAfterMs ?? Math.min(max, min * 2 ** failures);
        failures += 1;
        const say = failures === 1 ? this.o.log.warn : this.o.log.debug;
        say.call(this.o.log, `alerts: ${this.name} delivery failed (${e.message}); ${this.state.pending.length} pending, next try in ${Math.round(wait / 1000)} s`);
        await clock.sleep(wait, this.stopping.signal);
      }
    }
  }
}
