/**
 * Reading the rendered Claude Code TUI (2.1.197, and 2.1.331 where it differs) as plain lines:
 * which state it is in, the permission prompt and setup dialogs, API errors, the input box,
 * and the conversation lines worth relaying to chat. Pure functions, no I/O.
 *
 * Lines are as read from @xterm/headless (`translateToString(true)`): they may still carry
 * trailing spaces and non-breaking spaces (the CLI draws `❯\u00a0` and `⎿ \u00a0`), so every
 * comparison goes through `clean()`.
 */

export type ScreenState = 'permission' | 'dialog' | 'busy' | 'idle' | 'unknown';

export interface PermissionPrompt {
  tool: string;
  command: string;
  description: string | null;
}

export interface DialogOption {
  text: string;
  selected: boolean;
}

export interface Dialog {
  kind: 'trust' | 'api-key' | 'theme' | 'security' | 'login' | 'offline' | 'auto-mode' | 'unknown';
  title: string;
  options: DialogOption[];
  /** The dialog's own non-blank lines, trimmed (title, text, options, footer): what a person would read. */
  text: string[];
}

const DOWN = '\x1b[B';
const UP = '\x1b[A';
const ENTER = '\r';

/** Questions of the permission dialogs (Bash, Edit/Write, WebFetch, notebooks, sandbox network); not the API-key one. */
const PERMISSION_QUESTION =
  /^Do you want to (?:proceed\?|make this edit to |create |overwrite |allow Claude to fetch |allow this connection\?|insert this cell |delete this cell )/;
/** Setup dialogs, recognised by their title line. */
const DIALOG_TITLES: ReadonlyArray<readonly [Dialog['kind'], RegExp]> = [
  ['offline', /^Unable to connect to Anthropic services/],
  ['trust', /^(?:Accessing workspace:|Do you trust the files in this folder\?)/],
  ['api-key', /^(?:Detected a custom API key|Do you want to use this API key\?)/],
  ['login', /^Select login method/],
  ['theme', /^Choose the text style/],
  ['security', /^Security notes:/],
  // 2.1.331+: its preselected answer turns approvals off for good (seeded away; answered "No" if shown).
  ['auto-mode', /^Make auto mode your default permission mode\?/],
];
/** Footers of selection dialogs: 2.1.197's, the onboarding's, and 2.1.332's "Not answered yet · ↑/↓ to choose · Esc to cancel". */
const DIALOG_FOOTER = /^(?:Enter to confirm · Esc to cancel|Press Enter to continue)|↑\/↓ to (?:choose|select|navigate)/;
const API_ERROR = /^(?:API Error|Invalid API key|Request timed out|Unable to connect)/;
const RETRY_BANNER = /Retrying in \d+s · attempt \d+\/\d+/;
/** Lines of the permission dialog that are hints, not the command or its description. */
const PERMISSION_NOTICE = /^(?:Tip:|This command requires approval|Requires manual approval)/;
/** Placeholders the CLI shows in an empty input box (dimmed; only the text reaches us). */
const INPUT_PLACEHOLDERS = new Set(['Resend your message to try again']);

