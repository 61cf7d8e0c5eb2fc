import { describe, expect, it } from 'vitest';
import { FleetFeed } from '../../../src/fleet/feed.js';
import { fleetKeys } from '../../../src/fleet/keys.js';
import { Leadership } from '../../../src/fleet/leadership.js';
import type { FleetEvent } from '../../../src/fleet/outbox.js';
import { MedicEvents } from '../../../src/recovery/events.js';
import type { LadderRecord } from '../../../src/recovery/types.js';
import { captureLogger } from '../../fixtures/gateways.js';
import { settle, SimClock } from '../../fixtures/sim-clock.js';
import { MemoryCoordination, type MemoryLease } from './memory-coordination.js';

const keys = fleetKeys('t');
const record = (host: string, seq: number): FleetEvent => ({
  host,
  seq,
  type: 'record',
  args: [{ kind: 'step', at: seq, target: `gw-${host}`, incidentId: `gw-${host}-1`, level: 0, text: `${host} line ${seq}` } satisfies LadderRecord],
});

function feedOn(coord: MemoryCoordination, clock: SimClock, leading = () => true) {
  const out = new MedicEvents();
  const seen: string[] = [];
  out.on('record', (r) => seen.push(r.text));
  const feed = new FleetFeed({ coord, keys, clock, log: captureLogger(), out, drained: () => true, leading });
  return { feed, seen };
}

describe('FleetFeed', () => {
  it("hands each host's events on in order, once, whatever order and however often they arrive", async () => {
    const coord = new MemoryCoordination();
    const clock = new SimClock();
    const { feed, seen } = feedOn(coord, clock);
    await coord.put(keys.event('a', 1), JSON.stringify(record('a', 1)));
    await feed.start();
    await coord.put(keys.event('a', 3), JSON.stringify(record('a', 3)));
    await coord.put(keys.event('b', 1), JSON.stringify(record('b', 1)));
    await coord.put(keys.event('a', 2), JSON.stringify(record('a', 2)));
    await coord.put(keys.event('a', 2), JSON.stringify(record('a', 2)));
    expect(seen).toEqual(['a line 1', 'b line 1', 'a line 2', 'a line 3']);
    await feed.stop();
  });

  it('resumes after what the last leader saw delivered, and clears delivered events from etcd', async () => {
    const coord = new MemoryCoordination();
    const clock = new SimClock();
    for (const n of [1, 2, 3]) await coord.put(keys.event('a', n), JSON.stringify(record('a', n)));
    const first = feedOn(coord, clock);
    await first.feed.start();
    await clock.advance(600);
    await settle();
    expect(await coord.get(keys.delivered('a'))).toBe('3');
    expect([...(await coord.getPrefix(keys.events)).keys()]).toEqual([]);
    await first.feed.stop();

    await coord.put(keys.event('a', 4), JSON.stringify(record('a', 4)));
    const next = feedOn(coord, clock);
    await next.feed.start();
    expect(next.seen).toEqual(['a line 4']);
    await next.feed.stop();
  });

  it('hands nothing on once deposed', async () => {
    const coord = new MemoryCoordination();
    let leading = true;
    const { feed, seen } = feedOn(coord, new SimClock(), () => leading);
    await feed.start();
    await coord.put(keys.event('a', 1), JSON.stringify(record('a', 1)));
    leading = false;
    await coord.put(keys.event('a', 2), JSON.stringify(record('a', 2)));
    expect(seen).toEqual(['a line 1']);
    await feed.stop();
  });
});

describe('Leadership', () => {
  function candidate(coord: MemoryCoordination, clock: SimClock, host: string) {
    const lease = coord.grantLease(4) as MemoryLease;
    let lastKeepalive = clock.now();
    lease.onKeepalive(() => (lastKeepalive = clock.now()));
    const log: string[] = [];
    const l = new Leadership({
      coord,
      keys,
      host,
      ttlS: 4,
      clock,
      log: captureLogger(),
      lease: () => lease,
      lastKeepaliveAt: () => lastKeepalive,
      onElected: ({ epoch }) => log.push(`elected ${epoch}`),
      onDeposed: (why) => log.push(`deposed: ${why}`),
    });
    return { l, lease, log };
  }

  it('elects one; a leader etcd stops renewing fences itself at three quarters of the TTL, before its key expires; the other takes over after', async () => {
    const coord = new MemoryCoordination();
    const clock = new SimClock();
    const a = candidate(coord, clock, 'a');
    const b = candidate(coord, clock, 'b');
    a.l.start();
    await settle();
    b.l.start();
    await settle();
    expect([a.l.isLeader(), b.l.isLeader()]).toEqual([true, false]);
    expect(a.log).toEqual(['elected 1']);

    // Both renew for a while: nothing changes.
    for (let i = 0; i < 8; i++) {
      await clock.advance(1000);
      a.lease.keepalive();
      b.lease.keepalive();
      await settle();
    }
    expect([a.l.isLeader(), b.l.isLeader()]).toEqual([true, false]);

    // a is cut off: no renewal. At 3 s (three quarters of the TTL) it may no longer write, while its key still holds.
    await clock.advance(1000);
    b.lease.keepalive();
    await clock.advance(1900);
    b.lease.keepalive();
    await settle();
    expect(a.l.isLeader()).toBe(true);
    await clock.advance(200);
    b.lease.keepalive();
    expect(a.l.isLeader()).toBe(false);
    await clock.advance(300);
    await settle();
    expect(a.log).toEqual(['elected 1', 'deposed: etcd has not renewed the lease for 3 s']);
    expect(await coord.get(keys.leader)).toContain('"host":"a"');
    expect(b.l.isLeader()).toBe(false);

    // Its lease expires at the TTL: the key goes, b is elected (term 2).
    a.lease.lose();
    b.lease.keepalive();
    await settle();
    await clock.advance(1000);
    await settle();
    expect(b.l.isLeader()).toBe(true);
    expect(b.log).toEqual(['elected 2']);
    await a.l.stop();
    await b.l.stop();
  });
});
