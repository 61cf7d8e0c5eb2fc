/**
 * Whether the gateway's main thread (Node's event loop) is pinned: since some moment it has wanted the
 * CPU without a pause (`PINNED_SHARE` of the time or more, run-queue waits included) and never gave it
 * up by itself (no voluntary context switch: it never waited, see readMainThread). An event loop that
 * waits for I/O sleeps, so an answering gateway is pinned only while it computes; a `while (true) {}` is
 * pinned until it is killed. OpenClaw's start-up on a machine at load 26 wanted the CPU all the time
 * for 3 s too (starved: it ran 10-15 % of it), but it gave the CPU up now and then: the switches tell
 * the two apart. What a stretch means is the ladder's to say (liveness.ts): here it is only measured,
 * from the supervisor's /proc readings.
 */
import type { MainThreadReading } from '../lib/process-table.js';


/** Pinned: the main thread wanted at least this share of the time between two readings. */
export const PINNED_SHARE = 0.9;
/** A reading this soon after the previous one says nothing new (a tick slipped, or a second look). */
const MIN_SPAN_MS = 100;

export class PinnedThread {
  /** The last reading kept, and when. */
  private last: (MainThreadReading & { at: number }) | null = null;
  /** The start of the current pinned stretch (the reading before its first pinned span), or null. */
  private since: number | null = null;
  /** The current stretch was already told about (see `sample`). */
  private told = false;

  /**
   * Takes a reading of the main thread (null: unreadable). Returns how long the
   * thread has been pinned when this reading makes the stretch reach `tellAfterMs` for the first time,
   * else null: a stretch is told about once.
   */
  sample(at: number, reading: MainThreadReading | null, tellAfterMs: number): number | null {
    if (reading === null) {
      this.reset();
      return null;
    }
    const last = this.last;
    if (last !== null && at - last.at < MIN_SPAN_MS) return null;
    this.last = { at, ...reading };
    if (last === null) return null;
    if (!pinnedBetween(last, this.last)) {
      this.since = null;
      this.told = false;
      return null;
    }
    this.since ??= last.at;
    const ms = at - this.since;
    if (this.told || ms < tellAfterMs) return null;
    this.told = true;
    return ms;
  }

  /**
   * How long the thread has been pinned as of the reading taken at `at` (not kept): the stretch so far
   * when the span since the last kept reading is pinned too (or too short to tell), else 0.
   */
  pinnedMs(at: number, reading: MainThreadReading | null): number {
    const last = this.last;
    if (this.since === null || last === null || reading === null) return 0;
    if (at - last.at >= MIN_SPAN_MS && !pinnedBetween(last, { at, ...reading })) return 0;
    return Math.max(0, at - this.since);
  }

  /** Readings of another process, or none: the stretch starts over. */
  reset(): void {
    this.last = null;
    this.since = null;
    this.told = false;
  }
}

function pinnedBetween(a: MainThreadReading & { at: number }, b: MainThreadReading & { at: number }): boolean {
  const spanMs = b.at - a.at;
  if (spanMs <= 0 || (b.demandNs - a.demandNs) / 1e6 / spanMs < PINNED_SHARE) return false;
  // It waited for something (I/O, a timer): not a loop that spins, however busy.
  return a.voluntarySwitches === null || b.voluntarySwitches === null || b.voluntarySwitches === a.voluntarySwitches;
}
