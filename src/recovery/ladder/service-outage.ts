/**
 * A service's outage while its manager has just started it again (a person's `systemctl --user restart`, systemd's
 * Restart=): the gateway is starting, not down. A restart through GATEWAY_RESTART_COMMAND then would kill a start-up
 * half done (seen on the real gateway in test/chaos/service.test.ts: the medic restarted a gateway a person had
 * restarted 4 s before, then again each time the start-up outlasted a probe threshold). The run gets the start-up
 * grace from its manager's start instead; when it still does not answer after that, the outage takes its rung.
 */
import { record, type Step } from './context.js';

/**
 * Whether the service's main process, started at `startingSince` (epoch ms) by its manager, is a run the medic did
 * not start and has not seen answering, young enough to be still starting: then the ladder waits for it (true).
 */
export function startedElsewhere(c: Step, startingSince: number): boolean {
  const p = c.s.process;
  const age = c.now - startingSince;
  // The run the medic started itself, or saw answering, is not a new one.
  const known = Math.max(p.answeredAt ?? -Infinity, p.startedAt ?? -Infinity);
  if (age < 0 || age >= c.o.startupGraceMs || startingSince <= known) return false;
  Object.assign(p, { startedAt: startingSince, becameHealthy: false, answeredAt: null });
  delete p.graceExtended;
  const grace = Math.round(c.o.startupGraceMs / 1000);
  record(c, 'step', `its service manager started it again ${(age / 1000).toFixed(1)} s ago (not clawmedic): waiting for that start-up, up to ${grace} s from it, instead of restarting it`);
  return true;
}
