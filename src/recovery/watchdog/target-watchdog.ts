/**
 * One target's loop around the pure ladder. Every fact goes through one queue and is applied
 * one at a time: probe results, process exits, action results, the agent's questions, ticks
 * and operators' requests (checked in their turn, so a check never reads a state that an
 * earlier queued event is about to change). Each step is committed to the store before its
 * actions run (`effects.ts`) and leave through the outbox (`outbox.ts`).
 */
import { MedicStoppingError, RequestRejectedError } from '../../errors.js';
import type { MedicEvents } from '../events.js';
import { checkAbort, checkApproval, checkEnablePlugin, checkRecover, checkResume, initialState, nextProbeDelayMs, nextWakeAt, step, type LadderOptions } from '../ladder/index.js';
import type { AgentRunner, Clock, GatewayProcess, GatewayRepairs, HealthProbe, Logger, Store } from '../ports.js';
import type { Redactor } from '../../lib/redact.js';
import type { Incident, LadderEvent, Level, PendingApproval, TargetState, TargetStatus } from '../types.js';
import type { VitalsMonitor } from '../vitals/ports.js';
import { AgentBridge } from './agent-bridge.js';
import { HUMAN_OUTPUT_LINES, perform, type EffectPorts } from './effects.js';
import { Outbox } from './outbox.js';
import { probeWithActivity } from './probe-once.js';
import { reconcileIncidents } from './reconcile.js';
import { statusOf } from './status.js';

export interface WatchdogOptions {
  name: string;
  ladder: LadderOptions;
  probeIntervalMs: number;
  /** After a failed probe of a gateway that was answering, the next one comes this soon (PROBE_RETRY_MS). Default 500 ms. */
  probeRetryMs?: number;
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
  /** Memory, readiness and the provider probe of the running gateway; absent: liveness only. */
  vitals?: VitalsMonitor;
  random?: () => number;
}

/** A wake-up that is already due is retried this soon, never in a tight loop. */
const MIN_WAKE_MS = 250;
/** PROBE_RETRY_MS's default. */
const DEFAULT_PROBE_RETRY_MS = 500;

export class TargetWatchdog {
  /** Re-enables asked for in this process (`incidentId/plugin`): a second click is a no-op, not a second run. */
  private readonly reenabling = new Set<string>();
  private state: TargetState;
  /** The state as of the last fully committed step: what status() shows, never ahead of the store. */
  private published: TargetState;
  private savedState = '';
  private queue: Promise<void> = Promise.resolve();
  private readonly stopping = new AbortController();
  private closing = false;
  private probeLoopDone: Promise<void> = Promise.resolve();
  private vitalsDone: Promise<void> = Promise.resolve();
  private wake: { at: number; ctl: AbortController } | null = null;
  /** The probe loop's wait between probes: cut short when the gateway is found stopped. */
  private nap: AbortController | null = null;
  /** A start in flight: exits wait for it, so GatewayStarted always precedes its exit. */
  private starting: Promise<void> = Promise.resolve();
  private readonly random: () => number;
  private readonly outbox: Outbox;
  private readonly agent: AgentBridge;
  private readonly effects: EffectPorts;

  constructor(private readonly o: WatchdogOptions) {
    this.state = initialState(o.name);
    this.published = this.state;
    this.random = o.random ?? Math.random;
    const dispatch = (event: LadderEvent) => this.dispatch(event);
    this.outbox = new Outbox({
      target: o.name,
      store: o.store,
      events: o.events,
      log: o.log,
      redactor: o.redactor,
      // The state being committed (an incident is saved inside its step, before it is published).
      status: () => statusOf(this.state, o.gateway.supervised, Boolean(o.ladder.agentEnabled)),
    });
    this.agent = new AgentBridge({
      target: o.name,
      runner: o.agent,
      outbox: this.outbox,
      store: o.store,
      clock: o.clock,
      log: o.log,
      dispatch,
      recentOutput: () => o.gateway.recentOutput(HUMAN_OUTPUT_LINES),
      configDrift: () => o.repairs.configDrift(true), // a latent incident: the gateway runs
    });
    this.effects = {
      target: o.name,
      gateway: o.gateway,
      repairs: o.repairs,
      outbox: this.outbox,
      agent: this.agent,
      clock: o.clock,
      log: o.log,
      dispatch,
      ...(o.vitals ? { vitals: o.vitals } : {}),
      incident: () => this.state.incident,
      startInFlight: (done) => {
        this.starting = done;
      },
      startSettled: () => this.starting,
    };
  }

  get name(): string {
    return this.o.name;
  }

