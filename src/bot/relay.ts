/**
 * The one queue every Discord write goes through. It never floods Discord: a card is
 * edited at most once per `coalesceMs` whatever the number of updates (the latest wins),
 * timeline lines are batched into messages of at most 2000 characters, and the work
 * waiting is bounded. Approvals and alerts go before cards, cards before timeline lines.
 * When Discord fails (down, revoked token) the work is kept and retried with backoff;
 * the store, not this queue, is the source of truth.
 */
import Bottleneck from 'bottleneck';
import { systemClock, type Clock } from '../lib/clock.js';
import type { Logger } from '../recovery/ports.js';
import type { MessagePayload } from './render.js';
import { Timeline } from './relay-timeline.js';

export type Priority = 'approval' | 'alert' | 'card' | 'timeline';
const PRIORITY: Record<Priority, number> = { approval: 1, alert: 2, card: 4, timeline: 6 };

/** The few Discord calls the relay makes; the default adapter wraps discord.js. */
export interface RelaySink {
  send(channelId: string, payload: MessagePayload): Promise<string>;
  edit(channelId: string, messageId: string, payload: MessagePayload): Promise<void>;
  startThread(channelId: string, messageId: string, name: string): Promise<string>;
}

/** A failure Discord will answer the same way however often it is retried (4xx but 429). */
export function isPermanent(err: unknown): boolean {
  const status = (err as { status?: unknown }).status;
  return typeof status === 'number' && status >= 400 && status < 500 && status !== 429 && status !== 401;
}

export interface RelayOptions {
  sink: RelaySink;
  log: Logger;
  /** Coalescing windows and retry backoff wait on it. Default: wall time. (Bottleneck's own spacing of writes is real time.) */
  clock?: Clock;
  /** Writes per second at most, all channels together. Default 4. */
  ratePerSecond?: number;
  /** Minimum time between two edits of the same card. Default 1000 ms. */
  coalesceMs?: number;
  /** Pending timeline lines kept per thread; older ones are summarised. Default 300. */
  maxPendingLines?: number;
  /** Retry backoff after a failed write. Default 2 s doubling to 60 s. */
  retryMinMs?: number;
  retryMaxMs?: number;
}

interface Card {
  channelId: string;
  messageId: string | null;
  threadId: string | null;
  thread: string | null;
  payload: MessagePayload;
  dirty: boolean;
  scheduled: boolean;
  lastSentAt: number;
  onCreated: ((ids: { messageId: string; threadId: string | null }) => void) | null;
}

export interface RelayStats {
  sent: number;
  failed: number;
  coalesced: number;
  summarisedLines: number;
  queued: number;
  /**
   * Nothing waits to be written: no job queued or running, no card edit pending, no timeline line
   * waiting for its batch or its thread. What was handed to the relay is then in Discord.
   */
  idle: boolean;
}

export class Relay {
  private readonly limiter: Bottleneck;
  private readonly cards = new Map<string, Card>();
  private readonly threads = new Map<string, Timeline>();
  private readonly stats_: Omit<RelayStats, 'idle'> = { sent: 0, failed: 0, coalesced: 0, summarisedLines: 0, queued: 0 };
  private failures = 0;
  private stopped = false;
  /** Aborted on stop: every wait of the relay ends, and what it would have done is skipped. */
  private readonly stopping = new AbortController();
  private readonly clock: Clock;

  constructor(private readonly o: RelayOptions) {
    this.clock = o.clock ?? systemClock;
    this.limiter = new Bottleneck({ maxConcurrent: 1, minTime: Math.ceil(1000 / (o.ratePerSecond ?? 4)) });
  }

  stats(): RelayStats {
    const c = this.limiter.counts();
    return { ...this.stats_, queued: c.QUEUED + c.RECEIVED, idle: this.idle() };
  }

