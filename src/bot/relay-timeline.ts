/**
 * The timeline lines of one incident waiting for the relay: cut to message size, bounded (the
 * oldest are dropped and counted), and taken out in batches of one message, a summary line first
 * when some were dropped. Pure bookkeeping: the relay decides when a batch is written.
 */
import { LIMITS, splitMessage } from './render.js';

/** One message's worth of lines taken out of a timeline, to write or to put back. */
export interface TimelineBatch {
  content: string;
  /** The lines it carries (not the summary). */
  lines: string[];
  /** How many earlier lines its summary counts. */
  dropped: number;
}

export class Timeline {
  private pending: string[] = [];
  private dropped = 0;
  /** A flush of this timeline is queued or waiting on the clock. */
  scheduled = false;

  constructor(
    readonly key: string,
    readonly channel: () => string | null,
    private readonly maxPending: number,
  ) {}

  /** Lines waiting, or a summary still to send. */
  waiting(): boolean {
    return this.pending.length > 0 || this.dropped > 0;
  }

  /** Adds lines, each cut at a message's length; returns how many old lines were dropped to stay bounded. */
  push(lines: string[]): number {
    for (const line of lines) {
      for (let i = 0; i < line.length || i === 0; i += LIMITS.message) this.pending.push(line.slice(i, i + LIMITS.message));
    }
    return this.trim();
  }

  /** Takes the next message's worth of lines out, with the summary of dropped ones first. */
  take(): TimelineBatch | null {
    const dropped = this.dropped;
    const batch =
      dropped > 0
        ? [`… ${dropped} earlier steps not relayed here (Discord was slow or away); the full timeline: /incident ${this.key}`, ...this.pending]
        : this.pending;
    const [first, rest] = splitMessage(batch);
    if (!first) return null;
    // Lines are at most a message long (see `push`), so `rest` is a suffix of `pending`.
    const lines = this.pending.slice(0, this.pending.length - rest.length);
    this.pending = this.pending.slice(lines.length);
    this.dropped = 0;
    return { content: first, lines, dropped };
  }

  /** Puts a batch that could not be written back where it was, and its summary's count with it. */
  putBack(batch: TimelineBatch): number {
    this.pending = [...batch.lines, ...this.pending];
    this.dropped += batch.dropped;
    return this.trim();
  }

  private trim(): number {
    if (this.pending.length <= this.maxPending) return 0;
    const drop = this.pending.length - this.maxPending;
    this.pending.splice(0, drop);
    this.dropped += drop;
    return drop;
  }
}
