/**
 * Telegram Bot API: `sendMessage` as plain text (no parse mode, so nothing in the text needs
 * escaping). Telegram's 429 names its wait in `parameters.retry_after`.
 */
import type { Alert } from '../alert.js';
import { JSON_HEADERS, post } from '../http.js';
import { DeliveryError, type Notifier } from '../port.js';

export class TelegramNotifier implements Notifier {
  readonly name = 'telegram';
  /** `apiUrl`: https://api.telegram.org (or a local fake in tests). */
  constructor(private readonly o: { apiUrl: string; token: string; chatId: string }) {}

  async deliver(alert: Alert, signal: AbortSignal): Promise<void> {
    const body = JSON.stringify({
      chat_id: this.o.chatId,
      text: `${alert.title}\n\n${alert.text}`.slice(0, 4096),
      disable_web_page_preview: true,
      disable_notification: alert.severity === 'info',
    });
    try {
      await post(`${this.o.apiUrl}/bot${this.o.token}/sendMessage`, body, JSON_HEADERS, signal, 'telegram');
    } catch (err) {
      const wait = /"retry_after":\s*(\d+)/.exec(err instanceof Error ? err.message : '');
      if (err instanceof DeliveryError && wait) throw new DeliveryError(err.message, false, Number(wait[1]) * 1000, { cause: err });
      throw err;
    }
  }
}
