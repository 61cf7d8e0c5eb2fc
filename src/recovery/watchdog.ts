/**
 * One target's loop around the pure ladder: feeds it probe results, process exits,
 * action results and operator requests, one event at a time; commits every change
 * to the store before anything leaves; runs the actions it asks for.
 */
import { randomUUID } from 'node:crypto';
import { GatewayStartError, RequestRejectedError } from '../errors.js';
import type { MedicEvents } from './events.js';
import { checkApproval, checkRecover, initialState, nextWakeAt, step } from './ladder.js';
import type { LadderOptions } from './ladder-options.js';
import type { AgentRunner, AgentToolCall, Clock, GatewayProcess, GatewayRepairs, HealthProbe, Logger, Store } from './ports.js';
import type { Redactor } from './redact.js';
import type { Incident, LadderAction, LadderEvent, LadderRecord, Level, ProbeResult, TargetState } from './types.js';

export interface WatchdogOptions {
  name: string;
  ladder: LadderOptions;
  probeIntervalMs: number;
  probe: HealthProbe;
  gateway: GatewayProcess;
  repairs: GatewayRepairs;
  store: Store;
  clock: Clock;
  log: Logger;
  events: MedicEvents;
  redactor: Redactor;
  /** Level 3; absent: the ladder goes from level 2 to a human. */
  agent?: AgentRunner;
  random?: () => number;
}

type AgentDecision = { allow: boolean; reason: string; by: string };

/** The agent session in flight: how to stop it and who waits for an answer. */
interface AgentInFlight {
  ctl: AbortController;
  waiting: Map<string, (decision: AgentDecision) => void>;
  done: Promise<void>;
}

/** What `/status` shows of a target. */
export interface TargetStatus {
  name: string;
  supervised: boolean;
  /** Level 3 (the AI agent) is available. */
  agent: boolean;
  health: TargetState['health'];
  process: TargetState['process']['status'];
  pid: number | null;
  startedAt: number | null;
  restarts: number;
  paused: boolean;
  pausedUntil: number | null;
  pending: string | null;
  /** When a scheduled restart (backoff) is due. */
  restartAt: number | null;
  lastProbe: ProbeResult | null;
  incident: Pick<Incident, 'id' | 'state' | 'level' | 'cause' | 'openedAt' | 'approval'> | null;
}

/** How many of the gateway's last lines go with a "human needed" notice. */
const HUMAN_OUTPUT_LINES = 30;
/** A wake-up that is already due is retried this soon, never in a tight loop. */
const MIN_WAKE_MS = 250;

export class TargetWatchdog {
  private state: TargetState;
  /** The state as of the last fully committed step: what status() shows, never ahead of the store. */
  private published: TargetState;
  private savedState = '';
  private queue: Promise<void> = Promise.resolve();
  private readonly stopping = new AbortController();
  private closing = false;
  private probeLoopDone: Promise<void> = Promise.resolve();
  private wake: { at: number; ctl: AbortController } | null = null;
  /** A start in flight: exits wait for it, so GatewayStarted always precedes its exit. */
  private starting: Promise<void> = Promise.resolve();
  private readonly random: () => number;
  private agentRun: AgentInFlight | null = null;

  constructor(private readonly o: WatchdogOptions) {
    this.state = initialState(o.name);
    this.published = this.state;
    this.random = o.random ?? Math.random;
  }

  get name(): string {
    return this.o.name;
  }

  async start(): Promise<void> {
    const o = this.o;
    this.state = (await o.store.loadTarget(o.name)) ?? initialState(o.name);
    this.published = this.state;
    this.savedState = durableJson(this.state);
    o.gateway.onExit((exit) => {
      void this.starting.then(() => this.dispatch({ type: 'ProcessExited', exit }));
    });
    o.gateway.onServing((pid) => {
      void this.starting.then(() => this.dispatch({ type: 'GatewayServing', pid }));
    });
    const adoptedPid = await o.gateway.adoptOrClear();
    if (adoptedPid !== null) o.log.info(`[${o.name}] adopted the gateway a previous medic left running (pid ${adoptedPid})`);
    await this.dispatch({ type: 'Boot', adoptedPid });
    this.probeLoopDone = this.probeLoop();
  }

