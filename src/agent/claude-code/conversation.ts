/**
 * The conversation on screen, worth relaying to chat: prompts, tool calls (either rendering), results,
 * the agent's words; not the header, the input box, spinners or status lines. And the relay that
 * passes each line on once. Pure.
 */
import { clean, findInputBox, isBlank, isRule } from './frame.js';

export const RETRY_BANNER = /Retrying in \d+s · attempt \d+\/\d+/;

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
