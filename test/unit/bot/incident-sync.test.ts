import { describe, expect, it } from 'vitest';
import { IncidentSync } from '../../../src/bot/incident-sync.js';
import type { Medic } from '../../../src/medic.js';
import type { Relay } from '../../../src/bot/relay.js';
import type { MessagePayload } from '../../../src/bot/render.js';
import { MedicEvents } from '../../../src/recovery/events.js';
import { Redactor } from '../../../src/lib/redact.js';
import { KeyvStore } from '../../../src/store/keyv-store.js';
import { captureLogger } from '../../fixtures/gateways.js';

/** A relay that keeps what it is given. */
function recordingRelay() {
  const lines: string[] = [];
  const posts: MessagePayload[] = [];
  const relay = {
    lines: (_key: string, _channel: () => string | null, l: string[]) => void lines.push(...l),
    post: async (_channel: string, payload: MessagePayload) => {
      posts.push(payload);
      return `m${posts.length}`;
    },
    upsert: () => {},
    edit: async () => {},
    threadOf: () => 't1',
  } as unknown as Relay;
  return { relay, lines, posts };
}

async function sync(redactor?: Redactor) {
  const { relay, lines, posts } = recordingRelay();
  const events = new MedicEvents();
  const s = new IncidentSync({
    relay,
    medic: { target: () => { throw new Error('no target'); } } as unknown as Medic,
    store: await KeyvStore.inMemory(),
    channelId: 'c1',
    oncallMention: null,
    whoMayAnswer: 'operators',
    log: captureLogger(),
    ...(redactor ? { redactor } : {}),
  });
  s.attach(events);
  return { events, lines, posts };
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