  /** Stops the loops; `stopGateway` also stops a gateway the medic supervises. */
  async stop(stopGateway: boolean): Promise<void> {
    this.closing = true;
    this.stopping.abort();
    this.wake?.ctl.abort();
    await this.probeLoopDone;
    await this.queue;
    const agent = this.agentRun;
    agent?.ctl.abort('the medic is stopping');
    await agent?.done;
    await this.o.gateway.close(stopGateway);
  }

  status(): TargetStatus {
    const s = this.published;
    const inc = s.incident;
    return {
      name: s.target,
      supervised: this.o.gateway.supervised,
      agent: Boolean(this.o.ladder.agentEnabled),
      health: s.health,
      process: s.process.status,
      pid: s.process.pid,
      startedAt: s.process.startedAt,
      restarts: s.restarts,
      paused: s.paused,
      pausedUntil: s.pausedUntil,
      pending: s.pending?.work ?? null,
      restartAt: s.restartAt,
      lastProbe: s.probe.last,
      incident: inc
        ? { id: inc.id, state: inc.state, level: inc.level, cause: inc.cause, openedAt: inc.openedAt, approval: inc.approval ?? null }
        : null,
    };
  }

  /** The gateway's last output lines, redacted. */
  recentOutput(lines = HUMAN_OUTPUT_LINES): string[] {
    return this.o.gateway.recentOutput(lines).map((l) => this.o.redactor.redact(l));
  }

  /** Operator request: run a level by hand. Resolves with the incident id. */
  async recover(level: Level, by: string, note: string | null): Promise<string | null> {
    const why = checkRecover(this.state, level, this.o.ladder);
    if (why) throw new RequestRejectedError(why, 409);
    await this.dispatch({ type: 'RecoverRequested', level, by, note });
    return this.state.incident?.id ?? null;
  }

  async abort(by: string, reason: string | null): Promise<string> {
    const id = this.state.incident?.id;
    if (!id) throw new RequestRejectedError(`${this.o.name} has no open incident to abort`, 409);
    await this.dispatch({ type: 'AbortRequested', by, reason });
    return id;
  }

  /** An operator's answer to the open question (`approvalId` null: whichever is open). Resolves with its id. */
  async decide(approvalId: string | null, approved: boolean, by: string, scope: 'once' | 'incident' = 'once'): Promise<string> {
    const why = checkApproval(this.state, approvalId);
    if (why) throw new RequestRejectedError(why, 409);
    const id = approvalId ?? this.state.incident!.approval!.id;
    await this.dispatch({ type: 'ApprovalDecided', approvalId: id, approved, by, scope });
    return id;
  }

  /** The open question of this target, if any. */
  pendingApproval() {
    return this.published.incident?.approval ?? null;
  }

  async pause(by: string, until: number | null): Promise<void> {
    await this.dispatch({ type: 'PauseRequested', by, until });
  }

  async resume(by: string): Promise<void> {
    if (!this.state.paused) throw new RequestRejectedError(`${this.o.name} is not paused`, 409);
    await this.dispatch({ type: 'ResumeRequested', by });
  }

  /** Events are applied one at a time, in arrival order. */
  dispatch(event: LadderEvent): Promise<void> {
    const run = this.queue.then(() => this.apply(event));
    this.queue = run.catch((err: unknown) => {
      this.o.log.error(`[${this.o.name}] could not apply ${event.type}: ${(err as Error).message}`);
    });
    return run;
  }

  private async apply(event: LadderEvent): Promise<void> {
    if (this.closing) return; // the medic is shutting down: its own stop of the gateway is no incident
    const o = this.o;
    const { state, actions } = step(this.state, event, { now: o.clock.now(), random: this.random(), options: o.ladder });
    this.state = state;
    // Commit before anything leaves the ladder: a kill -9 after this point loses nothing.
    const json = durableJson(state);
    if (json !== this.savedState) {
      await o.store.saveTarget(state);
      this.savedState = json;
    }
    for (const action of actions) await this.perform(action);
    this.published = state;
    this.scheduleWake();
  }

