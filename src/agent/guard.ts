/**
 * Before a tool call reaches the ladder: a read that would show the model a secret that no
 * repair needs (the medic's data, SSH keys, shell history, an environment) is refused outright;
 * one a repair may need (the gateway's config) goes to a person with that said plainly.
 */
import type { AgentToolCall } from '../recovery/ports.js';
import type { ToolVerdict } from './policy.js';

export interface ToolScreen {
  examine(tool: string, command: string): ToolVerdict;
}

/** The call as a person should see it, or why it is refused without asking. */
export function screenToolCall(screen: ToolScreen | undefined, call: AgentToolCall): { call: AgentToolCall; refused: string | null } {
  const secret = screen?.examine(call.tool, call.command).secret;
  if (!secret) return { call, refused: null };
  if (secret.level === 'refuse') return { call, refused: `refused without asking: it would show the model ${secret.what}` };
  const warning = `⚠ this may show the model ${secret.what}`;
  return { call: { ...call, description: call.description ? `${warning} · ${call.description}` : warning }, refused: null };
}
