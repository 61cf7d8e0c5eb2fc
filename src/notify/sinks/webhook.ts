/**
 * A generic webhook: the alert as JSON, signed GitHub-style with HMAC-SHA256 of the exact body
 * (`X-Clawmedic-Signature: sha256=<hex>`), its id in `X-Clawmedic-Delivery` for the receiver's own dedup.
 */
import { createHmac } from 'node:crypto';
import type { Alert } from '../alert.js';
import { JSON_HEADERS, post } from '../http.js';
import type { Notifier } from '../port.js';

export const SIGNATURE_HEADER = 'x-clawmedic-signature';
export const DELIVERY_HEADER = 'x-clawmedic-delivery';

/** `sha256=<hex>` of `body` under `secret`: what a receiver recomputes and compares (in constant time). */
export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export class WebhookNotifier implements Notifier {
  readonly name = 'webhook';
  constructor(private readonly o: { url: string; secret: string }) {}

  async deliver(alert: Alert, signal: AbortSignal): Promise<void> {
    const body = JSON.stringify({ source: 'clawmedic', ...alert });
    await post(this.o.url, body, { ...JSON_HEADERS, [SIGNATURE_HEADER]: signBody(body, this.o.secret), [DELIVERY_HEADER]: alert.id }, signal, 'webhook');
  }
}
