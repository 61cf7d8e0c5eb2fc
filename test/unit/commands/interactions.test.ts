/** Interactions: only the configured server, suggestions only for who may act, /approve names its question. */
import type { Interaction } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { Authoriser } from '../../../src/bot/auth.js';
import { handleInteraction, type InteractionDeps } from '../../../src/commands/interactions.js';
import type { Medic } from '../../../src/medic.js';
import type { LadderRecord, PendingApproval } from '../../../src/recovery/types.js';
import { systemClock } from '../../../src/lib/clock.js';
import { KeyvStore } from '../../../src/store/keyv-store.js';
import { captureLogger } from '../../fixtures/gateways.js';
import { SimClock } from '../../fixtures/sim-clock.js';

const GUILD = '111111111111111111';
const OPERATOR = '222222222222222222';
const OUTSIDER = '333333333333333333';

interface Spec {
  kind: 'command' | 'autocomplete' | 'button';
  name?: string;
  guildId?: string | null;
  userId?: string;
  options?: Record<string, string | boolean | number | null>;
  focused?: { name: string; value: string };
  customId?: string;
}

/** Just enough of a discord.js interaction for the handler; what it answers is kept. */
function interaction(spec: Spec) {
  const answers: { how: string; data: unknown }[] = [];
  const userId = spec.userId ?? OPERATOR;
  const i = {
    type: spec.kind === 'button' ? 3 : spec.kind === 'autocomplete' ? 4 : 2,
    guildId: spec.guildId === undefined ? GUILD : spec.guildId,
    user: { id: userId, username: userId === OPERATOR ? 'op' : 'someone' },
    member: null,
    commandName: spec.name ?? 'status',
    customId: spec.customId ?? '',
    deferred: false,
    replied: false,
    isAutocomplete: () => spec.kind === 'autocomplete',
    isChatInputCommand: () => spec.kind === 'command',
    isButton: () => spec.kind === 'button',
    isMessageComponent: () => spec.kind === 'button',
    isRepliable: () => spec.kind !== 'autocomplete',
    inGuild: () => Boolean(spec.guildId ?? GUILD),
    message: { id: '444444444444444444' },
    options: {
      getFocused: () => spec.focused,
      getString: (n: string) => (spec.options?.[n] as string | undefined) ?? null,
      getBoolean: (n: string) => (spec.options?.[n] as boolean | undefined) ?? null,
      getInteger: (n: string) => (spec.options?.[n] as number | undefined) ?? null,
    },
    deferReply: async () => void (i.deferred = true),
    editReply: async (data: unknown) => void answers.push({ how: 'editReply', data }),
    reply: async (data: unknown) => void answers.push({ how: 'reply', data }),
    respond: async (data: unknown) => void answers.push({ how: 'respond', data }),
  };
  return { i: i as unknown as Interaction, answers };
}

const question = (id: string): PendingApproval => ({ id, kind: 'agent-tool', pid: 0, command: 'cp a b', question: 'The AI agent wants to run Bash. Allow it?', requestedAt: 0, expiresAt: 1 });

async function deps(open: PendingApproval | null = question('gw-1-t2'), statusPublic = false) {
  const decided: unknown[][] = [];
  const dog = {
    name: 'gw',
    status: () => ({ incident: { id: 'gw-1', level: 3 } }),
    pendingApproval: () => open,
    decide: async (...args: unknown[]) => {
      decided.push(args);
      return String(args[0]);
    },
  };
  const store = await KeyvStore.inMemory();
  const medic = { targets: () => [dog], target: () => dog, audit: (r: LadderRecord) => store.appendRecord(r) } as unknown as Medic;
  const d: InteractionDeps = {
    medic,
    store,
    auth: new Authoriser([], [OPERATOR]),
    statusPublic,
    botStatus: () => ({ state: 'connected', lastError: null }),
    log: captureLogger(),
    clock: systemClock,
    guildId: GUILD,
  };
  return { d, decided, store };
}

describe('interactions from elsewhere', () => {
  it.each([
    ['another server', '999999999999999999', 'server 999999999999999999'],
    ['a direct message', null, 'a direct message'],
  ])('from %s: refused, audited, nothing done', async (_what, guildId, from) => {
    const { d, decided, store } = await deps();
    const { i, answers } = interaction({ kind: 'command', name: 'approve', guildId, options: { id: 'gw-1-t2' } });
    await handleInteraction(i, d);
    expect(decided).toEqual([]);
    expect(answers).toEqual([{ how: 'reply', data: { content: '⛔ clawmedic answers only in its own server.', flags: 64 } }]);
    const audit = await store.listAudit({ limit: 10 });
    expect(audit.map((r) => r.text)).toEqual([`discord:op (${OPERATOR}): refused /approve from ${from}: clawmedic answers only in server ${GUILD}`]);
  });

  it('autocomplete from another server gets nothing', async () => {
    const { d } = await deps();
    const { i, answers } = interaction({ kind: 'autocomplete', name: 'status', guildId: '999999999999999999', focused: { name: 'target', value: '' } });
    await handleInteraction(i, d);
    expect(answers).toEqual([{ how: 'respond', data: [] }]);
  });
});

