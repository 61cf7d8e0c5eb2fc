/**
 * Level 2: the gateway is stopped, diagnosed, and repaired one step at a time, each step
 * verified by starting the gateway and probing it; a failed verification diagnoses again for
 * the next step. Also the config watch: a config broken on disk under a running gateway.
 */
import type { Diagnosis, PendingWork, RepairStep } from '../types.js';
import { agentSawConfig } from './agent.js';
import { ask, closeApproval } from './approvals.js';
import { record, type Step } from './context.js';
import { describeDiagnosis } from './describe.js';
import { needsPerson } from '../classify/index.js';
import { personStep } from './failure.js';
import { escalate, openIncident, resolve, setLevel } from './incident.js';
import { start, stop } from './supervise.js';

export function enterLevel2(c: Step, reason: string): void {
  const inc = c.s.incident;
  if (!inc) return;
  inc.verifying = null;
  setLevel(c, 2, reason);
  if (c.s.process.status === 'running' || c.s.process.status === 'starting') {
    stop(c, 'level 2 repairs need the gateway stopped', 'diagnose');
  } else {
    diagnose(c);
  }
}

export function diagnose(c: Step): void {
  c.s.pending = { work: 'diagnose', since: c.now };
  c.actions.push({ type: 'Diagnose' });
}

/** The next repair from what the diagnosis found, in the order a person would try them. */
export function diagnosed(c: Step, d: Diagnosis): void {
  const s = c.s;
  // Stale news: the ladder moved on while it was in flight (an operator's answer ran a repair, a recovery...).
  if (s.pending?.work !== 'diagnose') return;
  s.pending = null;
  const inc = s.incident;
  if (!inc || inc.state !== 'recovering' || s.paused) return;
  inc.lastDiagnosis = d;
  record(c, 'step', `diagnosis: ${describeDiagnosis(d)}`);
  const tried = (step: RepairStep) => inc.tried.includes(step);
  const f = inc.failure;
  if (d.otherSupervisor) {
    // Stopping the other one's gateway would only make its supervisor start it again: a restart storm.
    const summary = `two supervisors manage this gateway: clawmedic (GATEWAY_COMMAND) and ${d.otherSupervisor}; clawmedic will not fight it`;
    return personStep(c, { class: 'duelling-supervisors', culprit: d.otherSupervisor, evidence: f?.evidence ?? [], summary });
  }
  if (f?.class === 'stale-lock' && !tried('remove-stale-lock')) return repair(c, 'remove-stale-lock', pidOf(f.culprit));
  if (f?.class === 'plugin-crash' && f.culprit && inc.tried.filter((t) => t === 'disable-plugin').length < MAX_PLUGINS_DISABLED) {
    if (inc.disabledPlugins?.includes(f.culprit) !== true) return repair(c, 'disable-plugin', null, f.culprit);
  }
  if (needsPerson(f)) return personStep(c, f!);
  if (d.portHolder) {
    if (d.portHolder.stale && !tried('stop-stale')) return repair(c, 'stop-stale', d.portHolder.pid);
    const who = `pid ${d.portHolder.pid} (${d.portHolder.command})`;
    // Stopping a foreign process is a person's decision: ask once, with the facts.
    if (d.portHolder.pid > 0 && !tried('stop-port-holder')) {
      const q = `Stop pid ${d.portHolder.pid} (${d.portHolder.command}), which holds the gateway's port, so the gateway can start?`;
      return ask(c, 'stop-port-holder', d.portHolder.pid, d.portHolder.command, q);
    }
    return escalate(c, `the port is held by ${who}; stopping a foreign process is a person's decision`);
  }
  if (!d.config.ok && d.lastKnownGood.available && !tried('restore-config')) return repair(c, 'restore-config');
  // OpenClaw's doctor does not fix a missing gateway.mode; its own `config set` does, when no good copy exists.
  if (d.config.modeMissingOnly && !d.lastKnownGood.available && !tried('set-gateway-mode')) return repair(c, 'set-gateway-mode');
  if (inc.doctorRuns < c.o.maxDoctorRuns && s.doctor !== false) return repair(c, 'doctor');
  if (d.lastKnownGood.available && d.lastKnownGood.differs && !tried('restore-config')) {
    return repair(c, 'restore-config');
  }
  escalate(c, 'level 2 has nothing left to try');
}

