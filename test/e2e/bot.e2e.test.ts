/**
 * The bot end to end: the real medic and the real discord.js client against the local fake
 * Discord, supervising real gateway processes.
 */
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { deployCommands } from '../../src/commands/deploy.js';
import { runMedic, type RunningMedic } from '../../src/main.js';
import { isPortListening } from '../../src/recovery/repair/port-holder.js';
import { discordConfigFor, discordEnvFor, FAST_BOT_OPTIONS, FakeDiscord } from '../fixtures/fake-discord/index.js';
import type { StoredMessage } from '../fixtures/fake-discord/index.js';
import { captureLogger, isAlive, waitFor } from '../fixtures/gateways.js';
import { E2eWorld } from './harness.js';

const world = new E2eWorld();
let fake: FakeDiscord | undefined;
let running: RunningMedic | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
  await fake?.stop();
  fake = undefined;
  await world.cleanup();
});

const GREEN = 0x2ea043;

async function startBotMedic(gateway: Parameters<E2eWorld['envFor']>[0], options: { discordDown?: boolean; squat?: boolean; env?: Record<string, string> } = {}) {
  fake = await FakeDiscord.start();
  const setup = await world.envFor(gateway, { ...discordEnvFor(fake), ...options.env });
  let squatter: number | undefined;
  if (options.squat) {
    const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${setup.gatewayPort}, '127.0.0.1')`], { stdio: 'ignore' });
    squatter = world.janitor.track(child.pid);
    await waitFor(() => isPortListening(setup.gatewayPort), { what: 'the squatter to listen' });
  }
  if (options.discordDown) await fake.setDown(true);
  const log = captureLogger();
  running = await runMedic({
    env: setup.env,
    log,
    bot: FAST_BOT_OPTIONS,
  });
  const r = running;
  const status = () => {
    const t = r.medic.status().targets[0]!;
    if (t.pid !== null) world.janitor.track(t.pid);
    return t;
  };
  return { ...setup, log, running: r, fake, status, squatter };
}

function card(f: FakeDiscord, incidentId: string): StoredMessage | undefined {
  return f.channelMessages(f.channelId).find((m) => m.embeds?.[0]?.title?.includes(` ${incidentId} ·`));
}

function threadText(f: FakeDiscord, threadId: string): string {
  return f.channelMessages(threadId).map((m) => m.content).join('\n');
}

async function lastResponse(f: FakeDiscord, interactionId: string): Promise<Record<string, unknown>> {
  return waitFor(() => f.interactionResponses(interactionId).find((r) => r.type === 'editReply')?.data, {
    what: `a reply to interaction ${interactionId}`,
  });
}

describe('incidents in Discord', () => {
  it('a crash gets a card edited in place and a thread with the timeline; the summary turns it green', async () => {
    const m = await startBotMedic({ mode: 'ok' });
    await waitFor(() => m.running.bot!.status().state === 'connected', { what: 'the bot to connect' });
    const before = await waitFor(() => (m.status().health === 'up' ? m.status() : null), { what: 'healthy' });
    process.kill(before.pid!, 'SIGKILL');
    await waitFor(async () => (await m.running.store.getIncident('gw-1'))?.incident.state === 'resolved', { what: 'resolved' });

    const msg = await waitFor(() => {
      const c = card(m.fake, 'gw-1');
      return c?.embeds?.[0]?.color === GREEN ? c : null;
    }, { what: 'the card to turn green' });
    // A closed card keeps one button: its postmortem.
    expect((msg.components ?? []).flatMap((row) => (row as { components: { custom_id: string; label: string }[] }).components).map((b) => [b.custom_id, b.label])).toEqual([
      ['cm:postmortem:gw:gw-1', 'Postmortem'],
    ]);
    expect(msg.embeds![0]!.description).toMatch(/^\*\*Resolved\*\* after \d+ s, highest level 0: 1 restart$/);
    // One message, edited in place: no second card for the same incident.
    expect(m.fake.channelMessages(m.fake.channelId).filter((c) => c.embeds?.[0]?.title?.includes(' gw-1 ·'))).toHaveLength(1);
    expect(m.fake.requests.some((r) => r.method === 'PATCH' && r.path === `/channels/${m.fake.channelId}/messages/${msg.id}`)).toBe(true);

    const thread = m.fake.threads.find((t) => t.id === msg.id);
    expect(thread?.name).toBe('gw-1 · gateway was killed by SIGKILL');
    const text = await waitFor(() => {
      const t = threadText(m.fake, msg.id);
      return t.includes('resolved after') ? t : null;
    }, { what: 'the timeline in the thread' });
    expect(text).toContain('gateway was killed by SIGKILL');
    expect(text).toMatch(/gateway started \(pid \d+\)/);
    expect(m.fake.count429).toBe(0);
  });

  it('a foreign port holder: approval in the thread, an outsider is refused, an operator approves', async () => {
    const m = await startBotMedic({ mode: 'ok' }, { squat: true });
    const approvalMsg = await waitFor(
      () => [...m.fake.messages.values()].find((x) => x.content?.startsWith('❓ **Approval needed**') && x.components?.length),
      { what: 'an approval request in Discord' },
    );
    expect(approvalMsg.content).toContain(`Stop pid ${m.squatter}`);
    expect(approvalMsg.content).toContain(`<@&${m.fake.operatorRoleId}>`);
    const [approve] = (approvalMsg.components![0] as { components: { custom_id: string }[] }).components;

    const outsider = await m.fake.button({ customId: approve!.custom_id, messageId: approvalMsg.id, userId: m.fake.users.outsider.id });
    expect((await lastResponse(m.fake, outsider.id)).content).toBe('⛔ Only operators may use these buttons.');
    expect(isAlive(m.squatter!)).toBe(true);

    const op = await m.fake.button({ customId: approve!.custom_id, messageId: approvalMsg.id });
    expect((await lastResponse(m.fake, op.id)).content).toMatch(/^✅ Approved: gw-1-a1\.$/);
    await waitFor(() => m.status().health === 'up' && m.status().incident === null, { what: 'recovered after approval' });
    expect(isAlive(m.squatter!)).toBe(false);
    const closed = await waitFor(() => {
      const x = m.fake.messages.get(approvalMsg.id);
      return x && !x.components?.length ? x : null;
    }, { what: 'the approval buttons to go' });
    expect(closed.content).toContain('✅ Approved by discord:');

    // A late answer (here /approve, as a click that raced the edit would be) does nothing harmful.
    const again = await m.fake.chatInput({ name: 'approve' });
    expect((await lastResponse(m.fake, again.id)).content).toBe('⚠️ gw has no question waiting for an answer');
    const named = await m.fake.chatInput({ name: 'approve', options: [{ name: 'id', type: 3, value: 'gw-1-a1' }] });
    expect((await lastResponse(m.fake, named.id)).content).toBe('⚠️ question gw-1-a1 is not open (answered, expired or withdrawn); nothing done');

    const audit = await m.running.store.listAudit({ limit: 100 });
    const ops = audit.filter((r) => r.kind === 'operator').map((r) => r.text);
    expect(ops.some((t) => t.includes(`(${m.fake.users.outsider.id}) on message ${approvalMsg.id}: refused button approve`))).toBe(true);
    expect(ops.some((t) => /^discord:\S+ \(\d+\) approved: stop pid/.test(t))).toBe(true);
  });
});

describe('postmortem button', () => {
  it('on a closed card: an outsider is refused; an operator gets the redacted report in the thread as a file, audited', async () => {
    const secret = 'svc-e2e-postmortem-7c1f0a9e3b5d2468';
    const m = await startBotMedic({ mode: 'ok' }, { env: { BACKUP_SERVICE_TOKEN: secret } });
    await waitFor(() => m.running.bot!.status().state === 'connected', { what: 'the bot to connect' });
    const before = await waitFor(() => (m.status().health === 'up' ? m.status() : null), { what: 'healthy' });
    process.kill(before.pid!, 'SIGKILL');
    await waitFor(async () => (await m.running.store.getIncident('gw-1'))?.incident.state === 'resolved', { what: 'resolved' });
    // A record stored before its secret was known to the redactor: the report must still not carry it.
    await m.running.store.appendRecord({ kind: 'step', at: Date.now(), target: 'gw', incidentId: 'gw-1', level: 0, text: `backup hook said: token=${secret}`, by: 'e2e' });
    const msg = await waitFor(() => {
      const c = card(m.fake, 'gw-1');
      return c?.embeds?.[0]?.color === GREEN && c.components?.length ? c : null;
    }, { what: 'the closed card with its Postmortem button' });
    const button = (msg.components![0] as { components: { custom_id: string }[] }).components[0]!;
    const uploads = () => m.fake.requests.filter((r) => r.method === 'POST' && r.path === `/channels/${msg.id}/messages` && r.files.length);

    const outsider = await m.fake.button({ customId: button.custom_id, messageId: msg.id, userId: m.fake.users.outsider.id });
    expect((await lastResponse(m.fake, outsider.id)).content).toBe('⛔ Only operators may use these buttons.');
    expect(uploads()).toEqual([]);

    const op = await m.fake.button({ customId: button.custom_id, messageId: msg.id });
    expect((await lastResponse(m.fake, op.id)).content).toBe("📝 The postmortem of gw-1 is in the incident's thread.");
    const [upload] = await waitFor(() => (uploads().length ? uploads() : null), { what: 'the postmortem in the thread' });
    expect(uploads()).toHaveLength(1);
    expect(upload!.files.map((f) => f.filename)).toEqual(['gw-1-postmortem.md']);
    const report = upload!.files[0]!.text;
    expect(report).toMatch(/^# Postmortem: gw-1 \(gw\)\n/);
    expect(report).toContain('gateway was killed by SIGKILL');
    expect(report).toContain('backup hook said: token=');
    expect(report).not.toContain(secret);
    const posted = m.fake.channelMessages(msg.id).find((x) => x.attachments?.some((a) => a.filename === 'gw-1-postmortem.md'));
    expect(posted?.content).toMatch(/^📝 Postmortem of \*\*gw-1\*\*, asked for by discord:operator \(\d+\)\./);

    const ops = (await m.running.store.listAudit({ limit: 100 })).filter((r) => r.kind === 'operator').map((r) => r.text);
    expect(ops.some((t) => t.includes(`(${m.fake.users.outsider.id}) on message ${msg.id}: refused button postmortem: not an operator`))).toBe(true);
    expect(ops.some((t) => t.includes(`on message ${msg.id}: clicked postmortem (gw-1)`))).toBe(true);
    expect(ops.some((t) => new RegExp(`^discord:operator \\(\\d+\\): posted the postmortem of gw-1 \\(gw-1-postmortem\\.md, \\d+ bytes\\) as message ${posted!.id}$`).test(t))).toBe(true);
  });
});

describe('level 4', () => {
  it('mentions the on-call role once, with what the ladder tried, and the card turns red', async () => {
    const m = await startBotMedic({ mode: 'crash-on-start' });
    await waitFor(() => m.status().incident?.state === 'waiting_human', { what: 'waiting for a human' });
    const mention = await waitFor(
      () => [...m.fake.messages.values()].find((x) => x.content?.startsWith(`🙋 <@&${m.fake.operatorRoleId}>`)),
      { what: 'the on-call mention' },
    );
    expect(mention.content).toContain('**gw-1** needs a human. level 2 has nothing left to try');
    expect(mention.content).toContain('The ladder tried: doctor, doctor.');
    const post = m.fake.requests.find((r) => r.method === 'POST' && (r.body as { content?: string })?.content === mention.content);
    expect((post!.body as { allowed_mentions: unknown }).allowed_mentions).toEqual({ parse: [], roles: [m.fake.operatorRoleId] });
    await waitFor(() => card(m.fake, 'gw-1')?.embeds?.[0]?.color === 0xd03030, { what: 'the card to turn red' });
    // Once: a later half-open failure or more timeline does not mention again.
    await new Promise((r) => setTimeout(r, 500));
    expect([...m.fake.messages.values()].filter((x) => x.content?.startsWith('🙋'))).toHaveLength(1);
  });
});

describe('slash commands', () => {
  it('npm run deploy-commands registers every command in the guild', async () => {
    fake = await FakeDiscord.start();
    const said = await deployCommands(discordConfigFor(fake), { global: false });
    expect(fake.commands.map((c) => c.name).sort()).toEqual(['abort', 'approve', 'incident', 'pause', 'recover', 'resume', 'status']);
    expect(fake.commands.every((c) => c.guild_id === fake!.guildId)).toBe(true);
    expect(said).toBe(`registered 7 commands in guild ${fake.guildId}: /status, /recover, /approve, /abort, /incident, /pause, /resume`);
  });


  it('/status for operators (ephemeral), refused to outsiders; /recover by an operator opens an incident', async () => {
    const m = await startBotMedic({ mode: 'ok' });
    await waitFor(() => m.running.bot!.status().state === 'connected', { what: 'the bot to connect' });
    await waitFor(() => m.status().health === 'up', { what: 'healthy' });

    const status = await m.fake.chatInput({ name: 'status' });
    const reply = await lastResponse(m.fake, status.id);
    expect(m.fake.interactionResponses(status.id)[0]).toMatchObject({ type: 5, data: { flags: 64 } });
    const embed = (reply.embeds as { fields: { name: string; value: string }[]; footer: { text: string } }[])[0]!;
    expect(embed.fields[0]!.name).toBe('gw');
    expect(embed.fields[0]!.value).toMatch(/🟢 up · pid \d+/);
    expect(embed.footer.text).toContain('Discord link: connected');

    const denied = await m.fake.chatInput({ name: 'recover', userId: m.fake.users.outsider.id, options: [{ name: 'target', type: 3, value: 'gw' }, { name: 'level', type: 4, value: 1 }] });
    expect((await lastResponse(m.fake, denied.id)).content).toBe('⛔ Only operators may use /recover. Ask someone with the operator role.');
    expect(await m.running.store.listIncidents()).toEqual([]);

    const recover = await m.fake.chatInput({ name: 'recover', options: [{ name: 'target', type: 3, value: 'gw' }, { name: 'level', type: 4, value: 1 }, { name: 'note', type: 3, value: 'testing' }] });
    expect((await lastResponse(m.fake, recover.id)).content).toMatch(/^🔧 Level 1 started on \*\*gw\*\* \(incident gw-1\)/);
    const inc = await waitFor(async () => (await m.running.store.getIncident('gw-1'))?.incident, { what: 'the incident' });
    expect(inc.cause).toMatch(/^manual recovery at level 1 requested by discord:/);

    const auto = await m.fake.autocomplete({ name: 'status', focused: { name: 'target', value: 'g' } });
    await waitFor(() => m.fake.interactionResponses(auto.id).length > 0, { what: 'autocomplete choices' });
    expect(m.fake.interactionResponses(auto.id)[0]).toMatchObject({ type: 8, data: { choices: [{ name: 'gw', value: 'gw' }] } });
  });
});

describe('resilience', () => {
  it('Discord down at start: the ladder recovers anyway, and the bot catches up when Discord is back', async () => {
    const m = await startBotMedic({ mode: 'ok' }, { discordDown: true });
    const before = await waitFor(() => (m.status().health === 'up' ? m.status() : null), { what: 'healthy' });
    process.kill(before.pid!, 'SIGKILL');
    await waitFor(async () => (await m.running.store.getIncident('gw-1'))?.incident.state === 'resolved', { what: 'resolved without Discord' });
    expect(m.running.bot!.status().state).toBe('unreachable');

    await m.fake.setDown(false);
    await waitFor(() => m.running.bot!.status().state === 'connected', { timeoutMs: 20_000, what: 'the bot to connect later' });
    const msg = await waitFor(() => {
      const c = card(m.fake, 'gw-1');
      return c?.embeds?.[0]?.color === GREEN ? c : null;
    }, { timeoutMs: 20_000, what: 'the card, caught up' });
    await waitFor(() => threadText(m.fake, msg.id).includes('resolved after'), { what: 'the timeline, caught up' });
  });

  it('a revoked token shows in /status; recovery goes on', async () => {
    const m = await startBotMedic({ mode: 'ok' });
    await waitFor(() => m.running.bot!.status().state === 'connected', { what: 'the bot to connect' });
    m.fake.revokeToken();
    await waitFor(() => m.running.bot!.status().state === 'auth-failed', { what: 'auth-failed' });
    const res = await fetch(`http://127.0.0.1:${m.apiPort}/status`);
    expect(((await res.json()) as { discord: { state: string } }).discord.state).toBe('auth-failed');
    const before = await waitFor(() => (m.status().health === 'up' ? m.status() : null), { what: 'healthy' });
    process.kill(before.pid!, 'SIGKILL');
    await waitFor(async () => (await m.running.store.getIncident('gw-1'))?.incident.state === 'resolved', { what: 'resolved with the bot refused' });
  });

  it('429s and a gateway reconnect mid-incident lose nothing', async () => {
    const m = await startBotMedic({ mode: 'ok' });
    await waitFor(() => m.running.bot!.status().state === 'connected', { what: 'the bot to connect' });
    const before = await waitFor(() => (m.status().health === 'up' ? m.status() : null), { what: 'healthy' });
    m.fake.inject429('/channels/:id/messages', 2, 0.3);
    m.fake.closeGateway(4000);
    process.kill(before.pid!, 'SIGKILL');
    await waitFor(async () => (await m.running.store.getIncident('gw-1'))?.incident.state === 'resolved', { what: 'resolved' });
    const msg = await waitFor(() => {
      const c = card(m.fake, 'gw-1');
      return c?.embeds?.[0]?.color === GREEN ? c : null;
    }, { what: 'the card' });
    await waitFor(() => threadText(m.fake, msg.id).includes('resolved after'), { what: 'the whole timeline' });
    expect(m.fake.count429).toBe(2);
    await waitFor(() => m.running.bot!.status().state === 'connected', { what: 'resumed' });
  });
});
