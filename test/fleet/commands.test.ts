/**
 * Commands reach the right host: /recover for a target on another host, used on the leader's
 * bot, runs on that host and is answered; both ends audit it; a stranger is refused and nothing
 * reaches any host; /status shows the fleet grouped by host.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeDiscord } from '../fixtures/fake-discord/index.js';
import { waitFor } from '../fixtures/gateways.js';
import { FleetWorld, type FleetMedic } from './world.js';

let world: FleetWorld | null = null;

afterEach(async () => {
  await world?.cleanup();
  world = null;
});

async function lastResponse(f: FakeDiscord, interactionId: string): Promise<Record<string, unknown>> {
  return waitFor(() => f.interactionResponses(interactionId).find((r) => r.type === 'editReply')?.data, {
    timeoutMs: 30_000,
    what: `a reply to interaction ${interactionId}`,
  });
}

async function audit(m: FleetMedic): Promise<{ text: string; target: string; by?: string }[]> {
  const res = await fetch(`http://127.0.0.1:${m.apiPort}/audit`);
  return ((await res.json()) as { audit: { text: string; target: string; by?: string }[] }).audit;
}

describe('fleet commands', () => {
  it('/recover for a target on another host runs there, audited on both ends; a stranger is refused; /status groups by host', async () => {
    const w = (world = await FleetWorld.start({ members: 1, ttlS: 4 }));
    const [a, b] = [await w.addMedic('a'), await w.addMedic('b')];
    const leader = await w.waitLeader();
    const remote = leader === a ? b : a;
    await waitFor(() => (w.identifies() >= 1 ? true : null), { what: 'the leader bot identified' });
    // The leader knows the other host's targets once its record is in.
    await waitFor(async () => ((await w.status(leader)).fleet.hosts?.length === 2 ? true : null), { what: 'both hosts seen by the leader' });

    const status = await w.fake.chatInput({ name: 'status' });
    const embed = ((await lastResponse(w.fake, status.id)).embeds as { fields: { name: string; value: string }[] }[])[0]!;
    expect(embed.fields.map((f) => f.name)).toEqual([`${leader.host} · ${leader.target}`, `${remote.host} · ${remote.target}`]);

    const stranger = await w.fake.chatInput({
      name: 'recover',
      userId: w.fake.users.outsider.id,
      options: [{ name: 'target', type: 3, value: remote.target }, { name: 'level', type: 4, value: 0 }],
    });
    expect((await lastResponse(w.fake, stranger.id)).content).toBe('⛔ Only operators may use /recover. Ask someone with the operator role.');
    expect((await audit(remote)).filter((r) => r.text.includes('via the fleet leader'))).toEqual([]);

    const pidBefore = (await w.status(remote)).targets[0]!.pid;
    const sent = await w.fake.chatInput({
      name: 'recover',
      options: [{ name: 'target', type: 3, value: remote.target }, { name: 'level', type: 4, value: 0 }],
    });
    const reply = (await lastResponse(w.fake, sent.id)).content as string;
    expect(reply).toMatch(new RegExp(`^🔧 Level 0 started on \\*\\*${remote.target}\\*\\* \\(incident ${remote.target}-1\\)`));
    // Run on the remote host: its incident, its audit record naming the leader; the leader's audit has the click.
    await waitFor(async () => ((await w.status(remote)).targets[0]!.incident?.id === `${remote.target}-1` || (await w.status(remote)).targets[0]!.pid !== pidBefore ? true : null), {
      what: 'the recover ran on the remote host',
    });
    const there = (await audit(remote)).filter((r) => r.text.includes(`via the fleet leader ${leader.host}`));
    expect(there).toHaveLength(1);
    expect(there[0]).toMatchObject({ target: remote.target });
    expect(there[0]!.text).toContain('recover level 0');
    const here = (await audit(leader)).filter((r) => r.target === remote.target && r.text.includes('/recover level 0'));
    expect(here).toHaveLength(1);
    expect((await audit(leader)).some((r) => r.text.includes('refused /recover: not an operator'))).toBe(true);
  });

  it("a card button for host C's incident, clicked on the leader, runs on host C; a stranger's click is refused and reaches no host", async () => {
    const w = (world = await FleetWorld.start({ members: 1, ttlS: 4 }));
    await w.addMedic('a');
    const leader = await w.waitLeader();
    // Host c's gateway never starts: its incident stays open, its card keeps its buttons.
    const c = await w.addMedic('c', {}, 'crash-on-start');
    const incidentId = `${c.target}-1`;
    const card = await waitFor(() => w.cards(incidentId).find((m) => m.components?.length), { timeoutMs: 30_000, what: `card of ${incidentId} with buttons\n${w.logs()}` });
    const abort = (card.components![0] as { components: { custom_id: string; label: string }[] }).components.find((b) => b.label === 'Abort')!;
    expect(abort.custom_id).toBe(`cm:abort:${c.target}:${incidentId}`);

    const stranger = await w.fake.button({ customId: abort.custom_id, messageId: card.id, userId: w.fake.users.outsider.id });
    expect((await lastResponse(w.fake, stranger.id)).content).toBe('⛔ Only operators may use these buttons.');
    expect((await audit(c)).filter((r) => r.text.includes('via the fleet leader'))).toEqual([]);
    expect((await w.status(c)).targets[0]!.incident?.id).toBe(incidentId);

    const click = await w.fake.button({ customId: abort.custom_id, messageId: card.id });
    expect((await lastResponse(w.fake, click.id)).content).toBe(`⏹️ ${incidentId} aborted; automatic actions paused until /resume.`);
    const res = await fetch(`http://127.0.0.1:${c.apiPort}/incidents/${incidentId}`);
    expect(((await res.json()) as { incident: { state: string } }).incident.state).toBe('aborted');
    const there = (await audit(c)).filter((r) => r.text.includes(`via the fleet leader ${leader.host}`));
    expect(there).toHaveLength(1);
    expect(there[0]!.text).toContain(': abort');
    expect((await audit(leader)).filter((r) => r.target === c.target).map((r) => r.text.replace(/^.*?: /, ''))).toEqual(
      expect.arrayContaining([`clicked abort (${incidentId})`, 'refused button abort: not an operator']),
    );
  });
});
