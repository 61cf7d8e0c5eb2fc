/**
 * Levels 0 and 1: the gateway's process and its probes. Level 0 restarts an exited gateway
 * (at once, then with backoff); level 1 restarts one that runs but does not answer. A circuit
 * breaker, exit 78 (bad config), a port in use or a command that cannot run hand the incident
 * to level 2 (`repair.ts`). Also the process verbs every level uses: start, stop, restart.
 */
import { failureOfExit } from '../classify/index.js';
import type { ExitInfo, FailureClass, ProbeResult, TargetState } from '../types.js';
import { agentOnBoot, startAgent } from './agent.js';
import { record, type Step } from './context.js';
import { describeExit } from './describe.js';
import { noteFailure, routeFailure } from './failure.js';
import { escalate, openIncident, reopenFlapping, resolve, setLevel } from './incident.js';
import { closeApproval } from './approvals.js';
import { newRunOn, proveConfig } from './known-good.js';
import { inStartupGrace, isBlocked, isFrozen, notAnsweringWhy, restartedInProcess } from './liveness.js';
import { diagnose, enterLevel2, forgetInterruptedRepair, reEvaluate, repairFailed } from './repair.js';
import { memoryExited } from './vitals.js';

export function boot(c: Step, adoptedPid: number | null, doctor?: boolean): void {
  const s = c.s;
  const agentWasRunning = s.pending?.work === 'agent'; // (level 3: its session is resumed, see agentOnBoot)
  if (doctor !== undefined) s.doctor = doctor;
  forgetInterruptedRepair(c);
  if (!c.o.canRestart) {
    // Said once per medic start: what a watch-only medic does and does not do (a missing doctor is logged by the watchdog).
    record(c, 'health', 'watch-only: clawmedic probes the gateway and reports; it cannot start or restart it (no GATEWAY_COMMAND or GATEWAY_RESTART_COMMAND), so an outage goes to a person');
  }
  s.pending = null;
  s.afterStop = null;
  s.restartAt = null;
  s.health = 'unknown';
  s.healthySince = null;
  s.probe.failures = 0;
  s.probe.successes = 0;
  if (s.proof) s.proof.lastOkAt = null; // the time the medic was away proves nothing
  // An adopted gateway may still be starting (the previous medic died mid-restart): it gets the
  // start-up grace from now, which ends at its first good probe. A service's start is unknown.
  const adopted = c.o.supervised && adoptedPid !== null;
  Object.assign(s.process, { startedAt: adopted ? c.now : null, becameHealthy: false, answeredAt: null, pid: adoptedPid });
  if (!c.o.supervised) {
    s.process.status = 'running';
    agentOnBoot(c, agentWasRunning);
    return;
  }
  if (adoptedPid !== null) {
    s.process.status = 'running';
    if (s.incident) record(c, 'step', `medic restarted; adopted the running gateway (pid ${adoptedPid})`);
    if (s.incident?.latent) agentOnBoot(c, agentWasRunning); // level 3 on a latent incident works beside the running gateway
    return;
  }
  s.process.status = 'stopped';
  const inc = s.incident;
  if (agentOnBoot(c, agentWasRunning)) return;
  if (s.paused || inc?.state === 'waiting_human') return;
  if (inc?.approval?.kind === 'restore-config') {
    // Asked only because the gateway ran on the broken file; it is gone now, so level 2 restores without asking.
    record(c, 'step', `medic restarted; the gateway is gone, so question ${inc.approval.id} no longer applies: diagnosing again`);
    closeApproval(c, 'withdrawn', null);
    diagnose(c);
    return;
  }
  if (inc?.approval) {
    // The question still stands (its answer is checked again when it is carried out): no re-diagnosis to race it.
    record(c, 'step', `medic restarted; question ${inc.approval.id} is still open`);
    return;
  }
  if (inc && inc.level >= 2) {
    record(c, 'step', 'medic restarted mid-repair; diagnosing again');
    diagnose(c);
    return;
  }
  if (inc) record(c, 'step', 'medic restarted mid-incident; starting the gateway');
  start(c);
}

/** Tick: a restart that waited out its backoff. */
export function dueRestart(c: Step): void {
  const s = c.s;
  if (s.restartAt === null || c.now < s.restartAt || s.pending) return;
  s.restartAt = null;
  start(c);
}

