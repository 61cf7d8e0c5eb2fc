/**
 * The recovery ladder: a pure state machine. `step(state, event, ctx)` returns the
 * next state and the actions to run; it reads no clock, spawns nothing and imports
 * nothing with side effects, so every escalation rule is unit-tested with plain data.
 *
 * Level 0 restarts an exited gateway (immediately, then with backoff); level 1
 * restarts one that is up but not answering; a circuit breaker, exit 78 (bad config)
 * or a port in use send the incident to level 2, which stops the gateway, diagnoses
 * it and tries repairs one at a time, each verified by the probe; when nothing is
 * left, the AI agent gets one session when it is configured (level 3, `ladder-level3.ts`),
 * then the incident waits for a human (level 4).
 */
import { agentDecided, agentFinished, agentPermission, enterLevel3, startAgent, stopAgent, type LadderCore } from './ladder-level3.js';
import type { LadderOptions } from './ladder-options.js';
import type {
  Diagnosis,
  ExitInfo,
  Incident,
  LadderAction,
  LadderEvent,
  Level,
  PendingApproval,
  ProbeResult,
  RecordKind,
  RepairStep,
  StepResult,
  TargetState,
} from './types.js';

export interface StepContext {
  now: number;
  /** A random number in [0, 1), for backoff jitter. */
  random: number;
  options: LadderOptions;
}

export function initialState(target: string): TargetState {
  return {
    target,
    incidentSeq: 0,
    paused: false,
    pausedUntil: null,
    process: { status: 'stopped', pid: null, startedAt: null, becameHealthy: false, lastExit: null },
    health: 'unknown',
    healthySince: null,
    probe: { failures: 0, successes: 0, last: null },
    unstableExits: [],
    backoffAttempt: 0,
    restarts: 0,
    restartAt: null,
    pending: null,
    afterStop: null,
    snapshotTaken: false,
    incident: null,
  };
}

export function step(state: TargetState, event: LadderEvent, ctx: StepContext): StepResult {
  const run = new LadderStep(structuredClone(state), ctx);
  run.handle(event);
  // The incident as it stands after the step (or as it closed), whenever it changed: the store keeps it.
  const incident = run.s.incident ?? run.closed;
  if (incident && JSON.stringify(incident) !== JSON.stringify(state.incident)) {
    run.actions.push({ type: 'SaveIncident', incident });
  }
  return { state: run.s, actions: run.actions };
}

/** When the ladder next needs a `Tick`, derived from the state; null when it does not. */
export function nextWakeAt(state: TargetState): number | null {
  const retryAt = state.paused ? null : (state.incident?.retryAt ?? null);
  const expiresAt = state.incident?.approval?.expiresAt ?? null;
  const times = [state.restartAt, retryAt, state.pausedUntil, expiresAt].filter(
    (t): t is number => t !== null,
  );
  return times.length ? Math.min(...times) : null;
}

/** Why an answer to approval `approvalId` cannot be taken, or null when it can. */
export function checkApproval(state: TargetState, approvalId: string | null): string | null {
  const pending = state.incident?.approval;
  if (!pending) return `${state.target} has no question waiting for an answer`;
  if (approvalId !== null && pending.id !== approvalId) return `approval ${approvalId} is no longer open (the open one is ${pending.id})`;
  return null;
}

/** Why an operator's recovery request cannot run now, or null when it can. */
export function checkRecover(state: TargetState, level: Level, options?: Pick<LadderOptions, 'agentEnabled'>): string | null {
  if (level === 3 && !options?.agentEnabled) {
    return 'level 3 (AI agent) is off: set AGENT_ENABLED and ANTHROPIC_API_KEY (see .env.example), or ask for level 2 or 4';
  }
  if (state.pending) return `busy: ${state.pending.work} is in progress; try again when it finishes`;
  return null;
}

