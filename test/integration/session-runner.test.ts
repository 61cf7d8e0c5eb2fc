/**
 * The session runner with a driver of the test's own: what holds for any agent (one question
 * at a time, the hard cap, the transcript on disk with secrets masked, a spawn failure).
 */
import { request } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentDriver, DriverSetup, TurnIO, TurnResult } from '../../src/agent/driver.js';
import type { PtySession } from '../../src/agent/pty-session.js';
import { AgentSessionRunner } from '../../src/agent/session-runner.js';
import type { AgentToolCall } from '../../src/recovery/ports.js';
import { Redactor } from '../../src/lib/redact.js';
import { TempDirs, isAlive } from '../fixtures/gateways.js';
import { agentRequest, runnerOptions } from '../fixtures/agent-runner.js';

const SECRET = 'tok_live_5e1f0a9b8c7d';
const temps = new TempDirs();
afterEach(() => temps.removeAll());

/** Posts one PermissionRequest to the session's hook endpoint, as the hook command does. */
function askHook(setup: DriverSetup, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(setup.hook.url, { method: 'POST', headers: { authorization: `Bearer ${setup.hook.token}` } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end(JSON.stringify({ hook_event_name: 'PermissionRequest', tool_name: 'Bash', tool_input: { command } }));
  });
}

/** A driver whose agent is a plain node process; its turn is whatever the test says. */
function driver(turn: (setup: DriverSetup, session: PtySession, io: TurnIO, signal: AbortSignal) => Promise<TurnResult>, command = process.execPath): AgentDriver {
  let setup: DriverSetup;
  return {
    name: 'test-driver',
    async prepare(s) {
      setup = s;
      return { command, args: ['-e', `console.log('agent up, key ${SECRET}'); setInterval(() => {}, 1000)`], env: { PATH: process.env.PATH ?? '' }, cwd: s.workspace };
    },
    runTurn: (session, _prompt, io, signal) => turn(setup, session, io, signal),
  };
}

async function runner(d: AgentDriver, over: { timeoutMs?: number } = {}) {
  const dir = await temps.make('clawmedic-runner-');
  const options = runnerOptions(dir, d, { redactor: new Redactor([SECRET]), timeoutMs: over.timeoutMs ?? 20_000, idleTimeoutMs: 20_000, relayEveryMs: 100 });
  return { dir, runner: new AgentSessionRunner(options) };
}

const request0 = agentRequest({ timeline: [], recentOutput: [], reason: 'test' });

describe('AgentSessionRunner', () => {
  it('asks one question at a time: parallel tool calls wait for the previous answer', async () => {
    let open = 0;
    let most = 0;
    const order: string[] = [];
    const { runner: r } = await runner(
      driver(async (setup) => {
        const answers = await Promise.all([askHook(setup, 'first'), askHook(setup, 'second'), askHook(setup, 'third')]);
        return { outcome: 'finished', detail: answers.map((a) => (a.includes('allow') ? 'allow' : 'deny')).join(',') };
      }),
    );
    const report = await r.run(
      request0,
      {
        permission: async (call: AgentToolCall) => {
          open += 1;
          most = Math.max(most, open);
          order.push(call.command);
          await new Promise((ok) => setTimeout(ok, 150));
          open -= 1;
          return { allow: true, reason: 'ok', by: 'test' };
        },
        output: () => {},
      },
      new AbortController().signal,
    );
    expect(report).toMatchObject({ outcome: 'finished', detail: 'allow,allow,allow' });
    expect(most).toBe(1);
    expect(order.sort()).toEqual(['first', 'second', 'third']);
  });

  it('the hard cap ends a turn that never ends; the agent process is gone; the transcript is saved, masked, 0600', async () => {
    let pid = 0;
    const { runner: r } = await runner(
      driver(async (_setup, session, _io, signal) => {
        pid = session.pid;
        await new Promise((_ok, fail) => signal.addEventListener('abort', () => fail(signal.reason as Error)));
        throw new Error('unreachable');
      }),
      { timeoutMs: 1_500 },
    );
    const output: string[] = [];
    const report = await r.run(request0, { permission: async () => ({ allow: false, reason: '', by: '' }), output: (l) => output.push(...l) }, new AbortController().signal);
    expect(report.outcome).toBe('timeout');
    expect(report.detail).toBe('stopped at the 2 s cap');
    expect(isAlive(pid)).toBe(false);
    const saved = await readFile(report.transcriptPath!, 'utf8');
    expect(saved).toContain('agent up, key [REDACTED]');
    expect(saved).not.toContain(SECRET);
    expect((await stat(report.transcriptPath!)).mode & 0o777).toBe(0o600);
    expect(output.join('\n')).toContain('agent up, key');
  });

  it('an agent command that cannot start is an error outcome, not a crash', async () => {
    const { runner: r } = await runner(driver(async () => ({ outcome: 'finished', detail: '' }), '/nonexistent/claude'));
    const report = await r.run(request0, { permission: async () => ({ allow: false, reason: '', by: '' }), output: () => {} }, new AbortController().signal);
    expect(report.outcome).toBe('error');
    expect(report.detail).toMatch(/nonexistent\/claude/);
  });
});
