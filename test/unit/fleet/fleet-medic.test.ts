import { describe, expect, it } from 'vitest';
import { freshest } from '../../../src/fleet/fleet-medic.js';
import { hostLostIncident } from '../../../src/fleet/hosts.js';
import type { Incident, TargetStatus } from '../../../src/recovery/types.js';

const status = (incident: TargetStatus['incident']): TargetStatus => ({
  name: 'gw-c',
  supervised: true,
  agent: false,
  phase: 'healthy',
  health: 'up',
  process: 'running',
  pid: 10,
  startedAt: 1,
  restarts: 0,
  paused: false,
  pausedUntil: null,
  pending: null,
  restartAt: null,
  lastProbe: null,
  incident,
});

const incident = (id: string, openedAt: number, state: Incident['state']): Incident => ({
  ...hostLostIncident('c', 10, openedAt),
  id,
  target: 'gw-c',
  state,
  level: 0,
  cause: 'gateway exited with code 1',
});

describe('freshest: a remote target as the leader sees it', () => {
  it('takes an incident the events carried before the host record shows it', () => {
    const s = freshest(status(null), incident('gw-c-1', 100, 'recovering'));
    expect(s.incident).toEqual({ id: 'gw-c-1', state: 'recovering', level: 0, cause: 'gateway exited with code 1', openedAt: 100, approval: null });
  });

  it('drops an incident the events say is closed, though the record still shows it open', () => {
    const open = incident('gw-c-1', 100, 'recovering');
    const s = freshest(status({ id: 'gw-c-1', state: 'recovering', level: 0, cause: open.cause, openedAt: 100, approval: null }), { ...open, state: 'resolved' });
    expect(s.incident).toBeNull();
  });

  it('keeps the record when it is newer than what the events carried', () => {
    const shown = { id: 'gw-c-2', state: 'open' as const, level: 0 as const, cause: 'x', openedAt: 200, approval: null };
    expect(freshest(status(shown), incident('gw-c-1', 100, 'resolved')).incident).toEqual(shown);
    expect(freshest(status(shown), undefined).incident).toEqual(shown);
  });
});
