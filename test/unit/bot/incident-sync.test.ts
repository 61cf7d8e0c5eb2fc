import { describe, expect, it } from 'vitest';
import { IncidentSync } from '../../../src/bot/incident-sync.js';
import type { Relay } from '../../../src/bot/relay.js';
import type { MessagePayload } from '../../../src/bot/render.js';
import { MedicEvents } from '../../../src/recovery/events.js';
import { Redactor } from '../../../src/lib/redact.js';
import { KeyvStore } from '../../../src/store/keyv-store.js';
import { captureLogger } from '../../fixtures/gateways.js';
import { agentIncident } from '../../fixtures/incidents.js';
import type { TargetStatus } from '../../../src/recovery/types.js';

/** A relay that keeps what it is given. */
function recordingRelay() {
  const lines: string[] = [];
  const posts: MessagePayload[] = [];
  const cards: MessagePayload[] = [];
  const relay = {
    lines: (_key: string, _channel: () => string | null, l: string[]) => void lines.push(...l),
    post: async (_channel: string, payload: MessagePayload) => {
      posts.push(payload);
      return `m${posts.length}`;
    },
    upsert: (_key: string, _channel: string, payload: MessagePayload) => void cards.push(payload),
    edit: async () => {},
    threadOf: () => 't1',
  } as unknown as Relay;
  return { relay, lines, posts, cards };
}

async function sync(redactor?: Redactor) {
  const { relay, lines, posts, cards } = recordingRelay();
  const events = new MedicEvents();
  const s = new IncidentSync({
    relay,
    store: await KeyvStore.inMemory(),
    channelId: 'c1',
    oncallMention: null,
    whoMayAnswer: 'operators',
    log: captureLogger(),
    ...(redactor ? { redactor } : {}),
  });
  s.attach(events);
  return { events, lines, posts, cards };
}

const flush = () => new Promise((r) => setTimeout(r, 20));

describe('IncidentSync: the agent screen in the thread', () => {
  it('masks a known secret the 120-column terminal wrapped onto two lines', async () => {
    const secret = 'gw-auth-4f1c9a7e0b2d6c3a8e5f';
    const { events, lines } = await sync(new Redactor([secret]));
    const first = `  ⎿  ${'x'.repeat(120 - 5 - 4 - 1)} ${secret.slice(0, 4)}`;
    events.emit('agent-output', { target: 'gw', incidentId: 'gw-1', lines: [first, `     ${secret.slice(4)} done`] });
    await flush();
    expect(lines.join('\n')).not.toContain(secret.slice(0, 4));
    expect(lines.join('\n')).not.toContain(secret.slice(4, 10));
    expect(lines.join('\n')).toContain('[REDACTED] done');
  });
});

describe('IncidentSync: the card draws the status the event carried', () => {
  it("an incident event's status snapshot decides the card's Next line (the bot never asks the medic)", async () => {
    const { events, cards } = await sync();
    const inc = agentIncident({ id: 'gw-1', target: 'gw', state: 'recovering', level: 0 });
    const status = { name: 'gw', paused: true } as unknown as TargetStatus;
    events.emit('incident', inc, status);
    await flush();
    const next = (c: MessagePayload) => JSON.stringify(c).match(/"name":"Next","value":"([^"]*)"/)?.[1];
    expect(next(cards.at(-1)!)).toBe('paused: watching, not acting');
    // A later status (after the step that resumed) is used by the next drawing of the card.
    events.emit('status', { name: 'gw', paused: false, restartAt: null, pending: 'diagnose' } as unknown as TargetStatus);
    events.emit('incident', inc, null);
    await flush();
    expect(next(cards.at(-1)!)).toBe('diagnose in progress');
  });
});
