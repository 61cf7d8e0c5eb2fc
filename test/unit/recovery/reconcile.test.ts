/** The store catches up with the ladder's state at start-up (a medic killed -9 between the two commits). */
import { describe, expect, it } from 'vitest';
import { Redactor } from '../../../src/lib/redact/redactor.js';
import { MedicEvents } from '../../../src/recovery/events.js';
import { Outbox } from '../../../src/recovery/watchdog/outbox.js';
import { reconcileIncidents } from '../../../src/recovery/watchdog/reconcile.js';
import { memoryLogger } from '../../../src/logger.js';
import { KeyvStore } from '../../../src/store/index.js';
import { makeIncident, makeTargetState } from '../store/store-contract.js';

async function world() {
  const store = await KeyvStore.inMemory();
  const events = new MedicEvents();
  const emitted: string[] = [];
  events.on('incident', (i) => emitted.push(`${i.id}:${i.state}`));
  const outbox = new Outbox({ target: 'gw', store, events, log: memoryLogger(), redactor: new Redactor(['sekrit-token-1234']), status: () => ({}) as never });
  return { store, outbox, emitted };
}

describe('reconcileIncidents', () => {
  it('closes an incident the state resolved but the store still reads open, as the state has it', async () => {
    const { store, outbox, emitted } = await world();
    await store.saveIncident(makeIncident('gw-1', 'gw', 10, { state: 'recovering' }));
    const resolved = makeIncident('gw-1', 'gw', 10, { state: 'resolved', closedAt: 50, outcome: 'healthy again' });
    await reconcileIncidents(makeTargetState('gw', { incident: null, resolved }), store, outbox, 100);
    const after = await store.getIncident('gw-1');
    expect(after?.incident).toMatchObject({ state: 'resolved', closedAt: 50, outcome: 'healthy again' });
    expect(after?.timeline.at(-1)?.text).toBe('medic restarted; healthy again (its end had not been recorded)');
    expect(emitted).toEqual(['gw-1:resolved']);
  });

  it('closes an open incident the state does not know, saying why, and leaves closed ones alone', async () => {
    const { store, outbox } = await world();
    await store.saveIncident(makeIncident('gw-1', 'gw', 10, { state: 'resolved', closedAt: 20 }));
    await store.saveIncident(makeIncident('gw-2', 'gw', 30, { state: 'waiting_human' }));
    await store.saveIncident(makeIncident('other-1', 'other', 30, { state: 'recovering' }));
    await reconcileIncidents(makeTargetState('gw', { incident: null, resolved: null }), store, outbox, 100);
    expect((await store.getIncident('gw-1'))?.incident).toMatchObject({ state: 'resolved', closedAt: 20 });
    expect((await store.getIncident('gw-2'))?.incident).toMatchObject({ state: 'aborted', closedAt: 100, approval: null });
    expect((await store.getIncident('gw-2'))?.incident.outcome).toMatch(/stopped before it recorded how this incident ended/);
    expect((await store.getIncident('other-1'))?.incident.state).toBe('recovering'); // another target's
  });

  it('saves the open incident of the state when the store holds an older copy (or none), redacted; not when it agrees', async () => {
    const { store, outbox, emitted } = await world();
    await store.saveIncident(makeIncident('gw-3', 'gw', 10, { state: 'open', level: 0 }));
    const current = makeIncident('gw-3', 'gw', 10, { state: 'recovering', level: 2, cause: 'token sekrit-token-1234 refused' });
    await reconcileIncidents(makeTargetState('gw', { incident: current }), store, outbox, 100);
    const saved = (await store.getIncident('gw-3'))?.incident;
    expect(saved).toMatchObject({ state: 'recovering', level: 2 });
    expect(saved?.cause).not.toContain('sekrit-token-1234');
    await reconcileIncidents(makeTargetState('gw', { incident: current }), store, outbox, 200);
    expect(emitted).toEqual(['gw-3:recovering']); // once: the second start finds them in agreement
  });
});