export function started(c: Step, pid: number | null, config: string | null): void {
  const s = c.s;
  s.pending = null;
  Object.assign(s.process, { status: 'running', pid, startedAt: c.now, becameHealthy: false, answeredAt: null });
  delete s.process.graceExtended;
  // A new run has to prove itself: a service restarted in place never went through 'down'.
  if (s.health === 'up') {
    s.health = 'unknown';
    s.healthySince = null;
  }
  s.probe.failures = 0;
  s.probe.successes = 0;
  newRunOn(s, config);
  if (s.incident) record(c, 'step', pid !== null ? `gateway started (pid ${pid})` : 'restart command finished');
}

/**
 * The pid shown is the gateway's, not the shell or wrapper it was started as: the process serving the
 * port (`listens`), or before that the program the shell (or a wrapper) runs.
 */
export function serving(c: Step, pid: number, listens = true): void {
  const s = c.s;
  if (s.process.status !== 'running' || s.process.pid === pid) return; // late news of an ended run
  const was = s.process.pid;
  s.process.pid = pid;
  const as = was !== null ? ` (started as pid ${was})` : '';
  if (s.incident) record(c, 'step', listens ? `gateway listening as pid ${pid}${as}` : `gateway runs as pid ${pid}${as}`);
}

export function startFailed(c: Step, error: string, permanent: boolean): void {
  c.s.pending = null;
  if (c.o.supervised) {
    c.s.process.status = 'stopped';
    c.s.process.pid = null;
  }
  // A start that failed is a failed start, whatever the previous run did.
  const what = `could not be started: ${error}`;
  const failure: FailureClass = { class: permanent ? 'command' : 'crash', culprit: null, evidence: [], summary: `the gateway ${what}` };
  fault(c, what, permanent ? 'command' : null, true, false, true, failure);
}

export function stopped(c: Step): void {
  const s = c.s;
  // Late news of a stop whose exit already moved the ladder on (a start may be in flight).
  if (s.pending?.work !== 'stop') return;
  s.pending = null;
  if (c.o.supervised) Object.assign(s.process, { status: 'stopped', pid: null });
  continueAfterStop(c);
}

export function exited(c: Step, exit: ExitInfo): void {
  const s = c.s;
  const wasStopping = s.process.status === 'stopping';
  const died = s.process.status === 'running' || s.process.status === 'starting';
  const unstable = !s.process.becameHealthy;
  const ranAs = s.process.pid;
  // Short: it ended by itself (an exit code, not a signal such as a person's kill -9) soon after it first
  // answered (a slow start-up under load is not time up), or soon after its start when it never answered.
  const since = s.process.answeredAt ?? s.process.startedAt;
  const short = exit.code !== null && since !== null && c.now - since < c.o.flapRunMs;
  Object.assign(s.process, { status: 'stopped', pid: null, lastExit: exit });
  markDown(c);
  const what = describeExit(exit);
  const failure = failureOfExit(exit, what);
  if (wasStopping) {
    s.pending = null;
    // Stopped because it no longer answered, it died of its own first: a heap running out stops the answers for
    // the last seconds of garbage collection before exit 134 (seen on the real gateway under load). Still an
    // out of memory: the incident says so, and it counts towards the memory finding.
    if (failure.class === 'out-of-memory' && s.incident) {
      noteFailure(c, s.incident, failure);
      memoryExited(c, ranAs);
    }
    continueAfterStop(c);
    return;
  }
  if (s.pending?.work === 'start') s.pending = null;
  fault(c, what, exit.hint, unstable, died, short, failure);
  if (failure.class === 'out-of-memory') memoryExited(c, ranAs);
}

/** The gateway died or could not start: open or continue the incident and decide the next rung. */
function fault(c: Step, what: string, hint: ExitInfo['hint'], unstable: boolean, died: boolean, short: boolean, failure: FailureClass): void {
  const s = c.s;
  // A run that answered and died soon after still counts: a plugin that throws 5 s after start-up is a crash loop.
  if (unstable || short) countUnstableExit(c);
  if (s.paused) {
    record(c, s.incident ? 'step' : 'health', `gateway ${what}; paused, not acting`);
    return;
  }
  const reopened = short && !s.paused && reopenFlapping(c, what);
  const inc = openIncident(c, `gateway ${what}`, reopened ? null : `gateway ${what} again`);
  const repeat = noteFailure(c, inc, failure);
  // Restoring under a running gateway no longer applies once it is down: level 2 restores without asking.
  if (inc.approval?.kind === 'restore-config') closeApproval(c, 'withdrawn', null);
  if (inc.state === 'waiting_human') {
    // A gateway that had been healthy died: a new fact. (A half-open retry that never came up is not.)
    if (died && !unstable) reEvaluate(c, `gateway ${what}`, 'diagnose');
    return;
  }
  if (inc.level >= 2) return repairFailed(c, `${inc.verifying ?? 'the repair'} did not bring it back: ${what}`);
  if (routeFailure(c, failure, repeat)) return;
  if (hint === 'config') return enterLevel2(c, 'exit 78: the gateway refuses its config; not restarting blindly');
  if (hint === 'port') return enterLevel2(c, 'the port is in use; finding out who holds it');
  if (hint === 'command') return enterLevel2(c, 'the gateway cannot be started as configured; no blind retries');
  if (breakerOpen(c)) return enterLevel2(c, breakerText(c));
  const attempt = s.backoffAttempt;
  const delay = c.o.backoff(attempt, c.random);
  if (delay === null) return enterLevel2(c, 'restart backoff gave up');
  if (unstable) s.backoffAttempt += 1;
  if (delay <= 0) return start(c);
  s.restartAt = c.now + delay;
  record(c, 'step', `restarting in ${(delay / 1000).toFixed(1)} s (backoff attempt ${attempt})`);
}

