/**
 * Target names are unique in a fleet: a medic whose target name another host holds stays out of the
 * fleet (one error line naming both hosts) and heals on its own. `clawmedic fleet forget <host>`
 * retires a stopped host: refused for a live or unknown host; the leader closes its "host lost"
 * incident on the same card and audits it; its target names are freed.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../fixtures/gateways.js';
import { FleetWorld, type FleetMedic } from './world.js';

const BIN = fileURLToPath(new URL('../../bin/clawmedic.js', import.meta.url));
let world: FleetWorld | null = null;

afterEach(async () => {
  await world?.cleanup();
  world = null;
});

function forget(m: FleetMedic, host: string): { status: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, 'fleet', 'forget', host], { env: m.env, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, out: r.stdout.trim(), err: r.stderr.trim() };
}

describe('fleet hosts', () => {
  it('refuses a target name another host holds; forgets a retired host, closing its lost incident and freeing its names', async () => {
    const w = (world = await FleetWorld.start({ members: 1, ttlS: 4 }));
    const a = await w.addMedic('a');
    await w.waitLeader();
    // Host b with a's target name: it heals its own gateway but stays out of the fleet, saying why once.
    const b = await w.addMedic('b', { GATEWAY_NAME: 'gw-a' });
    const why = 'target gw-a is already in fleet test on host a; host b stays out of the fleet and heals on its own';
    await waitFor(async () => ((await w.status(b)).fleet as { refused?: string }).refused?.startsWith(why) || null, { timeoutMs: 30_000, what: `b refused\n${w.logs()}` });
    expect(b.output.filter((l) => l.includes(why))).toHaveLength(1);
    expect(w.etcd.dump()).not.toContain('clawmedic/test/hosts/b');
    expect((await w.status(a)).fleet.hosts?.map((h) => h.host)).toEqual(['a']);
    const old = await w.killGateway(b);
    await waitFor(async () => ((await w.status(b)).targets[0]!.pid !== old && (await w.status(b)).targets[0]!.health === 'up' ? true : null), { timeoutMs: 30_000, what: 'b healed' });
    expect(w.cards('gw-a-1')).toEqual([]);
    await w.stopMedic(b);

    // A host that joined, then stopped for good: "host lost", then forgotten.
    const c = await w.addMedic('c');
    await waitFor(async () => ((await w.status(a)).fleet.hosts?.length === 2 ? true : null), { what: 'c seen by the leader' });
    expect(forget(a, 'c')).toMatchObject({ status: 2, err: 'clawmedic fleet forget: host c is live in fleet test (its medic answers): stop its medic first, then forget it' });
    expect(forget(a, 'b')).toMatchObject({ status: 2, err: 'clawmedic fleet forget: no host b in fleet test (hosts: a, c)' });
    await w.stopMedic(c);
    const lostCard = await waitFor(
      () => w.fake.channelMessages(w.fake.channelId).find((m) => m.embeds?.some((e) => e.title?.includes('host c not heard from'))),
      { timeoutMs: 30_000, what: `host c lost card\n${w.logs()}` },
    );
    const done = forget(a, 'c');
    expect(done.status, done.err).toBe(0);
    expect(done.out).toMatch(/^forgot host c in fleet test \(as \S+@a\): target names gw-c are free; the leader closes its "host lost" incident and audits it$/);
    await waitFor(() => (w.fake.messages.get(lostCard.id)?.embeds?.[0]?.title?.includes('🟢') ? true : null), { timeoutMs: 30_000, what: `lost card resolved\n${w.logs()}` });
    const audit = ((await (await fetch(`http://127.0.0.1:${a.apiPort}/audit`)).json()) as { audit: { text: string; target: string }[] }).audit;
    expect(audit.filter((r) => r.target === 'c' && /forgot host c \(clawmedic fleet forget at .*\); c-lost-\d+ resolved$/.test(r.text))).toHaveLength(1);
    const left = w.etcd.dump();
    expect(left).not.toContain('clawmedic/test/known/c');
    expect(left).not.toContain('clawmedic/test/targets/gw-c');
    expect(left).not.toContain('clawmedic/test/lost/c');

    // (That a freed name lets another host join is test/unit/fleet/membership.test.ts.)
  });
});