  async start(): Promise<void> {
    const o = this.o;
    this.state = (await o.store.loadTarget(o.name)) ?? initialState(o.name);
    this.published = this.state;
    this.savedState = durableJson(this.state);
    await reconcileIncidents(this.state, o.store, this.outbox, o.clock.now()).catch((err: Error) => o.log.warn(`[${o.name}] could not check the stored incidents against the state: ${err.message}`));
    o.gateway.onExit((exit) => {
      void this.starting.then(() => this.dispatch({ type: 'ProcessExited', exit }));
    });
    o.gateway.onServing((pid, listens) => {
      void this.starting.then(() => this.dispatch({ type: 'GatewayServing', pid, listens }));
    });
    const adoptedPid = await o.gateway.adoptOrClear();
    if (adoptedPid !== null) o.log.info(`[${o.name}] adopted the gateway a previous medic left running (pid ${adoptedPid})`);
    // Once, at start-up: a doctor that is not installed is never run (level 2 goes on without it).
    const doctor = await o.repairs.doctorInstalled().catch(() => true);
    if (!doctor) o.log.warn(`[${o.name}] the doctor (DOCTOR_COMMAND) is not installed: level 2 will not run it`);
    await this.dispatch({ type: 'Boot', adoptedPid, doctor });
    this.probeLoopDone = this.probeLoop();
    this.vitalsDone = this.vitalsLoop();
  }

  /** Stops the loops; `stopGateway` also stops a gateway the medic supervises. */
  async stop(stopGateway: boolean): Promise<void> {
    this.closing = true;
    this.stopping.abort();
    this.wake?.ctl.abort();
    await this.probeLoopDone;
    await this.vitalsDone;
    await this.queue;
    // Suspended, not ended: the next medic resumes the session (its records are kept).
    await this.agent.close(new MedicStoppingError('the medic is stopping'));
    await this.o.gateway.close(stopGateway);
  }

  status(): TargetStatus {
    return statusOf(this.published, this.o.gateway.supervised, Boolean(this.o.ladder.agentEnabled));
  }

  /** The gateway's last output lines, redacted. */
  recentOutput(lines = HUMAN_OUTPUT_LINES): string[] {
    return this.outbox.redactLines(this.o.gateway.recentOutput(lines));
  }

  /** Operator request: run a level by hand. Resolves with the incident id. */
  recover(level: Level, by: string, note: string | null): Promise<string | null> {
    return this.request(
      (s) => checkRecover(s, level, this.o.ladder),
      { type: 'RecoverRequested', level, by, note },
      () => this.state.incident?.id ?? null,
    );
  }

  /** Ends the open incident and pauses automatic actions. Resolves with the incident's id. */
  abort(by: string, reason: string | null): Promise<string> {
    let id = '';
    return this.request(
      (s) => {
        id = s.incident?.id ?? '';
        return checkAbort(s);
      },
      { type: 'AbortRequested', by, reason },
      () => id,
    );
  }

  /** An operator's answer to the open question (`approvalId` null: whichever is open). Resolves with its id. */
  decide(approvalId: string | null, approved: boolean, by: string, scope: 'once' | 'incident' = 'once'): Promise<string> {
    let id = '';
    return this.request(
      (s) => {
        id = approvalId ?? s.incident?.approval?.id ?? '';
        return checkApproval(s, approvalId);
      },
      () => ({ type: 'ApprovalDecided', approvalId: id, approved, by, scope }),
      () => id,
    );
  }

  /** The open question of this target, if any. */
  pendingApproval(): PendingApproval | null {
    return this.published.incident?.approval ?? null;
  }

  pause(by: string, until: number | null): Promise<void> {
    return this.request(() => null, { type: 'PauseRequested', by, until }, () => undefined);
  }

  resume(by: string): Promise<void> {
    return this.request(checkResume, { type: 'ResumeRequested', by }, () => undefined);
  }

  /**
   * An operator re-enables `plugin`, which the ladder disabled in `incident` (refused while that incident is open,
   * or for a plugin it did not disable). The result follows on that incident's timeline. `already-enabled`, and
   * nothing run: it was re-enabled since (the stored incident says so), or a re-enable of it is under way here (two
   * clicks at once, a stale card).
   */
  async enablePlugin(incident: Pick<Incident, 'id' | 'target' | 'disabledPlugins' | 'reenabledPlugins'>, plugin: string, by: string): Promise<'requested' | 'already-enabled'> {
    const key = `${incident.id}/${plugin}`;
    if (incident.reenabledPlugins?.includes(plugin) || this.reenabling.has(key)) return 'already-enabled';
    this.reenabling.add(key); // before the queue: a second click in the same moment sees it
    try {
      await this.request((s) => checkEnablePlugin(s, incident, plugin), { type: 'PluginEnableRequested', plugin, incidentId: incident.id, by }, () => undefined);
    } catch (err) {
      this.reenabling.delete(key);
      throw err;
    }
    return 'requested';
  }

  /** Events are applied one at a time, in arrival order. */
  dispatch(event: LadderEvent): Promise<void> {
    return this.enqueue(() => this.apply(event), event.type);
  }

  /** An operator's request: checked in its turn in the queue, refused with a `RequestRejectedError`, else applied. */
  private request<T>(check: (s: TargetState) => string | null, event: LadderEvent | (() => LadderEvent), result: () => T): Promise<T> {
    const type = typeof event === 'function' ? 'operator request' : event.type;
    return this.enqueue(async () => {
      const why = check(this.state);
      if (why) throw new RequestRejectedError(why, 409);
      await this.apply(typeof event === 'function' ? event() : event);
      return result();
    }, type);
  }