/**
 * A new fact while a human is awaited (the gateway died, a known-good copy now exists, the
 * config changed on disk): look again. A gateway that is down is diagnosed (or, for a config
 * that now validates, started) so that a repair not tried yet is tried at once; a latent incident
 * whose gateway still runs gets the restore question once a known-good copy exists. When the
 * new look finds nothing new, the incident waits again without a second notice (`escalate`).
 */
export function reEvaluate(c: Step, fact: string, then: 'diagnose' | 'start' | 'known-good'): void {
  const s = c.s;
  const inc = s.incident;
  if (!inc || inc.state !== 'waiting_human' || s.paused || s.pending || inc.approval) return;
  const running = s.process.status === 'running' || s.process.status === 'starting';
  if (inc.latent && running) {
    if (then !== 'known-good') return; // it still runs on the config it started with
    setLevel(c, 2, `${fact}: offering to restore it under the running gateway`);
    const q = 'The config on disk is broken, and a known-good copy now exists. The running gateway ignores the broken file, but it will not start again. Restore the known-good config now?';
    return ask(c, 'restore-config', 0, '', q);
  }
  if (c.o.supervised && running) return; // its probes or its exit will speak
  if (!c.o.canRestart) return; // watch-only: a repair could not be verified; a person restarts it
  inc.verifying = null;
  if (then === 'start') {
    setLevel(c, 2, `${fact}: starting the gateway to verify it`);
    return start(c);
  }
  setLevel(c, 2, `${fact}: looking again`);
  diagnose(c);
}

/**
 * The foreign process that held the port let go of it (it ended, or closed its socket): a new fact. A
 * question about stopping it no longer applies (withdrawn) and the gateway is started to verify; an
 * incident waiting for a person because of it looks again. A start that fails on a new holder is
 * diagnosed as any failed verification (and that holder asked about).
 */
export function portFreed(c: Step, pid: number): void {
  const s = c.s;
  const inc = s.incident;
  if (!inc || s.paused || s.pending || s.process.status !== 'stopped') return;
  const fact = `pid ${pid} no longer holds the port`;
  const a = inc.approval;
  if (a?.kind === 'stop-port-holder' && a.pid === pid) {
    record(c, 'step', `${fact}: question ${a.id} no longer applies`);
    closeApproval(c, 'withdrawn', null);
    inc.verifying = null;
    setLevel(c, 2, `${fact}: starting the gateway to verify it`);
    return start(c);
  }
  if (inc.state === 'waiting_human' && inc.lastDiagnosis?.portHolder?.pid === pid) reEvaluate(c, fact, 'start');
}

export function repair(c: Step, step: RepairStep, pid: number | null = null, subject?: string): void {
  const inc = c.s.incident!;
  inc.tried.push(step);
  if (step === 'doctor') inc.doctorRuns += 1;
  if (step === 'disable-plugin' && subject) inc.disabledPlugins = [...(inc.disabledPlugins ?? []), subject];
  inc.verifying = step;
  c.s.pending = { work: step, since: c.now };
  const label = step === 'doctor' ? `doctor (run ${inc.doctorRuns} of ${c.o.maxDoctorRuns})` : `${step}${subject ? ` ${subject}` : step === 'remove-stale-lock' && pid !== null ? ` (pid ${pid})` : ''}`;
  record(c, 'step', `repair: ${label}`);
  c.actions.push({ type: 'RunRepair', step, pid, ...(subject ? { subject } : {}) });
}

/** Which pending work is a level-2 repair of its own (every kind listed: a new one must say). */
const IS_REPAIR: Record<PendingWork, boolean> = {
  start: false,
  stop: false,
  diagnose: false,
  agent: false,
  classify: false,
  'stop-stale': true,
  'restore-config': true,
  'set-gateway-mode': true,
  doctor: true,
  'stop-port-holder': true,
  'disable-plugin': true,
  'remove-stale-lock': true,
};

/**
 * Boot: the repair the previous medic was running when it died (its answer never came) may be tried once
 * more, at most once per step and incident (it may be what killed the medic); its effect is unknown, so the
 * diagnosis that follows decides. Without this, a stale gateway of ours found again after the medic was
 * killed -9 during `stop-stale` counted as tried and went to a person (explorer, medic-crash seed 140).
 */
export function forgetInterruptedRepair(c: Step): void {
  const inc = c.s.incident;
  const work = c.s.pending?.work;
  if (!inc || !work || !IS_REPAIR[work] || inc.tried.at(-1) !== work) return;
  const step = work as RepairStep;
  if (inc.retriedAfterCrash?.includes(step)) return;
  inc.tried.pop();
  if (step === 'doctor') inc.doctorRuns = Math.max(0, inc.doctorRuns - 1);
  inc.verifying = null;
  inc.retriedAfterCrash = [...(inc.retriedAfterCrash ?? []), step];
  record(c, 'step', `the medic stopped while ${step} ran (no answer came): it may be tried once more`);
}

