/** Answers of the dashboard's API: JSON that passed the redactor, with the dashboard's security headers. */
import type { ServerResponse } from 'node:http';
import { setSecurityHeaders } from './security.js';

export function sendJson(res: ServerResponse, status: number, body: unknown, redact: (text: string) => string): void {
  const text = redactedJson(body, redact);
  setSecurityHeaders(res);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * JSON with every string value redacted as the text it is (not as its JSON escape, where a secret
 * holding a quote or a backslash would hide): the result is always valid JSON, on one line.
 */
export function redactedJson(value: unknown, redact: (text: string) => string): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' ? redact(v) : v));
}

/** Incidents whose id, target, cause, state, outcome or failure class mention every word of `q`. */
export function matchesQuery(fields: (string | null | undefined)[], q: string): boolean {
  const hay = fields.filter(Boolean).join(' ').toLowerCase();
  return q
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((word) => hay.includes(word));
}

export function clampInt(raw: string | null, def: number, min: number, max: number): number {
  const n = raw === null ? def : Number.parseInt(raw, 10);
  return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : def;
}