export function probeSucceeded(c: Step, result: ProbeResult): void {
  const s = c.s;
  s.probe.last = result;
  // While our own gateway is not running, whoever answers on its port is not it.
  if (c.o.supervised && s.process.status !== 'running') return;
  s.probe.failures = 0;
  // Capped: counters past their threshold say nothing more and would only cause writes.
  s.probe.successes = Math.min(s.probe.successes + 1, c.o.recoveryThreshold);
  if (!s.process.becameHealthy) s.process.answeredAt = c.now;
  s.process.becameHealthy = true;
  if (s.probe.successes >= c.o.recoveryThreshold && s.health !== 'up') {
    const was = s.health;
    s.health = 'up';
    s.healthySince = c.now;
    s.backoffAttempt = 0;
    if (was === 'down') record(c, 'health', `healthy again (${result.latencyMs} ms)`);
    if (s.incident && holdsOpen(c)) {
      record(c, 'step', `answering again, but a plugin crashed it after its start: the incident stays open for ${Math.round(c.o.flapRunMs / 1000)} s`);
    } else if (s.incident) resolve(c);
  } else if (s.health === 'up' && s.incident && holdsOpen(c) && s.healthySince !== null && c.now - s.healthySince >= c.o.flapRunMs) {
    resolve(c);
  }
  proveConfig(c);
}

export function probeFailed(c: Step, result: ProbeResult): void {
  const s = c.s;
  s.probe.last = result;
  s.probe.successes = 0;
  const p = s.process;
  if (p.status !== 'running') return; // starting, stopping or stopped: exits and starts speak for it
  // A stopped process, or a blocked event loop, is not answering at once; otherwise a restart in process or
  // a start still at work is waited for (liveness.ts).
  const verdict = isFrozen(result) ? 'stopped' : isBlocked(c, result) ? 'blocked' : null;
  if (!verdict && (restartedInProcess(c, result) || inStartupGrace(c, result))) return;
  s.probe.failures = verdict ? c.o.failureThreshold : Math.min(s.probe.failures + 1, c.o.failureThreshold);
  if (s.probe.failures < c.o.failureThreshold) return;
  const wasUp = s.health === 'up';
  markDown(c);
  const why = notAnsweringWhy(c, result, verdict);
  if (s.paused) {
    if (wasUp) record(c, 'health', `gateway ${why}; paused, not acting`);
    return;
  }
  if (s.pending) return;
  // The timeline records transitions: while a human is awaited, a gateway that was already down says
  // nothing new every N probes (elsewhere each failure is of a new run: the ladder acted in between).
  const waiting = s.incident?.state === 'waiting_human';
  const inc = openIncident(c, `gateway ${why}`, wasUp || !waiting ? `gateway ${why}` : null);
  const evidence = [...(result.error ? [result.error] : []), ...(result.pinnedMs !== undefined ? [`main thread pinned (100% of a core) for ${(result.pinnedMs / 1000).toFixed(1)} s`] : [])];
  noteFailure(c, inc, { class: 'hang', culprit: null, evidence, summary: `the gateway is ${why}` });
  s.probe.failures = 0;
  // A service's exits are invisible: what it left behind (its log, the journal, a stability bundle) may name the class.
  // Once per outage: a day of failed probes while a human is awaited asks nothing new.
  if (!c.o.supervised && (wasUp || !waiting)) {
    c.actions.push({ type: 'ClassifyOutage' });
    // As an exit is read before the supervised ladder picks its rung, a service's next rung waits for what it left
    // behind (OutageClassified): a plugin it names is disabled, a lock removed, a stamp rewritten, not restarted blindly.
    if (inc.state !== 'waiting_human' && c.o.canRestart) {
      if (inc.level < 2 && !p.becameHealthy) countUnstableExit(c);
      s.pending = { work: 'classify', since: c.now, why };
      return;
    }
  }
  continueOutage(c, why, wasUp, !p.becameHealthy, null);
}

