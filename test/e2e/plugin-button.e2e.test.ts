/**
 * The one-click re-enable of a plugin the ladder disabled, end to end: the real medic and the real discord.js
 * client against the local fake Discord. The gateway is a plain command line that behaves as OpenClaw does with
 * a plugin that throws at every start (exit 1, the plugin's stack path on stderr) until `openclaw plugins disable`
 * is run; `openclaw` is a small script first on PATH that records what it is asked. The resolved card carries a
 * "Re-enable plugin" button: an outsider is refused, an operator's click runs `openclaw plugins enable <id>`
 * through the ladder, and the thread and the audit say so.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runMedic, type RunningMedic } from '../../src/main.js';
import { discordEnvFor, FAST_BOT_OPTIONS, FakeDiscord, type StoredMessage } from '../fixtures/fake-discord/index.js';
import { captureLogger, plainGatewayCommand, waitFor } from '../fixtures/gateways.js';
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
const PLUGIN = 'crash-plugin';

/** OpenClaw's CLI as far as this test needs it: `plugins disable|enable <id>` toggle a file and are logged. */
function writeFakeOpenClaw(dir: string, disabled: string, calls: string): void {
  const script = [
    '#!/bin/sh',
    `echo "$*" >> '${calls}'`,
    'case "$1 $2" in',
    `  "plugins disable") : > '${disabled}'; echo "Disabled plugin \\"$3\\". Saved for the next Gateway start." ;;`,
    `  "plugins enable") rm -f '${disabled}'; echo "Enabled plugin \\"$3\\". Saved for the next Gateway start." ;;`,
    'esac',
    'exit 0',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'openclaw'), script);
  chmodSync(join(dir, 'openclaw'), 0o755);
}

async function lastResponse(f: FakeDiscord, interactionId: string): Promise<Record<string, unknown>> {
  return waitFor(() => f.interactionResponses(interactionId).find((r) => r.type === 'editReply')?.data, {
    what: `a reply to interaction ${interactionId}`,
  });
}

const buttonsOf = (m: StoredMessage) => (m.components ?? []).flatMap((row) => (row as { components: { custom_id: string; label: string }[] }).components);

