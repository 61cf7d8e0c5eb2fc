/** How the ladder words an exit and a diagnosis, for the timeline, the card and the agent's prompt. */
import type { Diagnosis, ExitInfo } from '../types.js';

export function describeExit(exit: ExitInfo): string {
  const how = exit.code !== null ? `exited with code ${exit.code}` : `was killed by ${exit.signal ?? 'a signal'}`;
  const f = exit.failure;
  // Named plainly: "ran out of memory", not "exited with code 134".
  if (f?.class === 'out-of-memory') return `${f.summary}${exit.code !== null && exit.code !== 134 ? ` (exit ${exit.code})` : ''}`;
  if (f) return `${how}: ${f.summary}`;
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
  if (d.otherSupervisor) parts.push(`also managed by ${d.otherSupervisor}`);
  return parts.join('; ');
}
