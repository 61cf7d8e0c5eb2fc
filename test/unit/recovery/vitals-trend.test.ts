/** The memory trend: least squares with plain data, and when it reaches a limit. */
import { describe, expect, it } from 'vitest';
import { fitLine, predictCrossing } from '../../../src/recovery/vitals/trend.js';

const MiB = 1024 * 1024;
const opts = { minSamples: 4, minSpanMs: 15_000, minGrowthPerMin: MiB, minR2: 0.5 };
const series = (values: number[], everyMs = 5_000, t0 = 1_000_000) => values.map((value, i) => ({ at: t0 + i * everyMs, value }));

describe('fitLine', () => {
  it('fits an exact line: slope, intercept, r² 1', () => {
    const line = fitLine(series([10, 20, 30, 40], 1_000))!;
    expect(line.slope).toBeCloseTo(0.01, 10);
    expect(line.intercept).toBeCloseTo(10, 10);
    expect(line.r2).toBeCloseTo(1, 10);
    expect(line).toMatchObject({ n: 4, spanMs: 3_000, origin: 1_000_000 });
  });

  it('fits noisy points by least squares (the textbook example)', () => {
    // x 1..5, y 2,4,5,4,5: slope 0.6, intercept 2.2 at x = 0, r² 0.6
    const points = [2, 4, 5, 4, 5].map((value, i) => ({ at: i + 1, value }));
    const line = fitLine(points)!;
    expect(line.slope).toBeCloseTo(0.6, 10);
    expect(line.intercept + line.slope * (0 - line.origin)).toBeCloseTo(2.2, 10);
    expect(line.r2).toBeCloseTo(0.6, 10);
  });

  it('says nothing with one point or one time; a flat line has r² 0', () => {
    expect(fitLine(series([5]))).toBeNull();
    expect(fitLine([{ at: 1, value: 1 }, { at: 1, value: 2 }])).toBeNull();
    expect(fitLine(series([7, 7, 7]))!).toMatchObject({ slope: 0, r2: 0 });
  });

  it('keeps its precision with epoch-millisecond times', () => {
    const line = fitLine(series([800, 900, 1000, 1100].map((m) => m * MiB), 5_000, 1_764_000_000_000))!;
    expect(line.slope * 60_000).toBeCloseTo(1200 * MiB, 0);
  });
});

describe('predictCrossing', () => {
  const now = 1_000_000 + 15_000;

  it('predicts when a steady leak reaches the limit, from the line at now', () => {
    // 100 MiB per 5 s = 1200 MiB/min; at now the line is at 1100 MiB; 2048 MiB is 948 MiB away: 47.4 s
    const p = predictCrossing(series([800, 900, 1000, 1100].map((m) => m * MiB)), 2048 * MiB, now, opts)!;
    expect(p.growthPerMin).toBeCloseTo(1200 * MiB, 0);
    expect(p.reachesAt! - now).toBe(47_400);
  });

  it('is at now once the line is past the limit', () => {
    expect(predictCrossing(series([800, 900, 1000, 1100].map((m) => m * MiB)), 1000 * MiB, now, opts)!.reachesAt).toBe(now);
  });

  it('needs enough samples over enough time', () => {
    expect(predictCrossing(series([800, 900, 1000].map((m) => m * MiB)), 2048 * MiB, now, opts)).toBeNull();
    expect(predictCrossing(series([800, 900, 1000, 1100].map((m) => m * MiB), 1_000), 2048 * MiB, now, opts)).toBeNull();
  });

  it('does not predict from a flat, shrinking, too slow or too noisy series', () => {
    const flat = predictCrossing(series([800, 800, 800, 800].map((m) => m * MiB)), 2048 * MiB, now, opts)!;
    expect(flat).toEqual({ growthPerMin: 0, reachesAt: null });
    expect(predictCrossing(series([900, 850, 800, 750].map((m) => m * MiB)), 2048 * MiB, now, opts)!.reachesAt).toBeNull();
    // 0.5 MiB per minute: noise, not a leak
    expect(predictCrossing(series([0, 1, 2, 3].map((k) => 800 * MiB + (k * MiB) / 24)), 2048 * MiB, now, opts)!.reachesAt).toBeNull();
    // GC saw-teeth with no direction: a poor fit
    expect(predictCrossing(series([800, 1000, 780, 1010, 790].map((m) => m * MiB)), 2048 * MiB, now + 5_000, opts)!.reachesAt).toBeNull();
  });

  it('shows the growth but no time when the limit is unknown', () => {
    const p = predictCrossing(series([800, 900, 1000, 1100].map((m) => m * MiB)), null, now, opts)!;
    expect(p.reachesAt).toBeNull();
    expect(p.growthPerMin).toBeGreaterThan(0);
  });
});
