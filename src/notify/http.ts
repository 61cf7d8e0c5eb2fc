/** The one HTTP call every adapter makes: POST a body, read the answer, turn a failure into a `DeliveryError`. */
import { DeliveryError } from './port.js';

export const DELIVERY_TIMEOUT_MS = 10_000;

/** Answers the service will give again whatever the retry: a malformed or too large payload. */
const PERMANENT = new Set([400, 413, 422]);

export interface PostResult {
  status: number;
  text: string;
}

/**
 * POSTs `body` to `url`; resolves on 2xx. A 429 carries its Retry-After; 400/413/422 are permanent;
 * anything else (5xx, 401/403/404 of a service being fixed, no answer) is worth another try.
 * The URL never appears in the error: it may be the credential.
 */
export async function post(url: string, body: string, headers: Record<string, string>, signal: AbortSignal, what: string): Promise<PostResult> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', body, headers, signal: AbortSignal.any([signal, AbortSignal.timeout(DELIVERY_TIMEOUT_MS)]) });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const reason = e.name === 'TimeoutError' ? `no answer within ${DELIVERY_TIMEOUT_MS / 1000} s` : (e.cause?.code ?? e.cause?.message ?? e.message);
    throw new DeliveryError(`${what}: ${reason}`, false, null, { cause: err });
  }
  const text = await res.text().catch(() => '');
  if (res.ok) return { status: res.status, text };
  const retryAfter = parseRetryAfter(res.headers.get('retry-after'));
  throw new DeliveryError(`${what}: HTTP ${res.status}${text ? ` ${text.slice(0, 200)}` : ''}`, PERMANENT.has(res.status), res.status === 429 ? (retryAfter ?? 60_000) : retryAfter);
}

/** Retry-After in seconds or as an HTTP date, in ms; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (!value) return null;
  const s = Number(value);
  if (Number.isFinite(s)) return Math.max(0, s * 1000);
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - now) : null;
}

export const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'clawmedic' } as const;
