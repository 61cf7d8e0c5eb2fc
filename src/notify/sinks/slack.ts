/** Slack incoming webhook: `text` (the notification line) and a section block with the details. */
import type { Alert } from '../alert.js';
import { JSON_HEADERS, post } from '../http.js';
import type { Notifier } from '../port.js';

const ICON = { critical: ':rotating_light:', error: ':warning:', warning: ':large_yellow_circle:', info: ':white_check_mark:' } as const;

/** Slack's mrkdwn reads &, < and > as markup: escaped, so a gateway's line cannot ping or link. */
function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export class SlackNotifier implements Notifier {
  readonly name = 'slack';
  constructor(private readonly o: { url: string }) {}

  async deliver(alert: Alert, signal: AbortSignal): Promise<void> {
    const title = `${ICON[alert.severity]} ${escape(alert.title)}`;
    const body = JSON.stringify({
      text: title,
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: `*${title}*` } },
        { type: 'section', text: { type: 'mrkdwn', text: escape(alert.text).slice(0, 2900) } },
      ],
    });
    await post(this.o.url, body, JSON_HEADERS, signal, 'slack');
  }
}
