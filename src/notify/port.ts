/**
 * The one notifier port: every channel beyond Discord is an adapter that delivers one alert or
 * throws a `DeliveryError` saying whether (and when) to try again. Queueing, rate limits, retries,
 * dedup and persistence are the dispatcher's (`channel-queue.ts`), the same for every adapter.
 */
import type { Alert } from './alert.js';

export interface Notifier {
  /** The channel's kind, as logs and metrics name it: webhook, ntfy, telegram, slack, pagerduty. */
  readonly name: string;
  deliver(alert: Alert, signal: AbortSignal): Promise<void>;
}

/** A delivery that did not work. `permanent`: the service will refuse it however often it is sent. */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    /** The service said when to try again (HTTP 429 Retry-After, Telegram's retry_after). */
    readonly retryAfterMs: number | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DeliveryError';
  }
}