export function describeExit(exit: ExitInfo): string {
  const how = exit.code !== null ? `exited with code ${exit.code}` : `was killed by ${exit.signal ?? 'a signal'}`;
  if (exit.hint === 'config') return `${how} (bad config)`;
  if (exit.hint === 'port') return `${how} (port already in use)`;
  if (exit.hint === 'command') return `${how} (the command cannot run)`;
  return how;
}

export function describeDiagnosis(d: Diagnosis): string {
  const parts = [d.config.ok ? 'config valid' : `config invalid: ${d.config.error ?? 'unknown error'}`];
  if (!d.lastKnownGood.available) parts.push('no last-known-good config');
  else parts.push(d.lastKnownGood.differs ? 'last-known-good config differs' : 'config equals last-known-good');
  if (d.portHolder) {
    const who = `pid ${d.portHolder.pid} (${d.portHolder.command})`;
    parts.push(d.portHolder.stale ? `port held by a stale gateway ${who}` : `port held by ${who}`);
  }
  return parts.join('; ');
}

class LadderStep implements LadderCore {
  readonly actions: LadderAction[] = [];
  /** The incident this step resolved or aborted. */
  closed: Incident | null = null;

  constructor(
    public s: TargetState,
    private readonly ctx: StepContext,
  ) {}

  get o(): LadderOptions {
    return this.ctx.options;
  }

  get now(): number {
    return this.ctx.now;
  }

  handle(e: LadderEvent): void {
    switch (e.type) {
      case 'Boot':
        return this.boot(e.adoptedPid);
      case 'Tick':
        return this.tick();
      case 'ProbeSucceeded':
        return this.probeSucceeded(e.result);
      case 'ProbeFailed':
        return this.probeFailed(e.result);
      case 'GatewayStarted':
        return this.started(e.pid);
      case 'GatewayServing':
        return this.serving(e.pid);
      case 'GatewayStartFailed':
        return this.startFailed(e.error, e.permanent);
      case 'GatewayStopped':
        return this.stopped();
      case 'ProcessExited':
        return this.exited(e.exit);
      case 'Diagnosed':
        return this.diagnosed(e.diagnosis);
      case 'RepairFinished':
        return this.repairFinished(e.step, e.ok, e.detail);
      case 'RecoverRequested':
        return this.recoverRequested(e.level, e.by, e.note);
      case 'AbortRequested':
        return this.abortRequested(e.by, e.reason);
      case 'ApprovalDecided':
        return this.approvalDecided(e.approvalId, e.approved, e.by, e.scope ?? 'once');
      case 'AgentPermissionRequested':
        return agentPermission(this, e.requestId, e.tool, e.command, e.description);
      case 'AgentFinished':
        return agentFinished(this, e.session, e.outcome, e.detail);
      case 'ConfigChanged':
        return this.configChanged(e.ok, e.error, e.lastKnownGood);
      case 'PauseRequested':
        return this.pauseRequested(e.by, e.until);
      case 'ResumeRequested':
        return this.resume(e.by);
    }
  }

  // ---- lifecycle -----------------------------------------------------------

  private boot(adoptedPid: number | null): void {
    const s = this.s;
    s.pending = null;
    s.afterStop = null;
    s.restartAt = null;
    s.health = 'unknown';
    s.healthySince = null;
    s.probe.failures = 0;
    s.probe.successes = 0;
    // An adopted gateway may still be starting (the previous medic died mid-restart): it gets the
    // start-up grace from now, which ends at its first good probe. A service's start is unknown.
    const adopted = this.o.supervised && adoptedPid !== null;
    Object.assign(s.process, { startedAt: adopted ? this.now : null, becameHealthy: false, pid: adoptedPid });
    if (!this.o.supervised) {
      s.process.status = 'running';
      return;
    }
    if (adoptedPid !== null) {
      s.process.status = 'running';
      if (s.incident) this.record('step', `medic restarted; adopted the running gateway (pid ${adoptedPid})`);
      return;
    }
    s.process.status = 'stopped';
    const inc = s.incident;
    if (inc?.approval?.kind === 'agent-tool') {
      // The agent session died with the previous medic: its question has nobody left to answer it.
      this.record('step', 'the AI agent session ended with the previous medic');
      this.closeApproval('withdrawn', null);
    }
    if (s.paused || inc?.state === 'waiting_human') return;
    if (inc && inc.level >= 2) {
      this.record('step', 'medic restarted mid-repair; diagnosing again');
      this.diagnose();
      return;
    }
    if (inc) this.record('step', 'medic restarted mid-incident; starting the gateway');
    this.start();
  }