/** Plugins one incident may disable, one at a time (each verified by a start). */
const MAX_PLUGINS_DISABLED = 3;

/** The pid in a culprit such as "pid 4242". */
function pidOf(culprit: string | null): number | null {
  const m = /pid (\d+)/.exec(culprit ?? '');
  return m ? Number(m[1]) : null;
}

export function repairFinished(c: Step, step: RepairStep, ok: boolean, detail: string): void {
  const s = c.s;
  s.pending = null;
  const inc = s.incident;
  if (!inc || inc.state !== 'recovering' || s.paused) return;
  record(c, 'step', `${step} ${ok ? 'finished' : 'failed'}: ${detail}`);
  // A disable that did not happen (timed out on a loaded machine) may be tried again, within MAX_PLUGINS_DISABLED.
  if (!ok && step === 'disable-plugin') inc.disabledPlugins = inc.disabledPlugins?.slice(0, -1) ?? [];
  if (!ok) return repairFailed(c, null);
  if (s.process.status === 'running' && s.health === 'up') return resolve(c); // fixed under a gateway that kept running
  record(c, 'step', `verifying ${step}: starting the gateway`);
  start(c);
}

/**
 * A check that ran beside a repair's verifying start (OpenClaw's `config validate` after a restore:
 * 5-9 s, kept off the critical path) finished. Passed: a line. Failed while that repair is still being
 * verified: the verification fails (the gateway is stopped, the next repair looked for). Failed after
 * the gateway came back healthy on the file: a line; the running gateway is the stronger proof.
 */
export function repairChecked(c: Step, step: RepairStep, ok: boolean, detail: string): void {
  const inc = c.s.incident;
  const verifying = inc !== null && inc.state === 'recovering' && inc.verifying === step && !c.s.paused;
  if (ok || !verifying) {
    record(c, inc ? 'step' : 'health', ok ? `${step} checked: ${detail}` : `${step} checked after the gateway came back: ${detail}`);
    return;
  }
  if (c.s.pending !== null) {
    record(c, 'step', `${step} checked: ${detail}`);
    return; // work in flight (a start, a stop, a diagnosis) decides what comes next; a start is itself the gateway's check
  }
  repairFailed(c, `${step} did not pass its check: ${detail}`);
}

/** A repair (or its verification) failed: stop what runs and diagnose again for the next one. */
export function repairFailed(c: Step, text: string | null): void {
  const inc = c.s.incident!;
  if (inc.verifying && text) record(c, 'step', text);
  inc.verifying = null;
  if (c.s.process.status === 'running') stop(c, 'the repair did not help', 'diagnose');
  else diagnose(c);
}

/** The config file changed: broken under a running, healthy gateway is an outage waiting for its restart. */
export function configChanged(c: Step, ok: boolean, error: string | null, lastKnownGood: boolean): void {
  const s = c.s;
  const inc = s.incident;
  const running = s.process.status === 'running' && s.health === 'up';
  if (inc?.latent && s.pending?.work === 'agent') return agentSawConfig(c, ok); // level 3 (agent.ts): its end gives the verdict
  if (ok && inc?.latent && running) {
    // A restore in flight wrote this file: its own result (and its validation) closes the incident.
    if (s.pending?.work !== 'restore-config') {
      closeApproval(c, 'withdrawn', null);
      resolve(c, 'the config on disk is valid again');
    }
    return;
  }
  if (inc?.state === 'waiting_human') {
    if (ok) return reEvaluate(c, 'the config on disk changed and validates', 'start');
    return reEvaluate(c, `the config on disk changed (${error ?? 'invalid'})`, 'diagnose');
  }
  if (ok) return;
  if (inc || s.paused || !running) return; // an outage in progress deals with the config itself
  const latent = openIncident(c, `the config on disk is broken while the gateway runs: ${error ?? 'invalid'}`, null);
  latent.latent = true;
  setLevel(c, 2, 'the running gateway ignores the broken file, but its next start will fail: acting before that');
  if (!lastKnownGood) return escalate(c, 'the config on disk is broken and there is no known-good copy: fix it before the gateway restarts');
  const q = `The config on disk is broken (${error ?? 'invalid'}). The running gateway ignores it, but it will not start again. Restore the last-known-good config now?`;
  ask(c, 'restore-config', 0, '', q);
}
