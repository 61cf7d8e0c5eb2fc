/**
 * From the medic's events to alerts, and from alerts to the channels that want them: `always`
 * channels take every alert, `fallback` ones only while Discord cannot carry it (unreachable, its
 * token refused, or no bot at all), `level4` ones only when a person is needed. A channel that
 * took an alert of an incident also takes its follow-ups (acknowledged, resolved), so a page is
 * always closed where it was opened.
 */
import { createHash } from 'node:crypto';
import type { AlertChannelConfig } from '../config/alerts.js';
import type { Redactor } from '../lib/redact.js';
import type { MedicEvents } from '../recovery/events.js';
import type { Incident, PendingApproval } from '../recovery/types.js';
import type { Alert } from './alert.js';
import type { ChannelQueue } from './channel-queue.js';

/** The bot's link as the router needs it: null when there is no bot. */
export type DiscordState = () => string | null;

export interface RoutedChannel {
  queue: ChannelQueue;
  mode: AlertChannelConfig['mode'];
}

const DISCORD_DOWN = new Set(['unreachable', 'auth-failed']);

const hash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 8);
const classOf = (i: Incident) => i.failure?.class ?? 'unclassified';

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`;
}

export class AlertRouter {
  /** Per open incident: the highest level already announced. */
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly channels: RoutedChannel[],
    private readonly discord: DiscordState,
    private readonly redactor: Redactor,
    private readonly now: () => number,
  ) {}

  attach(events: MedicEvents): void {
    events.on('incident', (incident) => this.onIncident(incident));
    events.on('human', ({ incident, summary, output }) =>
      this.route(this.make(incident, 'human', `human:${hash(summary)}`, {
        priority: 'alert',
        severity: 'critical',
        needsHuman: true,
        title: `[${incident.target}] ${incident.id} needs a person: ${summary}`,
        text: [this.describe(incident), ...(output.length ? ['last gateway output:', ...output.slice(-8)] : [])].join('\n'),
      })),
    );
    events.on('approval', ({ approval, incidentId, target }) => this.onApproval(target, incidentId, approval));
    events.on('approval-closed', ({ approval, incidentId, target, outcome, by }) => {
      if (outcome !== 'approved' && outcome !== 'denied') return;
      this.route(
        this.bare(target, incidentId, 'acknowledged', `ack:${approval.id}`, {
          title: `[${target}] ${incidentId}: ${by ?? 'an operator'} ${outcome} "${approval.command || approval.question}"`.slice(0, 300),
          text: approval.question,
        }),
      );
    });
  }

  /** Sends `alert` to every channel that wants it; returns the channels that queued it. */
  route(alert: Alert): string[] {
    const clean: Alert = { ...alert, title: this.redactor.redact(alert.title), text: this.redactor.redact(alert.text) };
    const state = this.discord();
    const discordDown = state === null || DISCORD_DOWN.has(state);
    const took: string[] = [];
    for (const c of this.channels) {
      // A page is for an incident: PagerDuty never gets the digest.
      if (alert.event === 'digest' && c.queue.name === 'pagerduty') continue;
      const followUp = (alert.event === 'acknowledged' || alert.closes) && c.queue.knows(alert.incidentId);
      const wanted =
        followUp ||
        (!(alert.event === 'acknowledged' || alert.closes) &&
          (c.mode === 'always' || (c.mode === 'fallback' && discordDown) || (c.mode === 'level4' && alert.needsHuman)));
      if (wanted && c.queue.enqueue(clean)) took.push(c.queue.name);
    }
    return took;
  }

  private onIncident(incident: Incident): void {
    const closed = incident.state === 'resolved' || incident.state === 'aborted';
    const before = this.seen.get(incident.id);
    if (before === undefined && !closed) {
      this.seen.set(incident.id, incident.maxLevel);
      this.route(this.make(incident, 'opened', `opened${incident.flaps ? `:${incident.flaps}` : ''}`, { priority: 'info', severity: 'warning', title: `[${incident.target}] incident ${incident.id} opened: ${incident.cause}` }));
      return;
    }
    if (!closed && before !== undefined && incident.maxLevel > before) {
      this.seen.set(incident.id, incident.maxLevel);
      // Level 1 is the watchdog's restart: news only from level 2 (repair) on.
      if (incident.maxLevel >= 2 && incident.maxLevel < 4) {
        const what = incident.maxLevel === 2 ? 'repairing (level 2)' : 'the AI agent is working on it (level 3)';
        this.route(this.make(incident, 'escalated', `level${incident.maxLevel}`, { priority: 'info', severity: 'error', title: `[${incident.target}] ${incident.id}: ${what}` }));
      }
      return;
    }
    if (closed) {
      this.seen.delete(incident.id);
      const took = incident.closedAt !== null ? duration(incident.closedAt - incident.openedAt) : '?';
      const how = incident.state === 'resolved' ? `resolved after ${took}` : 'aborted';
      this.route(
        this.make(incident, incident.state === 'resolved' ? 'resolved' : 'aborted', `${incident.state}:${incident.closedAt ?? 0}`, {
          priority: 'info',
          severity: 'info',
          closes: true,
          title: `[${incident.target}] ${incident.id} ${how}${incident.outcome ? `: ${incident.outcome}` : ''}`,
        }),
      );
    }
  }

  private onApproval(target: string, incidentId: string, approval: PendingApproval): void {
    const until = new Date(approval.expiresAt).toISOString();
    this.route(
      this.bare(target, incidentId, 'approval', `approval:${approval.id}`, {
        priority: 'approval',
        severity: 'critical',
        needsHuman: true,
        title: `[${target}] ${incidentId} asks: ${approval.question}`.slice(0, 300),
        text: `${approval.command ? `command: ${approval.command}\n` : ''}answer in Discord, the dashboard or \`clawmedic approve\` before ${until} (unanswered counts as denied)`,
      }),
    );
  }

  private describe(i: Incident): string {
    const lines = [`target ${i.target}, level ${i.level} (highest ${i.maxLevel}), state ${i.state}`, `cause: ${i.cause}`, `class: ${classOf(i)}`];
    if (i.failure?.summary) lines.push(`diagnosis: ${i.failure.summary}`);
    if (i.failure?.evidence.length) lines.push('evidence:', ...i.failure.evidence.slice(-5));
    if (i.restarts) lines.push(`restarts: ${i.restarts}`);
    if (i.tried.length) lines.push(`repairs tried: ${i.tried.join(', ')}`);
    return lines.join('\n');
  }

  private make(i: Incident, event: Alert['event'], what: string, a: Pick<Alert, 'priority' | 'severity' | 'title'> & Partial<Alert>): Alert {
    return {
      id: `${i.id}:${what}`,
      event,
      incidentId: i.id,
      target: i.target,
      needsHuman: false,
      closes: false,
      level: i.level,
      failureClass: classOf(i),
      text: this.describe(i),
      at: this.now(),
      ...a,
    };
  }

  private bare(target: string, incidentId: string, event: Alert['event'], what: string, a: Pick<Alert, 'title' | 'text'> & Partial<Alert>): Alert {
    return {
      id: `${incidentId}:${what}`,
      event,
      incidentId,
      target,
      priority: 'info',
      severity: 'info',
      needsHuman: false,
      closes: false,
      level: 4,
      failureClass: 'unclassified',
      at: this.now(),
      ...a,
    };
  }
}