  private tick(): void {
    const s = this.s;
    if (s.paused && s.pausedUntil !== null && this.now >= s.pausedUntil) this.resume('maintenance window end');
    if (s.restartAt !== null && this.now >= s.restartAt && !s.pending) {
      s.restartAt = null;
      this.start();
    }
    const inc = s.incident;
    if (inc?.approval && this.now >= inc.approval.expiresAt) {
      const a = inc.approval;
      this.closeApproval('expired', null);
      if (a.kind === 'agent-tool') return; // the agent hears "denied" and carries on
      const mins = Math.round(this.o.approvalTimeoutMs / 60_000);
      return this.escalate(`nobody answered within ${mins} min whether to stop pid ${a.pid} (${a.command}); treated as denied`);
    }
    if (inc?.state === 'waiting_human' && inc.retryAt !== null && this.now >= inc.retryAt && !s.pending && !s.paused) {
      inc.retryAt = this.o.humanRetryMs === null ? null : this.now + this.o.humanRetryMs;
      this.record('step', 'circuit breaker half-open: trying one restart');
      this.restart('half-open retry');
    }
  }

  private started(pid: number | null): void {
    const s = this.s;
    s.pending = null;
    Object.assign(s.process, { status: 'running', pid, startedAt: this.now, becameHealthy: false });
    // A new run has to prove itself: a service restarted in place never went through 'down'.
    if (s.health === 'up') {
      s.health = 'unknown';
      s.healthySince = null;
    }
    s.probe.failures = 0;
    s.probe.successes = 0;
    s.snapshotTaken = false;
    if (s.incident) this.record('step', pid !== null ? `gateway started (pid ${pid})` : 'restart command finished');
  }

  /** The pid shown is the one serving the port, not the shell or wrapper it was started as. */
  private serving(pid: number): void {
    const s = this.s;
    if (s.process.status !== 'running' || s.process.pid === pid) return; // late news of an ended run
    const was = s.process.pid;
    s.process.pid = pid;
    if (s.incident) this.record('step', `gateway listening as pid ${pid}${was !== null ? ` (started as pid ${was})` : ''}`);
  }

  private startFailed(error: string, permanent: boolean): void {
    this.s.pending = null;
    if (this.o.supervised) {
      this.s.process.status = 'stopped';
      this.s.process.pid = null;
    }
    // A start that failed is a failed start, whatever the previous run did.
    this.fault(`could not be started: ${error}`, permanent ? 'command' : null, true);
  }

  private stopped(): void {
    const s = this.s;
    // Late news of a stop whose exit already moved the ladder on (a start may be in flight).
    if (s.pending?.work !== 'stop') return;
    s.pending = null;
    if (this.o.supervised) Object.assign(s.process, { status: 'stopped', pid: null });
    this.continueAfterStop();
  }

  private exited(exit: ExitInfo): void {
    const s = this.s;
    const wasStopping = s.process.status === 'stopping';
    const unstable = !s.process.becameHealthy;
    Object.assign(s.process, { status: 'stopped', pid: null, lastExit: exit });
    this.markDown();
    if (wasStopping) {
      s.pending = null;
      this.continueAfterStop();
      return;
    }
    if (s.pending?.work === 'start') s.pending = null;
    this.fault(describeExit(exit), exit.hint, unstable);
  }