  private idle(): boolean {
    const c = this.limiter.counts();
    if (c.RECEIVED + c.QUEUED + c.RUNNING + c.EXECUTING > 0) return false;
    for (const card of this.cards.values()) if (card.dirty || card.scheduled) return false;
    for (const t of this.threads.values()) if (t.waiting() || t.scheduled) return false;
    return true;
  }

  /**
   * Creates the message `key` on first use (with a thread when `thread` names one), then keeps
   * it edited to the latest payload, coalesced.
   */
  upsert(
    key: string,
    channelId: string,
    payload: MessagePayload,
    options: { messageId?: string | null; threadId?: string | null; thread?: string | null; onCreated?: Card['onCreated'] } = {},
  ): void {
    let card = this.cards.get(key);
    if (!card) {
      card = {
        channelId,
        messageId: options.messageId ?? null,
        threadId: options.threadId ?? null,
        thread: options.thread ?? null,
        payload,
        dirty: true,
        scheduled: false,
        lastSentAt: 0,
        onCreated: options.onCreated ?? null,
      };
      this.cards.set(key, card);
    } else {
      if (card.dirty) this.stats_.coalesced += 1;
      card.payload = payload;
      card.dirty = true;
    }
    this.scheduleCard(key, card, 0);
  }

  /** The thread of card `key`, once it exists. */
  threadOf(key: string): string | null {
    return this.cards.get(key)?.threadId ?? null;
  }

  /** Timeline lines for a thread, batched; `channel()` returns null until the thread exists. */
  lines(key: string, channel: () => string | null, lines: string[]): void {
    let t = this.threads.get(key);
    if (!t) {
      t = new Timeline(key, channel, this.o.maxPendingLines ?? 300);
      this.threads.set(key, t);
    }
    this.stats_.summarisedLines += t.push(lines);
    this.scheduleLines(t, 0);
  }

  /**
   * A one-off message (an approval request, an alert), ahead of cards and timelines; retried
   * while Discord fails transiently. Resolves with the message id; rejects when Discord refuses it.
   */
  post(channelId: string, payload: MessagePayload, priority: Priority = 'alert'): Promise<string> {
    return this.retrying(`a message to ${channelId}`, priority, () => this.o.sink.send(channelId, payload));
  }

  /** An edit that must not be coalesced away (e.g. disabling answered approval buttons). */
  edit(channelId: string, messageId: string, payload: MessagePayload, priority: Priority = 'approval'): Promise<void> {
    return this.retrying(`an edit of ${messageId}`, priority, () => this.o.sink.edit(channelId, messageId, payload));
  }

