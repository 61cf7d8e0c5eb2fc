/**
 * PagerDuty Events API v2: one PagerDuty incident per medic incident (`dedup_key` = the incident's
 * id), triggered while it needs attention, acknowledged when an operator answered, resolved
 * when it closes.
 */
import type { Alert } from '../alert.js';
import { JSON_HEADERS, post } from '../http.js';
import type { Notifier } from '../port.js';

export function dedupKey(incidentId: string): string {
  return `clawmedic/${incidentId}`;
}

export function pagerDutyAction(alert: Alert): 'trigger' | 'acknowledge' | 'resolve' {
  if (alert.closes) return 'resolve';
  return alert.event === 'acknowledged' ? 'acknowledge' : 'trigger';
}

export class PagerDutyNotifier implements Notifier {
  readonly name = 'pagerduty';
  constructor(private readonly o: { url: string; routingKey: string; source: string }) {}

  async deliver(alert: Alert, signal: AbortSignal): Promise<void> {
    const action = pagerDutyAction(alert);
    const base = { routing_key: this.o.routingKey, event_action: action, dedup_key: dedupKey(alert.incidentId) };
    const body =
      action === 'trigger'
        ? {
            ...base,
            payload: {
              summary: alert.title.slice(0, 1024),
              source: this.o.source,
              severity: alert.severity,
              component: alert.target,
              group: 'clawmedic',
              class: alert.failureClass,
              custom_details: { text: alert.text, level: alert.level, incident: alert.incidentId, alert: alert.id },
            },
          }
        : base;
    await post(this.o.url, JSON.stringify(body), JSON_HEADERS, signal, 'pagerduty');
  }
}