const GLYPH = '[·✢✳✶✻✽*]';
/** `✢ Canoodling… (5s · ↑ 29 tokens)`: the spinner while a turn runs. */
const SPINNER_LINE = new RegExp(`^${GLYPH}\\s+\\S+…(?:\\s+\\(.*\\))?$`);
/** `✻ Brewed for 0s`, `✻ Churned for 1m 5s · done 11:01 PM`: the end-of-turn line. */
const END_OF_TURN_LINE = new RegExp(`^${GLYPH}\\s+\\S+ for (?:\\d+h\\s*)?(?:\\d+m\\s*)?\\d+s\\b.*$`);
/** `✻ API error · Retrying in 3s · attempt 3/10` and the like. */
const RETRY_LINE = new RegExp(`^${GLYPH}\\s+.*${RETRY_BANNER.source}`);
/** `◐ medium · /effort`: the effort level 2.1.331+ draws above the input box (in its alternate screen). */
const EFFORT_LINE = /^[◐◑◒◓○●]\s+\w+ · \/effort$/;
/** A tool call as drawn: `● Bash(cmd)` (2.1.197, and 2.1.331+ on the normal screen), `$ cmd` and `Ran 1 shell command` (2.1.331+). */
const TOOL_CALL_LINE = /^(?:● \w+\(|\$ \S|Ran \d+ shell commands?\b|Did not run \d+ calls?\b)/;
/** The welcome box of 2.1.197 and the compact block logo of 2.1.331. */
const HEADER_LINE = /^(?:[╭│╰]|\s*[▐▛▜▌▝▘▗▖▙▟█])/;

interface InputBox {
  /** Index of the rule above the input. */
  top: number;
  /** Index of the rule below the input. */
  bottom: number;
}

/** A screen line as compared here: non-breaking spaces as spaces, no trailing blanks. */
function clean(line: string): string {
  return line.replace(/\u00a0/g, ' ').trimEnd();
}

function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

function isBlank(line: string): boolean {
  return line.trim() === '';
}

/** A horizontal rule: the input box frame or the top border of a dialog. */
function isRule(line: string): boolean {
  return /^\s*─{4,}/.test(line);
}

/** The dashed fence around the command (2.1.331) or a diff preview. */
function isFence(line: string): boolean {
  return /^\s*╌{4,}/.test(line);
}

/** The input box: a line starting with `❯` right below the second-to-last rule, the last rule, and at most a short footer under it. */
function findInputBox(lines: readonly string[]): InputBox | null {
  const rules = lines.flatMap((line, i) => (isRule(line) ? [i] : []));
  const top = rules[rules.length - 2];
  const bottom = rules[rules.length - 1];
  if (top === undefined || bottom === undefined || bottom - top < 2) return null;
  if (!clean(lines[top + 1] ?? '').startsWith('❯')) return null;
  const footerLines = lines.slice(bottom + 1).filter((line) => !isBlank(line)).length;
  return footerLines <= 4 ? { top, bottom } : null;
}

/** The cleaned lines with the input box's content blanked out, so typed text never counts as screen text. */
function outsideInput(lines: readonly string[]): string[] {
  const box = findInputBox(lines);
  return lines.map((line, i) => (box && i > box.top && i < box.bottom ? '' : clean(line)));
}

function lastIndexWhere(lines: readonly string[], test: (trimmed: string) => boolean): number {
  for (let i = lines.length - 1; i >= 0; i--) if (test((lines[i] ?? '').trim())) return i;
  return -1;
}

/** Index of the permission question, or -1 when no permission dialog is shown. */
function permissionQuestion(text: readonly string[]): number {
  const q = lastIndexWhere(text, (t) => PERMISSION_QUESTION.test(t));
  return q >= 0 && text.some((line) => line.includes('Esc to cancel')) ? q : -1;
}

/**
 * A setup dialog: its footer, or (only while no input box is shown, as during onboarding) its title,
 * so the agent writing "Security notes:" in a reply is not taken for a dialog.
 */
function isDialogShown(text: readonly string[], hasInputBox: boolean): boolean {
  if (text.some((line) => DIALOG_FOOTER.test(line.trim()))) return true;
  return !hasInputBox && (knownDialogTitle(text) !== null || optionList(text) >= 0);
}

/**
 * A selection list with no footer the module knows (a dialog of a newer CLI): a `❯ text` line
 * with at least one option beside it. Index of the selected line, or -1. Only asked while no
 * input box is shown (the input box's own `❯` never counts).
 */
function optionList(text: readonly string[]): number {
  // Dialogs indent their `❯`; a submitted prompt's starts the line.
  let selected = -1;
  for (let i = text.length - 1; i >= 0 && selected < 0; i--) if (/^\s+❯\s*\S/.test(text[i] ?? '')) selected = i;
  return selected >= 0 && optionsAround(text, selected).length >= 2 ? selected : -1;
}

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

/** The option's text without the `❯` marker, the numbering and the `✔` of the current choice. */
function optionText(line: string): string {
  return line
    .trim()
    .replace(/^❯\s*/, '')
    .replace(/^\d+\.\s+/, '')
    .replace(/^[✔✓]\s*/, '')
    .replace(/\s*[✔✓]$/, '')
    .trim();
}

/** The option's number (`2. Dark mode` -> 2), or null when unnumbered. */
function optionNumber(line: string | undefined): number | null {
  const match = /^(?:❯\s*)?(\d+)\.\s/.exec((line ?? '').trim());
  return match ? Number(match[1]) : null;
}

/**
 * The option list around the selected line: the contiguous lines indented past the `❯` column.
 * Numbered options may be spaced by a blank line when the numbering continues across it.
 * A line indented deeper than the options continues the option above it.
 */
function optionsAround(text: readonly string[], selected: number): DialogOption[] {
  const line = text[selected] ?? '';
  const markerCol = line.indexOf('❯');
  const textCol = markerCol + 1 + indentOf(line.slice(markerCol + 1));
  const inList = (i: number): boolean => {
    const l = text[i];
    return l !== undefined && !isBlank(l) && !isRule(l) && !isFence(l) && indentOf(l) > markerCol;
  };
  /** The next line of the list from `edge` in direction `dir`, or null where the list ends. */
  const extend = (edge: number, dir: 1 | -1): number | null => {
    if (inList(edge + dir)) return edge + dir;
    const edgeNumber = optionNumber(text[edge]);
    const across = edge + 2 * dir;
    const continues = edgeNumber !== null && optionNumber(text[across]) === edgeNumber + dir;
    return isBlank(text[edge + dir] ?? '-') && (across === selected || inList(across)) && continues ? across : null;
  };
  let first = selected;
  for (let i = extend(first, -1); i !== null; i = extend(i, -1)) first = i;
  let last = selected;
  for (let i = extend(last, 1); i !== null; i = extend(i, 1)) last = i;

  const options: DialogOption[] = [];
  for (let i = first; i <= last; i++) {
    const l = text[i] ?? '';
    const previous = options[options.length - 1];
    if (isBlank(l)) continue;
    if (i === selected || indentOf(l) <= textCol + 2) options.push({ text: optionText(l), selected: i === selected });
    else if (previous) previous.text += ` ${l.trim()}`;
  }
  return options;
}

/** Index of the first `❯` line from `from` in direction `step`, stopping at a rule; -1 if none. */
function findSelected(text: readonly string[], from: number, step: 1 | -1): number {
  for (let i = from; i >= 0 && i < text.length; i += step) {
    const line = text[i] ?? '';
    if (isRule(line)) return -1;
    if (line.trim().startsWith('❯')) return i;
  }
  return -1;
}

/** The lowest known dialog title on screen, as [kind, line index]. */
function knownDialogTitle(text: readonly string[]): readonly [Dialog['kind'], number] | null {
  let found: readonly [Dialog['kind'], number] | null = null;
  for (const [kind, title] of DIALOG_TITLES) {
    const i = text.findIndex((line) => title.test(line.trim()));
    if (i >= 0 && (found === null || i > found[1])) found = [kind, i];
  }
  return found;
}

/**
 * A dialog the module does not know, found by its footer (or, with no input box shown, by a selection
 * list alone): the `❯` line, and the lines from under the dialog's top rule to its end.
 */
function unknownDialog(text: readonly string[], hasInputBox: boolean): Dialog | null {
  let end = lastIndexWhere(text, (t) => DIALOG_FOOTER.test(t));
  const selected = end >= 0 ? findSelected(text, end, -1) : hasInputBox ? -1 : optionList(text);
  if (end < 0 && selected < 0) return null;
  const options = selected >= 0 ? optionsAround(text, selected) : [];
  if (end < 0) end = lastIndexWhere(text, (t) => t !== '');
  const top = lastIndexWhere(text.slice(0, selected >= 0 ? selected : end), (t) => isRule(t)) + 1;
  const lines = linesOf(text, top, end);
  const title = lines.find((line) => !line.startsWith('❯')) ?? '';
  return { kind: 'unknown', title, options, text: lines };
}

/** The non-blank lines from..to (inclusive), trimmed. */
function linesOf(text: readonly string[], from: number, to: number): string[] {
  return text.slice(from, to + 1).map((line) => line.trim()).filter(Boolean);
}

/**
 * The setup dialog on screen (trust, API key, theme, security notes, login, offline, or unknown), recognised by its text.
 * Null if none, or on a permission prompt. Titles count only while no input box is shown (see `isDialogShown`).
 */
export function parseDialog(lines: readonly string[]): Dialog | null {
  const text = outsideInput(lines);
  if (permissionQuestion(text) >= 0) return null;
  const hasInputBox = findInputBox(lines) !== null;
  const known = hasInputBox ? null : knownDialogTitle(text);
  if (known === null) return unknownDialog(text, hasInputBox);
  const [kind, titleIndex] = known;
  const selected = kind === 'offline' ? -1 : findSelected(text, titleIndex + 1, 1);
  const footer = lastIndexWhere(text, (t) => DIALOG_FOOTER.test(t));
  const end = Math.max(footer, lastIndexWhere(text, (t) => t !== ''));
  return {
    kind,
    title: (text[titleIndex] ?? '').trim(),
    options: selected >= 0 ? optionsAround(text, selected) : [],
    text: linesOf(text, titleIndex, end),
  };
}

/**
 * Keys that move the selection onto the first option `want` accepts and press Enter.
 * A dialog without options (security notes) takes Enter when `want('continue')`. Null when nothing matches.
 */
export function keysToChoose(dialog: Dialog, want: (optionText: string) => boolean): string | null {
  const { options } = dialog;
  if (options.length === 0) return dialog.kind !== 'offline' && want('continue') ? ENTER : null;
  const target = options.findIndex((option) => want(option.text));
  const current = options.findIndex((option) => option.selected);
  if (target < 0 || current < 0) return null;
  const moves = target - current;
  return (moves > 0 ? DOWN : UP).repeat(Math.abs(moves)) + ENTER;
}

/** Text in the input box ('' when empty or showing a known placeholder), lines joined by newlines; null when there is no input box. */
export function inputText(lines: readonly string[]): string | null {
  const box = findInputBox(lines);
  if (!box) return null;
  const rows = lines.slice(box.top + 1, box.bottom).map(clean);
  const text = rows
    .map((row, i) => (i === 0 ? row.replace(/^❯ ?/, '') : row.replace(/^ {1,2}/, '')))
    .join('\n')
    .trimEnd();
  return INPUT_PLACEHOLDERS.has(text.trim()) ? '' : text;
}

/** Spinner, end-of-turn and retry lines: status that changes every second, not conversation. */
function isStatusLine(line: string): boolean {
  const t = line.trim();
  return SPINNER_LINE.test(t) || END_OF_TURN_LINE.test(t) || RETRY_LINE.test(t) || EFFORT_LINE.test(t);
}

/** A conversation line that shows a tool call (either version's rendering), not the agent's words. */
export function isToolCallLine(line: string): boolean {
  return TOOL_CALL_LINE.test(clean(line).trim());
}

/** Drops blank lines at both ends and collapses runs of blank lines to one. */
function tidyBlanks(lines: readonly string[]): string[] {
  const out = lines.filter((line, i) => line !== '' || (i > 0 && lines[i - 1] !== ''));
  while (out[0] === '') out.shift();
  while (out[out.length - 1] === '') out.pop();
  return out;
}

/**
 * The part of the screen worth relaying: prompts, tool calls, results, the agent's text, dialog bodies.
 * Without the welcome header, rules, the input box and its footer, spinner/status lines and outer blank lines.
 * Lines are cleaned (no trailing blanks, non-breaking spaces as spaces).
 */
export function conversationLines(lines: readonly string[]): string[] {
  const box = findInputBox(lines);
  const body = lines.slice(0, box ? box.top : lines.length).map(clean);
  let start = 0;
  while (start < body.length && (isBlank(body[start] ?? '') || HEADER_LINE.test(body[start] ?? ''))) start++;
  const kept = body
    .slice(start)
    .filter((line) => !isRule(line) && !isStatusLine(line))
    .map((line) => (isBlank(line) ? '' : line));
  return tidyBlanks(kept);
}

/**
 * Relays each meaningful line of successive screens (or of the growing transcript) once, in screen order.
 * A line is new when its text was not returned before; a text shown k times at once is returned up to k times
 * (two identical `⎿  (No output)` results are both relayed). Blank lines are never returned.
 * Remembers at most `limit` distinct texts and looks only at the last `limit` conversation lines of each call,
 * so a long transcript never evicts lines that are still shown (which would relay them again).
 */
export class LineRelay {
  private readonly relayed = new Map<string, number>();

  constructor(private readonly limit = 2000) {}

  /** The lines of `conversationLines(lines)` not relayed before. */
  next(lines: readonly string[]): string[] {
    const onScreen = new Map<string, number>();
    const fresh: string[] = [];
    for (const line of conversationLines(lines).slice(-this.limit)) {
      if (line === '') continue;
      const count = (onScreen.get(line) ?? 0) + 1;
      onScreen.set(line, count);
      if (count > (this.relayed.get(line) ?? 0)) fresh.push(line);
    }
    this.remember(onScreen);
    return fresh;
  }

  /** Records what is on screen as the most recently seen texts, then forgets the oldest beyond the limit. */
  private remember(onScreen: ReadonlyMap<string, number>): void {
    for (const [text, count] of onScreen) {
      const before = this.relayed.get(text) ?? 0;
      this.relayed.delete(text);
      this.relayed.set(text, Math.max(before, count));
    }
    for (const oldest of this.relayed.keys()) {
      if (this.relayed.size <= this.limit) break;
      this.relayed.delete(oldest);
    }
  }
}
