/**
 * The frame of the Claude Code TUI as read from @xterm/headless (`translateToString(true)`): lines may
 * still carry trailing spaces and non-breaking spaces (the CLI draws `❯\u00a0` and `⎿ \u00a0`), so every
 * comparison goes through `clean()`. Rules, fences, the input box and what is typed in it. Pure.
 */

/** Placeholders the CLI shows in an empty input box (dimmed; only the text reaches us). */
const INPUT_PLACEHOLDERS = new Set(['Resend your message to try again']);

export interface InputBox {
  /** Index of the rule above the input. */
  top: number;
  /** Index of the rule below the input. */
  bottom: number;
}

/** A screen line as compared here: non-breaking spaces as spaces, no trailing blanks. */
export function clean(line: string): string {
  return line.replace(/\u00a0/g, ' ').trimEnd();
}

export function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

export function isBlank(line: string): boolean {
  return line.trim() === '';
}

/** A horizontal rule: the input box frame or the top border of a dialog. */
export function isRule(line: string): boolean {
  return /^\s*─{4,}/.test(line);
}

/** The dashed fence around the command (2.1.331) or a diff preview. */
export function isFence(line: string): boolean {
  return /^\s*╌{4,}/.test(line);
}

/** The input box: a line starting with `❯` right below the second-to-last rule, the last rule, and at most a short footer under it. */
export function findInputBox(lines: readonly string[]): InputBox | null {
  const rules = lines.flatMap((line, i) => (isRule(line) ? [i] : []));
  const top = rules[rules.length - 2];
  const bottom = rules[rules.length - 1];
  if (top === undefined || bottom === undefined || bottom - top < 2) return null;
  if (!clean(lines[top + 1] ?? '').startsWith('❯')) return null;
  const footerLines = lines.slice(bottom + 1).filter((line) => !isBlank(line)).length;
  return footerLines <= 4 ? { top, bottom } : null;
}

/** The cleaned lines with the input box's content blanked out, so typed text never counts as screen text. */
export function outsideInput(lines: readonly string[]): string[] {
  const box = findInputBox(lines);
  return lines.map((line, i) => (box && i > box.top && i < box.bottom ? '' : clean(line)));
}

export function lastIndexWhere(lines: readonly string[], test: (trimmed: string) => boolean): number {
  for (let i = lines.length - 1; i >= 0; i--) if (test((lines[i] ?? '').trim())) return i;
  return -1;
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
