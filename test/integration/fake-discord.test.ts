/**
 * Proves the local fake Discord against the real discord.js client: login, commands, messages,
 * threads, interactions, rate limits, gateway resumes and outages, and Discord's rejections.
 */
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import { createInflate } from 'node:zlib';
import {
  Client,
  DiscordAPIError,
  Events,
  GatewayIntentBits,
  MessageFlags,
  Routes,
  type ChatInputCommandInteraction,
  type Interaction,
  type TextChannel,
} from 'discord.js';
import type { WebSocket } from 'ws';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { FakeDiscord, type FakeDiscordOptions, type RecordedRequest } from '../fixtures/fake-discord/index.js';

const open: { fakes: FakeDiscord[]; clients: Client[] } = { fakes: [], clients: [] };

afterEach(async () => {
  await Promise.all(open.clients.splice(0).map((c) => c.destroy()));
  await Promise.all(open.fakes.splice(0).map((f) => f.stop()));
});

// No sockets or servers left behind. (Timers are not checked: vitest's runner keeps its own.)
afterAll(async () => {
  await sleep(50); // closed sockets release their handles on the next turns of the loop
  expect(process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP'))).toEqual([]);
});

async function startFake(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
  const fake = await FakeDiscord.start(options);
  open.fakes.push(fake);
  return fake;
}

function newClient(fake: FakeDiscord): Client {
  const client = new Client({
    intents: [GatewayIntentBits.Guilds],
    rest: { api: fake.restUrl },
    ws: { buildIdentifyThrottler: () => ({ waitForIdentify: async () => {} }) },
    waitGuildTimeout: 1000,
  });
  open.clients.push(client);
  return client;
}

/** A fake and a logged-in client, ready. */
async function connected(options: FakeDiscordOptions = {}): Promise<{ fake: FakeDiscord; client: Client; channel: TextChannel }> {
  const fake = await startFake(options);
  const client = newClient(fake);
  const ready = once(client, Events.ClientReady, { signal: AbortSignal.timeout(5000) });
  await client.login(fake.token);
  await ready;
  return { fake, client, channel: client.channels.cache.get(fake.channelId) as TextChannel };
}

function event(client: Client, name: string, timeoutMs = 5000): Promise<unknown[]> {
  return once(client, name, { signal: AbortSignal.timeout(timeoutMs) });
}

const isRoute = (method: string, route: string) => (r: RecordedRequest) => r.method === method && r.route === route;
const CALLBACK = '/interactions/:id/:token/callback';
const buttonRow = (...ids: string[]) => ({ type: 1, components: ids.map((id) => ({ type: 2, style: 1, label: id, custom_id: id })) });

async function apiError(promise: Promise<unknown>): Promise<DiscordAPIError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(DiscordAPIError);
  return error as DiscordAPIError;
}

describe('login and state', () => {
  it('gets READY with the guild, the incident channel and the operator role', async () => {
    const started = Date.now();
    const { fake, client, channel } = await connected();
    expect(Date.now() - started).toBeLessThan(3000);
    expect(client.user?.id).toBe(fake.botUserId);
    expect(channel.name).toBe('ops-alerts');
    expect(client.guilds.cache.get(fake.guildId)?.roles.cache.has(fake.operatorRoleId)).toBe(true);
    expect(fake.requests[0]).toMatchObject({ method: 'GET', route: '/gateway/bot', status: 200, authorized: true });
  });

  it('registers guild commands', async () => {
    const { fake, client } = await connected();
    const set = await client.application?.commands.set([{ name: 'status', description: 'Show the ops status' }], fake.guildId);
    expect(set?.first()?.name).toBe('status');
    expect(fake.commands.map((c) => [c.name, c.guild_id])).toEqual([['status', fake.guildId]]);
  });

  it('keeps messages, threads and edits as the client made them', async () => {
    const { fake, client, channel } = await connected();
    const threadCreated = event(client, Events.ThreadCreate);
    const alert = await channel.send({ content: 'db-primary down', components: [buttonRow('approve', 'abort')] });
    const thread = await alert.startThread({ name: 'incident db-primary' });
    await thread.send('runbook: restart');
    await alert.edit({ content: 'db-primary down (handled)' });

    expect(thread.id).toBe(alert.id);
    expect(fake.threads.map((t) => [t.id, t.parent_id, t.name])).toEqual([[alert.id, fake.channelId, 'incident db-primary']]);
    expect(fake.channelMessages(thread.id).map((m) => m.content)).toEqual(['runbook: restart']);
    const stored = fake.messages.get(alert.id);
    expect(stored?.content).toBe('db-primary down (handled)');
    expect(stored?.edited_timestamp).not.toBeNull();
    expect(stored?.components?.[0]).toMatchObject({ type: 1, components: [{ custom_id: 'approve' }, { custom_id: 'abort' }] });
    expect(fake.channelMessages(fake.channelId).map((m) => m.id)).toEqual([alert.id]);
    await threadCreated;
  });
});

