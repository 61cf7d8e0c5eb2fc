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
import type { MessagePayload } from './render.js';
import { isPermanent, type Priority, type RelayOptions, type RelayStats } from './relay-options.js';
import { Timeline } from './relay-timeline.js';

export { isPermanent, type Priority, type RelayOptions, type RelaySink, type RelayStats } from './relay-options.js';

const PRIORITY: Record<Priority, number> = { approval: 1, alert: 2, card: 4, timeline: 6 };

interface Card {
  channelId: string;
  messageId: string | null;
  threadId: string | null;
  thread: string | null;
  payload: MessagePayload;
  dirty: boolean;
  scheduled: boolean;
  lastSentAt: number;
  /** After a failed write: no retry before this time (backoff). */
  retryAt: number;
  onCreated: ((ids: { messageId: string; threadId: string | null }) => void) | null;
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
  /** Spacing of writes (ms between two starts), kept on the clock rather than Bottleneck's real timers. */
  private readonly minGap: number;
  private nextWriteAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly o: RelayOptions) {
    this.clock = o.clock ?? systemClock;
    this.minGap = Math.ceil(1000 / (o.ratePerSecond ?? 4));
    // Bottleneck orders the writes (priority, one at a time); `write` spaces them on the clock.
    this.limiter = new Bottleneck({ maxConcurrent: 1 });
  }

  /**
   * Queues a write at `priority`. It starts once the one before it is done and at least `minGap`
   * after that one started (what Bottleneck's minTime does, but on the relay's clock).
   */
  private write<T>(priority: number, fn: () => Promise<T>): Promise<T> {
    return this.limiter.schedule({ priority }, async () => {
      const wait = this.nextWriteAt - this.clock.now();
      if (wait > 0) await this.clock.sleep(wait);
      this.nextWriteAt = this.clock.now() + this.minGap;
      return fn();
    });
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
        retryAt: 0,
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
        const out = await this.write(PRIORITY[priority], write);
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
    const now = this.clock.now();
    const wait = Math.max(delay, card.lastSentAt + (this.o.coalesceMs ?? 1000) - now, card.retryAt - now);
    const run = () =>
      void this.write(PRIORITY.card, () => this.flushCard(key, card)).catch(() => {});
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
        // flushCard schedules the retry; it waits out the backoff, not just the coalescing window.
        card.dirty = true;
        card.retryAt = this.clock.now() + this.retryDelay();
      }
    }
  }

  private scheduleLines(t: Timeline, delay: number): void {
    if (t.scheduled || this.stopped) return;
    t.scheduled = true;
    const run = () =>
      void this.write(PRIORITY.timeline, () => this.flushLines(t)).catch(() => {});
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