/**
 * The rung after a gateway stopped answering; for a service, once what it left behind was read (`named`: the class it
 * names and whether the incident had named the same before), as `fault` does for an exit: a certain class takes its
 * own rung (a plugin that killed two runs in a row is disabled, a stale lock removed, a newer stamp rewritten).
 */
export function continueOutage(c: Step, why: string, wasUp: boolean, unstable: boolean, named: { failure: FailureClass; repeat: boolean } | null): void {
  const inc = c.s.incident;
  if (!inc) return;
  if (inc.state === 'waiting_human') {
    // It answered and stopped: a new fact; a gateway we run is stopped and looked at again.
    if (wasUp && c.o.supervised && !inc.approval) enterLevel2(c, 'stopped answering while waiting for a human: stopping it to look again');
    return;
  }
  if (!c.o.canRestart) return escalate(c, 'clawmedic cannot restart it (watch-only: no GATEWAY_COMMAND or GATEWAY_RESTART_COMMAND)');
  if (inc.level >= 2) return repairFailed(c, `${inc.verifying ?? 'the repair'} did not bring it back: ${why}`);
  if (unstable) countUnstableExit(c);
  if (named && routeFailure(c, named.failure, named.repeat)) return;
  if (breakerOpen(c)) return enterLevel2(c, breakerText(c));
  setLevel(c, 1, c.o.supervised ? 'alive but not answering: restarting it' : 'not answering: restarting the service');
  restart(c, 'not answering');
}

// ---- the process verbs -------------------------------------------------------

export function start(c: Step): void {
  const s = c.s;
  s.restartAt = null;
  s.pending = { work: 'start', since: c.now };
  if (!c.o.supervised || s.process.startedAt !== null || s.process.lastExit !== null) {
    s.restarts += 1;
    if (s.incident) s.incident.restarts += 1;
  }
  if (c.o.supervised) s.process.status = 'starting';
  c.actions.push({ type: 'StartGateway' });
}

export function stop(c: Step, reason: string, after: TargetState['afterStop']): void {
  const s = c.s;
  s.pending = { work: 'stop', since: c.now };
  s.afterStop = after;
  if (c.o.supervised) s.process.status = 'stopping';
  // Not answering probes: a short SIGTERM grace, a frozen process will not act on it.
  c.actions.push({ type: 'StopGateway', reason, urgent: s.health === 'down' });
}

/** Restart: in place when a service manager owns the gateway, stop-then-start when we do. */
export function restart(c: Step, reason: string): void {
  if (c.o.supervised && c.s.process.status === 'running') stop(c, reason, 'start');
  else start(c);
}

function continueAfterStop(c: Step): void {
  const next = c.s.afterStop;
  c.s.afterStop = null;
  if (next === 'start') start(c);
  else if (next === 'diagnose') diagnose(c);
  else if (next === 'agent') startAgent(c);
}

/**
 * A plugin that crashed the gateway may crash it again seconds after each start: answering is not yet
 * recovery. The incident stays open until the run has been healthy for `flapRunMs` (unless the plugin's
 * own repair is being verified, or a person is awaited): another repair (a doctor) does not remove the plugin.
 */
function holdsOpen(c: Step): boolean {
  const inc = c.s.incident;
  return inc !== null && inc.failure?.class === 'plugin-crash' && inc.verifying !== 'disable-plugin' && inc.state === 'recovering';
}

function markDown(c: Step): void {
  const s = c.s;
  if (s.health === 'up') record(c, 'health', 'gateway down');
  if (s.proof) s.proof.lastOkAt = null;
  s.health = 'down';
  s.healthySince = null;
  s.probe.successes = 0;
}

function countUnstableExit(c: Step): void {
  const s = c.s;
  s.unstableExits = [...s.unstableExits.filter((t) => c.now - t < c.o.breakerWindowMs), c.now];
}

function breakerOpen(c: Step): boolean {
  return c.s.unstableExits.length >= c.o.breakerMaxExits;
}

function breakerText(c: Step): string {
  const secs = Math.round(c.o.breakerWindowMs / 1000);
  // A run shorter than flapRunMs counts as a failed start.
  return `circuit breaker open: ${c.s.unstableExits.length} failed starts within ${secs} s`;
}