  /** The gateway died or could not start: open or continue the incident and decide the next rung. */
  private fault(what: string, hint: ExitInfo['hint'], unstable: boolean): void {
    const s = this.s;
    if (unstable) this.countUnstableExit();
    if (s.paused) {
      this.record(s.incident ? 'step' : 'health', `gateway ${what}; paused, not acting`);
      return;
    }
    const inc = this.incidentFor(`gateway ${what}`, `gateway ${what} again`);
    if (inc.state === 'waiting_human') return;
    if (inc.level >= 2) return this.repairFailed(`${inc.verifying ?? 'the repair'} did not bring it back: ${what}`);
    if (hint === 'config') return this.enterLevel2('exit 78: the gateway refuses its config; not restarting blindly');
    if (hint === 'port') return this.enterLevel2('the port is in use; finding out who holds it');
    if (hint === 'command') return this.enterLevel2('the gateway cannot be started as configured; no blind retries');
    if (this.breakerOpen()) return this.enterLevel2(this.breakerText());
    const attempt = s.backoffAttempt;
    const delay = this.o.backoff(attempt, this.ctx.random);
    if (delay === null) return this.enterLevel2('restart backoff gave up');
    if (unstable) s.backoffAttempt += 1;
    if (delay <= 0) return this.start();
    s.restartAt = this.now + delay;
    this.record('step', `restarting in ${(delay / 1000).toFixed(1)} s (backoff attempt ${attempt})`);
  }

  // ---- probes --------------------------------------------------------------

  private probeSucceeded(result: ProbeResult): void {
    const s = this.s;
    s.probe.last = result;
    // While our own gateway is not running, whoever answers on its port is not it.
    if (this.o.supervised && s.process.status !== 'running') return;
    s.probe.failures = 0;
    // Capped: counters past their threshold say nothing more and would only cause writes.
    s.probe.successes = Math.min(s.probe.successes + 1, this.o.recoveryThreshold);
    s.process.becameHealthy = true;
    if (s.probe.successes >= this.o.recoveryThreshold && s.health !== 'up') {
      const was = s.health;
      s.health = 'up';
      s.healthySince = this.now;
      s.backoffAttempt = 0;
      if (was === 'down') this.record('health', `healthy again (${result.latencyMs} ms)`);
      if (s.incident) this.resolve();
    }
    const stableFor = s.healthySince === null ? 0 : this.now - s.healthySince;
    if (s.health === 'up' && !s.snapshotTaken && s.process.status === 'running' && stableFor >= this.o.snapshotAfterMs) {
      s.snapshotTaken = true;
      this.actions.push({ type: 'SnapshotConfig' });
    }
  }

  private probeFailed(result: ProbeResult): void {
    const s = this.s;
    s.probe.last = result;
    s.probe.successes = 0;
    const p = s.process;
    if (p.status !== 'running') return; // starting, stopping or stopped: exits and starts speak for it
    const inGrace = !p.becameHealthy && p.startedAt !== null && this.now - p.startedAt < this.o.startupGraceMs;
    if (inGrace) return;
    s.probe.failures = Math.min(s.probe.failures + 1, this.o.failureThreshold);
    if (s.probe.failures < this.o.failureThreshold) return;
    const wasUp = s.health === 'up';
    this.markDown();
    const why = `not answering: ${result.error ?? 'probe failed'} (${this.o.failureThreshold} failed probes)`;
    if (s.paused) {
      if (wasUp) this.record('health', `gateway ${why}; paused, not acting`);
      return;
    }
    if (s.pending) return;
    const inc = this.incidentFor(`gateway ${why}`, `gateway ${why}`);
    s.probe.failures = 0;
    if (inc.state === 'waiting_human') return;
    if (inc.level >= 2) return this.repairFailed(`${inc.verifying ?? 'the repair'} did not bring it back: ${why}`);
    if (!p.becameHealthy) this.countUnstableExit();
    if (this.breakerOpen()) {
      return this.enterLevel2(this.breakerText());
    }
    this.setLevel(1, this.o.supervised ? 'alive but not answering: restarting it' : 'not answering: restarting the service');
    this.restart('not answering');
  }