  private async perform(action: LadderAction): Promise<void> {
    const o = this.o;
    switch (action.type) {
      case 'Record':
        return this.commitRecord(action.record);
      case 'SaveIncident': {
        const incident = this.redacted(action.incident);
        await o.store.saveIncident(incident);
        o.events.emit('incident', incident);
        return;
      }
      case 'NotifyHuman': {
        const output = this.recentOutput();
        const incident = this.state.incident;
        if (output.length) {
          await this.commitRecord({
            kind: 'step',
            at: o.clock.now(),
            target: o.name,
            incidentId: action.incidentId,
            level: 4,
            text: `last gateway output:\n${output.join('\n')}`,
          });
        }
        if (incident) o.events.emit('human', { incident: this.redacted(incident), summary: o.redactor.redact(action.summary), output });
        return;
      }
      case 'RequestApproval': {
        const approval = this.redacted(action.approval);
        o.events.emit('approval', { target: o.name, incidentId: action.incidentId, approval });
        return;
      }
      case 'ApprovalClosed': {
        const approval = this.redacted(action.approval);
        o.events.emit('approval-closed', { target: o.name, incidentId: action.incidentId, approval, outcome: action.outcome, by: action.by });
        return;
      }
      case 'AnswerAgent': {
        const answer = this.agentRun?.waiting.get(action.requestId);
        this.agentRun?.waiting.delete(action.requestId);
        answer?.({ allow: action.allow, reason: action.reason, by: action.by });
        return;
      }
      case 'StopAgent':
        this.agentRun?.ctl.abort(action.reason);
        return;
      case 'StartAgent':
        return this.startAgent(action.incidentId, action.session, action.reason);
      default:
        this.run(action);
    }
  }

  /** Level 3: runs the agent in the background; its questions and its end come back as events. */
  private startAgent(incidentId: string, session: string, reason: string): void {
    const o = this.o;
    const ctl = new AbortController();
    const waiting = new Map<string, (decision: AgentDecision) => void>();
    const redact = (line: string) => o.redactor.redact(line);
    const permission = (call: AgentToolCall) =>
      new Promise<AgentDecision>((resolve) => {
        if (ctl.signal.aborted) return resolve({ allow: false, reason: 'the session is ending', by: 'clawmedic' });
        const requestId = randomUUID();
        waiting.set(requestId, resolve);
        void this.dispatch({ type: 'AgentPermissionRequested', requestId, ...call }).catch(() => {});
      });
    const output = (lines: string[]) => {
      if (lines.length) o.events.emit('agent-output', { target: o.name, incidentId, lines: lines.map(redact) });
    };
    const work = async (): Promise<void> => {
      // The incident as of this step (its SaveIncident is still behind this action); the timeline is committed.
      const incident = this.state.incident?.id === incidentId ? this.state.incident : null;
      const stored = await o.store.getIncident(incidentId);
      const report = o.agent && incident
        ? await o.agent
            .run({ target: o.name, incident: this.redacted(incident), timeline: stored?.timeline ?? [], recentOutput: this.recentOutput(), reason: redact(reason) }, { permission, output }, ctl.signal)
            .catch((err: Error) => ({ outcome: 'error' as const, detail: err.message, transcript: [], transcriptPath: null }))
        : { outcome: 'error' as const, detail: 'no AI agent is configured', transcript: [], transcriptPath: null };
      for (const answer of waiting.values()) answer({ allow: false, reason: 'the session ended', by: 'clawmedic' });
      waiting.clear();
      if (this.agentRun?.ctl === ctl) this.agentRun = null;
      const outcome = ctl.signal.aborted && report.outcome !== 'aborted' ? 'aborted' : report.outcome;
      const detail = redact(report.detail);
      o.events.emit('agent-ended', { target: o.name, incidentId, outcome, detail, transcript: report.transcript.map(redact), transcriptPath: report.transcriptPath });
      if (report.transcriptPath) {
        const text = `AI agent transcript: ${report.transcriptPath} (${report.transcript.length} lines)`;
        await this.commitRecord({ kind: 'step', at: o.clock.now(), target: o.name, incidentId, level: 3, text });
      }
      await this.dispatch({ type: 'AgentFinished', session, outcome, detail });
    };
    const done = work().catch((err: Error) => o.log.error(`[${o.name}] the AI agent session failed: ${err.message}`));
    this.agentRun = { ctl, waiting, done };
  }

