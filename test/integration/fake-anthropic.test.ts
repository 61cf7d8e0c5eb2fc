/**
 * Proves the local fake Messages API against the REAL Claude Code CLI (`claude -p`, stream-json), in
 * every version of the run (test/fixtures/claude-cli.ts), fully offline: a scripted Bash tool call
 * that writes a marker file, then API errors.
 */
import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { lastUserInfo, repairScript, startFakeAnthropic, type FakeAnthropic, type FakeAnthropicOptions } from '../fixtures/fake-anthropic.js';
import { claudeClis, cliBin, type ClaudeCli } from '../fixtures/claude-cli.js';
import { ProcessJanitor, TempDirs } from '../fixtures/gateways.js';

const temps = new TempDirs();
const janitor = new ProcessJanitor();
const fakes: FakeAnthropic[] = [];

afterEach(async () => {
  await janitor.killAll();
  await Promise.all(fakes.splice(0).map((f) => f.close()));
  await temps.removeAll();
});

// close() leaves no server or socket behind.
afterAll(async () => {
  await sleep(50);
  expect(process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP'))).toEqual([]);
});

async function startFake(options: FakeAnthropicOptions = {}): Promise<FakeAnthropic> {
  const fake = await startFakeAnthropic(options);
  fakes.push(fake);
  return fake;
}

interface StreamEvent {
  type: string;
  subtype?: string;
  is_error?: boolean;
  result?: string;
  api_error_status?: number | null;
  [key: string]: unknown;
}

interface ClaudeRun {
  code: number | null;
  events: StreamEvent[];
  result: StreamEvent | undefined;
  stderr: string;
  workspace: string;
  ms: number;
}

/** Runs `claude -p` in a fresh temp workspace against the fake, prompt on stdin; kills it after `timeoutMs`. */
async function runClaude(cli: ClaudeCli, fake: FakeAnthropic, prompt = 'please recover the service', timeoutMs = 15_000): Promise<ClaudeRun> {
  const home = await temps.make('clawmedic-fake-anthropic-');
  const workspace = join(home, 'ws');
  await mkdir(workspace);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: home,
    ANTHROPIC_BASE_URL: fake.url,
    ANTHROPIC_API_KEY: 'sk-test-key-not-real',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_ERROR_REPORTING: '1',
    CLAUDE_CODE_MAX_RETRIES: '1',
    API_TIMEOUT_MS: '5000',
    CLAUDE_CONFIG_DIR: join(home, 'config'),
    // The CLI leaves a folder per workspace in $TMPDIR/claude-<uid>: inside the temp dir removed afterwards.
    TMPDIR: home,
  };
  const started = Date.now();
  const child = spawn(cliBin(cli), ['-p', '--output-format', 'stream-json', '--verbose', '--permission-mode', 'acceptEdits'], {
    cwd: workspace,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true, // its own process group, so the janitor also kills the shells it starts
  });
  janitor.track(child.pid);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin.end(`${prompt}\n`);

  const code = await new Promise<number | null>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`claude did not exit within ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`)), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      fail(err);
    });
    child.once('close', (exitCode) => {
      clearTimeout(timer);
      ok(exitCode);
    });
  });
  const events = stdout
    .split('\n')
    .filter((line) => line.trim().startsWith('{'))
    .map((line) => JSON.parse(line) as StreamEvent);
  return { code, events, result: events.find((e) => e.type === 'result'), stderr, workspace, ms: Date.now() - started };
}

