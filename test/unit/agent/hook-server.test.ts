import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { HookServer, permissionOutput, toolCallOf, type HookHandlers } from '../../../src/agent/hook-server.js';
import type { AgentToolCall } from '../../../src/recovery/ports.js';

const HOOK = fileURLToPath(new URL('../../../bin/clawmedic-agent-hook.mjs', import.meta.url));

const ALLOW_OUTPUT = '{"hookSpecificOutput":{"hookEventName":"PermissionRequest","decision":{"behavior":"allow"}}}';

const servers: HookServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

interface Seen {
  calls: AgentToolCall[];
  events: { name: string; payload: Record<string, unknown> }[];
}

async function start(decide: HookHandlers['permission'] = async () => ({ allow: true, reason: 'read-only' })): Promise<{ hooks: HookServer; seen: Seen }> {
  const seen: Seen = { calls: [], events: [] };
  const hooks = await HookServer.start({
    permission: (call) => {
      seen.calls.push(call);
      return decide(call);
    },
    event: (name, payload) => seen.events.push({ name, payload }),
  });
  servers.push(hooks);
  return { hooks, seen };
}

interface HookRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the real hook command as Claude Code does: the event JSON on stdin, the session's URL and token in env. */
function runHook(event: unknown, env: Record<string, string>): Promise<HookRun> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, [HOOK], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started }));
    child.stdin.end(typeof event === 'string' ? event : JSON.stringify(event));
  });
}

const envOf = (hooks: HookServer) => ({ CLAWMEDIC_HOOK_URL: hooks.url, CLAWMEDIC_HOOK_TOKEN: hooks.token });

const permissionEvent = (tool_name: string, tool_input: Record<string, unknown>) => ({
  session_id: 's-1',
  transcript_path: '/tmp/t.jsonl',
  cwd: '/tmp',
  hook_event_name: 'PermissionRequest',
  tool_name,
  tool_input,
});

async function post(url: string, body: string, token: string | null, method = 'POST'): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const res = await fetch(url, { method, headers, ...(method === 'GET' ? {} : { body }) });
  return { status: res.status, body: await res.json() };
}

describe('toolCallOf', () => {
  it('takes the command and description of a Bash call', () => {
    expect(toolCallOf({ tool_name: 'Bash', tool_input: { command: 'systemctl --user restart x', description: 'Restart the unit' } })).toEqual({
      tool: 'Bash',
      command: 'systemctl --user restart x',
      description: 'Restart the unit',
    });
  });

  it('takes the file of an Edit and the URL of a WebFetch', () => {
    expect(toolCallOf({ tool_name: 'Edit', tool_input: { file_path: '/home/op/.openclaw/openclaw.json', old_string: 'a', new_string: 'b' } })).toEqual({
      tool: 'Edit',
      command: '/home/op/.openclaw/openclaw.json',
      description: null,
    });
    expect(toolCallOf({ tool_name: 'WebFetch', tool_input: { url: 'https://docs.openclaw.ai/', prompt: 'read it' } })).toEqual({
      tool: 'WebFetch',
      command: 'https://docs.openclaw.ai/',
      description: null,
    });
  });

  it('shows the input of an unknown tool as JSON', () => {
    expect(toolCallOf({ tool_name: 'mcp__x__do', tool_input: { a: 1, b: ['c'] } })).toEqual({
      tool: 'mcp__x__do',
      command: '{"a":1,"b":["c"]}',
      description: null,
    });
  });

  it('names a call without a tool name unknown, with an empty input', () => {
    expect(toolCallOf({})).toEqual({ tool: 'unknown', command: '{}', description: null });
  });

  it('never cuts a command: the policy reads all of it (a long one is a question)', () => {
    const command = `cat ${Array(400).fill('/dev/null').join(' ')} ; touch PWNED`;
    const call = toolCallOf({ tool_name: 'Bash', tool_input: { command } });
    expect(command.length).toBeGreaterThan(2000);
    expect(call.command).toBe(command);
  });

  it('names a Bash call that asks to leave the sandbox or run in the background for it', () => {
    expect(toolCallOf({ tool_name: 'Bash', tool_input: { command: 'ls', dangerouslyDisableSandbox: true } }).tool).toBe('Bash (dangerouslyDisableSandbox)');
    expect(toolCallOf({ tool_name: 'Bash', tool_input: { command: 'ls', run_in_background: true } }).tool).toBe('Bash (run_in_background)');
    expect(toolCallOf({ tool_name: 'Bash', tool_input: { command: 'ls', dangerouslyDisableSandbox: false } }).tool).toBe('Bash');
  });

  it('shows the whole input of Glob and Grep (the pattern and the folder both matter)', () => {
    expect(toolCallOf({ tool_name: 'Grep', tool_input: { pattern: 'token', path: '/home/op/.openclaw' } }).command).toBe('{"pattern":"token","path":"/home/op/.openclaw"}');
    expect(toolCallOf({ tool_name: 'Glob', tool_input: { pattern: '/home/op/.ssh/*' } }).command).toBe('{"pattern":"/home/op/.ssh/*"}');
  });
});

