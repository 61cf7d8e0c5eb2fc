/**
 * Level 3 for latent corruption (issue 13, item 5): the real medic (composition root, real
 * adapters), a real gateway process that keeps running while its config is broken on disk with no
 * known-good copy, the real Claude Code CLI (every version of the run) in a PTY against the local
 * scripted Messages API. The agent is offered at once; its repair is approved like any other; the
 * gateway is never stopped or restarted.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic } from '../fixtures/fake-anthropic.js';
import { agentMedicEnv, breakConfig } from '../fixtures/agent-world.js';
import { claudeClis, cliBin } from '../fixtures/claude-cli.js';
import { isAlive, waitFor } from '../fixtures/gateways.js';
import { E2eWorld, healthyAndCalm } from './harness.js';

const API_KEY = 'sk-test-latent-not-a-real-key-0099';

const world = new E2eWorld();
let model: FakeAnthropic | undefined;
afterEach(async () => {
  await world.cleanup();
  await model?.close();
  model = undefined;
});

describe.each(claudeClis())('level 3 with Claude Code $version ($which): latent corruption', (cli) => {
  it('a config broken under the running gateway, no known-good copy: the agent repairs it on approval, the gateway never stops', { timeout: 180_000 }, async () => {
    const setup = await world.envFor({ mode: 'ok' });
    let repair = '';
    model = await startFakeAnthropic({
      script: ({ lastToolResult }) => {
        if (lastToolResult === null) return { kind: 'tool', command: repair, description: 'Restore the gateway config', text: 'I will restore the config.' };
        return { kind: 'text', text: lastToolResult.isError ? 'RECOVERY SUMMARY: could not restore' : 'RECOVERY SUMMARY: restored the config' };
      },
    });
    // No known-good copy is ever taken (it would be offered instead of the agent); the config read as OpenClaw's (gateway.mode required).
    const env = { ...agentMedicEnv(setup.env, model, API_KEY, cliBin(cli)), DOCTOR_COMMAND: 'true', SNAPSHOT_AFTER_MS: '86400000', GATEWAY_CONFIG_KIND: 'openclaw' };
    const m = await world.startWith({ ...setup, env });
    const before = await m.waitStatus('healthy', healthyAndCalm, 30_000);
    const pid = before.pid!;

    ({ repair } = await breakConfig(setup));
    const asking = await m.waitStatus('the agent asks', (t) => t.incident?.approval?.kind === 'agent-tool', 90_000).catch(async (err: Error) => {
      const incs = await m.incidents();
      const tl = incs[0] ? (await m.incident(incs[0].id)).timeline.map((r) => r.text) : [];
      throw new Error(`${err.message}\n${JSON.stringify(m.status())}\n${tl.join('\n')}\n${m.log.entries.map((e) => e.level + ' ' + e.msg).join('\n')}`);
    });
    expect(asking.incident).toMatchObject({ level: 3, approval: { command: repair } });
    expect(asking.pid).toBe(pid);
    expect(isAlive(pid)).toBe(true);
    // The prompt told the agent the gateway runs and must keep running.
    expect(model.turns()[0]!.rawBody).toContain('The gateway is still RUNNING on the config it started with');

    await m.running.medic.target('gw').decide(null, true, 'ops:alice');
    const after = await m.waitStatus('resolved', (t) => t.incident === null && t.health === 'up', 60_000);
    expect(after.pid).toBe(pid);
    expect(isAlive(pid)).toBe(true);
    expect(JSON.parse(readFileSync(setup.configPath, 'utf8'))).toMatchObject({ gateway: { mode: 'local' } });

    const [inc] = await m.incidents();
    expect(inc).toMatchObject({ state: 'resolved', latent: true, maxLevel: 3, restarts: 0, outcome: 'fixed by the AI agent: the config on disk is valid again' });
    const lines = (await m.incident(inc!.id)).timeline.map((r) => r.text);
    expect(lines).toContain('level 3: AI agent: the config on disk is broken and there is no known-good copy: fix it before the gateway restarts');
    expect(lines.some((l) => l.startsWith('ops:alice approved: agent Bash cp '))).toBe(true);
    expect(lines.some((l) => /stopping the gateway|restarting|gateway started/i.test(l))).toBe(false);
  });
});
