/**
 * The digest on its schedule, on a simulated clock and a real store: the first start posts nothing,
 * each slot is posted once to each output, a restart neither repeats a slot nor skips one it slept
 * through, a failing output is retried without repeating the others, and the digest is redacted.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DIGEST_RECORD_KEY, DigestPoster, type DigestOutput, type ScheduledDigest } from '../../../src/report/digest-poster.js';
import type { DigestSchedule } from '../../../src/report/schedule.js';
import { KeyvStore } from '../../../src/store/keyv-store.js';
import { agentIncident } from '../../fixtures/incidents.js';
import { captureLogger } from '../../fixtures/gateways.js';
import { settle, SimClock } from '../../fixtures/sim-clock.js';

const DAY = 86_400_000;
const EVERY_DAY: DigestSchedule = { kind: 'every', everyMs: DAY };
/** 2026-12-03 12:00 UTC: half a day after a daily slot. */
const T0 = Date.UTC(2026, 11, 3, 12);

class RecordingOutput implements DigestOutput {
  readonly posted: ScheduledDigest[] = [];
  failing = false;
  constructor(readonly name: string) {}
  async post(d: ScheduledDigest): Promise<void> {
    if (this.failing) throw new Error(`${this.name} is down`);
    this.posted.push(d);
  }
}

const posters: DigestPoster[] = [];
afterEach(async () => {
  await Promise.all(posters.splice(0).map((p) => p.stop()));
});

function start(store: KeyvStore, clock: SimClock, outputs: DigestOutput[], schedule: DigestSchedule = EVERY_DAY) {
  const log = captureLogger();
  const p = new DigestPoster({ schedule, clock, store, log, outputs, redact: (t) => t.replaceAll('sk-secret-abcdefgh', '[redacted]'), retryMs: 60_000 });
  posters.push(p);
  p.start();
  return { poster: p, log };
}

describe('DigestPoster', () => {
  it('first start: nothing posted, the baseline kept; at the next slot one digest of the day before to each output', async () => {
    const clock = new SimClock(T0);
    const store = await KeyvStore.inMemory();
    await store.saveIncident(agentIncident({ id: 'gw-1', openedAt: T0 + 3_600_000, state: 'resolved', closedAt: T0 + 3_660_000, cause: 'token sk-secret-abcdefgh refused' }));
    const [discord, alerts] = [new RecordingOutput('discord'), new RecordingOutput('alerts')];
    const { log } = start(store, clock, [alerts, discord]);
    await settle();
    expect(discord.posted).toEqual([]);
    expect(await store.getValue(DIGEST_RECORD_KEY)).toEqual({ slot: Date.UTC(2026, 11, 3), pending: [] });
    expect(log.entries.map((e) => e.msg)).toContain('digest: every 1d (UTC) to alerts and discord; next at 2026-12-04T00:00:00.000Z');

    await clock.advance(12 * 3_600_000);
    await settle();
    for (const out of [discord, alerts]) {
      expect(out.posted.map((d) => [d.slot, d.from, d.to, d.incidents])).toEqual([[Date.UTC(2026, 11, 4), Date.UTC(2026, 11, 3), Date.UTC(2026, 11, 4), 1]]);
      expect(out.posted[0]!.markdown).toContain('token [redacted] refused');
      expect(out.posted[0]!.markdown).not.toContain('sk-secret-abcdefgh');
    }
    expect(await store.getValue(DIGEST_RECORD_KEY)).toEqual({ slot: Date.UTC(2026, 11, 4), pending: [] });
    // Nothing more until the next slot.
    await clock.advance(DAY - 1);
    await settle();
    expect(discord.posted).toHaveLength(1);
    await clock.advance(1);
    await settle();
    expect(discord.posted).toHaveLength(2);
  });

  it('a restart after a slot was posted does not post it again', async () => {
    const clock = new SimClock(T0);
    const store = await KeyvStore.inMemory();
    const first = new RecordingOutput('discord');
    const a = start(store, clock, [first]);
    await settle();
    await clock.advance(13 * 3_600_000);
    await settle();
    expect(first.posted).toHaveLength(1);
    await a.poster.stop();

    const second = new RecordingOutput('discord');
    start(store, clock, [second]);
    await settle();
    await clock.advance(3_600_000);
    await settle();
    expect(second.posted).toEqual([]);
  });

  it('a medic down over a slot posts it once when it is back (the latest slot only, however many it missed)', async () => {
    const clock = new SimClock(T0);
    const store = await KeyvStore.inMemory();
    const a = start(store, clock, [new RecordingOutput('discord')]);
    await settle();
    await a.poster.stop();
    clock.t += 3 * DAY; // down for three days

    const back = new RecordingOutput('discord');
    start(store, clock, [back]);
    await settle();
    expect(back.posted.map((d) => d.slot)).toEqual([Date.UTC(2026, 11, 6)]);
    await clock.advance(11 * 3_600_000);
    await settle();
    expect(back.posted).toHaveLength(1);
  });

  it('a failing output is retried; the one that posted is not repeated, across a restart too', async () => {
    const clock = new SimClock(T0);
    const store = await KeyvStore.inMemory();
    const [alerts, discord] = [new RecordingOutput('alerts'), new RecordingOutput('discord')];
    discord.failing = true;
    const a = start(store, clock, [alerts, discord]);
    await settle();
    await clock.advance(12 * 3_600_000);
    await settle();
    expect(alerts.posted).toHaveLength(1);
    expect(discord.posted).toHaveLength(0);
    expect(a.log.entries.some((e) => e.level === 'warn' && e.msg === 'digest: could not post to discord (discord is down); trying again later')).toBe(true);
    expect(await store.getValue(DIGEST_RECORD_KEY)).toEqual({ slot: Date.UTC(2026, 11, 4), pending: ['discord'] });
    await a.poster.stop();

    const [alerts2, discord2] = [new RecordingOutput('alerts'), new RecordingOutput('discord')];
    start(store, clock, [alerts2, discord2]);
    await settle();
    expect(discord2.posted.map((d) => d.slot)).toEqual([Date.UTC(2026, 11, 4)]);
    expect(alerts2.posted).toEqual([]);
  });

  it('a stop while an output waits (Discord away) ends at once', async () => {
    const clock = new SimClock(T0);
    const store = await KeyvStore.inMemory();
    const never: DigestOutput = { name: 'discord', post: () => new Promise(() => {}) };
    const a = start(store, clock, [never]);
    await settle();
    await clock.advance(12 * 3_600_000);
    await settle();
    await a.poster.stop();
    expect(await store.getValue(DIGEST_RECORD_KEY)).toEqual({ slot: Date.UTC(2026, 11, 4), pending: ['discord'] });
  });

  it('off, or nowhere to post: nothing runs, and the log says how to get one', async () => {
    const clock = new SimClock(T0);
    const store = await KeyvStore.inMemory();
    const out = new RecordingOutput('discord');
    const { log } = start(store, clock, [out], { kind: 'off' });
    const none = start(store, clock, []);
    await settle();
    await clock.advance(3 * DAY);
    expect(out.posted).toEqual([]);
    expect(clock.waiting()).toBe(0);
    expect(log.entries.map((e) => e.msg)).toEqual(['digest: DIGEST_SCHEDULE is off; `clawmedic digest` prints one']);
    expect(none.log.entries.map((e) => e.msg)).toEqual(['digest: no Discord and no alert channel to post it to; `clawmedic digest` prints one']);
    expect(await store.getValue(DIGEST_RECORD_KEY)).toBeUndefined();
  });
});
