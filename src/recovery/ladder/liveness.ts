/**
 * How a failed probe is read (level 1), before it counts: a frozen process, a start that is still
 * working, a gateway restarting in process, and how soon the next probe comes.
 *
 * Told apart by what the probe and /proc saw (`ProbeResult.kind` and `.process`):
 * - a frozen gateway keeps its port and answers nothing (`timeout`); a stopped one (state T: SIGSTOP,
 *   a debugger) cannot answer whatever the wait, so it is not answering at its first failed probe;
 * - so is one whose event loop spins (`while (true) {}`: its main thread pinned, `pinnedMs`) through
 *   a whole probe wait and `blockedLoopMs` in all, once it has answered in this run: OpenClaw's main
 *   thread is read pinned at most 1-1.5 s at a time around its start (measured at load 8 and 27);
 *   a gateway slow but not pinned (blocked in a wait, starved of CPU, a spinning loop that allocates
 *   and so waits on the GC's threads) still takes `failureThreshold` failed probes;
 * - OpenClaw restarting in process (SIGUSR2, a config change that needs a restart) closes its HTTP
 *   server for several seconds (about 8 s measured, longer under load) while it works on its start:
 *   `refused` from a process that is alive and `working` is a restart, given the start-up grace
 *   again, never a hang;
 * - a start slowed by load works (CPU) until it listens: the grace is extended while it does, up to
 *   `startupGraceMaxMs`; an idle or stopped one is not waited for past `startupGraceMs`.
 */
import type { ProbeResult, TargetState } from '../types.js';
import { record, type Step } from './context.js';
import { DefaultLadderOptions } from './options.js';

/** The process cannot answer, however long the probe waits: a verdict at the first failure. */
export function isFrozen(result: ProbeResult): boolean {
  return result.process === 'stopped';
}

/**
 * Its event loop is blocked: the probe timed out while the gateway's main thread was pinned for its
 * whole wait, and for at least `blockedLoopMs`, in a run that had answered (a start, or a restart in
 * process, works hard before it answers: its grace speaks for it). A verdict at that failure.
 */
export function isBlocked(c: Step, result: ProbeResult): boolean {
  if (result.kind !== 'timeout' || result.pinnedMs === undefined || !c.s.process.becameHealthy) return false;
  return result.pinnedMs >= (c.o.blockedLoopMs ?? DefaultLadderOptions.blockedLoopMs);
}

/** Why a failed probe's gateway is not answering, as the incident's cause says it. */
export function notAnsweringWhy(c: Step, result: ProbeResult, verdict: 'stopped' | 'blocked' | null): string {
  if (verdict === 'stopped') return 'not answering: its process is stopped (state T: SIGSTOP or a debugger)';
  const base = `not answering: ${result.error ?? 'probe failed'}`;
  const pinned = result.pinnedMs === undefined ? null : `main thread at 100% CPU for ${(result.pinnedMs / 1000).toFixed(1)} s`;
  if (verdict === 'blocked') return `not answering: its event loop is blocked (${pinned})`;
  // Counted to the threshold: a pinned main thread is still worth saying.
  return `${base} (${c.o.failureThreshold} failed probes${pinned ? `; ${pinned}` : ''})`;
}

/**
 * A gateway that had answered closed its port and works: it restarts in process. That is a start:
 * the grace runs again from now (its health is kept: it is the gateway's own restart, not an outage).
 */
export function restartedInProcess(c: Step, result: ProbeResult): boolean {
  const p = c.s.process;
  if (!p.becameHealthy || result.kind !== 'refused' || result.process !== 'working') return false;
  Object.assign(p, { startedAt: c.now, becameHealthy: false });
  delete p.graceExtended;
  c.s.probe.failures = 0;
  record(c, c.s.incident ? 'step' : 'health', 'the gateway closed its port while it works: restarting in process, given the start-up grace again');
  return true;
}

/**
 * Inside the start-up grace (failures not counted): until the first good probe of the run, for
 * `startupGraceMs`, and past it while the process keeps working, up to `startupGraceMaxMs`. A service whose
 * manager says its main process no longer runs is not starting (its exit is otherwise invisible).
 */
export function inStartupGrace(c: Step, result: ProbeResult): boolean {
  const p = c.s.process;
  if (p.becameHealthy || p.startedAt === null || result.serviceDown) return false;
  const age = c.now - p.startedAt;
  if (age < c.o.startupGraceMs) return true;
  if (result.process !== 'working' || age >= c.o.startupGraceMaxMs) return false;
  if (!p.graceExtended) {
    p.graceExtended = true;
    const grace = Math.round(c.o.startupGraceMs / 1000);
    const cap = Math.round(c.o.startupGraceMaxMs / 1000);
    record(c, c.s.incident ? 'step' : 'health', `still starting after ${grace} s and still working: waiting for it up to ${cap} s from its start`);
  }
  return true;
}

export interface ProbeCadence {
  /** The probe interval (PROBE_INTERVAL_MS). */
  intervalMs: number;
  /** After a failed probe of a gateway that was answering (PROBE_RETRY_MS). */
  retryMs: number;
}

/**
 * When the next probe starts, from the end of the last one's step: after a failed probe of a gateway
 * that was answering, soon (a freeze is confirmed or dismissed in seconds, not intervals); otherwise a
 * whole interval. A refused probe (the port closed: a restart in process, or an exit on its way) waits
 * the interval: its process and its exit speak sooner than probes would.
 */
export function nextProbeDelayMs(s: TargetState, cadence: ProbeCadence): number {
  const last = s.probe.last;
  const retry = last !== null && !last.ok && last.kind !== 'refused' && s.process.status === 'running' && s.process.becameHealthy;
  return retry ? Math.min(cadence.retryMs, cadence.intervalMs) : cadence.intervalMs;
}