describe('interactions', () => {
  it('answers a slash command with deferReply + editReply, seeing the member roles', async () => {
    const { fake, client } = await connected();
    const hadRole: boolean[] = [];
    client.on(Events.InteractionCreate, async (i: Interaction) => {
      if (!i.isChatInputCommand()) return;
      hadRole.push(i.inCachedGuild() && i.member.roles.cache.has(fake.operatorRoleId));
      await i.deferReply({ flags: MessageFlags.Ephemeral });
      await i.editReply(`verbose=${String(i.options.getBoolean('verbose'))}`);
    });
    const sent = await fake.chatInput({ name: 'status', options: [{ name: 'verbose', type: 5, value: true }] });
    await fake.chatInput({ name: 'status', userId: fake.users.outsider.id });
    await fake.waitForRequest((r) => r.method === 'PATCH' && r.path.includes(sent.token));

    expect(fake.interactionResponses(sent.id)).toMatchObject([
      { type: 5, data: { flags: 64 } },
      { type: 'editReply', data: { content: 'verbose=true' } },
    ]);
    await fake.waitForRequest((r) => r.method === 'PATCH' && !r.path.includes(sent.token));
    expect(hadRole).toEqual([true, false]);
  });

  it('records a reply with response, and a follow-up as a channel message', async () => {
    const { fake, client } = await connected();
    client.on(Events.InteractionCreate, async (i: Interaction) => {
      if (!i.isChatInputCommand()) return;
      const { resource } = await i.reply({ content: 'checking', withResponse: true });
      await i.followUp(`reply was ${resource?.message?.id ?? 'missing'}`);
    });
    const sent = await fake.chatInput({ name: 'check' });
    await fake.waitForRequest(isRoute('POST', '/webhooks/:id/:token'));
    const [reply, followUp] = fake.channelMessages(fake.channelId);
    expect(reply).toMatchObject({ content: 'checking', interaction_metadata: { id: sent.id, user: { id: fake.users.operator.id } } });
    expect(followUp?.content).toBe(`reply was ${reply?.id ?? ''}`);
    expect(fake.interactionResponses(sent.id).map((r) => r.type)).toEqual([4, 'followUp']);
  });

  it('handles a button with interaction.update and refuses clicks on disabled buttons', async () => {
    const { fake, client, channel } = await connected();
    const alert = await channel.send({ content: 'approve failover?', components: [buttonRow('approve')] });
    client.on(Events.InteractionCreate, async (i: Interaction) => {
      if (!i.isButton()) return;
      await i.update({ content: `approved by <@${i.user.id}>`, components: [{ type: 1, components: [{ type: 2, style: 1, label: 'approve', custom_id: 'approve', disabled: true }] }] });
    });
    const click = await fake.button({ customId: 'approve', messageId: alert.id });
    await fake.waitForRequest(isRoute('POST', CALLBACK));

    expect(fake.interactionResponses(click.id)).toMatchObject([{ type: 7 }]);
    const stored = fake.messages.get(alert.id);
    expect(stored?.content).toBe(`approved by <@${fake.users.operator.id}>`);
    expect(stored?.components?.[0]).toMatchObject({ components: [{ custom_id: 'approve', disabled: true }] });
    await expect(fake.button({ customId: 'approve', messageId: alert.id })).rejects.toThrow(/disabled/);
  });

  it('answers autocomplete with respond', async () => {
    const { fake, client } = await connected();
    client.on(Events.InteractionCreate, async (i: Interaction) => {
      if (!i.isAutocomplete()) return;
      const typed = String(i.options.getFocused());
      await i.respond(['db-primary', 'db-replica'].filter((s) => s.startsWith(typed)).map((s) => ({ name: s, value: s })));
    });
    const sent = await fake.autocomplete({ name: 'restart', focused: { name: 'service', value: 'db-p' } });
    await fake.waitForRequest(isRoute('POST', CALLBACK));
    expect(fake.interactionResponses(sent.id)).toEqual([expect.objectContaining({ type: 8, data: { choices: [{ name: 'db-primary', value: 'db-primary' }] } })]);
  });

  it('enforces the ack window, a single ack, and no follow-up before it', async () => {
    const { fake, client } = await connected({ interactionAckWindowMs: 200 });
    const received: ChatInputCommandInteraction[] = [];
    client.on(Events.InteractionCreate, (i: Interaction) => void (i.isChatInputCommand() && received.push(i)));
    const late = await fake.chatInput({ name: 'late' });
    const twice = await fake.chatInput({ name: 'twice' });
    const early = await fake.chatInput({ name: 'early' });
    await expect.poll(() => received.length).toBe(3);
    const callback = (id: string, token: string) => client.rest.post(Routes.interactionCallback(id, token), { body: { type: 4, data: { content: 'ok' } }, auth: false });

    expect((await apiError(client.rest.post(Routes.webhook(fake.applicationId, early.token), { body: { content: 'x' }, auth: false }))).code).toBe(10015);
    await callback(twice.id, twice.token);
    expect((await apiError(callback(twice.id, twice.token))).code).toBe(40060);
    await sleep(250);
    expect((await apiError(received[0]?.reply('too late') ?? Promise.resolve())).code).toBe(10062);
    expect(fake.interactionResponses(late.id)).toEqual([]);
  });
});

