/**
 * Turns the medic's events into Discord: one card per incident (edited in place) with a
 * thread holding its timeline, approval requests with buttons, one on-call mention when a
 * human is needed. It only ever enqueues work on the relay: the ladder never waits on it.
 * The Discord ids of each incident live in the store, so a restarted medic edits the same card.
 */
import { systemClock, type Clock } from '../lib/clock.js';
import type { MedicEvents, MedicEventMap } from '../recovery/events.js';
import type { Logger, Store } from '../recovery/ports.js';
import type { Redactor } from '../lib/redact.js';
import type { Incident, LadderRecord, TargetStatus } from '../recovery/types.js';
import type { Relay } from './relay.js';
import { renderAgentOutput, renderApproval, renderApprovalClosed, renderCard, renderRecord, truncate, type MessagePayload } from './render.js';

interface IncidentIds {
  messageId: string | null;
  threadId: string | null;
  mentioned: boolean;
}

export interface IncidentSyncOptions {
  relay: Relay;
  store: Store;
  channelId: string;
  oncallMention: string | null;
  /** Shown on approval requests: who may answer. */
  whoMayAnswer: string;
  log: Logger;
  /** What "now" is on the card and for catching up. Default: wall time. */
  clock?: Clock;
  /** The agent's screen lines are redacted again as logical lines (a secret the terminal wrapped). */
  redactor?: Redactor;
}

const CLOSED = new Set(['resolved', 'aborted']);

export class IncidentSync {
  private readonly ids = new Map<string, IncidentIds>();
  private readonly latest = new Map<string, Incident>();
  /** Each target's last status, as the medic's events carried it: the card never calls back into the medic. */
  private readonly statuses = new Map<string, TargetStatus>();

  constructor(private readonly o: IncidentSyncOptions) {}

  private now(): number {
    return (this.o.clock ?? systemClock).now();
  }

  attach(events: MedicEvents): void {
    const guard =
      <A extends unknown[]>(what: string, fn: (...args: A) => Promise<void>) =>
      (...args: A) =>
        void fn(...args).catch((err: Error) => this.o.log.error(`Discord sync (${what}) failed: ${err.message}`));
    events.on('status', (status: TargetStatus) => void this.statuses.set(status.name, status));
    events.on(
      'incident',
      guard('incident', (inc: Incident, status: TargetStatus | null) => {
        if (status) this.statuses.set(status.name, status);
        return this.incident(inc);
      }),
    );
    events.on('record', guard('record', (r: LadderRecord) => this.record(r)));
    events.on('human', guard('human', (e: MedicEventMap['human'][0]) => this.human(e)));
    events.on('approval', guard('approval', (e: MedicEventMap['approval'][0]) => this.approval(e)));
    events.on('approval-closed', guard('approval-closed', (e: MedicEventMap['approval-closed'][0]) => this.approvalClosed(e)));
    events.on('agent-output', guard('agent-output', (e: MedicEventMap['agent-output'][0]) => this.agentOutput(e)));
    events.on('agent-ended', guard('agent-ended', (e: MedicEventMap['agent-ended'][0]) => this.agentEnded(e)));
  }

  /** After (re)connecting: bring open incidents' cards, and recently closed ones, up to date. */
  async catchUp(): Promise<void> {
    const recent = await this.o.store.listIncidents({ limit: 50 });
    const hourAgo = this.now() - 3_600_000;
    for (const inc of recent) {
      if (!CLOSED.has(inc.state) || (inc.closedAt ?? 0) > hourAgo) await this.incident(this.latest.get(inc.id) ?? inc);
    }
  }

  private async idsOf(id: string): Promise<IncidentIds> {
    let ids = this.ids.get(id);
    if (!ids) {
      ids = (await this.o.store.getValue<IncidentIds>(`discord:incident:${id}`)) ?? { messageId: null, threadId: null, mentioned: false };
      this.ids.set(id, ids);
    }
    return ids;
  }

  private async saveIds(id: string, ids: IncidentIds): Promise<void> {
    this.ids.set(id, ids);
    await this.o.store.setValue(`discord:incident:${id}`, ids);
  }

  private async incident(inc: Incident): Promise<void> {
    this.latest.set(inc.id, inc);
    const ids = await this.idsOf(inc.id);
    this.renderCard(inc, ids);
  }

