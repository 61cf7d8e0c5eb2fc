/**
 * ntfy: JSON publishing (POST to the server's root with the topic in the body, so a title with any
 * character needs no header encoding); priority 5 when a person is needed. An access token goes
 * as `Authorization: Bearer`.
 */
import type { Alert } from '../alert.js';
import { JSON_HEADERS, post } from '../http.js';
import type { Notifier } from '../port.js';

const PRIORITY = { critical: 5, error: 4, warning: 3, info: 2 } as const;
const TAGS = { critical: 'rotating_light', error: 'warning', warning: 'warning', info: 'white_check_mark' } as const;

export class NtfyNotifier implements Notifier {
  readonly name = 'ntfy';
  private readonly root: string;
  private readonly topic: string;

  /** `url`: the topic URL, e.g. https://ntfy.sh/my-topic (a server under a path works too). */
  constructor(private readonly o: { url: string; token: string | null }) {
    const u = new URL(o.url);
    const parts = u.pathname.split('/').filter(Boolean);
    this.topic = parts.pop() ?? '';
    this.root = `${u.origin}/${parts.join('/')}`;
  }

  async deliver(alert: Alert, signal: AbortSignal): Promise<void> {
    const body = JSON.stringify({
      topic: this.topic,
      title: alert.title.slice(0, 250),
      message: alert.text.slice(0, 4000),
      priority: PRIORITY[alert.severity],
      tags: [TAGS[alert.severity], `clawmedic-${alert.event}`],
    });
    const auth: Record<string, string> = this.o.token ? { authorization: `Bearer ${this.o.token}` } : {};
    await post(this.root, body, { ...JSON_HEADERS, ...auth }, signal, 'ntfy');
  }
}
