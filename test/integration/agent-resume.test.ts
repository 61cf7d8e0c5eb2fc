/**
 * Resuming an agent session at the runner (issue 13, item 4), with the REAL Claude Code CLI (every
 * version of the run) in a PTY against the local scripted Messages API: a session stopped because
 * the medic stops keeps the CLI's records; the next run with `resume` takes the same session up
 * again (the model sees the earlier conversation, then the resume prompt), relays only what is new,
 * and removes the records at its end; an id the CLI does not know ends the run saying it could not
 * resume.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ClaudeCodeDriver } from '../../src/agent/claude-code.js';
import { AgentSessionRunner } from '../../src/agent/session-runner.js';
import { MedicStoppingError } from '../../src/errors.js';
import { Redactor } from '../../src/lib/redact.js';
import { startFakeAnthropic, type FakeAnthropic, type FakeAnthropicOptions } from '../fixtures/fake-anthropic.js';
import { TempDirs, waitFor } from '../fixtures/gateways.js';
import { agentRequest, runnerOptions } from '../fixtures/agent-runner.js';
import { claudeClis, cliBin, type ClaudeCli } from '../fixtures/claude-cli.js';

const API_KEY = 'sk-test-runner-resume-not-real-0005';
const RESUMED = 'restarted while you were working on incident';

const temps = new TempDirs();
let fake: FakeAnthropic | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
  await temps.removeAll();
});

/** Every .jsonl the CLI keeps under projects/ (its own record of the sessions), concatenated. */
function sessionRecord(projects: string): string {
  if (!existsSync(projects)) return '';
  return readdirSync(projects, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.jsonl'))
    .map((f) => readFileSync(join(projects, f), 'utf8'))
    .join('\n');
}

async function runnerFor(cli: ClaudeCli, script: NonNullable<FakeAnthropicOptions['script']>) {
  fake = await startFakeAnthropic({ script });
  const dir = await temps.make('clawmedic-resume-');
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, ANTHROPIC_BASE_URL: fake.url, ANTHROPIC_API_KEY: API_KEY, CLAUDE_CODE_MAX_RETRIES: '1' };
  const configDir = join(dir, 'claude-config');
  const driver = new ClaudeCodeDriver({ command: cliBin(cli), extraArgs: [], configDir, env });
  const runner = new AgentSessionRunner(runnerOptions(dir, driver, { redactor: new Redactor([API_KEY]), timeoutMs: 60_000, idleTimeoutMs: 30_000 }));
  return { runner, projects: join(configDir, 'projects'), fake };
}

describe.each(claudeClis())('resuming a session of Claude Code $version ($which)', (cli) => {
  it('stopped by the medic stopping: records kept; resumed by id with its history, only the new lines relayed, records gone at the end', async () => {
    const { runner, projects, fake: model } = await runnerFor(cli, ({ lastUserText, lastToolResult }) => {
      if (lastUserText.includes(RESUMED)) return { kind: 'tool', command: 'echo resumed > marker.txt', description: 'Write the marker', text: 'Picking up where I was.' };
      if (lastToolResult === null) return { kind: 'tool', command: 'echo first > marker.txt', description: 'Write the marker', text: 'First look at the gateway.' };
      if (lastToolResult.isError) return { kind: 'hang' };
      return { kind: 'text', text: 'RECOVERY SUMMARY: wrote the marker' };
    });
    const request = agentRequest();
    const ctl = new AbortController();
    let id = '';
    const first = await runner.run(
      request,
      {
        permission: async () => {
          // The medic stops while the question is open (people take a while): the CLI has written its record by then.
          await waitFor(() => sessionRecord(projects).includes('You are the emergency recovery step') && sessionRecord(projects).includes('"tool_use"'), {
            what: "the CLI's record of the session with the prompt and the tool call",
            timeoutMs: 15_000,
          });
          ctl.abort(new MedicStoppingError('the medic is stopping'));
          return { allow: false, reason: 'the session is ending', by: 'clawmedic' };
        },
        output: () => {},
        started: (s) => (id = s),
      },
      ctl.signal,
    );
    expect(first.outcome).toBe('aborted');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(readdirSync(projects).length).toBeGreaterThan(0); // suspended, not ended: the CLI's records stay
    const turnsBefore = model.turns().length;

    const output: string[] = [];
    let resumedId = '';
    const second = await runner.run(
      { ...request, resume: id },
      {
        permission: async () => ({ allow: true, reason: 'approved by test', by: 'test' }),
        output: (lines) => output.push(...lines),
        started: (s) => (resumedId = s),
      },
      new AbortController().signal,
    );
    expect(second.outcome, second.detail).toBe('finished');
    expect(second.detail).toContain('RECOVERY SUMMARY: wrote the marker');
    expect(resumedId).toBe(id);
    const resumed = model.turns().slice(turnsBefore).find((r) => JSON.stringify(r.body.messages).includes(RESUMED))!;
    expect(resumed.headers['x-claude-code-session-id']).toBe(id);
    const conversation = JSON.stringify(resumed.body.messages);
    expect(conversation.indexOf('You are the emergency recovery step')).toBeGreaterThanOrEqual(0);
    expect(conversation.indexOf('First look at the gateway.')).toBeGreaterThan(conversation.indexOf('You are the emergency recovery step'));
    expect(conversation.indexOf(RESUMED)).toBeGreaterThan(conversation.indexOf('First look at the gateway.'));
    // The thread gets what is new, not the history the previous medic relayed.
    expect(output.join('\n')).toContain('Picking up where I was.');
    expect(output.join('\n')).not.toContain('First look at the gateway.');
    expect(second.transcript[0]).toContain(`resumed ${id}`);
    // Ended: the records go.
    expect(!existsSync(projects) || readdirSync(projects).length === 0).toBe(true);
  });

  it('an id the CLI does not know: the run ends at once saying it could not resume', async () => {
    const { runner } = await runnerFor(cli, () => ({ kind: 'text', text: 'RECOVERY SUMMARY: nothing' }));
    const missing = randomUUID();
    const report = await runner.run(
      { ...agentRequest(), resume: missing },
      { permission: async () => ({ allow: false, reason: 'no', by: 'test' }), output: () => {} },
      new AbortController().signal,
    );
    expect(report.outcome).toBe('error');
    expect(report.detail).toMatch(new RegExp(`^could not resume the AI agent's session ${missing}: `));
  });
});