describe('a plugin the ladder disabled', () => {
  it('the resolved card offers to re-enable it: outsiders refused, an operator re-enables it through the ladder, audited, said in the thread', async () => {
    fake = await FakeDiscord.start();
    const setup = await world.envFor({ mode: 'ok' }, discordEnvFor(fake));
    const bin = join(setup.dataDir, 'bin');
    mkdirSync(bin);
    const disabled = join(setup.dataDir, 'plugin-disabled');
    const calls = join(setup.dataDir, 'openclaw-calls');
    writeFakeOpenClaw(bin, disabled, calls);
    const gateway = plainGatewayCommand({ port: setup.gatewayPort, config: setup.configPath });
    // What OpenClaw prints when a plugin's timer throws (the stack path is where OpenClaw runs plugin code).
    const crash = [
      `echo "Error: boom from ${PLUGIN}" >&2`,
      `echo "    at Timeout._onTimeout (/state/tmp/plugin-captures/0b1c/captures/openclaw-plugin-build-1/package-0/node_modules/${PLUGIN}/index.js:5:30)" >&2`,
      'exit 1',
    ].join('; ');
    const env = {
      ...setup.env,
      PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      GATEWAY_COMMAND: `if [ -e '${disabled}' ]; then ${gateway}; else sleep 0.3; ${crash}; fi`,
    };
    running = await runMedic({ env, log: captureLogger(), bot: FAST_BOT_OPTIONS });
    const r = running;
    await waitFor(() => r.bot!.status().state === 'connected', { what: 'the bot to connect' });
    const inc = await waitFor(async () => {
      const [latest] = await r.store.listIncidents({ limit: 1 });
      return latest?.state === 'resolved' ? latest : null;
    }, { timeoutMs: 30_000, what: 'the plugin disabled and the incident resolved' });
    expect(inc).toMatchObject({ id: 'gw-1', disabledPlugins: [PLUGIN], failure: { class: 'plugin-crash', culprit: PLUGIN } });
    const f = fake;
    const card = await waitFor(() => {
      const c = f.channelMessages(f.channelId).find((m) => m.embeds?.[0]?.title?.includes(' gw-1 ·'));
      return c?.embeds?.[0]?.color === GREEN && c.components?.length ? c : null;
    }, { what: 'the green card with its button' });
    const buttons = buttonsOf(card);
    expect(buttons.map((b) => [b.custom_id, b.label])).toEqual([['cm:postmortem:gw:gw-1', 'Postmortem'], ['cm:enable:gw:gw-1.0', `Re-enable plugin ${PLUGIN}`]]);
    const enable = buttons[1]!.custom_id;

    const outsider = await f.button({ customId: enable, messageId: card.id, userId: f.users.outsider.id });
    expect((await lastResponse(f, outsider.id)).content).toBe('⛔ Only operators may use these buttons.');
    expect(readFileSync(calls, 'utf8')).not.toMatch(/plugins enable/);

    // Two clicks at once (two operators, or a double click): one re-enable runs; the other is a polite no-op, audited.
    const [op, again] = await Promise.all([f.button({ customId: enable, messageId: card.id }), f.button({ customId: enable, messageId: card.id })]);
    expect((await lastResponse(f, again.id)).content).toBe(`✅ Plugin \`${PLUGIN}\` is already enabled again on **gw**; nothing done.`);
    expect((await lastResponse(f, op.id)).content).toBe(
      `🔌 Re-enabling plugin \`${PLUGIN}\` on **gw** (\`openclaw plugins enable ${PLUGIN}\`); the result follows in the gw-1 thread. If it crashes the gateway again, clawmedic disables it again.`,
    );
    await waitFor(() => !existsSync(disabled), { what: '`openclaw plugins enable` to run' });
    expect(readFileSync(calls, 'utf8').split('\n')).toContain(`plugins enable ${PLUGIN}`);
    const thread = await waitFor(() => {
      const text = f.channelMessages(card.id).map((m) => m.content).join('\n');
      return text.includes(`plugin ${PLUGIN} re-enabled for discord:`) ? text : null;
    }, { what: 'the result in the thread' });
    expect(thread).toMatch(new RegExp(`re-enables plugin ${PLUGIN} \\(disabled in gw-1\\): openclaw plugins enable ${PLUGIN}`));
    expect(thread).toContain(`Enabled plugin "${PLUGIN}". Saved for the next Gateway start.`);
    const audit = (await r.store.listAudit({ limit: 100 })).filter((x) => x.kind === 'operator').map((x) => x.text);
    expect(audit.some((t) => t.includes(`(${f.users.outsider.id}) on message ${card.id}: refused button enable`))).toBe(true);
    expect(audit.some((t) => new RegExp(`on message ${card.id}: clicked enable \\(gw-1\\.0\\)$`).test(t))).toBe(true);
    expect(audit.some((t) => t.startsWith('plugin crash-plugin re-enabled for discord:'))).toBe(true);

    // Once re-enabled, the card loses that button; the Postmortem button that shares its row stays.
    const edited = await waitFor(() => {
      const c = f.channelMessages(f.channelId).find((m) => m.id === card.id);
      return c && buttonsOf(c).length === 1 ? c : null;
    }, { what: 'the card edited without the re-enable button' });
    expect(buttonsOf(edited).map((b) => [b.custom_id, b.label])).toEqual([['cm:postmortem:gw:gw-1', 'Postmortem']]);
    expect(await r.store.getIncident('gw-1')).toMatchObject({ incident: { disabledPlugins: [PLUGIN], reenabledPlugins: [PLUGIN] } });
    const enables = () => readFileSync(calls, 'utf8').split('\n').filter((l) => l === `plugins enable ${PLUGIN}`);
    expect(enables()).toHaveLength(1);
    const audited = (await r.store.listAudit({ limit: 200 })).filter((x) => x.kind === 'operator').map((x) => x.text);
    expect(audited.some((t) => t.endsWith(`on message ${card.id}: plugin ${PLUGIN} (disabled in gw-1) is already enabled again: nothing done`))).toBe(true);
  });
});
