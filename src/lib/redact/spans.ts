/** Ranges of a text to mask, and masking them. */

/** `[start, end)` in UTF-16 code units. */
export interface Span {
  start: number;
  end: number;
}

export const MASK = '[REDACTED]';

/** Sorted, overlapping and touching spans joined, empty ones dropped. */
export function mergeSpans(spans: readonly Span[]): Span[] {
  const sorted = spans.filter((s) => s.end > s.start).sort((a, b) => a.start - b.start || b.end - a.end);
  const out: Span[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && s.start <= last.end) last.end = Math.max(last.end, s.end);
    else out.push({ ...s });
  }
  return out;
}

/** The text with each (merged) span replaced by one mask. */
export function maskSpans(text: string, spans: readonly Span[]): string {
  let out = '';
  let at = 0;
  for (const s of mergeSpans(spans)) {
    out += text.slice(at, s.start) + MASK;
    at = s.end;
  }
  return out + text.slice(at);
}

/** Whether every character of `inner` lies inside `outer`. */
export function covers(outer: readonly Span[], inner: readonly Span[]): boolean {
  const merged = mergeSpans(outer);
  return mergeSpans(inner).every((s) => merged.some((o) => o.start <= s.start && o.end >= s.end));
}
