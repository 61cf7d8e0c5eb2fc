/**
 * Set-up dialogs (trust, API key, theme, security notes, login, offline, 2.1.331+'s auto-mode question)
 * and dialogs the module does not know, read by their text; the keys that choose an option by its text. Pure.
 */
import { findInputBox, indentOf, isBlank, isFence, isRule, lastIndexWhere, outsideInput } from './frame.js';
import { permissionQuestion } from './permission.js';

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

/**
 * A setup dialog: its footer, or (only while no input box is shown, as during onboarding) its title,
 * so the agent writing "Security notes:" in a reply is not taken for a dialog.
 */
export function isDialogShown(text: readonly string[], hasInputBox: boolean): boolean {
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
