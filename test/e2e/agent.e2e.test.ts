/**
 * Level 3 end to end: the real medic (composition root, real adapters), the real discord.js
 * client against the local fake Discord, the real Claude Code CLI (every version of the run:
 * test/fixtures/claude-cli.ts) in a PTY against the local
 * scripted Messages API, and a real gateway process whose config is broken beyond level 2.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { descendants } from '../../src/lib/process-table.js';
import { runMedic, type RunningMedic } from '../../src/main.js';
import { discordEnvFor, FAST_BOT_OPTIONS, FakeDiscord, type StoredMessage } from '../fixtures/fake-discord/index.js';
import { repairScript, startFakeAnthropic, type FakeAnthropic } from '../fixtures/fake-anthropic.js';
import { agentMedicEnv, breakConfig } from '../fixtures/agent-world.js';
import { claudeClis, cliBin, type ClaudeCli } from '../fixtures/claude-cli.js';
import { captureLogger, isAlive, waitFor } from '../fixtures/gateways.js';
import { E2eWorld } from './harness.js';

/** In the gateway's config (its auth token) and printed by the gateway: must never leave the host. */
const GATEWAY_SECRET = 'oc_live_7f3a9c1e5b2d4f60';
const API_KEY = 'sk-test-e2e-not-a-real-key-0042';

const world = new E2eWorld();
let fake: FakeDiscord | undefined;
let model: FakeAnthropic | undefined;
let running: RunningMedic | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
  await fake?.stop();
  fake = undefined;
  await model?.close();
  model = undefined;
  await world.cleanup();
});

/** The gateway's config lost gateway.mode; doctor cannot fix it and there is no known-good copy: level 3. */
async function startAgentMedic(cli: ClaudeCli, extra: Record<string, string> = {}) {
  fake = await FakeDiscord.start();
  const setup = await world.envFor({ mode: 'ok' }, discordEnvFor(fake));
  const { repair } = await breakConfig(setup, { auth: { token: GATEWAY_SECRET } });
  model = await startFakeAnthropic({ script: repairScript(repair, 'Restore the gateway config') });
  const env = {
    ...agentMedicEnv(setup.env, model, API_KEY, cliBin(cli)),
    // The gateway prints its token before refusing the config.
    GATEWAY_COMMAND: `echo "[gateway] auth ${GATEWAY_SECRET}"; ${setup.env.GATEWAY_COMMAND}`,
    ...extra,
  };
  const log = captureLogger();
  running = await runMedic({
    env,
    log,
    bot: FAST_BOT_OPTIONS,
  });
  const r = running;
  const f = fake;
  const status = () => {
    const t = r.medic.status().targets[0]!;
    if (t.pid !== null) world.janitor.track(t.pid);
    return t;
  };
  const agentQuestion = () =>
    waitFor(() => [...f.messages.values()].find((x) => x.content?.startsWith('🤖 **The AI agent asks') && x.components?.length), {
      what: "the agent's question in Discord",
      timeoutMs: 45_000,
    });
  return { ...setup, env, log, running: r, fake: f, model, status, agentQuestion };
}

function buttons(m: StoredMessage): { custom_id: string; label: string }[] {
  return (m.components![0] as { components: { custom_id: string; label: string }[] }).components;
}

/** Everything clawmedic sent to Discord: message bodies and attached files. */
function allSentToDiscord(f: FakeDiscord): string {
  return f.requests.map((r) => `${JSON.stringify(r.body ?? '')}\n${r.files.map((x) => x.text).join('\n')}`).join('\n');
}

