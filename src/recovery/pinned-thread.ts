/**
 * Whether the gateway's main thread (Node's event loop) is pinned: it has wanted the CPU without a
 * pause (`PINNED_SHARE` of the time or more, run-queue waits included: see readMainThreadDemandNs)
 * since some moment. An event loop that waits for I/O sleeps, so an answering gateway is pinned only
 * while it computes; a `while (true) {}` is pinned until it is killed. What a stretch means is the
 * ladder's to say (liveness.ts): here it is only measured, from the supervisor's /proc readings.
 */

/** Pinned: the main thread wanted at least this share of the time between two readings. */
export const PINNED_SHARE = 0.9;
/** A reading this soon after the previous one says nothing new (a tick slipped, or a second look). */
const MIN_SPAN_MS = 100;

export class PinnedThread {
  /** The last reading kept: when, and the thread's demand so far (ns). */
  private last: { at: number; ns: number } | null = null;
  /** The start of the current pinned stretch (the reading before its first pinned span), or null. */
  private since: number | null = null;
  /** The current stretch was already told about (see `sample`). */
  private told = false;

  /**
   * Takes a reading (`ns`: the main thread's demand so far, null: unreadable). Returns how long the
   * thread has been pinned when this reading makes the stretch reach `tellAfterMs` for the first time,
   * else null: a stretch is told about once.
   */
  sample(at: number, ns: number | null, tellAfterMs: number): number | null {
    if (ns === null) {
      this.reset();
      return null;
    }
    const last = this.last;
    if (last !== null && at - last.at < MIN_SPAN_MS) return null;
    this.last = { at, ns };
    if (last === null) return null;
    if (!pinnedBetween(last, { at, ns })) {
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
   * How long the thread has been pinned as of the reading `ns` taken at `at` (not kept): the stretch
   * so far when the span since the last kept reading is pinned too (or too short to tell), else 0.
   */
  pinnedMs(at: number, ns: number | null): number {
    const last = this.last;
    if (this.since === null || last === null || ns === null) return 0;
    if (at - last.at >= MIN_SPAN_MS && !pinnedBetween(last, { at, ns })) return 0;
    return Math.max(0, at - this.since);
  }

  /** Readings of another process, or none: the stretch starts over. */
  reset(): void {
    this.last = null;
    this.since = null;
    this.told = false;
  }
}

function pinnedBetween(a: { at: number; ns: number }, b: { at: number; ns: number }): boolean {
  const spanMs = b.at - a.at;
  return spanMs > 0 && (b.ns - a.ns) / 1e6 / spanMs >= PINNED_SHARE;
}
