/** Small statistics for the bench: medians and nearest-rank percentiles of a few samples. */

export function sorted(values) {
  return [...values].sort((a, b) => a - b);
}

export function median(values) {
  const s = sorted(values);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Nearest-rank percentile: p90 of 10 values is the 9th smallest. */
export function percentile(values, p) {
  const s = sorted(values);
  return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)];
}

export const min = (values) => Math.min(...values);
export const max = (values) => Math.max(...values);
