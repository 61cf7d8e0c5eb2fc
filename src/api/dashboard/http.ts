/** Answers of the dashboard's API: JSON that passed the redactor, with the dashboard's security headers. */
import type { ServerResponse } from 'node:http';
import { setSecurityHeaders } from './security.js';

export function sendJson(res: ServerResponse, status: number, body: unknown, redact: (text: string) => string): void {
  const text = redact(JSON.stringify(body));
  setSecurityHeaders(res);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
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