  // ---- level 2 -------------------------------------------------------------

  private enterLevel2(reason: string): void {
    const inc = this.s.incident;
    if (!inc) return;
    inc.verifying = null;
    this.setLevel(2, reason);
    if (this.s.process.status === 'running' || this.s.process.status === 'starting') {
      this.stop('level 2 repairs need the gateway stopped', 'diagnose');
    } else {
      this.diagnose();
    }
  }

  private diagnose(): void {
    this.s.pending = { work: 'diagnose', since: this.now };
    this.actions.push({ type: 'Diagnose' });
  }

  private diagnosed(d: Diagnosis): void {
    const s = this.s;
    s.pending = null;
    const inc = s.incident;
    if (!inc || inc.state !== 'recovering' || s.paused) return;
    inc.lastDiagnosis = d;
    this.record('step', `diagnosis: ${describeDiagnosis(d)}`);
    const tried = (step: RepairStep) => inc.tried.includes(step);
    if (d.portHolder) {
      if (d.portHolder.stale && !tried('stop-stale')) return this.repair('stop-stale', d.portHolder.pid);
      const who = `pid ${d.portHolder.pid} (${d.portHolder.command})`;
      // Stopping a foreign process is a person's decision: ask once, with the facts.
      if (d.portHolder.pid > 0 && !tried('stop-port-holder')) {
        const q = `Stop pid ${d.portHolder.pid} (${d.portHolder.command}), which holds the gateway's port, so the gateway can start?`;
        return this.ask('stop-port-holder', d.portHolder.pid, d.portHolder.command, q);
      }
      return this.escalate(`the port is held by ${who}; stopping a foreign process is a person's decision`);
    }
    if (!d.config.ok && d.lastKnownGood.available && !tried('restore-config')) return this.repair('restore-config');
    // OpenClaw's doctor does not fix a missing gateway.mode; its own `config set` does, when no good copy exists.
    if (d.config.modeMissingOnly && !d.lastKnownGood.available && !tried('set-gateway-mode')) return this.repair('set-gateway-mode');
    if (inc.doctorRuns < this.o.maxDoctorRuns) return this.repair('doctor');
    if (d.lastKnownGood.available && d.lastKnownGood.differs && !tried('restore-config')) {
      return this.repair('restore-config');
    }
    this.escalate('level 2 has nothing left to try');
  }

  private ask(kind: PendingApproval['kind'], pid: number, command: string, question: string): void {
    const inc = this.s.incident!;
    const approval: PendingApproval = {
      id: `${inc.id}-a${inc.tried.length + 1}`,
      kind,
      pid,
      command,
      question,
      requestedAt: this.now,
      expiresAt: this.now + this.o.approvalTimeoutMs,
    };
    inc.approval = approval;
    this.record('step', `approval needed: ${approval.question}`);
    this.actions.push({ type: 'RequestApproval', incidentId: inc.id, approval });
  }

  private approvalDecided(approvalId: string, approved: boolean, by: string, scope: 'once' | 'incident'): void {
    const inc = this.s.incident;
    const a = inc?.approval;
    if (!inc || !a || a.id !== approvalId) return; // a stale button or a second answer: nothing to do
    if (a.kind === 'agent-tool') return agentDecided(this, a, approved, by, scope);
    const what = a.kind === 'stop-port-holder' ? `stop pid ${a.pid} (${a.command})` : 'restore the last-known-good config';
    this.record('operator', `${by} ${approved ? 'approved' : 'denied'}: ${what}`, by);
    this.closeApproval(approved ? 'approved' : 'denied', by);
    if (a.kind === 'restore-config') {
      if (approved) return this.repair('restore-config');
      return this.escalate(`${by} declined restoring the config; fix it before the gateway restarts`);
    }
    if (approved) return this.repair('stop-port-holder', a.pid);
    this.escalate(`${by} denied stopping pid ${a.pid} (${a.command}), which holds the port`);
  }