describe('autocomplete', () => {
  it('suggests nothing to someone who may not run the command', async () => {
    const { d } = await deps();
    for (const name of ['approve', 'recover', 'status', 'incident']) {
      const { i, answers } = interaction({ kind: 'autocomplete', name, userId: OUTSIDER, focused: { name: 'target', value: '' } });
      await handleInteraction(i, d);
      expect(answers).toEqual([{ how: 'respond', data: [] }]);
    }
  });

  it('with DISCORD_STATUS_PUBLIC, everyone gets suggestions for the reading commands, not for acting ones', async () => {
    const { d } = await deps(null, true);
    const read = interaction({ kind: 'autocomplete', name: 'status', userId: OUTSIDER, focused: { name: 'target', value: 'g' } });
    await handleInteraction(read.i, d);
    expect(read.answers).toEqual([{ how: 'respond', data: [{ name: 'gw', value: 'gw' }] }]);
    const act = interaction({ kind: 'autocomplete', name: 'recover', userId: OUTSIDER, focused: { name: 'target', value: 'g' } });
    await handleInteraction(act.i, d);
    expect(act.answers).toEqual([{ how: 'respond', data: [] }]);
  });

  it("an operator's /approve id suggests the open questions", async () => {
    const { d } = await deps();
    const { i, answers } = interaction({ kind: 'autocomplete', name: 'approve', focused: { name: 'id', value: '' } });
    await handleInteraction(i, d);
    expect(answers).toEqual([{ how: 'respond', data: [{ name: 'gw-1-t2', value: 'gw-1-t2' }] }]);
  });
});

describe('/approve names its question', () => {
  it('without an id: nothing is answered; the reply names the open question', async () => {
    const { d, decided } = await deps();
    const { i, answers } = interaction({ kind: 'command', name: 'approve' });
    await handleInteraction(i, d);
    expect(decided).toEqual([]);
    expect(answers.at(-1)?.data).toMatchObject({ content: 'Nothing done: name the question you answer, /approve id:gw-1-t2 (it asks: The AI agent wants to run Bash. Allow it?)' });
  });

  it('with the id of the open question: that question is answered', async () => {
    const { d, decided } = await deps();
    const { i, answers } = interaction({ kind: 'command', name: 'approve', options: { id: 'gw-1-t2' } });
    await handleInteraction(i, d);
    expect(decided).toEqual([['gw-1-t2', true, `discord:op (${OPERATOR})`, 'once']]);
    expect(answers.at(-1)?.data).toMatchObject({ content: '✅ Approved: gw-1-t2.' });
  });

  it('with the id of a question no longer open (another one is): nothing is answered', async () => {
    const { d, decided } = await deps(question('gw-1-t3'));
    const { i, answers } = interaction({ kind: 'command', name: 'approve', options: { id: 'gw-1-t2' } });
    await handleInteraction(i, d);
    expect(decided).toEqual([]);
    expect(answers.at(-1)?.data).toMatchObject({ content: '⚠️ question gw-1-t2 is not open (answered, expired or withdrawn); nothing done' });
  });
});

describe("the card's buttons", () => {
  async function clicked(action: 'retry' | 'escalate', level: number, agent: boolean) {
    const { d, store } = await deps(null);
    const recovered: unknown[][] = [];
    const dog = {
      name: 'gw',
      status: () => ({ agent, incident: { id: 'gw-1', level } }),
      pendingApproval: () => null,
      recover: async (...args: unknown[]) => void recovered.push(args),
    };
    d.medic = { targets: () => [dog], target: () => dog, audit: (r: LadderRecord) => store.appendRecord(r) } as unknown as Medic;
    const { i, answers } = interaction({ kind: 'button', customId: `cm:${action}:gw:gw-1` });
    await handleInteraction(i, d);
    return { recovered, answers, store };
  }

  it('Escalate asks the watchdog for the level the ladder names next (3 from a repair when the agent is on)', async () => {
    const on = await clicked('escalate', 2, true);
    expect(on.recovered).toEqual([[3, `discord:op (${OPERATOR})`, 'escalate button']]);
    expect(on.answers.at(-1)?.data).toMatchObject({ content: '🔧 Escalating to level 3 on gw-1.' });
    const off = await clicked('escalate', 2, false);
    expect(off.recovered).toEqual([[4, `discord:op (${OPERATOR})`, 'escalate button']]);
  });

  it('Retry runs the level its label names (2 at most)', async () => {
    const { recovered, answers } = await clicked('retry', 3, true);
    expect(recovered).toEqual([[2, `discord:op (${OPERATOR})`, 'retry button']]);
    expect(answers.at(-1)?.data).toMatchObject({ content: '🔧 Retrying level 2 on gw-1.' });
  });
});

describe('time comes from the injected clock', () => {
  it('/pause minutes ends on the clock, and the audit line carries its time', async () => {
    const { d, store } = await deps(null);
    const clock = new SimClock(5_000_000);
    const paused: unknown[][] = [];
    const dog = {
      name: 'gw',
      status: () => ({ incident: null }),
      pause: async (...args: unknown[]) => void paused.push(args),
    };
    Object.assign(d, { clock, medic: { targets: () => [dog], target: () => dog, audit: (r: LadderRecord) => store.appendRecord(r) } as unknown as Medic });
    const { i } = interaction({ kind: 'command', name: 'pause', options: { target: 'gw', minutes: 30 } });
    await handleInteraction(i, d);
    expect(paused).toEqual([[`discord:op (${OPERATOR})`, 5_000_000 + 30 * 60_000]]);
    expect((await store.listAudit({ limit: 1 }))[0]).toMatchObject({ at: 5_000_000, text: `discord:op (${OPERATOR}): /pause 30 min` });
  });
});