  private enqueue<T>(work: () => Promise<T>, what: string): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.then(
      () => {},
      (err: unknown) => {
        if (!(err instanceof RequestRejectedError)) this.o.log.error(`[${this.o.name}] could not apply ${what}: ${(err as Error).message}`);
      },
    );
    return run;
  }

  private async apply(event: LadderEvent): Promise<void> {
    if (this.closing) return; // the medic is shutting down: its own stop of the gateway is no incident
    if (event.type === 'PluginEnableFinished' && !event.ok) this.reenabling.delete(`${event.incidentId}/${event.plugin}`); // may be tried again
    const o = this.o;
    const { state, actions } = step(this.state, event, { now: o.clock.now(), random: this.random(), options: o.ladder });
    this.state = state;
    // Commit before anything leaves the ladder: a kill -9 after this point loses nothing.
    const json = durableJson(state);
    if (json !== this.savedState) {
      await o.store.saveTarget(state);
      this.savedState = json;
    }
    for (const action of actions) await perform(action, this.effects);
    this.published = state;
    o.events.emit('status', this.outbox.redacted(this.status()));
    this.scheduleWake();
  }

  private async probeLoop(): Promise<void> {
    const { signal } = this.stopping;
    // A gateway found stopped (state T), or whose main thread spins, is probed at once, not at the next interval.
    this.o.gateway.onStopped?.(() => this.nap?.abort());
    this.o.gateway.onPinned?.(() => this.nap?.abort());
    const cadence = { intervalMs: this.o.probeIntervalMs, retryMs: this.o.probeRetryMs ?? DEFAULT_PROBE_RETRY_MS };
    while (!signal.aborted) {
      const started = this.o.clock.now();
      const result = await probeWithActivity(this.o.probe, this.o.gateway, this.o.clock, signal);
      if (signal.aborted) break;
      // The first answer of a run: who serves the port is known before health is up (the pid shown is the listener's).
      if (result.ok && !this.state.process.becameHealthy) await this.o.gateway.lookForServing?.().catch(() => {});
      await this.dispatch(result.ok ? { type: 'ProbeSucceeded', result } : { type: 'ProbeFailed', result }).catch(() => {});
      // While it answers, a config broken on disk is an outage waiting for the next restart; while a
      // human is awaited, a config changed on disk is a new fact (a person may have fixed it).
      if (result.ok || this.state.incident?.state === 'waiting_human') {
        // The first check while the gateway does not answer is only the baseline (config-guard.ts).
        const drift = await this.o.repairs.configDrift(result.ok).catch(() => null);
        if (drift) await this.dispatch({ type: 'ConfigChanged', ...drift }).catch(() => {});
      }
      // A foreign holder of the port that the incident waits on (a question, or a person) may leave by itself.
      const holder = this.awaitedPortHolder();
      if (holder !== null && this.o.repairs.holdsPort && !(await this.o.repairs.holdsPort(holder).catch(() => true))) {
        await this.dispatch({ type: 'PortFreed', pid: holder }).catch(() => {});
      }
      // A fixed cadence (a slow probe eats into the wait, never adds to it), still single-flight; sooner
      // after a failure of a gateway that was answering (liveness.ts).
      const delay = nextProbeDelayMs(this.state, cadence);
      const nap = new AbortController();
      this.nap = nap;
      const onStop = () => nap.abort();
      signal.addEventListener('abort', onStop, { once: true });
      await this.o.clock.sleep(Math.max(0, delay - (this.o.clock.now() - started)), nap.signal);
      signal.removeEventListener('abort', onStop);
      this.nap = null;
    }
  }

  /** The foreign process holding the port that the open incident waits on (asked about, or escalated), while the gateway is stopped. */
  private awaitedPortHolder(): number | null {
    const s = this.state;
    const inc = s.incident;
    if (!inc || s.process.status !== 'stopped' || s.paused || s.pending) return null;
    if (inc.approval?.kind === 'stop-port-holder') return inc.approval.pid;
    const pid = inc.lastDiagnosis?.portHolder?.pid ?? 0;
    return inc.state === 'waiting_human' && pid > 0 ? pid : null;
  }

  /** The vitals adapter's loops, fed the published state (never ahead of the store). */
  private vitalsLoop(): Promise<void> {
    const vitals = this.o.vitals;
    if (!vitals) return Promise.resolve();
    const s = () => this.published;
    return vitals
      .run({
        pid: () => (s().process.status === 'running' ? s().process.pid : null),
        healthy: () => s().process.status === 'running' && s().health === 'up',
        recentOutput: (lines) => this.o.gateway.recentOutput(lines),
        dispatch: (event) => this.dispatch(event).catch(() => {}),
        signal: this.stopping.signal,
      })
      .catch((err: Error) => this.o.log.error(`[${this.o.name}] the vitals loop stopped: ${err.message}`));
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
  // Nor are the vitals' samples and readings (every few seconds); what they decided (incidents, channel starts) is.
  const vitals = state.vitals && { ...state.vitals, samples: [], memory: null, readiness: null };
  return JSON.stringify({ ...state, probe: { ...state.probe, last: null }, vitals });
}
