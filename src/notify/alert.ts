/**
 * What an alert is, whatever the channel: plain data built from the medic's events (already
 * redacted by the watchdog's outbox), with an id that names it once (`<incident>:<what>`), so a
 * channel never shows the same alert twice.
 */
import type { Level } from '../recovery/types.js';

/** The bot's priorities: questions first, then "a person is needed", then news. */
export type AlertPriority = 'approval' | 'alert' | 'info';
export const PRIORITY_ORDER: Record<AlertPriority, number> = { approval: 1, alert: 2, info: 4 };

/** `digest`: the scheduled digest (src/report), not about one incident (its `incidentId` is empty). */
export type AlertEvent = 'opened' | 'escalated' | 'human' | 'approval' | 'acknowledged' | 'resolved' | 'aborted' | 'digest';

export interface Alert {
  /** Unique per alert: the dedup key (`gw-3:opened`, `gw-3:human:1a2b3c4d`, `gw-3:resolved`). */
  id: string;
  event: AlertEvent;
  incidentId: string;
  target: string;
  priority: AlertPriority;
  severity: 'critical' | 'error' | 'warning' | 'info';
  /** A person is needed (level 4, or a question only a person can answer): what `level4` channels carry. */
  needsHuman: boolean;
  /** The incident is over (resolved or aborted): PagerDuty resolves it. */
  closes: boolean;
  level: Level;
  /** The failure class (src/recovery/types.ts), or 'unclassified'. */
  failureClass: string;
  /** One line. */
  title: string;
  /** A few lines. */
  text: string;
  at: number;
}