  /** The config file changed: broken under a running, healthy gateway is an outage waiting for its restart. */
  private configChanged(ok: boolean, error: string | null, lastKnownGood: boolean): void {
    const s = this.s;
    const inc = s.incident;
    const running = s.process.status === 'running' && s.health === 'up';
    if (ok) {
      // A restore in flight wrote this file: its own result (and its validation) closes the incident.
      if (inc?.latent && running && s.pending?.work !== 'restore-config') {
        this.closeApproval('withdrawn', null);
        this.resolve('the config on disk is valid again');
      }
      return;
    }
    if (inc || s.paused || !running) return; // an outage in progress deals with the config itself
    const latent = this.incidentFor(`the config on disk is broken while the gateway runs: ${error ?? 'invalid'}`, null);
    latent.latent = true;
    this.setLevel(2, 'the running gateway ignores the broken file, but its next start will fail: acting before that');
    if (!lastKnownGood) return this.escalate('the config on disk is broken and there is no known-good copy: fix it before the gateway restarts');
    const q = `The config on disk is broken (${error ?? 'invalid'}). The running gateway ignores it, but it will not start again. Restore the last-known-good config now?`;
    this.ask('restore-config', 0, '', q);
  }

  closeApproval(outcome: 'approved' | 'denied' | 'expired' | 'withdrawn', by: string | null): void {
    const inc = this.s.incident!;
    const a = inc.approval;
    if (!a) return;
    inc.approval = null;
    if (outcome === 'expired') this.record('step', `approval ${a.id} expired: treated as denied`);
    this.actions.push({ type: 'ApprovalClosed', incidentId: inc.id, approval: a, outcome, by });
    if (a.kind === 'agent-tool' && a.requestId && outcome !== 'approved' && outcome !== 'denied') {
      const reason = outcome === 'expired' ? 'nobody answered in time: denied' : 'the incident moved on';
      this.actions.push({ type: 'AnswerAgent', requestId: a.requestId, allow: false, by: by ?? 'clawmedic', reason });
    }
  }

  private repair(step: RepairStep, pid: number | null = null): void {
    const inc = this.s.incident!;
    inc.tried.push(step);
    if (step === 'doctor') inc.doctorRuns += 1;
    inc.verifying = step;
    this.s.pending = { work: step, since: this.now };
    const label = step === 'doctor' ? `doctor (run ${inc.doctorRuns} of ${this.o.maxDoctorRuns})` : step;
    this.record('step', `repair: ${label}`);
    this.actions.push({ type: 'RunRepair', step, pid });
  }

  private repairFinished(step: RepairStep, ok: boolean, detail: string): void {
    const s = this.s;
    s.pending = null;
    const inc = s.incident;
    if (!inc || inc.state !== 'recovering' || s.paused) return;
    this.record('step', `${step} ${ok ? 'finished' : 'failed'}: ${detail}`);
    if (!ok) return this.repairFailed(null);
    if (s.process.status === 'running' && s.health === 'up') return this.resolve(); // fixed under a gateway that kept running
    this.record('step', `verifying ${step}: starting the gateway`);
    this.start();
  }

  /** A repair (or its verification) failed: stop what runs and diagnose again for the next one. */
  private repairFailed(text: string | null): void {
    const inc = this.s.incident!;
    if (inc.verifying && text) this.record('step', text);
    inc.verifying = null;
    if (this.s.process.status === 'running') this.stop('the repair did not help', 'diagnose');
    else this.diagnose();
  }

