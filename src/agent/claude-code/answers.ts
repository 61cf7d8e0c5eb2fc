/**
 * What the Claude Code driver answers, read from the screen: the keys for a set-up dialog (by the
 * text of its options; an unknown dialog is never answered), and the turn's verdict from the agent's
 * last words. Pure.
 */
import { AgentDriverError, type TurnResult } from '../driver.js';
import { SUMMARY_MARK } from '../prompt.js';
import { conversationLines, isToolCallLine } from './conversation.js';
import { keysToChoose, type Dialog } from './dialogs.js';
import { findApiError } from '../screen.js';

/** What to answer a set-up dialog, by the text of its options; a dead end ends the session. */
export function keysFor(dialog: Dialog): string {
  const choose = (want: (text: string) => boolean) => {
    const keys = keysToChoose(dialog, want);
    if (keys === null) throw new AgentDriverError(`no acceptable option in Claude Code's "${dialog.title}" dialog`);
    return keys;
  };
  switch (dialog.kind) {
    case 'trust':
      return choose((t) => /\btrust\b/i.test(t) && /^yes/i.test(t));
    case 'api-key':
      return choose((t) => /^yes$/i.test(t.trim()));
    case 'security':
      return choose((t) => /continue/i.test(t));
    case 'theme':
      return '\r'; // the preselected theme is fine
    case 'auto-mode':
      // Its preselected "Yes" would let the CLI run every action without asking.
      return choose((t) => /^no\b/i.test(t) && /manual/i.test(t));
    case 'offline':
      throw new AgentDriverError('Claude Code could not reach Anthropic for its first-run check: its config was not seeded (see AGENT_CONFIG_DIR)');
    case 'login':
      throw new AgentDriverError('Claude Code asks to log in: set ANTHROPIC_API_KEY (or ANTHROPIC_AUTH_TOKEN) in the environment of clawmedic');
    default:
      // Never answered, not even by Enter: its preselected option may turn the approvals off.
      throw new AgentDriverError(`Claude Code showed a dialog clawmedic does not know, so it pressed nothing: ${dialogText(dialog)}`);
  }
}

/** What the dialog says, on one line, for the thread. */
function dialogText(dialog: Dialog): string {
  const text = (dialog.text.length ? dialog.text : [dialog.title]).join(' / ');
  return text.length > 600 ? `${text.slice(0, 600)}…` : text;
}

/** The agent's last words decide between finished and failed (an API error as its answer). */
export function verdict(text: string): TurnResult {
  const error = findApiError([text]);
  if (error) return { outcome: 'failed', detail: error };
  const at = text.lastIndexOf(SUMMARY_MARK);
  const words = (at >= 0 ? text.slice(at) : text).replace(/\s+/g, ' ').trim();
  return { outcome: 'finished', detail: words.slice(0, 400) || '(no final message)' };
}

/** The last thing the agent said on screen (a `●` line that is not a tool call). */
export function lastAgentText(screen: string[]): string {
  const lines = conversationLines(screen);
  for (let i = lines.length - 1; i >= 0; i -= 1) {
    const line = lines[i]!.trim();
    if (line.startsWith('●') && !isToolCallLine(line)) {
      const rest: string[] = [];
      for (const l of lines.slice(i + 1)) {
        if (!/^\s{2}\S/.test(l) || /^\s*⎿/.test(l) || isToolCallLine(l)) break;
        rest.push(l.trim());
      }
      return [line.slice(1).trim(), ...rest].join(' ');
    }
  }
  return '';
}
