/**
 * The one door out of a target's watchdog: every record, incident, question and agent line
 * is redacted here once, then stored (when it is kept) and emitted to the subscribers (the
 * Discord bot, the API's watchers) and the log. The store commits before anything is emitted.
 */
import type { MedicEvents } from '../events.js';
import type { Logger, Store } from '../ports.js';
import type { Redactor } from '../../lib/redact.js';
import type { AgentOutcome, Incident, LadderRecord, PendingApproval, TargetStatus } from '../types.js';

export interface OutboxOptions {
  target: string;
  store: Pick<Store, 'appendRecord' | 'saveIncident' | 'getIncident'>;
  events: MedicEvents;
  log: Logger;
  redactor: Redactor;
  /** The target's status as of the step being committed: it goes out with each incident, for the card. */
  status: () => TargetStatus;
}

type ApprovalOutcome = 'approved' | 'denied' | 'expired' | 'withdrawn';

export class Outbox {
  constructor(private readonly o: OutboxOptions) {}

  /** Text with every secret the redactor knows masked. */
  redactText(text: string): string {
    return this.o.redactor.redact(text);
  }

  /** Lines with every secret the redactor knows masked (for what is shown, not sent: `/status`). */
  redactLines(lines: string[]): string[] {
    return lines.map((l) => this.o.redactor.redact(l));
  }

  /** A timeline or audit record: stored, logged, emitted. */
  async record(raw: LadderRecord): Promise<void> {
    await this.commit({ ...raw, text: this.o.redactor.redact(raw.text) });
  }

  /** An incident opened, changed or closed: stored, emitted. */
  async incident(raw: Incident): Promise<void> {
    const incident = this.redacted(raw);
    await this.o.store.saveIncident(incident);
    this.o.events.emit('incident', incident, this.redacted(this.o.status()));
  }

  /**
   * An operator re-enabled `plugin`, which the closed incident `incidentId` had disabled: the stored incident says so
   * and is emitted again, so its card loses that plugin's button.
   */
  async pluginReenabled(incidentId: string, plugin: string): Promise<void> {
    const found = await this.o.store.getIncident(incidentId);
    if (!found) return;
    const inc = found.incident;
    if (inc.reenabledPlugins?.includes(plugin)) return;
    await this.incident({ ...inc, reenabledPlugins: [...(inc.reenabledPlugins ?? []), plugin] });
  }

  /** A person is needed: the gateway's last lines go to the timeline and with the notice. */
  async human(raw: Incident | null, incidentId: string, summary: string, output: string[], at: number): Promise<void> {
    const lines = this.redactLines(output);
    if (lines.length) {
      await this.commit({ kind: 'step', at, target: this.o.target, incidentId, level: 4, text: `last gateway output:\n${lines.join('\n')}` });
    }
    if (raw) this.o.events.emit('human', { incident: this.redacted(raw), summary: this.o.redactor.redact(summary), output: lines });
  }

  approval(incidentId: string, approval: PendingApproval): void {
    this.o.events.emit('approval', { target: this.o.target, incidentId, approval: this.redacted(approval) });
  }

  approvalClosed(incidentId: string, approval: PendingApproval, outcome: ApprovalOutcome, by: string | null): void {
    this.o.events.emit('approval-closed', { target: this.o.target, incidentId, approval: this.redacted(approval), outcome, by });
  }

  agentOutput(incidentId: string, lines: string[]): void {
    if (lines.length) this.o.events.emit('agent-output', { target: this.o.target, incidentId, lines: this.redactLines(lines) });
  }

  /** An agent session ended; returns its detail, redacted, for the ladder's timeline. */
  agentEnded(incidentId: string, outcome: AgentOutcome, detail: string, transcript: string[], transcriptPath: string | null): string {
    const text = this.o.redactor.redact(detail);
    this.o.events.emit('agent-ended', { target: this.o.target, incidentId, outcome, detail: text, transcript: this.redactLines(transcript), transcriptPath });
    return text;
  }

  /** A copy with every secret the redactor knows masked, whatever field it hides in. */
  redacted<T>(value: T): T {
    return JSON.parse(this.o.redactor.redact(JSON.stringify(value))) as T;
  }

  private async commit(record: LadderRecord): Promise<void> {
    await this.o.store.appendRecord(record);
    const line = `[${record.target}]${record.incidentId ? ` ${record.incidentId}` : ''} ${record.text}`;
    if (record.kind === 'human') this.o.log.warn(line);
    else this.o.log.info(line);
    this.o.events.emit('record', record);
  }
}
