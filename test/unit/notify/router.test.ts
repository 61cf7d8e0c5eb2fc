/**
 * Which channel takes which alert: always, fallback (only while Discord cannot carry it), level4
 * (only when a person is needed), and follow-ups where the incident was announced; with every
 * secret the redactor knows masked.
 */
import { describe, expect, it } from 'vitest';
import { Redactor } from '../../../src/lib/redact.js';
import type { Alert } from '../../../src/notify/alert.js';
import type { ChannelQueue } from '../../../src/notify/channel-queue.js';
import { AlertRouter } from '../../../src/notify/router.js';
import { MedicEvents } from '../../../src/recovery/events.js';
import type { Incident } from '../../../src/recovery/types.js';

/** A queue as the router sees it: what it took, which incidents it knows. */
function queue(name: string) {
  const took: Alert[] = [];
  const q = {
    name,
    took,
    enqueue: (a: Alert) => (took.some((t) => t.id === a.id) ? false : (took.push(a), true)),
    knows: (id: string) => took.some((t) => t.incidentId === id),
  };
  return q as typeof q & ChannelQueue;
}

function incident(over: Partial<Incident> = {}): Incident {
  return {
    id: 'gw-1', target: 'gw', openedAt: 1000, closedAt: null, cause: 'gateway exited with code 1', state: 'recovering',
    level: 0, maxLevel: 0, restarts: 0, doctorRuns: 0, tried: [], verifying: null, lastDiagnosis: null, retryAt: null,
    approval: null, outcome: null, ...over,
  };
}

const SECRET = 'sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789';

function world(discord: string | null) {
  let state = discord;
  const always = queue('always');
  const fallback = queue('fallback');
  const level4 = queue('level4');
  const events = new MedicEvents();
  const router = new AlertRouter(
    [
      { queue: always, mode: 'always' },
      { queue: fallback, mode: 'fallback' },
      { queue: level4, mode: 'level4' },
    ],
    () => state,
    new Redactor([SECRET]),
    () => 5000,
  );
  router.attach(events);
  return { events, always, fallback, level4, setDiscord: (s: string | null) => (state = s) };
}

const events = (q: { took: Alert[] }) => q.took.map((a) => a.id);

describe('AlertRouter', () => {
  it('always takes everything; fallback only while Discord is down; level4 only when a person is needed, then the follow-ups', () => {
    const w = world('connected');
    w.events.emit('incident', incident(), null);
    w.events.emit('incident', incident({ level: 2, maxLevel: 2 }), null);
    w.setDiscord('unreachable');
    w.events.emit('human', { incident: incident({ level: 4, maxLevel: 4, state: 'waiting_human' }), summary: 'level 2 has nothing left to try', output: ['boom'] });
    w.setDiscord('connected');
    w.events.emit('incident', incident({ level: 4, maxLevel: 4, state: 'aborted', closedAt: 9000, outcome: 'aborted by ops:bob' }), null);

    expect(events(w.always)).toEqual(['gw-1:opened', 'gw-1:level2', expect.stringMatching(/^gw-1:human:[0-9a-f]{8}$/), 'gw-1:aborted:9000']);
    // The human notice went while Discord was down; the closing follows it though Discord is back.
    expect(events(w.fallback)).toEqual([expect.stringMatching(/^gw-1:human:/), 'gw-1:aborted:9000']);
    expect(events(w.level4)).toEqual([expect.stringMatching(/^gw-1:human:/), 'gw-1:aborted:9000']);
    const human = w.level4.took[0]!;
    expect(human).toMatchObject({ event: 'human', priority: 'alert', severity: 'critical', needsHuman: true, level: 4 });
    expect(human.text).toContain('last gateway output:\nboom');
    expect(w.level4.took[1]).toMatchObject({ event: 'aborted', closes: true, title: '[gw] gw-1 aborted: aborted by ops:bob' });
  });

  it('a self-healed incident does not reach level4 or (Discord up) fallback channels, not even its resolution', () => {
    const w = world('connected');
    w.events.emit('incident', incident(), null);
    w.events.emit('incident', incident({ state: 'resolved', closedAt: 4000, outcome: '1 restart' }), null);
    expect(events(w.always)).toEqual(['gw-1:opened', 'gw-1:resolved:4000']);
    expect(w.always.took[1]!.title).toBe('[gw] gw-1 resolved after 3 s: 1 restart');
    expect(w.fallback.took).toEqual([]);
    expect(w.level4.took).toEqual([]);
  });

  it('with no bot at all, or its token refused, fallback channels carry the alerts', () => {
    for (const state of [null, 'auth-failed']) {
      const w = world(state);
      w.events.emit('incident', incident(), null);
      expect(events(w.fallback)).toEqual(['gw-1:opened']);
    }
  });

  it('questions go to level4 channels at the top priority; an answer acknowledges', () => {
    const w = world('connected');
    const approval = { id: 'a1', kind: 'agent-tool' as const, pid: 0, command: 'systemctl restart x', question: 'May the agent run `systemctl restart x`?', requestedAt: 1, expiresAt: 2 };
    w.events.emit('approval', { target: 'gw', incidentId: 'gw-1', approval });
    w.events.emit('approval-closed', { target: 'gw', incidentId: 'gw-1', approval, outcome: 'approved', by: 'discord:alice' });
    expect(w.level4.took.map((a) => [a.id, a.event, a.priority])).toEqual([
      ['gw-1:approval:a1', 'approval', 'approval'],
      ['gw-1:ack:a1', 'acknowledged', 'info'],
    ]);
    expect(w.level4.took[1]!.title).toBe('[gw] gw-1: discord:alice approved "systemctl restart x"');
  });

  it('masks every secret the redactor knows, in titles and texts', () => {
    const w = world(null);
    w.events.emit('incident', incident({ cause: `refused key ${SECRET}` }), null);
    w.events.emit('human', { incident: incident(), summary: `login with ${SECRET} failed`, output: [`ANTHROPIC_API_KEY=${SECRET}`] });
    const all = JSON.stringify(w.always.took);
    expect(all).not.toContain(SECRET);
    expect(all).toContain('[REDACTED]');
  });
});

describe('AlertRouter: the scheduled digest', () => {
  const digest = (slot: number): Alert => ({
    id: `digest:${slot}`, event: 'digest', incidentId: '', target: '', priority: 'info', severity: 'info', needsHuman: false, closes: false,
    level: 0, failureClass: 'unclassified', title: 'clawmedic digest', text: `# clawmedic digest\n- cause: token ${SECRET}`, at: 5000,
  });

  it('to always channels, to fallback ones only while Discord is away, never to level4 ones or PagerDuty; masked', () => {
    const pd = queue('pagerduty');
    const always = queue('slack');
    const fallback = queue('ntfy');
    const level4 = queue('telegram');
    let state: string | null = 'connected';
    const router = new AlertRouter(
      [
        { queue: always, mode: 'always' },
        { queue: fallback, mode: 'fallback' },
        { queue: level4, mode: 'level4' },
        { queue: pd, mode: 'always' },
      ],
      () => state,
      new Redactor([SECRET]),
      () => 5000,
    );
    expect(router.route(digest(1))).toEqual(['slack']);
    state = 'unreachable';
    expect(router.route(digest(2))).toEqual(['slack', 'ntfy']);
    expect(events(pd)).toEqual([]);
    expect(events(level4)).toEqual([]);
    expect(always.took[0]!.text).not.toContain(SECRET);
  });
});
