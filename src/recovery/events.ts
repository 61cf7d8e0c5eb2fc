/**
 * The events that flow out of the medic, for subscribers that may be slow, down or
 * absent (the Discord bot, the API's watchers). The store has already committed each
 * one when it is emitted; a subscriber that throws is logged and never stops the ladder.
 */
import { EventEmitter } from 'node:events';
import type { AgentOutcome, Incident, LadderRecord, PendingApproval, TargetStatus } from './types.js';

export interface MedicEventMap {
  /** A timeline or audit record (redacted). */
  record: [record: LadderRecord];
  /** An incident opened, changed or closed, with its target's status as of that step (redacted; null: unknown): what the card shows. */
  incident: [incident: Incident, status: TargetStatus | null];
  /** A target's status after each committed step (redacted). */
  status: [status: TargetStatus];
  /** The ladder has nothing left: a person is needed; `output` is the gateway's last lines, redacted. */
  human: [event: { incident: Incident; summary: string; output: string[] }];
  /** The ladder asks a person a question (answer through `TargetWatchdog.decide`). */
  approval: [event: { target: string; incidentId: string; approval: PendingApproval }];
  /** That question was answered, expired or withdrawn: its buttons must go. */
  'approval-closed': [
    event: { target: string; incidentId: string; approval: PendingApproval; outcome: 'approved' | 'denied' | 'expired' | 'withdrawn'; by: string | null },
  ];
  /** New lines of the AI agent's screen (level 3), redacted, in order. */
  'agent-output': [event: { target: string; incidentId: string; lines: string[] }];
  /** An agent session ended; `transcript` is the whole session, redacted. */
  'agent-ended': [
    event: { target: string; incidentId: string; outcome: AgentOutcome; detail: string; transcript: string[]; transcriptPath: string | null },
  ];
}

export class MedicEvents extends EventEmitter<MedicEventMap> {}
