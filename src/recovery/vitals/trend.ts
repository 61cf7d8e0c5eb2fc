/**
 * The memory trend: a least-squares line through (time, RSS) samples, and when it reaches a
 * limit. Pure (no clock, no I/O): the ladder calls it with the samples it keeps.
 */

export interface Point {
  at: number;
  value: number;
}

export interface Line {
  /** Change per millisecond. */
  slope: number;
  /** Value at `at = 0` of the shifted axis (see `origin`). */
  intercept: number;
  /** The x origin the fit used (the first sample's time), to keep the sums small. */
  origin: number;
  /** Coefficient of determination, 0..1 (1: every point on the line); 0 when the values do not vary. */
  r2: number;
  n: number;
  /** Time between the first and last sample. */
  spanMs: number;
}

/** The least-squares line through `points`; null with fewer than two distinct times. */
export function fitLine(points: readonly Point[]): Line | null {
  const n = points.length;
  if (n < 2) return null;
  const origin = points[0]!.at;
  let sx = 0;
  let sy = 0;
  for (const p of points) {
    sx += p.at - origin;
    sy += p.value;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const p of points) {
    const dx = p.at - origin - mx;
    const dy = p.value - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  if (sxx === 0) return null;
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  const r2 = syy === 0 ? 0 : (sxy * sxy) / (sxx * syy);
  const times = points.map((p) => p.at);
  return { slope, intercept, origin, r2, n, spanMs: Math.max(...times) - Math.min(...times) };
}

export interface PredictOptions {
  /** Fewer samples than this say nothing. */
  minSamples: number;
  /** Samples spanning less than this say nothing. */
  minSpanMs: number;
  /** A slower growth (per minute) is noise, not a trend. */
  minGrowthPerMin: number;
  /** A worse fit (r², 0..1) is noise (GC saw-teeth), not a trend. */
  minR2: number;
}

export interface Prediction {
  growthPerMin: number;
  /** When the line reaches the limit; null: it does not grow (enough) towards it. */
  reachesAt: number | null;
}

/**
 * The trend of `points` and when it reaches `limit`, seen at `now`: from the line's value at
 * `now` (not the last sample, which a GC may have just lowered or raised). Null: not enough data.
 */
export function predictCrossing(points: readonly Point[], limit: number | null, now: number, o: PredictOptions): Prediction | null {
  if (points.length < o.minSamples) return null;
  const line = fitLine(points);
  if (!line || line.spanMs < o.minSpanMs) return null;
  const growthPerMin = line.slope * 60_000;
  if (limit === null || growthPerMin < o.minGrowthPerMin || line.r2 < o.minR2) return { growthPerMin, reachesAt: null };
  const valueNow = line.intercept + line.slope * (now - line.origin);
  const reachesAt = valueNow >= limit ? now : now + (limit - valueNow) / line.slope;
  return { growthPerMin, reachesAt: Math.round(reachesAt) };
}
