/**
 * Level 3 at the edge: runs the `AgentRunner` in the background for a `StartAgent`, turns its
 * permission questions into `AgentPermissionRequested` events and waits for the ladder's
 * `AnswerAgent`; its end comes back as `AgentFinished`. At most one session runs.
 */
import { randomUUID } from 'node:crypto';
import type { AgentRunner, AgentToolCall, Clock, Logger, Store } from '../ports.js';
import type { Incident, LadderEvent } from '../types.js';
import type { Outbox } from './outbox.js';

export type AgentDecision = { allow: boolean; reason: string; by: string };

export interface AgentBridgeOptions {
  target: string;
  /** Absent: a StartAgent ends at once with "no AI agent is configured". */
  runner: AgentRunner | undefined;
  outbox: Outbox;
  store: Pick<Store, 'getIncident'>;
  clock: Clock;
  log: Logger;
  dispatch: (event: LadderEvent) => Promise<void>;
  /** The gateway's last output lines (not yet redacted). */
  recentOutput: () => string[];
  /**
   * The config file's change since the last check (null: unchanged): a latent incident's session is
   * judged by it as it ends (its gateway keeps running, no start verifies it).
   */
  configDrift?: () => Promise<{ ok: boolean; error: string | null } | null>;
}

/** The session in flight: how to stop it and who waits for an answer. */
interface Session {
  ctl: AbortController;
  waiting: Map<string, (decision: AgentDecision) => void>;
  done: Promise<void>;
}

export class AgentBridge {
  private session: Session | null = null;

  constructor(private readonly o: AgentBridgeOptions) {}

  /** `incident`: as of the step that asked (its SaveIncident is still behind this action). */
  start(incident: Incident | null, incidentId: string, session: string, reason: string, resume?: string): void {
    const o = this.o;
    const ctl = new AbortController();
    const waiting = new Map<string, (decision: AgentDecision) => void>();
    const permission = (call: AgentToolCall) =>
      new Promise<AgentDecision>((resolve) => {
        if (ctl.signal.aborted) return resolve({ allow: false, reason: 'the session is ending', by: 'clawmedic' });
        const requestId = randomUUID();
        waiting.set(requestId, resolve);
        void o.dispatch({ type: 'AgentPermissionRequested', requestId, ...call }).catch(() => {});
      });
    const output = (lines: string[]) => o.outbox.agentOutput(incidentId, lines);
    // The agent CLI's own id goes into the incident (committed with it): a restarted medic resumes by it.
    const started = (agentSession: string) => {
      void o.dispatch({ type: 'AgentSessionStarted', session, agentSession }).catch(() => {});
    };
    const work = async (): Promise<void> => {
      const stored = await o.store.getIncident(incidentId);
      const request = incident && {
        target: o.target,
        incident: o.outbox.redacted(incident),
        timeline: stored?.timeline ?? [],
        recentOutput: o.outbox.redactLines(o.recentOutput()),
        reason: o.outbox.redactText(reason),
        ...(resume ? { resume } : {}),
      };
      const report = o.runner && request
        ? await o.runner
            .run(request, { permission, output, started }, ctl.signal)
            .catch((err: Error) => ({ outcome: 'error' as const, detail: err.message, transcript: [], transcriptPath: null }))
        : { outcome: 'error' as const, detail: 'no AI agent is configured', transcript: [], transcriptPath: null };
      for (const answer of waiting.values()) answer({ allow: false, reason: 'the session ended', by: 'clawmedic' });
      waiting.clear();
      if (this.session?.ctl === ctl) this.session = null;
      const outcome = ctl.signal.aborted && report.outcome !== 'aborted' ? 'aborted' : report.outcome;
      const detail = o.outbox.agentEnded(incidentId, outcome, report.detail, report.transcript, report.transcriptPath);
      if (report.transcriptPath) {
        const text = `AI agent transcript: ${report.transcriptPath} (${report.transcript.length} lines)`;
        await o.outbox.record({ kind: 'step', at: o.clock.now(), target: o.target, incidentId, level: 3, text });
      }
      const config = incident?.latent && o.configDrift ? await o.configDrift().catch(() => null) : null;
      await o.dispatch({ type: 'AgentFinished', session, outcome, detail, ...(config ? { config: { ok: config.ok, error: config.error && o.outbox.redactText(config.error) } } : {}) });
    };
    const done = work().catch((err: Error) => o.log.error(`[${o.target}] the AI agent session failed: ${err.message}`));
    this.session = { ctl, waiting, done };
  }

  /** The ladder's answer to one of the agent's questions. */
  answer(requestId: string, decision: AgentDecision): void {
    const answer = this.session?.waiting.get(requestId);
    this.session?.waiting.delete(requestId);
    answer?.(decision);
  }

  stop(reason: string): void {
    this.session?.ctl.abort(reason);
  }

  /** The incident closed: the agent's own records of its sessions go (kept until then, to resume one). */
  forget(incidentId: string): void {
    void this.o.runner?.forget?.(incidentId).catch((err: Error) => this.o.log.warn(`[${this.o.target}] could not remove the AI agent's session records: ${err.message}`));
  }

  /** Stops the session in flight, if any, and waits for its end; `reason` an Error to say why (MedicStoppingError: suspended). */
  async close(reason: string | Error): Promise<void> {
    const session = this.session;
    session?.ctl.abort(reason);
    await session?.done;
  }
}
