import { describe, expect, it } from 'vitest';
import { fleetKeys } from '../../../src/fleet/keys.js';
import { Membership } from '../../../src/fleet/membership.js';
import type { TargetStatus } from '../../../src/recovery/types.js';
import { captureLogger } from '../../fixtures/gateways.js';
import { settle, SimClock } from '../../fixtures/sim-clock.js';
import { MemoryCoordination, type MemoryLease } from './memory-coordination.js';

const keys = fleetKeys('t');
const target = (name: string) => ({ name }) as unknown as TargetStatus;

function member(coord: MemoryCoordination, clock: SimClock, host: string, names: string[]) {
  const log = captureLogger();
  const m = new Membership({ coord, keys, host, ttlS: 4, clock, log, version: 'test', targets: () => names.map(target) });
  return { m, log };
}

describe('Membership', () => {
  it('counts as connected only while etcd renewed its lease within three quarters of the TTL', async () => {
    const coord = new MemoryCoordination();
    const clock = new SimClock();
    const { m } = member(coord, clock, 'a', ['gw-a']);
    m.start();
    await settle();
    expect(m.isConnected).toBe(true);
    const lease = coord.leases[0] as MemoryLease;
    await clock.advance(2900);
    await settle();
    expect(m.isConnected).toBe(true);
    // No renewal for 3 s (cut off, or no etcd majority): cut off, though no write of its own failed yet.
    await clock.advance(200);
    expect(m.isConnected).toBe(false);
    lease.keepalive();
    expect(m.isConnected).toBe(true);
    await m.stop();
  });

  it('stays out of the fleet while another host holds one of its target names, says so once, and joins once the name is free', async () => {
    const coord = new MemoryCoordination();
    const clock = new SimClock();
    await coord.put(keys.targetName('gw-x'), 'b');
    const { m, log } = member(coord, clock, 'a', ['gw-a', 'gw-x']);
    m.start();
    await settle();
    const why =
      'target gw-x is already in fleet t on host b; host a stays out of the fleet and heals on its own: give one of them another GATEWAY_NAME (target names are unique in a fleet), or run clawmedic fleet forget b if b is retired';
    expect(m.refused).toBe(why);
    expect(m.claimed).toBe(false);
    expect(m.lease).toBeNull();
    expect(await coord.get(keys.host('a'))).toBeNull();
    for (let i = 0; i < 3; i++) {
      await clock.advance(10_000);
      await settle();
    }
    expect(log.entries.filter((e) => e.level === 'error').map((e) => e.msg)).toEqual([`fleet: ${why}`]);
    // b is forgotten (its names freed): a joins on its next look.
    await coord.delete(keys.targetName('gw-x'));
    await clock.advance(10_000);
    await settle();
    expect(m.refused).toBeNull();
    expect(m.claimed).toBe(true);
    expect(await coord.get(keys.targetName('gw-x'))).toBe('a');
    expect(await coord.get(keys.host('a'))).toContain('"host":"a"');
    await m.stop();
  });

  it('writes a change that matters at once, and a change of readings only (a probe time) at most once per TTL', async () => {
    const coord = new MemoryCoordination();
    const clock = new SimClock();
    const status = { name: 'gw-a', health: 'up', lastProbe: { ok: true, at: 0, latencyMs: 1, status: 200, error: null } } as unknown as TargetStatus;
    const log = captureLogger();
    const m = new Membership({ coord, keys, host: 'a', ttlS: 4, clock, log, version: 'test', targets: () => [{ ...status }] });
    const writes: string[] = [];
    const put = coord.put.bind(coord);
    coord.put = async (key, value, lease) => {
      if (key === keys.host('a')) writes.push(value);
      await put(key, value, lease);
    };
    m.start();
    await settle();
    expect(writes).toHaveLength(1);
    // Probes every 200 ms for 3 s: readings only, nothing written.
    for (let t = 0; t < 3000; t += 200) {
      (status.lastProbe as { at: number }).at = clock.now();
      m.markDirty();
      await clock.advance(200);
      (coord.leases[0] as MemoryLease).keepalive();
      await settle();
    }
    expect(writes).toHaveLength(1);
    // The health changes: written on the next turn.
    (status as { health: string }).health = 'down';
    m.markDirty();
    await clock.advance(300);
    await settle();
    expect(writes).toHaveLength(2);
    expect(JSON.parse(writes[1]!).targets[0].health).toBe('down');
    // Readings only again: refreshed once the TTL has passed since the last write.
    for (let t = 0; t < 5000; t += 200) {
      (status.lastProbe as { at: number }).at = clock.now();
      m.markDirty();
      await clock.advance(200);
      (coord.leases[0] as MemoryLease).keepalive();
      await settle();
    }
    expect(writes).toHaveLength(3);
    await m.stop();
  });
});