describe('rate limits', () => {
  it('waits out an injected 429, then the send succeeds', async () => {
    const { fake, client, channel } = await connected();
    const rateLimited = once(client.rest, 'rateLimited');
    fake.inject429('POST /channels/:id/messages', 1, 0.3);
    const started = Date.now();
    await channel.send('after the limit');
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(fake.count429).toBe(1);
    expect(fake.requests.filter(isRoute('POST', '/channels/:id/messages')).map((r) => r.status)).toEqual([429, 200]);
    await rateLimited;
  });

  it('announces its limits so a well-behaved client gets zero 429s, and 429s a client that ignores them', async () => {
    const { fake, channel } = await connected({ rateLimit: { perRoute: 2, windowMs: 400 } });
    const raw = () => fetch(`${fake.restUrl}/v10/channels/${fake.channelId}/messages`, { method: 'POST', headers: { authorization: `Bot ${fake.token}`, 'content-type': 'application/json' }, body: '{"content":"raw"}' });
    const responses = [await raw(), await raw(), await raw()];
    expect(responses.map((r) => r.status)).toEqual([200, 200, 429]);
    expect(responses[0]?.headers.get('x-ratelimit-remaining')).toBe('1');
    expect(responses[2]?.headers.get('x-ratelimit-scope')).toBe('user');
    expect(Number(responses[2]?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(fake.count429).toBe(1);

    await sleep(450);
    const started = Date.now();
    await Promise.all(Array.from({ length: 6 }, (_, n) => channel.send(`burst ${n}`)));
    expect(Date.now() - started).toBeGreaterThanOrEqual(800); // three windows of two
    expect(fake.count429).toBe(1);
  });
});

describe('gateway', () => {
  it('resumes after close 4000 and replays what was dispatched meanwhile', async () => {
    const { fake, client } = await connected();
    client.on(Events.InteractionCreate, (i: Interaction) => void (i.isChatInputCommand() && i.reply('pong')));
    const resumed = event(client, Events.ShardResume);
    fake.closeGateway(4000);
    const sent = await fake.chatInput({ name: 'ping' }); // buffered while the socket is down
    const [, replayed] = await resumed;
    expect(replayed).toBeGreaterThanOrEqual(1);
    await fake.waitForRequest(isRoute('POST', CALLBACK));
    expect(fake.interactionResponses(sent.id)).toMatchObject([{ type: 4, data: { content: 'pong' } }]);
    expect(fake.gatewayPayloads.filter((p) => p.op === 2)).toHaveLength(1);
  });

  it('resumes after a dropped connection (1006)', async () => {
    const { fake, client } = await connected();
    const resumed = event(client, Events.ShardResume);
    fake.dropGateway();
    await resumed;
    expect(fake.gatewayPayloads.filter((p) => p.op === 6)).toHaveLength(1);
  });

  it('acknowledges heartbeats', async () => {
    const { fake, client } = await connected({ heartbeatIntervalMs: 100 });
    await expect.poll(() => client.ws.ping).toBeGreaterThanOrEqual(0);
    expect(fake.gatewayPayloads.some((p) => p.op === 1)).toBe(true);
  });

  it('op 7 makes the client resume; op 9 (not resumable) makes it identify again', async () => {
    const { fake, client } = await connected();
    const resumed = event(client, Events.ShardResume);
    await fake.requestReconnect();
    await resumed;
    const readyAgain = event(client, Events.ShardReady);
    await fake.invalidateSession(false);
    await readyAgain;
    expect(fake.gatewayPayloads.filter((p) => p.op === 2 || p.op === 6).map((p) => p.op)).toEqual([2, 6, 2]);
  });

  it('gives up on close 4004', async () => {
    const { fake, client } = await connected();
    const disconnected = event(client, Events.ShardDisconnect);
    client.on(Events.ShardError, () => {}); // 'Authentication failed'; expected here
    fake.closeGateway(4004);
    const [closeEvent] = (await disconnected) as [{ code: number }];
    expect(closeEvent.code).toBe(4004);
    await sleep(1000);
    expect(fake.gatewayPayloads.filter((p) => p.op === 2 || p.op === 6)).toHaveLength(1);
  });

  it('revoked token: the gateway closes with 4004 and REST answers 401', async () => {
    const { fake, client, channel } = await connected();
    client.on(Events.ShardError, () => {});
    const disconnected = event(client, Events.ShardDisconnect);
    fake.revokeToken();
    expect(((await disconnected) as [{ code: number }])[0].code).toBe(4004);
    expect((await apiError(channel.send('anyone?'))).status).toBe(401);
  });

  it('comes back after an outage: the client reconnects and can send again', async () => {
    const { fake, client, channel } = await connected();
    await fake.setDown(true);
    // A pooled keep-alive socket may fail first ('other side closed'); a fresh connection is refused.
    await expect(channel.send('during the outage')).rejects.not.toBeInstanceOf(DiscordAPIError);
    await expect(channel.send('still down')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await sleep(1200); // a few of discord.js's 500 ms reconnect attempts fail
    const back = Promise.race([event(client, Events.ShardReady, 15_000), event(client, Events.ShardResume, 15_000)]);
    await fake.setDown(false);
    await back;
    const message = await channel.send('after the outage');
    expect(fake.messages.get(message.id)?.content).toBe('after the outage');
  });

  it('serves zlib-stream transport compression', async () => {
    const fake = await startFake();
    const Ws = createRequire(import.meta.url)('ws') as typeof WebSocket; // module.exports of ws 7 and 8 alike
    const socket = new Ws(`ws://127.0.0.1:${fake.port}/gateway?v=10&encoding=json&compress=zlib-stream`);
    const inflate = createInflate();
    const payloads: { op: number; t: string | null }[] = [];
    let text = '';
    inflate.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      try {
        payloads.push(JSON.parse(text) as { op: number; t: string | null });
        text = '';
      } catch {
        // an incomplete payload: wait for more
      }
    });
    socket.on('message', (data: Buffer) => inflate.write(data));
    await expect.poll(() => payloads[0]?.op).toBe(10);
    socket.send(JSON.stringify({ op: 2, d: { token: fake.token, intents: 1, properties: {} } }));
    await expect.poll(() => payloads.map((p) => p.t)).toEqual([null, 'READY', 'GUILD_CREATE']);
    socket.terminate();
    inflate.close();
  });
});

describe('what Discord rejects', () => {
  it('requires the bot token, and a client with a wrong one cannot log in', async () => {
    const fake = await startFake();
    const get = (headers: Record<string, string>) => fetch(`${fake.restUrl}/v10/users/@me`, { headers });
    expect((await get({})).status).toBe(401);
    const ok = await get({ authorization: `Bot ${fake.token}` });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-ratelimit-bucket')).toMatch(/^[0-9a-f]+$/);
    await expect(newClient(fake).login('wrong.token.value')).rejects.toMatchObject({ code: 'TokenInvalid' });
  });

  it('answers 50006 and 50035 in Discord shapes', async () => {
    const { channel } = await connected({ rateLimit: null });
    const send = (body: object) => apiError(channel.send(body));
    expect((await send({ content: '' })).code).toBe(50006);
    const cases: [object, string, string][] = [
      [{ content: 'x'.repeat(2001) }, 'content', 'BASE_TYPE_MAX_LENGTH'],
      [{ embeds: [{ description: 'x'.repeat(4097) }] }, 'embeds[0].description', 'BASE_TYPE_MAX_LENGTH'],
      [{ embeds: [{ fields: [{ name: 'log', value: 'x'.repeat(1025) }] }] }, 'embeds[0].fields[0].value', 'BASE_TYPE_MAX_LENGTH'],
      [{ components: Array.from({ length: 6 }, (_, n) => buttonRow(`r${n}`)) }, 'components', 'BASE_TYPE_MAX_LENGTH'],
      [{ components: [buttonRow('a', 'b', 'c', 'd', 'e', 'f')] }, 'components[0].components', 'BASE_TYPE_BAD_LENGTH'],
      [{ components: [buttonRow('same', 'same')] }, 'components[0].components[1].custom_id', 'COMPONENT_CUSTOM_ID_DUPLICATED'],
    ];
    for (const [body, field, code] of cases) {
      const error = await send(body);
      expect(error.code).toBe(50035);
      expect(error.message).toContain(`${field}[${code}]`);
    }
  });
});