  /** A copy with every secret the redactor knows masked, whatever field it hides in. */
  private redacted<T>(value: T): T {
    return JSON.parse(this.o.redactor.redact(JSON.stringify(value))) as T;
  }

  private async commitRecord(raw: LadderRecord): Promise<void> {
    const record = { ...raw, text: this.o.redactor.redact(raw.text) };
    await this.o.store.appendRecord(record);
    const line = `[${record.target}]${record.incidentId ? ` ${record.incidentId}` : ''} ${record.text}`;
    if (record.kind === 'human') this.o.log.warn(line);
    else this.o.log.info(line);
    this.o.events.emit('record', record);
  }

  /** Work actions run in the background; their results come back as events. */
  private run(
    action: Exclude<
      LadderAction,
      { type: 'Record' | 'SaveIncident' | 'NotifyHuman' | 'RequestApproval' | 'ApprovalClosed' | 'AnswerAgent' | 'StopAgent' | 'StartAgent' }
    >,
  ): void {
    const o = this.o;
    const work = async (): Promise<void> => {
      switch (action.type) {
        case 'StartGateway': {
          await o.repairs.captureConfig().catch((err: Error) => o.log.warn(`[${o.name}] could not read the config: ${err.message}`));
          try {
            const pid = await o.gateway.start();
            await this.dispatch({ type: 'GatewayStarted', pid });
          } catch (err) {
            const permanent = err instanceof GatewayStartError && err.permanent;
            await this.dispatch({ type: 'GatewayStartFailed', error: (err as Error).message, permanent });
          }
          return;
        }
        case 'StopGateway': {
          const wasRunning = await o.gateway.stop(action.reason, action.urgent);
          // A supervised gateway's exit arrives through onExit; otherwise say it is stopped.
          if (!o.gateway.supervised || !wasRunning) await this.dispatch({ type: 'GatewayStopped' });
          return;
        }
        case 'Diagnose':
          return this.dispatch({ type: 'Diagnosed', diagnosis: await o.repairs.diagnose() });
        case 'RunRepair': {
          const result = await o.repairs
            .run(action.step, action.pid)
            .catch((err: Error) => ({ ok: false, detail: err.message }));
          return this.dispatch({ type: 'RepairFinished', step: action.step, ...result });
        }
        case 'SnapshotConfig':
          await o.repairs.snapshotConfig();
          return;
      }
    };
    const done = work().catch((err: Error) => o.log.error(`[${o.name}] ${action.type} failed: ${err.message}`));
    if (action.type === 'StartGateway') this.starting = done;
  }

  private async probeLoop(): Promise<void> {
    const { signal } = this.stopping;
    while (!signal.aborted) {
      const started = this.o.clock.now();
      const result = await this.o.probe.check(signal);
      if (signal.aborted) break;
      await this.dispatch(result.ok ? { type: 'ProbeSucceeded', result } : { type: 'ProbeFailed', result }).catch(() => {});
      // While it answers, a config broken on disk is an outage waiting for the next restart.
      if (result.ok) {
        const drift = await this.o.repairs.configDrift().catch(() => null);
        if (drift) await this.dispatch({ type: 'ConfigChanged', ...drift }).catch(() => {});
      }
      // A fixed cadence (a slow probe eats into the wait, never adds to it), still single-flight.
      await this.o.clock.sleep(Math.max(0, this.o.probeIntervalMs - (this.o.clock.now() - started)), signal);
    }
  }

  private scheduleWake(): void {
    const at = nextWakeAt(this.state);
    if (at === (this.wake?.at ?? null)) return;
    this.wake?.ctl.abort();
    this.wake = null;
    if (at === null || this.closing) return;
    const ctl = new AbortController();
    this.wake = { at, ctl };
    const delay = Math.max(MIN_WAKE_MS, at - this.o.clock.now());
    void this.o.clock.sleep(delay, ctl.signal).then(() => {
      if (ctl.signal.aborted) return;
      this.wake = null;
      void this.dispatch({ type: 'Tick' }).catch(() => {});
    });
  }
}

/** The state as it is committed: the last probe's timing changes every few seconds and is not worth a write. */
function durableJson(state: TargetState): string {
  return JSON.stringify({ ...state, probe: { ...state.probe, last: null } });
}
