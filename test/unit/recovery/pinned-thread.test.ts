/**
 * The pinned-thread reading (pinned-thread.ts): a stretch in which the main thread wanted the CPU
 * >= 90 % of the time between readings, told once when it reaches a length, and measured fresh.
 */
import { describe, expect, it } from 'vitest';
import { PinnedThread } from '../../../src/recovery/pinned-thread.js';

const MS = 1e6; // ns per ms
/** A reading: demand so far (ns), no voluntary switch since the start unless `switches` says so. */
const r = (demandNs: number, switches: number | null = 7) => ({ demandNs, voluntarySwitches: switches });

describe('PinnedThread', () => {
  it('is not pinned across a voluntary context switch: a start starved of CPU wants it all, but waits now and then', () => {
    const p = new PinnedThread();
    p.sample(0, r(0, 10), 1_000);
    expect(p.sample(500, r(500 * MS, 10), 1_000)).toBeNull();
    expect(p.pinnedMs(500, r(500 * MS, 10))).toBe(500);
    expect(p.sample(1_000, r(1_000 * MS, 11), 1_000)).toBeNull(); // it waited once
    expect(p.pinnedMs(1_000, r(1_000 * MS, 11))).toBe(0);
    // Unknown switches: the demand alone says it.
    const q = new PinnedThread();
    q.sample(0, r(0, null), 500);
    expect(q.sample(500, r(500 * MS, null), 500)).toBe(500);
  });

  it('starts a stretch at the reading before its first pinned span and tells it once when it reaches the length', () => {
    const p = new PinnedThread();
    expect(p.sample(0, r(0), 1_000)).toBeNull();
    expect(p.sample(500, r(10 * MS), 1_000)).toBeNull(); // 2 %: idle
    expect(p.sample(1_000, r(510 * MS), 1_000)).toBeNull(); // pinned since 500
    expect(p.pinnedMs(1_000, r(510 * MS))).toBe(500);
    expect(p.sample(1_500, r(1_000 * MS), 1_000)).toBe(1_000); // 98 %
    expect(p.sample(2_000, r(1_500 * MS), 1_000)).toBeNull(); // told already
    expect(p.pinnedMs(2_300, r(1_800 * MS))).toBe(1_800);
  });

  it('ends the stretch at a span under 90 %, and a fresh reading that is not pinned says 0', () => {
    const p = new PinnedThread();
    p.sample(0, r(0), 1_000);
    p.sample(500, r(500 * MS), 1_000);
    expect(p.pinnedMs(900, r(500 * MS + 100 * MS))).toBe(0); // 25 % since the last reading
    expect(p.sample(1_000, r(800 * MS), 1_000)).toBeNull(); // 60 %
    expect(p.pinnedMs(1_000, r(800 * MS))).toBe(0);
    // A new stretch is told again.
    expect(p.sample(1_500, r(1_300 * MS), 1_000)).toBeNull();
    expect(p.sample(2_000, r(1_800 * MS), 1_000)).toBe(1_000);
  });

  it('counts waiting for a CPU (a loaded machine) as wanting it, and forgets everything on an unreadable thread', () => {
    const p = new PinnedThread();
    p.sample(0, r(0), 500);
    expect(p.sample(500, r(480 * MS), 500)).toBe(500);
    expect(p.sample(1_000, null, 500)).toBeNull();
    expect(p.pinnedMs(1_200, r(1_000 * MS))).toBe(0);
  });
});
