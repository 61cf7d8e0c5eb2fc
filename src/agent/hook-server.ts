/**
 * The agent session's side channel: a 127.0.0.1 HTTP endpoint that the hook command
 * (`bin/clawmedic-agent-hook.mjs`) posts Claude Code's hook events to. A PreToolUse (every tool
 * call, before Claude Code's own rules: measured, 2.1.197 runs `ls`, `ps`, even `free -s 1`
 * unasked in its sandbox) or a PermissionRequest waits for the ladder's decision and answers with
 * Claude Code's hook output; Stop and Notification are reported and answered at once. One random
 * bearer token per session.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bearerMatches, readJsonBody } from '../lib/http.js';
import type { AgentToolCall } from '../recovery/ports.js';

export interface HookHandlers {
  permission(call: AgentToolCall): Promise<{ allow: boolean; reason: string }>;
  /** Any other hook event (Stop, Notification...), with its payload. */
  event(name: string, payload: Record<string, unknown>): void;
}

const MAX_BODY = 1_000_000;
/** Tools whose input is a search over a tree: the pattern and the folder both matter. */
const SEARCH_TOOLS = new Set(['Glob', 'Grep']);
/** Bash input fields that change how a command runs: a call that sets one is named for it (never the plain `Bash`). */
const BASH_MODIFIERS = ['dangerouslyDisableSandbox', 'run_in_background'];

/**
 * What a person needs to judge a tool call: the shell command, the file, or the input as JSON.
 * Nothing is cut: the policy reads the whole command (a long one is a question, never allowed
 * unasked), and what is shown to a person is the display's business.
 */
export function toolCallOf(payload: Record<string, unknown>): AgentToolCall {
  let tool = typeof payload.tool_name === 'string' ? payload.tool_name : 'unknown';
  const input = (payload.tool_input ?? {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  const modifiers = tool === 'Bash' ? BASH_MODIFIERS.filter((k) => input[k] !== undefined && input[k] !== false) : [];
  if (modifiers.length) tool = `Bash (${modifiers.join(', ')})`;
  const command = SEARCH_TOOLS.has(tool)
    ? JSON.stringify(input)
    : (str(input.command) ?? str(input.file_path) ?? str(input.url) ?? str(input.path) ?? JSON.stringify(input));
  return { tool, command, description: str(input.description) };
}

export function permissionOutput(allow: boolean, reason: string): string {
  const decision = allow ? { behavior: 'allow' } : { behavior: 'deny', message: `clawmedic: ${reason}` };
  return JSON.stringify({ hookSpecificOutput: { hookEventName: 'PermissionRequest', decision } });
}

/** The same decision before the tool runs (PreToolUse): Claude Code's own allow rules and read-only list never decide. */
export function preToolUseOutput(allow: boolean, reason: string): string {
  return JSON.stringify({
    hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: allow ? 'allow' : 'deny', permissionDecisionReason: `clawmedic: ${reason}` },
  });
}

export class HookServer {
  readonly token = randomBytes(24).toString('base64url');
  private readonly server: Server;

  private constructor(private readonly handlers: HookHandlers) {
    this.server = createServer((req, res) => {
      this.serve(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
  }

  static async start(handlers: HookHandlers): Promise<HookServer> {
    const hooks = new HookServer(handlers);
    await new Promise<void>((resolve, reject) => {
      hooks.server.once('error', reject);
      hooks.server.listen(0, '127.0.0.1', () => resolve());
    });
    return hooks;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.method !== 'POST' || req.url !== '/hook') return reply(404, { error: 'not found' });
    if (!bearerMatches(req.headers.authorization, this.token)) return reply(401, { error: 'bad token' });
    let payload: unknown;
    try {
      payload = await readJsonBody(req, MAX_BODY);
    } catch (err) {
      return reply(400, { error: `not a hook event: ${(err as Error).message}` });
    }
    if (!payload || typeof payload !== 'object' || Array.isArray(payload)) return reply(400, { error: 'not a hook event: expected an object' });
    return this.answer(payload as Record<string, unknown>, reply);
  }

  private async answer(payload: Record<string, unknown>, reply: (status: number, body: unknown) => void): Promise<void> {
    const name = String(payload.hook_event_name ?? '');
    if (name !== 'PermissionRequest' && name !== 'PreToolUse') {
      this.handlers.event(name, payload);
      return reply(200, { output: '' });
    }
    const output = name === 'PreToolUse' ? preToolUseOutput : permissionOutput;
    try {
      const { allow, reason } = await this.handlers.permission(toolCallOf(payload));
      reply(200, { output: output(allow, reason) });
    } catch (err) {
      reply(200, { output: output(false, (err as Error).message) });
    }
  }
}