  private renderCard(inc: Incident, ids: IncidentIds): void {
    const status = CLOSED.has(inc.state) ? null : this.statusOf(inc.target);
    this.o.relay.upsert(inc.id, this.o.channelId, renderCard(inc, status, this.now()), {
      messageId: ids.messageId,
      threadId: ids.threadId,
      thread: truncate(`${inc.id} · ${inc.cause}`, 100),
      onCreated: ({ messageId, threadId }) => {
        void this.saveIds(inc.id, { ...ids, messageId, threadId }).catch((err: Error) =>
          this.o.log.error(`could not keep the Discord ids of ${inc.id}: ${err.message}`),
        );
      },
    });
  }

  private statusOf(target: string): TargetStatus | null {
    return this.statuses.get(target) ?? null;
  }

  private threadOf(incidentId: string): string | null {
    return this.o.relay.threadOf(incidentId) ?? this.ids.get(incidentId)?.threadId ?? null;
  }

  private async record(r: LadderRecord): Promise<void> {
    if (!r.incidentId) return;
    const id = r.incidentId;
    await this.idsOf(id);
    this.o.relay.lines(id, () => this.threadOf(id), [renderRecord(r)]);
    // "Next" and the level on the card follow the timeline.
    const inc = this.latest.get(id);
    if (inc && !CLOSED.has(inc.state)) this.renderCard(inc, this.ids.get(id)!);
  }

  private async human(e: MedicEventMap['human'][0]): Promise<void> {
    const ids = await this.idsOf(e.incident.id);
    if (ids.mentioned) return;
    await this.saveIds(e.incident.id, { ...ids, mentioned: true });
    const who = this.o.oncallMention ?? 'Operators';
    const role = /^<@&(\d+)>$/.exec(this.o.oncallMention ?? '')?.[1];
    const user = /^<@(\d+)>$/.exec(this.o.oncallMention ?? '')?.[1];
    const content = truncate(
      `🙋 ${who}: **${e.incident.id}** needs a human. ${e.summary}\nThe ladder tried: ${e.incident.tried.join(', ') || 'restarts'}. Timeline and last output in this thread; /incident ${e.incident.id} for all of it.`,
      2000,
    );
    const channel = this.threadOf(e.incident.id) ?? this.o.channelId;
    await this.o.relay.post(channel, { content, allowedMentions: { parse: [], ...(role ? { roles: [role] } : {}), ...(user ? { users: [user] } : {}) } }, 'alert');
  }

  private async approval(e: MedicEventMap['approval'][0]): Promise<void> {
    await this.idsOf(e.incidentId);
    const channel = this.threadOf(e.incidentId) ?? this.o.channelId;
    const messageId = await this.o.relay.post(channel, renderApproval(e.target, e.approval, this.o.whoMayAnswer), 'approval');
    await this.o.store.setValue(`discord:approval:${e.approval.id}`, { channelId: channel, messageId });
  }

  /** The agent's screen, as it happens: batched and rate-limited with the timeline of its incident. */
  private async agentOutput(e: MedicEventMap['agent-output'][0]): Promise<void> {
    await this.idsOf(e.incidentId);
    const lines = this.o.redactor ? this.o.redactor.redactLines(e.lines) : e.lines;
    this.o.relay.lines(e.incidentId, () => this.threadOf(e.incidentId), [renderAgentOutput(lines)]);
  }

  /** The whole session, attached to the thread once it ended. */
  private async agentEnded(e: MedicEventMap['agent-ended'][0]): Promise<void> {
    await this.idsOf(e.incidentId);
    const channel = this.threadOf(e.incidentId) ?? this.o.channelId;
    const content = truncate(`🤖 AI agent session ended (${e.outcome}): ${e.detail}\nThe full transcript is attached (secrets masked).`, 2000);
    const data = Buffer.from(`${e.transcript.join('\n')}\n`, 'utf8');
    await this.o.relay.post(channel, { content, files: [{ name: `${e.incidentId}-agent.txt`, data }], allowedMentions: { parse: [] } }, 'card');
  }

  /** A message in the incident's thread (the channel while it has none), e.g. its postmortem; resolves with the message id. */
  async postInThread(incidentId: string, payload: MessagePayload): Promise<string> {
    await this.idsOf(incidentId);
    return this.o.relay.post(this.threadOf(incidentId) ?? this.o.channelId, payload, 'card');
  }

  private async approvalClosed(e: MedicEventMap['approval-closed'][0]): Promise<void> {
    const where = await this.o.store.getValue<{ channelId: string; messageId: string }>(`discord:approval:${e.approval.id}`);
    if (!where) return; // never posted (Discord was away): the timeline says what happened
    await this.o.relay.edit(where.channelId, where.messageId, renderApprovalClosed(e.approval, e.outcome, e.by));
  }
}