  private async retrying<T>(what: string, priority: Priority, write: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        const out = await this.limiter.schedule({ priority: PRIORITY[priority] }, write);
        this.stats_.sent += 1;
        this.failures = 0;
        return out;
      } catch (err) {
        if (this.stopped || !this.failed(what, err)) throw err;
        await new Promise<void>((resolve) => this.later(this.retryDelay(), resolve));
      }
    }
  }

  /** Stops scheduling; waits up to `timeoutMs` for what is already queued. */
  async stop(timeoutMs = 2000): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.stopping.abort();
    const drained = new AbortController();
    await Promise.race([
      this.limiter.stop({ dropWaitingJobs: false }).finally(() => drained.abort()),
      this.clock.sleep(timeoutMs, drained.signal),
    ]);
  }

  /** Runs `fn` after `ms` on the clock, unless the relay stops first. */
  private later(ms: number, fn: () => void): void {
    if (this.stopped) return;
    void this.clock.sleep(ms, this.stopping.signal).then(() => {
      if (!this.stopped) fn();
    });
  }

  /** Backoff after the `failures`-th failure in a row: retryMinMs, doubling, capped. */
  private retryDelay(): number {
    const min = this.o.retryMinMs ?? 2000;
    return Math.min(this.o.retryMaxMs ?? 60_000, min * 2 ** Math.min(Math.max(this.failures - 1, 0), 10));
  }

  private failed(what: string, err: unknown): boolean {
    this.stats_.failed += 1;
    const message = err instanceof Error ? err.message : String(err);
    if (isPermanent(err)) {
      this.o.log.error(`Discord refused ${what}: ${message}`);
      return false;
    }
    this.failures += 1;
    this.o.log.warn(`Discord write failed (${what}): ${message}; retrying in ${(this.retryDelay() / 1000).toFixed(1)} s`);
    return true;
  }

  private scheduleCard(key: string, card: Card, delay: number): void {
    if (card.scheduled || this.stopped) return;
    card.scheduled = true;
    const wait = Math.max(delay, card.lastSentAt + (this.o.coalesceMs ?? 1000) - this.clock.now());
    const run = () =>
      void this.limiter
        .schedule({ priority: PRIORITY.card }, () => this.flushCard(key, card))
        .catch(() => {});
    if (wait > 0) this.later(wait, run);
    else run();
  }

  private async flushCard(key: string, card: Card): Promise<void> {
    try {
      await this.writeCard(key, card);
    } finally {
      // Cleared only now, so an update that arrived mid-write waits coalesceMs from this write.
      card.scheduled = false;
    }
    if (card.dirty || (card.thread && card.threadId === null)) this.scheduleCard(key, card, 0);
  }

  /** Creates the message, then its thread (each retried on its own), or edits the message. */
  private async writeCard(key: string, card: Card): Promise<void> {
    const wasCreated = card.messageId !== null && (card.thread === null || card.threadId !== null);
    try {
      if (card.messageId === null) {
        card.dirty = false;
        card.messageId = await this.o.sink.send(card.channelId, card.payload);
        this.stats_.sent += 1;
      } else if (card.dirty) {
        card.dirty = false;
        await this.o.sink.edit(card.channelId, card.messageId, card.payload);
        this.stats_.sent += 1;
      }
      if (card.thread && card.threadId === null) {
        card.threadId = await this.o.sink.startThread(card.channelId, card.messageId, card.thread);
        this.stats_.sent += 1;
      }
      this.failures = 0;
      card.lastSentAt = this.clock.now();
      if (!wasCreated) card.onCreated?.({ messageId: card.messageId, threadId: card.threadId });
    } catch (err) {
      card.lastSentAt = this.clock.now();
      const status = (err as { status?: unknown }).status;
      if (status === 404 && card.messageId !== null && card.threadId !== null) {
        // Someone deleted the card: post a new one (its thread stays where it is).
        this.o.log.warn(`the Discord card of ${key} is gone; posting it again`);
        card.messageId = null;
        card.dirty = true;
        return;
      }
      if (this.failed(`card ${key}`, err)) {
        card.dirty = true;
        this.later(this.retryDelay(), () => this.scheduleCard(key, card, 0));
      }
    }
  }

  private scheduleLines(t: Timeline, delay: number): void {
    if (t.scheduled || this.stopped) return;
    t.scheduled = true;
    const run = () =>
      void this.limiter
        .schedule({ priority: PRIORITY.timeline }, () => this.flushLines(t))
        .catch(() => {});
    if (delay > 0) this.later(delay, run);
    else run();
  }

  private async flushLines(t: Timeline): Promise<void> {
    t.scheduled = false;
    const channel = t.channel();
    if (channel === null) return this.scheduleLines(t, 500); // its thread does not exist yet
    const batch = t.take();
    if (!batch) return;
    try {
      await this.o.sink.send(channel, { content: batch.content, allowedMentions: { parse: [] } });
      this.stats_.sent += 1;
      this.failures = 0;
    } catch (err) {
      if (this.failed(`timeline of ${t.key}`, err)) {
        this.stats_.summarisedLines += t.putBack(batch);
        return this.scheduleLines(t, this.retryDelay());
      }
    }
    if (t.waiting()) this.scheduleLines(t, 0);
  }
}