  private escalate(reason: string): void {
    const inc = this.s.incident!;
    // Level 3 once per incident (a person may ask for another run); a latent incident has a running gateway to keep.
    if (this.o.agentEnabled && !inc.agent && !inc.latent && !this.s.paused) return enterLevel3(this, reason);
    const agentTried = inc.agent?.result ? ` The AI agent tried: ${inc.agent.result}.` : '';
    reason = `${reason}${agentTried}`;
    this.setLevel(4, `human needed: ${reason}`);
    inc.retryAt = this.o.humanRetryMs === null ? null : this.now + this.o.humanRetryMs;
    this.actions.push({ type: 'NotifyHuman', incidentId: inc.id, summary: reason });
  }

  // ---- operators -----------------------------------------------------------

  private recoverRequested(level: Level, by: string, note: string | null): void {
    const s = this.s;
    this.record('operator', `${by} asked for level ${level}${note ? `: ${note}` : ''}`, by);
    if (s.paused) this.unpause();
    const inc = this.incidentFor(`manual recovery at level ${level} requested by ${by}`, null);
    s.restartAt = null;
    if (level <= 1) {
      this.setLevel(level, `${by}: restart`);
      inc.verifying = null;
      return this.restart(`requested by ${by}`);
    }
    if (level === 2) {
      // A person asking for level 2 gets a fresh repair budget.
      inc.doctorRuns = 0;
      inc.tried = [];
      return this.enterLevel2(`requested by ${by}`);
    }
    if (level === 3) return enterLevel3(this, `requested by ${by}${note ? `: ${note}` : ''}`);
    this.escalate(`${by} asked for a human`);
  }

  private abortRequested(by: string, reason: string | null): void {
    const s = this.s;
    const inc = s.incident;
    this.record('operator', `${by} aborted${reason ? `: ${reason}` : ''}`, by);
    if (!inc) return;
    this.closeApproval('withdrawn', by);
    stopAgent(this, `aborted by ${by}`);
    Object.assign(inc, { state: 'aborted', closedAt: this.now, retryAt: null, outcome: `aborted by ${by}` });
    this.record('aborted', `incident aborted by ${by}; automatic actions paused until resumed`);
    this.closed = inc;
    s.incident = null;
    s.paused = true;
    s.pausedUntil = null;
    s.restartAt = null;
    s.afterStop = null;
  }

  private pauseRequested(by: string, until: number | null): void {
    const s = this.s;
    s.paused = true;
    s.pausedUntil = until;
    s.restartAt = null;
    const span = until === null ? 'until resumed' : `for ${Math.round((until - this.now) / 60_000)} min`;
    this.record('operator', `${by} paused automatic actions ${span}`, by);
  }

  private resume(by: string): void {
    const s = this.s;
    this.unpause();
    this.record('operator', `${by} resumed automatic actions`, by);
    if (!this.o.supervised || s.pending || s.process.status !== 'stopped') return;
    const inc = this.incidentFor('gateway is down after maintenance', null);
    if (inc.state === 'waiting_human') return;
    if (inc.level >= 2) this.diagnose();
    else this.start();
  }

  private unpause(): void {
    this.s.paused = false;
    this.s.pausedUntil = null;
  }

  // ---- helpers -------------------------------------------------------------

  private start(): void {
    const s = this.s;
    s.restartAt = null;
    s.pending = { work: 'start', since: this.now };
    if (!this.o.supervised || s.process.startedAt !== null || s.process.lastExit !== null) {
      s.restarts += 1;
      if (s.incident) s.incident.restarts += 1;
    }
    if (this.o.supervised) s.process.status = 'starting';
    this.actions.push({ type: 'StartGateway' });
  }

  stop(reason: string, after: TargetState['afterStop']): void {
    const s = this.s;
    s.pending = { work: 'stop', since: this.now };
    s.afterStop = after;
    if (this.o.supervised) s.process.status = 'stopping';
    // Not answering probes: a short SIGTERM grace, a frozen process will not act on it.
    this.actions.push({ type: 'StopGateway', reason, urgent: s.health === 'down' });
  }

