/** The relay's port to Discord, its options and its counters (see relay.ts). */
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../recovery/ports.js';
import type { MessagePayload } from './render.js';

export type Priority = 'approval' | 'alert' | 'card' | 'timeline';

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
  /** Every wait of the relay is on it: the spacing of writes, coalescing windows, retry backoff. Default: wall time. */
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
