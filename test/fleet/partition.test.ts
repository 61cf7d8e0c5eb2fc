/**
 * Partitions: a 3-member etcd; one member killed -> nothing visible; the majority lost -> no
 * leader runs the bot (nothing written to Discord), every host still heals a kill -9 of its
 * gateway, its events wait in its local queue, and once etcd has its majority again the new
 * leader delivers them: the card once, every timeline line once. A webhook in `fallback` mode on every host
 * hears nothing while the leader's bot carries the fleet's alerts, and reaches a person for each host's incident
 * while nobody leads (a host cut off from etcd counts Discord as unreachable).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../fixtures/gateways.js';
import { FakeWebhook } from './webhook.js';
import { FleetWorld, type FleetMedic } from './world.js';

let world: FleetWorld | null = null;
let webhook: FakeWebhook | null = null;

afterEach(async () => {
  await world?.cleanup();
  world = null;
  await webhook?.stop();
  webhook = null;
});

async function timeline(w: FleetWorld, m: FleetMedic, id: string): Promise<{ text: string }[]> {
  const res = await fetch(`http://127.0.0.1:${m.apiPort}/incidents/${id}`);
  return ((await res.json()) as { timeline: { text: string; incidentId: string | null }[] }).timeline.filter((r) => r.incidentId === id);
}

describe('fleet partitions', () => {
  it('keeps healing without an etcd majority, runs no bot then, and delivers every event once afterwards', async () => {
    const w = (world = await FleetWorld.start({ members: 3, ttlS: 4 }));
    const hook = (webhook = await FakeWebhook.start());
    const [a, b] = [await w.addMedic('a', hook.env()), await w.addMedic('b', hook.env())];
    const leader = await w.waitLeader();
    const follower = leader === a ? b : a;
    await waitFor(() => (w.identifies() >= 1 ? true : null), { what: 'the leader bot identified' });

    // One member of three gone: the fleet does not notice. A fault on the follower's host meanwhile goes to
    // Discord through the leader, and not to the fallback webhook.
    await w.etcd.kill(2);
    const before = await w.killGateway(follower);
    await waitFor(() => w.cards(`${follower.target}-1`).length > 0 || null, { timeoutMs: 30_000, what: `card of ${follower.target}-1\n${w.logs()}` });
    await waitFor(
      async () => {
        const t = (await w.status(follower)).targets[0]!;
        return t.pid !== before && t.incident === null ? true : null;
      },
      { timeoutMs: 30_000, what: `${follower.host} healed` },
    );
    await new Promise((ok) => setTimeout(ok, 2 * w.ttlS * 1000));
    expect(await w.leaders()).toEqual([leader]);
    expect(w.identifies(), w.logs()).toBe(1);
    expect(hook.received).toEqual([]);
    w.etcd.restart(2);
    await w.etcd.waitHealthy();

    // The majority gone: the leader fences itself; nobody leads.
    await w.etcd.kill(1);
    await w.etcd.kill(2);
    await waitFor(async () => ((await w.leaders()).length === 0 ? true : null), { timeoutMs: 4 * w.ttlS * 1000, what: 'no leader without a majority' });
    // Each host counts as cut off once etcd has not renewed its lease for three quarters of the TTL (the leases'
    // renewals are not in step: a follower may get there a renewal period after the leader fenced itself).
    await waitFor(async () => ((await Promise.all([a, b].map((m) => w.status(m)))).every((s) => !s.fleet.connected) ? true : null), {
      timeoutMs: 4 * w.ttlS * 1000,
      what: 'both hosts cut off',
    });
    const from = w.fake.requests.length;

    // Each host heals on its own; its events queue locally.
    const healed = [];
    for (const m of [a, b]) {
      const old = await w.killGateway(m);
      healed.push({ m, old });
    }
    for (const { m, old } of healed) {
      await waitFor(
        async () => {
          const t = (await w.status(m)).targets[0]!;
          return t.pid !== old && t.health === 'up' && t.incident === null ? true : null;
        },
        { timeoutMs: 30_000, what: `${m.host} healed without etcd\n${w.logs()}` },
      );
      expect((await w.status(m)).fleet.queued).toBeGreaterThan(0);
    }
    expect(await w.leaders()).toEqual([]);
    expect(w.writesSince(from)).toEqual([]);
    // No bot anywhere: each host's own fallback webhook told a person, opened and resolved.
    const idOf = (m: FleetMedic) => `${m.target}-${m === follower ? 2 : 1}`;
    for (const m of [a, b]) {
      await waitFor(
        () => (['opened', 'resolved'].every((e) => hook.received.some((r) => r.incidentId === idOf(m) && r.event === e)) ? true : null),
        { timeoutMs: 30_000, what: `fallback alerts of ${idOf(m)}: ${JSON.stringify(hook.received)}\n${w.logs()}` },
      );
      expect(hook.received.filter((r) => r.incidentId === idOf(m) && r.event === 'opened')).toHaveLength(1);
    }
    expect(new Set(hook.received.map((r) => r.incidentId))).toEqual(new Set([idOf(a), idOf(b)]));

    // The majority back: one leader, the queued events delivered once each.
    w.etcd.restart(1);
    w.etcd.restart(2);
    await w.etcd.waitHealthy();
    await w.waitLeader(30_000);
    for (const m of [a, b]) {
      const id = `${m.target}-${m === follower ? 2 : 1}`;
      await waitFor(() => w.cards(id).length > 0 || null, { timeoutMs: 30_000, what: `card of ${id}\n${w.logs()}` });
      await waitFor(async () => ((await w.status(m)).fleet.queued === 0 ? true : null), { timeoutMs: 30_000, what: `${m.host} queue empty` });
      const lines = await timeline(w, m, id);
      expect(lines.length).toBeGreaterThan(2);
      const thread = await waitFor(() => w.fake.threads.find((t) => t.name?.startsWith(`${id} `)), { what: `thread of ${id}` });
      await waitFor(
        () => {
          const text = w.fake.channelMessages(thread.id).map((x) => x.content ?? '').join('\n');
          return lines.every((l) => text.includes(l.text.split('\n')[0]!.slice(0, 200))) ? true : null;
        },
        { timeoutMs: 30_000, what: `every line of ${id} in its thread` },
      );
      await new Promise((ok) => setTimeout(ok, 1000));
      const text = w.fake.channelMessages(thread.id).map((x) => x.content ?? '').join('\n');
      for (const l of lines) expect(text.split(l.text.split('\n')[0]!.slice(0, 200)).length - 1, l.text).toBe(1);
      expect(w.cards(id)).toHaveLength(1);
    }
  });
});
