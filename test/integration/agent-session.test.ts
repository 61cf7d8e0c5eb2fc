/**
 * Level 3 with the REAL Claude Code CLI in a real PTY, in every version of the run (the pinned one and
 * the newest tested one by default: test/fixtures/claude-cli.ts),
 * against the local scripted Messages API: set-up without dialogs, the prompt, permission
 * requests through the hook to the ladder's callback, the caps, API errors, abort, redaction.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ClaudeCodeDriver } from '../../src/agent/claude-code.js';
import { AgentSessionRunner } from '../../src/agent/session-runner.js';
import { descendants } from '../../src/lib/process-table.js';
import type { AgentRequest, AgentToolCall } from '../../src/recovery/ports.js';
import { Redactor } from '../../src/lib/redact.js';
import { repairScript, startFakeAnthropic, type FakeAnthropic, type FakeAnthropicOptions } from '../fixtures/fake-anthropic.js';
import { TempDirs, captureLogger, isAlive } from '../fixtures/gateways.js';
import { agentRequest, runnerOptions } from '../fixtures/agent-runner.js';
import { claudeClis, cliBin, type ClaudeCli } from '../fixtures/claude-cli.js';
const SECRET = 'sk-ant-api03-SECRETSECRETSECRET-0123456789abcdef';
const API_KEY = 'sk-test-key-not-real-0001';
const OAUTH_TOKEN = 'sk-ant-oat01-test-subscription-token-0123456789';

const temps = new TempDirs();
const fakes: FakeAnthropic[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
  await temps.removeAll();
});

interface World {
  runner: AgentSessionRunner;
  fake: FakeAnthropic;
  dir: string;
  request: AgentRequest;
  asked: AgentToolCall[];
  output: string[];
  log: ReturnType<typeof captureLogger>;
}

async function world(
  cli: ClaudeCli,
  script: NonNullable<FakeAnthropicOptions['script']>,
  options: { idleTimeoutMs?: number; timeoutMs?: number; env?: Record<string, string>; credential?: Record<string, string> } = {},
): Promise<World> {
  const fake = await startFakeAnthropic({ script });
  fakes.push(fake);
  const dir = await temps.make('clawmedic-agent-');
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    ANTHROPIC_BASE_URL: fake.url,
    ...(options.credential ?? { ANTHROPIC_API_KEY: API_KEY }),
    CLAUDE_CODE_MAX_RETRIES: '1',
    API_TIMEOUT_MS: '20000',
    DISCORD_TOKEN: 'must-not-reach-the-agent-env',
    ...options.env,
  };
  const driver = new ClaudeCodeDriver({ command: cliBin(cli), extraArgs: [], configDir: join(dir, 'claude-config'), env });
  const log = captureLogger();
  const runner = new AgentSessionRunner(
    runnerOptions(dir, driver, {
      log,
      redactor: new Redactor([SECRET, API_KEY]),
      timeoutMs: options.timeoutMs ?? 60_000,
      idleTimeoutMs: options.idleTimeoutMs ?? 30_000,
      approvalTimeoutMs: 30_000,
    }),
  );
  const request = agentRequest({
    recentOutput: ['[gateway] starting', `[gateway] auth with ${SECRET}`, '[gateway] gateway.mode is missing: refusing to start'],
  });
  return { runner, fake, dir, request, asked: [], output: [], log };
}

function run(w: World, decide: (call: AgentToolCall) => boolean | Promise<boolean>, signal = new AbortController().signal) {
  return w.runner.run(
    w.request,
    {
      permission: async (call) => {
        w.asked.push(call);
        const allow = await decide(call);
        return { allow, reason: allow ? 'approved by test' : 'denied by test', by: 'test' };
      },
      output: (lines) => w.output.push(...lines),
    },
    signal,
  );
}

const marker = (w: World) => join(w.dir, 'work', 'gw-7', 'marker.txt');

/** Every regular file below `dir`. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe.each(claudeClis())('the real Claude Code CLI $version ($which) in a PTY', (cli) => {

  it('approved through the hook: the command runs, the turn finishes, the screen is relayed', async () => {
    const w = await world(cli, repairScript('echo recovered > marker.txt', 'Write recovery marker file'));
    const report = await run(w, () => true);
    expect(report.outcome).toBe('finished');
    expect(report.detail).toContain('RECOVERY COMPLETE');
    expect(w.asked).toEqual([{ tool: 'Bash', command: 'echo recovered > marker.txt', description: 'Write recovery marker file' }]);
    expect(await readFile(marker(w), 'utf8')).toBe('recovered\n');
    expect(w.output.join('\n')).toMatch(/Bash\(echo recovered > marker\.txt\)/);
    expect(w.output.join('\n')).toContain('RECOVERY COMPLETE');
    expect(w.output.join('\n')).not.toMatch(/\/effort/); // the effort status line is not conversation
    expect(report.transcriptPath).not.toBeNull();
    // The saved transcript holds the whole session (2.1.331+ would leave it empty from its alternate screen).
    const saved = await readFile(report.transcriptPath!, 'utf8');
    expect(saved).toContain('What the watchdog did'); // the prompt
    expect(saved).toMatch(/Bash\(echo recovered > marker\.txt\)/);
    expect(saved).toContain('RECOVERY COMPLETE');
  });

  it('a person who takes a while is asked once: the dialog the CLI shows meanwhile is left to the hook', async () => {
    const w = await world(cli, repairScript('echo recovered > marker.txt'));
    const report = await run(w, () => new Promise<boolean>((ok) => setTimeout(() => ok(true), 5_000)));
    expect(report.outcome).toBe('finished');
    expect(w.asked).toHaveLength(1);
    expect(await readFile(marker(w), 'utf8')).toBe('recovered\n');
  });

  it("the prompt is not relayed to chat (it is in the transcript), the agent's words are", async () => {
    const w = await world(cli, repairScript('echo recovered > marker.txt'));
    const report = await run(w, () => true);
    const relayed = w.output.join('\n');
    expect(relayed).not.toContain('What the watchdog did');
    expect(relayed).toContain('I will run the recovery command.');
    expect(report.transcript.join('\n')).toContain('What the watchdog did');
  });

  it('denied: nothing runs, the agent hears why and ends its turn', async () => {
    const w = await world(cli, repairScript('echo recovered > marker.txt'));
    const report = await run(w, () => false);
    expect(report.outcome).toBe('finished');
    expect(report.detail).toMatch(/RECOVERY FAILED/);
    expect(existsSync(marker(w))).toBe(false);
  });

  it('the prompt carries the incident and no secret; the agent env has no Discord token', async () => {
    const w = await world(cli, repairScript('env > env.txt'));
    await run(w, () => true);
    const first = w.fake.turns()[0]!;
    expect(first.rawBody).toContain('gw-7');
    expect(first.rawBody).toContain('gateway.mode is missing');
    expect(first.rawBody).toContain('[REDACTED]');
    for (const r of w.fake.requests) expect(r.rawBody).not.toContain(SECRET);
    const env = await readFile(join(w.dir, 'work', 'gw-7', 'env.txt'), 'utf8');
    expect(env).toContain('CLAUDE_CONFIG_DIR=');
    expect(env).not.toContain('must-not-reach-the-agent-env');
    expect(w.output.join('\n')).not.toContain(API_KEY);
  });

  it('a subscription token (CLAUDE_CODE_OAUTH_TOKEN) reaches the Messages API as a bearer token, and nothing else', async () => {
    const w = await world(cli, repairScript('env > env.txt; echo recovered > marker.txt'), { credential: { CLAUDE_CODE_OAUTH_TOKEN: OAUTH_TOKEN } });
    const report = await run(w, () => true);
    expect(report.outcome).toBe('finished');
    expect(await readFile(marker(w), 'utf8')).toBe('recovered\n');
    // The CLI keeps it out of the environment of the commands it runs (measured on both versions): `env` cannot show it to the model.
    const agentEnv = await readFile(join(w.dir, 'work', 'gw-7', 'env.txt'), 'utf8');
    expect(agentEnv).toContain('CLAUDE_CONFIG_DIR=');
    expect(agentEnv).not.toContain(OAUTH_TOKEN);
    const calls = w.fake.requests.filter((r) => r.path.startsWith('/v1/messages'));
    expect(calls.length).toBeGreaterThanOrEqual(2);
    for (const r of calls) {
      expect(r.headers.authorization).toBe(`Bearer ${OAUTH_TOKEN}`);
      expect(r.headers['x-api-key']).toBeUndefined();
      expect(String(r.headers['anthropic-beta'])).toContain('oauth-2025-04-20');
      expect(r.rawBody).not.toContain(OAUTH_TOKEN); // not in the prompt, nor anywhere in what the model reads
    }
    // The redactor here does not know the token: it must simply never be shown.
    expect(w.output.join('\n')).not.toContain(OAUTH_TOKEN);
    expect([report.detail, ...report.transcript].join('\n')).not.toContain(OAUTH_TOKEN);
    expect(await readFile(report.transcriptPath!, 'utf8')).not.toContain(OAUTH_TOKEN);
    expect(JSON.stringify(w.log.entries)).not.toContain(OAUTH_TOKEN);
    expect(JSON.stringify(w.log.entries)).toContain('AI agent started');
  });

  it("the CLI's own session log, history and temp files (unredacted tool output) are gone when the session ends", async () => {
    const w = await world(cli, repairScript('echo clawmedic-forget-me-7f3a > marker.txt'));
    const report = await run(w, () => true);
    expect(report.outcome).toBe('finished');
    expect(await readFile(marker(w), 'utf8')).toBe('clawmedic-forget-me-7f3a\n'); // the command did run
    // Everything under the test's dir but the workspace and the medic's own transcripts: nothing holds the command.
    const holding = (await filesUnder(w.dir)).filter((f) => !f.startsWith(join(w.dir, 'work')) && !f.startsWith(join(w.dir, 'transcripts')));
    expect(holding.length).toBeGreaterThan(0); // the CLI's config dir, seeded and written by it
    const leaks: string[] = [];
    for (const f of holding) if ((await readFile(f, 'utf8').catch(() => '')).includes('clawmedic-forget-me-7f3a')) leaks.push(f);
    expect(leaks).toEqual([]);
    expect(existsSync(join(w.dir, 'claude-config', 'settings.json'))).toBe(true); // its seeded config stays
    expect(existsSync(join(w.dir, 'tmp', 'gw-7'))).toBe(false);
  });

  it('what a killed medic left of an earlier session is swept before the first session; records of other folders stay', async () => {
    const w = await world(cli, repairScript('echo recovered > marker.txt'));
    const projects = join(w.dir, 'claude-config', 'projects');
    const slug = (path: string) => path.replace(/[^a-zA-Z0-9]/g, '-');
    const leftover = join(projects, slug(join(w.dir, 'work', 'gw-3')));
    const foreign = join(projects, slug(join(w.dir, 'elsewhere')));
    for (const d of [leftover, foreign]) {
      await mkdir(d, { recursive: true });
      await writeFile(join(d, '0b1c2d3e-0000-4000-8000-000000000001.jsonl'), '{"type":"user","message":"unredacted tool output"}\n');
    }
    const report = await run(w, () => true);
    expect(report.outcome).toBe('finished');
    expect(existsSync(leftover)).toBe(false);
    expect(existsSync(join(foreign, '0b1c2d3e-0000-4000-8000-000000000001.jsonl'))).toBe(true);
  });

  it('a model that never answers is ended by the idle cap', async () => {
    const w = await world(cli, () => ({ kind: 'hang' }), { idleTimeoutMs: 3_000 });
    const started = Date.now();
    const report = await run(w, () => true);
    expect(report.outcome).toBe('idle');
    expect(report.detail).toMatch(/nothing new on screen for 3 s/);
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('an API error ends the session as failed at once, not at a cap', async () => {
    const w = await world(cli, () => ({ kind: 'error', status: 500 }), { idleTimeoutMs: 50_000, timeoutMs: 55_000 });
    const started = Date.now();
    const report = await run(w, () => true);
    expect(report.outcome).toBe('failed');
    expect(report.detail).toMatch(/API Error: 500/);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('abort while a question is open: the session ends, no PTY and no child left', async () => {
    const w = await world(cli, repairScript('echo recovered > marker.txt'));
    const ctl = new AbortController();
    let tree: number[] = [];
    const report = await run(
      w,
      () => {
        tree = descendants(process.pid); // the CLI, and the hook command waiting for this answer
        ctl.abort('aborted by alice');
        return new Promise<boolean>(() => {}); // nobody answers
      },
      ctl.signal,
    );
    expect(report.outcome).toBe('aborted');
    expect(report.detail).toBe('aborted by alice');
    expect(existsSync(marker(w))).toBe(false);
    expect(tree.length).toBeGreaterThanOrEqual(2);
    expect(tree.filter(isAlive)).toEqual([]);
  });
});
