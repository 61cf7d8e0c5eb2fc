/**
 * The Discord relay under a burst: 1,000 timeline events in 10 s on one incident, through the
 * real path (medic events -> incident sync -> relay -> discord.js REST) into the local fake
 * Discord enforcing Discord-like limits (5 requests per 5 s per route and channel, 50/s global).
 * Measures events in per second, requests out per second, 429s, lines delivered or summarised,
 * and the delay from an event to its line reaching Discord.
 *
 *   npx vite-node bench/relay-burst.ts [--events 1000] [--seconds 10]
 */
import { parseArgs } from 'node:util';
import { MedicBot } from '../src/bot/bot.js';
import { MedicEvents } from '../src/recovery/events.js';
import type { Incident, LadderRecord } from '../src/recovery/types.js';
import { KeyvStore } from '../src/store/keyv-store.js';
import { discordConfigFor, FakeDiscord } from '../test/fixtures/fake-discord/index.js';

const { values } = parseArgs({ options: { events: { type: 'string', default: '1000' }, seconds: { type: 'string', default: '10' } } });
const EVENTS = Number(values.events);
const SECONDS = Number(values.seconds);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

const fake = await FakeDiscord.start({ rateLimit: { perRoute: 5, windowMs: 5000, global: 50 } });
const store = await KeyvStore.inMemory();
const events = new MedicEvents();
const bot = new MedicBot({
  config: discordConfigFor(fake),
  store,
  events,
  log: quiet,
  clientOptions: { waitGuildTimeout: 1000 },
});
bot.start();
while (bot.status().state !== 'connected') await new Promise((r) => setTimeout(r, 50));

const t0 = Date.now();
const incident: Incident = {
  id: 'gw-1', target: 'gw', openedAt: t0, closedAt: null, cause: 'bench burst', state: 'recovering', level: 0, maxLevel: 0,
  restarts: 0, doctorRuns: 0, tried: [], verifying: null, lastDiagnosis: null, retryAt: null, approval: null, outcome: null,
};
events.emit('incident', incident, null);
const sentAt = new Map<number, number>();
for (let i = 0; i < EVENTS; i++) {
  const due = t0 + (i * SECONDS * 1000) / EVENTS;
  const wait = due - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const record: LadderRecord = { kind: 'step', at: Date.now(), target: 'gw', incidentId: 'gw-1', level: 0, text: `burst step #${i}` };
  sentAt.set(i, Date.now());
  events.emit('record', record);
  if (i % 100 === 99) events.emit('incident', { ...incident, restarts: i }, null);
}
const inDone = Date.now();

// Wait until every step is in Discord (as a line, or counted in a summary) or 120 s pass.
const seenAt = new Map<number, number>();
let summarised = 0;
const deadline = Date.now() + 120_000;
for (;;) {
  summarised = 0;
  for (const m of fake.threads.flatMap((t) => fake.channelMessages(t.id))) {
    for (const match of (m.content ?? '').matchAll(/burst step #(\d+)/g)) {
      const i = Number(match[1]);
      if (!seenAt.has(i)) seenAt.set(i, Date.now());
    }
    const s = /… (\d+) earlier steps not relayed/.exec(m.content ?? '');
    if (s) summarised += Number(s[1]);
  }
  if (seenAt.size + summarised >= EVENTS || Date.now() > deadline) break;
  await new Promise((r) => setTimeout(r, 100));
}
const outDone = Date.now();
const requests = fake.requests.filter((r) => r.at >= t0);
const delays = [...seenAt.entries()].map(([i, at]) => at - sentAt.get(i)!).sort((a, b) => a - b);
const pct = (p: number) => delays[Math.min(delays.length - 1, Math.floor((p / 100) * delays.length))] ?? NaN;
const cardEdits = requests.filter((r) => r.method === 'PATCH').length;
const rows = [
  ['events in', `${EVENTS} in ${((inDone - t0) / 1000).toFixed(1)} s (${(EVENTS / ((inDone - t0) / 1000)).toFixed(0)}/s)`],
  ['requests out', `${requests.length} in ${((outDone - t0) / 1000).toFixed(1)} s (${(requests.length / ((outDone - t0) / 1000)).toFixed(2)}/s); card edits ${cardEdits}`],
  ['429s from the fake (Discord-like limits)', String(fake.count429)],
  ['steps delivered as lines / summarised', `${seenAt.size} / ${summarised} (of ${EVENTS}; the store keeps all)`],
  ['delay event -> Discord, p50 / p90 / max', `${pct(50)} / ${pct(90)} / ${delays.at(-1)} ms`],
];
console.log('| relay burst | |\n|---|---|');
for (const [k, v] of rows) console.log(`| ${k} | ${v} |`);
await bot.stop();
await fake.stop();
await store.close();
process.exit(0);