/** One HTTP request without keep-alive (no client socket outlives it). */
function call(fake: FakeAnthropic, method: string, path: string, body?: unknown): Promise<{ status: number; contentType: string; text: string }> {
  return new Promise((ok, fail) => {
    const req = httpRequest(`${fake.url}${path}`, { method, agent: false, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.once('end', () => ok({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type']), text }));
      res.once('error', fail);
    });
    req.once('error', fail);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const mainBody = (stream: boolean, content: unknown) => ({
  model: 'claude-test-model',
  max_tokens: 100,
  stream,
  tools: [{ name: 'Bash', input_schema: { type: 'object' } }],
  messages: [{ role: 'user', content }, { role: 'system', content: 'mid-conversation system note' }],
});

describe('fake Anthropic API, in-process', () => {
  it('answers a main-loop request as one JSON message when not streaming, echoing the model', async () => {
    const fake = await startFake();
    const res = await call(fake, 'POST', '/v1/messages', mainBody(false, 'please recover the service'));
    expect(res.status).toBe(200);
    const message = JSON.parse(res.text) as { model: string; stop_reason: string; content: Array<{ type: string; id?: string; input?: unknown }> };
    expect(message).toMatchObject({ type: 'message', role: 'assistant', model: 'claude-test-model', stop_reason: 'tool_use' });
    expect(message.content.map((b) => b.type)).toEqual(['text', 'tool_use']);
    expect(message.content[1]).toMatchObject({ name: 'Bash', input: { command: 'echo recovered > marker.txt', description: 'Write recovery marker file' } });
    expect(message.content[1]?.id).toMatch(/^toolu_/);
  });

  it('streams SSE and hands the script the last user message, tool result and turn number', async () => {
    const seen: Array<{ lastUserText: string; lastToolResult: unknown; turn: number }> = [];
    const fake = await startFake({
      script: (req) => {
        seen.push({ lastUserText: req.lastUserText, lastToolResult: req.lastToolResult, turn: req.turn });
        return repairScript('true')(req);
      },
    });
    const toolResult = [
      { type: 'tool_result', tool_use_id: 'toolu_x', content: [{ type: 'text', text: 'boom: disk full\nmore' }], is_error: true },
      { type: 'text', text: 'note' },
    ];
    const first = await call(fake, 'POST', '/v1/messages?beta=true', mainBody(true, [{ type: 'text', text: 'please recover' }]));
    const second = await call(fake, 'POST', '/v1/messages?beta=true', mainBody(true, toolResult));
    expect(first.contentType).toBe('text/event-stream');
    const events = first.text.split('\n').filter((l) => l.startsWith('event: ')).map((l) => l.slice(7));
    expect(events).toEqual([
      'message_start', 'ping',
      'content_block_start', 'content_block_delta', 'content_block_stop',
      'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop',
      'message_delta', 'message_stop',
    ]);
    expect(first.text).toContain('"input_json_delta"');
    expect(first.text).toContain('"stop_reason":"tool_use"');
    expect(second.text).toContain('RECOVERY FAILED: boom: disk full');
    expect(second.text).toContain('"stop_reason":"end_turn"');
    expect(seen).toEqual([
      { lastUserText: 'please recover', lastToolResult: null, turn: 0 },
      { lastUserText: 'note', lastToolResult: { content: 'boom: disk full\nmore', isError: true }, turn: 1 },
    ]);
    expect(fake.turns()).toHaveLength(2);
  });

  it('answers side requests, count_tokens, errors and unknown paths', async () => {
    const fake = await startFake({ script: () => ({ kind: 'error', status: 529 }) });
    const title = await call(fake, 'POST', '/v1/messages', {
      model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'x' }],
      output_config: { format: { type: 'json_schema', schema: { type: 'object', properties: { title: { type: 'string' } } } } },
    });
    expect(JSON.parse(title.text)).toMatchObject({ content: [{ type: 'text', text: '{"title":"Recovery task"}' }], stop_reason: 'end_turn' });
    const side = await call(fake, 'POST', '/v1/messages', { model: 'm', max_tokens: 10, tools: [], messages: [{ role: 'user', content: 'x' }] });
    expect(side.status).toBe(200);
    expect(await call(fake, 'POST', '/v1/messages/count_tokens', { messages: [] })).toMatchObject({ status: 200, text: '{"input_tokens":10}' });
    const overloaded = await call(fake, 'POST', '/v1/messages', mainBody(true, 'x'));
    expect(overloaded.status).toBe(529);
    expect(JSON.parse(overloaded.text)).toEqual({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    expect((await call(fake, 'HEAD', '/')).status).toBe(404);
    expect(await call(fake, 'GET', '/v1/models')).toMatchObject({ status: 404 });
    expect(fake.turns()).toHaveLength(1);
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /v1/messages', 'POST /v1/messages', 'POST /v1/messages/count_tokens', 'POST /v1/messages', 'HEAD /', 'GET /v1/models',
    ]);
  });

  it('holds a hanging request until close(), and waitForRequest sees it', async () => {
    const fake = await startFake({ script: () => ({ kind: 'hang' }) });
    const pending = call(fake, 'POST', '/v1/messages', mainBody(true, 'x'));
    const outcome = pending.then(() => 'answered', () => 'aborted');
    const logged = await fake.waitForRequest((r) => r.path === '/v1/messages', 2000);
    expect(logged.body).toMatchObject({ model: 'claude-test-model' });
    await sleep(100);
    const never = fake.waitForRequest((r) => r.path === '/never', 5000);
    const neverOutcome = never.then(() => 'resolved', (err: Error) => err.message);
    await fake.close();
    expect(await outcome).toBe('aborted');
    expect(await neverOutcome).toMatch(/closed/);
  });
});

describe.each(claudeClis())('fake Anthropic API against the real Claude Code CLI $version ($which)', (cli) => {
  it('drives a full recovery turn: Bash tool call writes the marker, then RECOVERY COMPLETE', async () => {
    const fake = await startFake();
    const run = await runClaude(cli, fake);

    expect(run.result, `stderr: ${run.stderr}`).toMatchObject({ type: 'result', is_error: false, result: 'RECOVERY COMPLETE' });
    expect(run.code).toBe(0);
    expect(await readFile(join(run.workspace, 'marker.txt'), 'utf8')).toBe('recovered\n');

    const turns = fake.turns();
    expect(turns.length).toBeGreaterThanOrEqual(2);
    expect(lastUserInfo(turns[0]?.body).lastToolResult).toBeNull();
    expect(lastUserInfo(turns[0]?.body).lastUserText).toContain('please recover the service');
    expect(lastUserInfo(turns[1]?.body).lastToolResult).toMatchObject({ isError: false });

    // What the CLI sent: the key, the API version, streaming on the beta path.
    const first = turns[0]!;
    expect(first.headers['x-api-key']).toBe('sk-test-key-not-real');
    expect(first.headers['anthropic-version']).toBe('2023-06-01');
    expect(first.body).toMatchObject({ stream: true });

    // The stream shows the tool call with the scripted input.
    const toolUse = run.events
      .filter((e) => e.type === 'assistant')
      .flatMap((e) => (e.message as { content: Array<{ type: string; name?: string; input?: unknown }> }).content)
      .find((b) => b.type === 'tool_use');
    expect(toolUse).toMatchObject({ name: 'Bash', input: { command: 'echo recovered > marker.txt', description: 'Write recovery marker file' } });
  });

  it('reports a 500 from the API as an error result and exits 1', async () => {
    const fake = await startFake({ script: () => ({ kind: 'error', status: 500 }) });
    const run = await runClaude(cli, fake);

    expect(run.result, `stderr: ${run.stderr}`).toMatchObject({ type: 'result', is_error: true, api_error_status: 500 });
    expect(run.result?.result).toContain('500');
    expect(run.code).toBe(1);
    expect(fake.turns().length).toBeGreaterThanOrEqual(1);
  });

  it('reports a 401 from the API as an error result', async () => {
    const fake = await startFake({ script: () => ({ kind: 'error', status: 401 }) });
    const run = await runClaude(cli, fake);

    expect(run.result, `stderr: ${run.stderr}`).toMatchObject({ type: 'result', is_error: true, api_error_status: 401 });
    expect(run.result?.result).toContain('Invalid API key');
    expect(run.code).toBe(1);
  });
});
