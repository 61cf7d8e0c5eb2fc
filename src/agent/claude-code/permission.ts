/**
 * The permission dialog of either version (2.1.197: command then description; 2.1.331+: description
 * above a fenced command): which tool, which command. Pure.
 */
import { indentOf, isBlank, isFence, isRule, lastIndexWhere, outsideInput } from './frame.js';

export interface PermissionPrompt {
  tool: string;
  command: string;
  description: string | null;
}

/** Questions of the permission dialogs (Bash, Edit/Write, WebFetch, notebooks, sandbox network); not the API-key one. */
const PERMISSION_QUESTION =
  /^Do you want to (?:proceed\?|make this edit to |create |overwrite |allow Claude to fetch |allow this connection\?|insert this cell |delete this cell )/;

/** Lines of the permission dialog that are hints, not the command or its description. */
const PERMISSION_NOTICE = /^(?:Tip:|This command requires approval|Requires manual approval)/;

/** Index of the permission question, or -1 when no permission dialog is shown. */
export function permissionQuestion(text: readonly string[]): number {
  const q = lastIndexWhere(text, (t) => PERMISSION_QUESTION.test(t));
  return q >= 0 && text.some((line) => line.includes('Esc to cancel')) ? q : -1;
}

/** Conversation output above a dialog that has no top rule (defensive: both versions draw one). */
function isConversationLine(line: string): boolean {
  return line.startsWith('❯') || /^\s*[●⎿]/.test(line);
}

/** Index of the permission dialog's header (`Bash command`): the first line under the dialog's top rule. */
function permissionHeader(text: readonly string[], question: number): number {
  let start = 0;
  for (let i = question - 1; i >= 0; i--) {
    const line = text[i] ?? '';
    if (isRule(line) || isConversationLine(line)) {
      start = i + 1;
      break;
    }
  }
  for (let i = start; i < question; i++) if (!isBlank(text[i] ?? '')) return i;
  return -1;
}

/** The lines without their common indentation, joined with newlines. */
function dedent(lines: readonly string[]): string {
  const cut = Math.min(...lines.map(indentOf));
  return lines.map((line) => line.slice(cut)).join('\n');
}

/**
 * Command and description from the dialog body (non-blank lines between header and question).
 * 2.1.331: description above a `╌╌╌╌`-fenced command. 2.1.197: an indented block, command then description.
 */
function commandAndDescription(body: readonly string[]): Pick<PermissionPrompt, 'command' | 'description'> {
  const fences = body.flatMap((line, i) => (isFence(line) ? [i] : []));
  const [open, close] = fences;
  if (open !== undefined && close !== undefined) {
    const above = body.slice(0, open).map((line) => line.trim());
    return { command: dedent(body.slice(open + 1, close)), description: above.length > 0 ? above.join(' ') : null };
  }
  const padded = body.filter((line) => indentOf(line) >= 3);
  const block = padded.length > 0 ? padded : body;
  if (block.length <= 1) return { command: block.length === 1 ? dedent(block) : '', description: null };
  return { command: dedent(block.slice(0, -1)), description: (block[block.length - 1] ?? '').trim() };
}

/** The permission dialog of either version: tool (first word of the header), command and description. Null if none is shown. */
export function parsePermission(lines: readonly string[]): PermissionPrompt | null {
  const text = outsideInput(lines);
  const question = permissionQuestion(text);
  if (question < 0) return null;
  const header = permissionHeader(text, question);
  if (header < 0) return null;
  const tool = (text[header] ?? '').trim().split(/\s+/)[0] ?? '';
  const body = text
    .slice(header + 1, question)
    .filter((line) => !isBlank(line) && !PERMISSION_NOTICE.test(line.trim()));
  return { tool, ...commandAndDescription(body) };
}