describe('permissionOutput', () => {
  it("is Claude Code's hook output for allow and deny", () => {
    expect(permissionOutput(true, 'read-only')).toBe(ALLOW_OUTPUT);
    expect(JSON.parse(permissionOutput(false, 'denied by ops'))).toEqual({
      hookSpecificOutput: { hookEventName: 'PermissionRequest', decision: { behavior: 'deny', message: 'clawmedic: denied by ops' } },
    });
  });
});

describe('HookServer and the hook command', () => {
  it('listens on 127.0.0.1 only, with a fresh token per server', async () => {
    const { hooks } = await start();
    const { hooks: other } = await start();
    expect(hooks.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/hook$/);
    expect(hooks.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(other.token).not.toBe(hooks.token);
  });

  it('prints exactly the allow output when the ladder allows the call', async () => {
    const { hooks, seen } = await start(async () => ({ allow: true, reason: 'read-only' }));
    const run = await runHook(permissionEvent('Bash', { command: 'ls -la', description: 'List files' }), envOf(hooks));
    expect(run.stdout).toBe(ALLOW_OUTPUT);
    expect(run.code).toBe(0);
    expect(seen.calls).toEqual([{ tool: 'Bash', command: 'ls -la', description: 'List files' }]);
  });

  it('decides a PreToolUse the same way, in its own output shape, with the whole command', async () => {
    const command = `cat ${Array(400).fill('/dev/null').join(' ')} ; touch PWNED`;
    const { hooks, seen } = await start(async (call) => ({ allow: call.command.length < 2000, reason: 'too long to check' }));
    const run = await runHook({ ...permissionEvent('Bash', { command }), hook_event_name: 'PreToolUse' }, envOf(hooks));
    expect(JSON.parse(run.stdout)).toEqual({
      hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'deny', permissionDecisionReason: 'clawmedic: too long to check' },
    });
    expect(seen.calls).toEqual([{ tool: 'Bash', command, description: null }]);
    const allowed = await runHook({ ...permissionEvent('Read', { file_path: '/tmp/x' }), hook_event_name: 'PreToolUse' }, envOf(hooks));
    expect(JSON.parse(allowed.stdout).hookSpecificOutput).toMatchObject({ permissionDecision: 'allow' });
  });

  it('prints a deny with the reason when the ladder refuses', async () => {
    const { hooks, seen } = await start(async () => ({ allow: false, reason: 'denied by ops#1' }));
    const run = await runHook(permissionEvent('Edit', { file_path: '/etc/hosts' }), envOf(hooks));
    expect(JSON.parse(run.stdout)).toEqual({
      hookSpecificOutput: { hookEventName: 'PermissionRequest', decision: { behavior: 'deny', message: 'clawmedic: denied by ops#1' } },
    });
    expect(run.code).toBe(0);
    expect(seen.calls).toEqual([{ tool: 'Edit', command: '/etc/hosts', description: null }]);
  });

  it('denies with the error when the decision fails', async () => {
    const { hooks } = await start(async () => {
      throw new Error('the session ended');
    });
    const run = await runHook(permissionEvent('Bash', { command: 'rm x' }), envOf(hooks));
    expect(JSON.parse(run.stdout)).toEqual({
      hookSpecificOutput: { hookEventName: 'PermissionRequest', decision: { behavior: 'deny', message: 'clawmedic: the session ended' } },
    });
  });

  it('waits for a decision that takes 1.5 s', async () => {
    const { hooks } = await start(() => new Promise((resolve) => setTimeout(() => resolve({ allow: true, reason: 'approved by op' }), 1500)));
    const run = await runHook(permissionEvent('Bash', { command: 'systemctl --user restart x' }), envOf(hooks));
    expect(run.ms).toBeGreaterThanOrEqual(1400);
    expect(run.stdout).toBe(ALLOW_OUTPUT);
    expect(run.code).toBe(0);
  });

  it('reports a Stop event with its payload and prints nothing', async () => {
    const { hooks, seen } = await start();
    const stop = { session_id: 's-1', hook_event_name: 'Stop', stop_hook_active: false };
    const run = await runHook(stop, envOf(hooks));
    expect(run).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(seen.events).toEqual([{ name: 'Stop', payload: stop }]);
    expect(seen.calls).toEqual([]);
  });

  it('answers 401 to a wrong token; the hook denies, says why on stderr and exits 0', async () => {
    const { hooks, seen } = await start();
    const direct = await post(hooks.url, JSON.stringify(permissionEvent('Bash', { command: 'ls' })), 'not-the-token');
    expect(direct).toEqual({ status: 401, body: { error: 'bad token' } });
    expect((await post(hooks.url, '{}', null)).status).toBe(401);

    const run = await runHook(permissionEvent('Bash', { command: 'ls' }), { ...envOf(hooks), CLAWMEDIC_HOOK_TOKEN: 'not-the-token' });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ hookSpecificOutput: { hookEventName: 'PermissionRequest', decision: { behavior: 'deny', message: expect.stringMatching(/no answer from the medic \(HTTP 401/) } } });
    expect(run.stderr).toBe('clawmedic hook: HTTP 401: {"error":"bad token"}\n');
    const pre = await runHook({ ...permissionEvent('Bash', { command: 'ls' }), hook_event_name: 'PreToolUse' }, { ...envOf(hooks), CLAWMEDIC_HOOK_TOKEN: 'not-the-token' });
    expect(JSON.parse(pre.stdout)).toMatchObject({ hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'deny' } });
    const stop = await runHook({ ...permissionEvent('Bash', {}), hook_event_name: 'Stop' }, { ...envOf(hooks), CLAWMEDIC_HOOK_TOKEN: 'not-the-token' });
    expect(stop.stdout).toBe('');
    expect(seen.calls).toEqual([]);
    expect(seen.events).toEqual([]);
  });

  it('denies a tool call without its env (fails closed); other events print nothing', async () => {
    const { hooks, seen } = await start();
    for (const env of [{}, { CLAWMEDIC_HOOK_URL: hooks.url }, { CLAWMEDIC_HOOK_TOKEN: hooks.token }]) {
      const run = await runHook(permissionEvent('Bash', { command: 'ls' }), env);
      expect(run).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(run.stdout)).toMatchObject({ hookSpecificOutput: { decision: { behavior: 'deny', message: expect.stringMatching(/no CLAWMEDIC_HOOK_URL/) } } });
      const pre = await runHook({ ...permissionEvent('Bash', { command: 'ls' }), hook_event_name: 'PreToolUse' }, env);
      expect(JSON.parse(pre.stdout)).toMatchObject({ hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'deny' } });
      const note = await runHook({ ...permissionEvent('Bash', {}), hook_event_name: 'Notification' }, env);
      expect(note).toMatchObject({ code: 0, stdout: '', stderr: '' });
    }
    expect(seen.calls).toEqual([]);
  });

  it('denies and exits 0 when the medic is unreachable', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as { port: number };
        s.close(() => resolve(port));
      });
    });
    const run = await runHook(permissionEvent('Bash', { command: 'ls' }), {
      CLAWMEDIC_HOOK_URL: `http://127.0.0.1:${port}/hook`,
      CLAWMEDIC_HOOK_TOKEN: 'whatever',
    });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ hookSpecificOutput: { decision: { behavior: 'deny', message: expect.stringMatching(/ECONNREFUSED/) } } });
    expect(run.stderr).toMatch(/^clawmedic hook: .*ECONNREFUSED/);
  });

  it('denies a tool call when the answer is unreadable or empty', async () => {
    for (const body of ['not json', '{"output":""}', '{}']) {
      const server = createHttpServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
      const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
      try {
        const env = { CLAWMEDIC_HOOK_URL: `http://127.0.0.1:${port}/hook`, CLAWMEDIC_HOOK_TOKEN: 't' };
        const run = await runHook({ ...permissionEvent('Bash', { command: 'ls' }), hook_event_name: 'PreToolUse' }, env);
        expect(run.code).toBe(0);
        expect(JSON.parse(run.stdout)).toMatchObject({ hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'deny' } });
        expect(run.stderr).toMatch(/unreadable answer|an empty answer/);
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    }
  });

  it('answers 404 to a GET and to another path', async () => {
    const { hooks, seen } = await start();
    expect(await post(hooks.url, '', hooks.token, 'GET')).toEqual({ status: 404, body: { error: 'not found' } });
    const other = hooks.url.replace(/\/hook$/, '/other');
    expect(await post(other, JSON.stringify({ hook_event_name: 'Stop' }), hooks.token)).toEqual({ status: 404, body: { error: 'not found' } });
    expect(seen.events).toEqual([]);
  });

  it('answers 400 to a body that is not JSON', async () => {
    const { hooks, seen } = await start();
    const res = await post(hooks.url, 'hook_event_name=Stop', hooks.token);
    expect(res.status).toBe(400);
    expect((res.body as { error: string }).error).toMatch(/^not a hook event: /);
    expect(seen.events).toEqual([]);
    expect(seen.calls).toEqual([]);
  });

  it('answers a Notification at once with an empty output', async () => {
    const { hooks, seen } = await start();
    const res = await post(hooks.url, JSON.stringify({ hook_event_name: 'Notification', message: 'Claude needs your permission' }), hooks.token);
    expect(res).toEqual({ status: 200, body: { output: '' } });
    expect(seen.events).toEqual([{ name: 'Notification', payload: { hook_event_name: 'Notification', message: 'Claude needs your permission' } }]);
  });
});
