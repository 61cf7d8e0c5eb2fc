/**
 * The pinned-thread reading (pinned-thread.ts): a stretch in which the main thread wanted the CPU
 * >= 90 % of the time between readings, told once when it reaches a length, and measured fresh.
 */
import { describe, expect, it } from 'vitest';
import { PinnedThread } from '../../../src/recovery/pinned-thread.js';

const MS = 1e6; // ns per ms

describe('PinnedThread', () => {
  it('starts a stretch at the reading before its first pinned span and tells it once when it reaches the length', () => {
    const p = new PinnedThread();
    expect(p.sample(0, 0, 1_000)).toBeNull();
    expect(p.sample(500, 10 * MS, 1_000)).toBeNull(); // 2 %: idle
    expect(p.sample(1_000, 510 * MS, 1_000)).toBeNull(); // pinned since 500
    expect(p.pinnedMs(1_000, 510 * MS)).toBe(500);
    expect(p.sample(1_500, 1_000 * MS, 1_000)).toBe(1_000); // 98 %
    expect(p.sample(2_000, 1_500 * MS, 1_000)).toBeNull(); // told already
    expect(p.pinnedMs(2_300, 1_800 * MS)).toBe(1_800);
  });

  it('ends the stretch at a span under 90 %, and a fresh reading that is not pinned says 0', () => {
    const p = new PinnedThread();
    p.sample(0, 0, 1_000);
    p.sample(500, 500 * MS, 1_000);
    expect(p.pinnedMs(900, 500 * MS + 100 * MS)).toBe(0); // 25 % since the last reading
    expect(p.sample(1_000, 800 * MS, 1_000)).toBeNull(); // 60 %
    expect(p.pinnedMs(1_000, 800 * MS)).toBe(0);
    // A new stretch is told again.
    expect(p.sample(1_500, 1_300 * MS, 1_000)).toBeNull();
    expect(p.sample(2_000, 1_800 * MS, 1_000)).toBe(1_000);
  });

  it('counts waiting for a CPU (a loaded machine) as wanting it, and forgets everything on an unreadable thread', () => {
    const p = new PinnedThread();
    p.sample(0, 0, 500);
    expect(p.sample(500, 480 * MS, 500)).toBe(500);
    expect(p.sample(1_000, null, 500)).toBeNull();
    expect(p.pinnedMs(1_200, 1_000 * MS)).toBe(0);
  });
});
