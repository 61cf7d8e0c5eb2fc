/**
 * At start-up, the store's incidents agree with the ladder's state again. The state is committed first
 * and an incident is saved by the step's actions after it, so a medic killed -9 between the two leaves
 * the store behind: an incident the state has closed still reads open (or the open one reads older).
 * The state is the truth: the incident it holds is saved as it stands, and any other open one is closed.
 */
import type { Store } from '../ports.js';
import type { Incident, TargetState } from '../types.js';
import type { Outbox } from './outbox.js';

const RECENT = 20;

export async function reconcileIncidents(
  state: TargetState,
  store: Pick<Store, 'listIncidents' | 'getIncident'>,
  outbox: Pick<Outbox, 'incident' | 'record' | 'redacted'>,
  now: number,
): Promise<void> {
  const current = state.incident;
  if (current) {
    const stored = await store.getIncident(current.id);
    if (!stored || JSON.stringify(stored.incident) !== JSON.stringify(outbox.redacted(current))) await outbox.incident(current);
  }
  const open = (await store.listIncidents({ target: state.target, limit: RECENT })).filter(
    (i) => i.state !== 'resolved' && i.state !== 'aborted' && i.id !== current?.id,
  );
  for (const stale of open) {
    const closed: Incident =
      state.resolved?.id === stale.id
        ? state.resolved
        : { ...stale, state: 'aborted', closedAt: now, approval: null, retryAt: null, outcome: 'closed at the medic\'s start-up: the medic was stopped before it recorded how this incident ended' };
    await outbox.record({
      kind: closed.state === 'resolved' ? 'resolved' : 'aborted',
      at: now,
      target: state.target,
      incidentId: stale.id,
      level: closed.level,
      text: `medic restarted; ${closed.outcome ?? closed.state} (its end had not been recorded)`,
    });
    await outbox.incident(closed);
  }
}
