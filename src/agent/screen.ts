/**
 * Reading the rendered Claude Code TUI (2.1.197, and 2.1.331+ where it differs) as plain lines: which
 * state it is in and the API errors it shows, here; the frame, the permission prompt, the dialogs and
 * the conversation in claude-code/. Pure functions, no I/O.
 */
import { RETRY_BANNER } from './claude-code/conversation.js';
import { isDialogShown } from './claude-code/dialogs.js';
import { clean, findInputBox, isBlank, outsideInput } from './claude-code/frame.js';
import { permissionQuestion } from './claude-code/permission.js';

export { conversationLines, isToolCallLine, LineRelay } from './claude-code/conversation.js';
export { keysToChoose, parseDialog, type Dialog, type DialogOption } from './claude-code/dialogs.js';
export { inputText } from './claude-code/frame.js';
export { parsePermission, type PermissionPrompt } from './claude-code/permission.js';

export type ScreenState = 'permission' | 'dialog' | 'busy' | 'idle' | 'unknown';

const API_ERROR = /^(?:API Error|Invalid API key|Request timed out|Unable to connect)/;

/** A turn is running: `esc to interrupt` in the footer (or, with no input box, the bottom 3 non-empty lines). */
function isBusy(lines: readonly string[]): boolean {
  const box = findInputBox(lines);
  const footer = box
    ? lines.slice(box.bottom + 1)
    : lines.filter((line) => !isBlank(line)).slice(-3);
  if (footer.some((line) => /esc to interrupt/i.test(line))) return true;
  // Typing while a permission is pending hides the dialog; the turn is still running.
  const above = box ? lines.slice(0, box.top).filter((line) => !isBlank(line)).pop() : undefined;
  return above !== undefined && clean(above).trim() === 'Waiting for permission…';
}

/**
 * The state of the screen: permission prompt, setup dialog, turn running, ready for input, or unknown.
 * Checked in that order, so a permission prompt is never mistaken for a dialog or an idle screen.
 */
export function classifyScreen(lines: readonly string[]): ScreenState {
  const text = outsideInput(lines);
  if (permissionQuestion(text) >= 0) return 'permission';
  const hasInputBox = findInputBox(lines) !== null;
  if (isDialogShown(text, hasInputBox)) return 'dialog';
  if (isBusy(lines)) return 'busy';
  return hasInputBox ? 'idle' : 'unknown';
}

/**
 * The first error line the CLI printed (`API Error: …`, `Invalid API key …`, `Request timed out …`,
 * `Unable to connect …`), trimmed and without its `●`/`⎿` marker; else null.
 * The phrase must start the line: the retry banner, the user's prompts and the input box never count.
 */
export function findApiError(lines: readonly string[]): string | null {
  for (const line of outsideInput(lines)) {
    if (line.startsWith('❯') || RETRY_BANNER.test(line)) continue;
    const text = line.trim().replace(/^[●⎿]\s*/, '');
    if (API_ERROR.test(text)) return text;
  }
  return null;
}