  /** Restart: in place when a service manager owns the gateway, stop-then-start when we do. */
  restart(reason: string): void {
    if (this.o.supervised && this.s.process.status === 'running') this.stop(reason, 'start');
    else this.start();
  }

  private continueAfterStop(): void {
    const next = this.s.afterStop;
    this.s.afterStop = null;
    if (next === 'start') this.start();
    else if (next === 'diagnose') this.diagnose();
    else if (next === 'agent') startAgent(this);
  }

  private markDown(): void {
    const s = this.s;
    if (s.health === 'up') this.record('health', 'gateway down');
    s.health = 'down';
    s.healthySince = null;
    s.probe.successes = 0;
  }

  private countUnstableExit(): void {
    const s = this.s;
    s.unstableExits = [...s.unstableExits.filter((t) => this.now - t < this.o.breakerWindowMs), this.now];
  }

  private breakerText(): string {
    const secs = Math.round(this.o.breakerWindowMs / 1000);
    return `circuit breaker open: ${this.s.unstableExits.length} failed starts within ${secs} s`;
  }

  private breakerOpen(): boolean {
    return this.s.unstableExits.length >= this.o.breakerMaxExits;
  }

  /** The open incident, or a new one; `again` is written to the timeline of one already open. */
  private incidentFor(cause: string, again: string | null): Incident {
    const s = this.s;
    if (s.incident) {
      if (again) this.record('step', again);
      if (s.incident.state === 'open') s.incident.state = 'recovering';
      return s.incident;
    }
    s.incidentSeq += 1;
    s.incident = {
      id: `${s.target}-${s.incidentSeq}`,
      target: s.target,
      openedAt: this.now,
      closedAt: null,
      cause,
      state: 'recovering',
      level: 0,
      maxLevel: 0,
      restarts: 0,
      doctorRuns: 0,
      tried: [],
      verifying: null,
      lastDiagnosis: null,
      retryAt: null,
      approval: null,
      outcome: null,
    };
    this.record('opened', cause);
    return s.incident;
  }

  setLevel(level: Level, text: string): void {
    const inc = this.s.incident!;
    inc.level = level;
    inc.maxLevel = Math.max(inc.maxLevel, level) as Level;
    inc.state = level === 4 ? 'waiting_human' : 'recovering';
    if (level !== 4) inc.retryAt = null;
    this.record(level === 4 ? 'human' : 'level', `level ${level}: ${text}`);
  }

  resolve(outcome?: string): void {
    const s = this.s;
    const inc = s.incident!;
    const secs = ((this.now - inc.openedAt) / 1000).toFixed(1);
    const by = outcome ?? (inc.verifying === 'agent'
      ? 'fixed by the AI agent'
      : inc.verifying
      ? `fixed by ${inc.verifying}`
      : inc.state === 'waiting_human'
        ? 'came back while waiting for a human'
        : `${inc.restarts} restart${inc.restarts === 1 ? '' : 's'}`);
    this.closeApproval('withdrawn', null);
    stopAgent(this, 'the gateway is healthy again');
    Object.assign(inc, { state: 'resolved', closedAt: this.now, retryAt: null, outcome: by });
    this.record('resolved', `resolved after ${secs} s at level ${inc.maxLevel} (${by})`);
    this.closed = inc;
    s.incident = null;
  }

  record(kind: RecordKind, text: string, by?: string): void {
    const inc = this.s.incident;
    this.actions.push({
      type: 'Record',
      record: {
        kind,
        at: this.now,
        target: this.s.target,
        incidentId: inc?.id ?? null,
        level: inc?.level ?? null,
        text,
        ...(by !== undefined ? { by } : {}),
      },
    });
  }
}