function agentProcesses(): number[] {
  return descendants(process.pid).filter((pid) => {
    try {
      return isAlive(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('claude');
    } catch {
      return false;
    }
  });
}

describe.each(claudeClis())('level 3 with Claude Code $version ($which): the AI agent, watched and approved from Discord', (cli) => {
  it('approved with a button: the agent repairs the config, the probe says healthy, resolved; secrets stay home', async () => {
    const m = await startAgentMedic(cli);
    const question = await m.agentQuestion();
    expect(question.content).toContain('run Bash');
    expect(question.content).toContain(`cp ${join(m.dataDir, 'openclaw.good.json')} ${m.configPath}`);
    expect(question.content).toContain('Restore the gateway config');
    expect(buttons(question).map((b) => b.label)).toEqual(['Approve', 'Deny', 'Approve for this incident']);
    expect(m.status().incident).toMatchObject({ level: 3 });

    const outsider = await m.fake.button({ customId: buttons(question)[0]!.custom_id, messageId: question.id, userId: m.fake.users.outsider.id });
    await waitFor(() => m.fake.interactionResponses(outsider.id).find((r) => r.type === 'editReply'), { what: 'the refusal' });
    expect(readFileSync(m.configPath, 'utf8')).not.toContain('"mode"');

    await m.fake.button({ customId: buttons(question)[0]!.custom_id, messageId: question.id });
    const done = await waitFor(async () => (await m.running.store.listIncidents({ limit: 5 })).find((i) => i.state === 'resolved'), {
      what: 'the incident resolved',
      timeoutMs: 45_000,
    });
    expect(done).toMatchObject({ id: 'gw-1', maxLevel: 3, outcome: 'fixed by the AI agent' });
    expect(done.agent?.result).toMatch(/^finished: RECOVERY COMPLETE/);
    expect(JSON.parse(readFileSync(m.configPath, 'utf8'))).toMatchObject({ gateway: { mode: 'local' } });
    expect(m.status().health).toBe('up');

    // The thread: the agent's screen in code blocks, then the transcript attached.
    const transcript = await waitFor(() => m.fake.requests.find((r) => r.files.some((f) => f.filename === 'gw-1-agent.txt')), {
      what: 'the transcript attached',
    });
    expect(transcript.files[0]!.text).toContain('RECOVERY COMPLETE');
    await waitFor(() => allSentToDiscord(m.fake).includes('Bash(cp '), { what: "the agent's tool call relayed" });

    const { timeline } = await m.running.store.getIncident('gw-1').then((x) => x!);
    const texts = timeline.map((r) => r.text);
    expect(texts).toContain('level 3: AI agent: level 2 has nothing left to try');
    expect(texts.some((t) => /^discord:\S+ \(\d+\) approved: agent Bash cp /.test(t))).toBe(true);
    expect(texts.some((t) => t.startsWith('AI agent session ended (finished)'))).toBe(true);

    // Nothing secret reached Discord or the model; no agent process is left.
    expect(allSentToDiscord(m.fake)).not.toContain(GATEWAY_SECRET);
    expect(allSentToDiscord(m.fake)).not.toContain(API_KEY);
    for (const r of m.model.requests) expect(r.rawBody).not.toContain(GATEWAY_SECRET);
    expect(m.model.turns()[0]!.rawBody).toContain('[gateway] auth [REDACTED]');
    await waitFor(() => agentProcesses().length === 0, { what: 'no agent process left' });
  });

  it('denied with a button: nothing changes, the agent ends, a human is called with what it tried', async () => {
    const m = await startAgentMedic(cli);
    const question = await m.agentQuestion();
    await m.fake.button({ customId: buttons(question)[1]!.custom_id, messageId: question.id });
    const mention = await waitFor(() => [...m.fake.messages.values()].find((x) => x.content?.startsWith(`🙋 <@&${m.fake.operatorRoleId}>`)), {
      what: 'the on-call mention',
      timeoutMs: 45_000,
    });
    expect(mention.content).toContain('The AI agent tried: finished: RECOVERY FAILED');
    expect(m.status().incident).toMatchObject({ level: 4, state: 'waiting_human' });
    expect(readFileSync(m.configPath, 'utf8')).not.toContain('"mode"');
    await waitFor(() => agentProcesses().length === 0, { what: 'no agent process left' });
  });

  it('the Abort button mid-run ends the agent at once and leaves no process', async () => {
    const m = await startAgentMedic(cli);
    await m.agentQuestion();
    expect(agentProcesses().length).toBeGreaterThan(0);
    const card = await waitFor(() => m.fake.channelMessages(m.fake.channelId).find((x) => x.embeds?.[0]?.title?.includes(' gw-1 ·')), {
      what: 'the card',
    });
    const abort = buttons(card).find((b) => b.label === 'Abort')!;
    await m.fake.button({ customId: abort.custom_id, messageId: card.id });
    // The click reaches the ladder through the gateway and the bot; the incident's commit and the kill both follow it.
    await waitFor(async () => (await m.running.store.listIncidents({ limit: 1 }))[0]?.state === 'aborted', { what: 'the incident aborted' });
    await waitFor(() => agentProcesses().length === 0, { what: 'the agent stopped', timeoutMs: 10_000 });
    expect(readFileSync(m.configPath, 'utf8')).not.toContain('"mode"');
  });
});
