/**
 * Secrets out of everything that leaves the host (logs, the API, Discord, the agent's prompt and
 * transcript): the actual secret values the medic knows, in any form (see `known-values.ts`), and
 * known token shapes (see `patterns.ts`). Pure: no I/O.
 */
import { KnownValue, MIN_SECRET_LENGTH } from './known-values.js';
import { PATTERNS, type SecretPattern } from './patterns.js';
import { covers, maskSpans, type Span } from './spans.js';
import { logicalLines } from './wrapped-lines.js';

/** How a command is shown to the person asked to approve it. */
export type ApprovalDisplay =
  | { ok: true; text: string }
  | { ok: false; reason: string };

export class Redactor {
  private values: KnownValue[] = [];

  /** `secrets`: actual values to mask wherever they appear (from .env, the gateway config...). */
  constructor(secrets: Iterable<string> = []) {
    this.add(secrets);
  }

  /** More values to mask from now on (a gateway config read later, a rotated token). */
  add(secrets: Iterable<string>): void {
    const known = new Set(this.values.map((v) => v.value));
    const fresh = [...new Set(secrets)].filter((v) => v.length >= MIN_SECRET_LENGTH && !known.has(v));
    if (!fresh.length) return;
    // Longest first, so that a secret containing another is masked whole.
    this.values = [...this.values, ...fresh.map((v) => new KnownValue(v))].sort((a, b) => b.value.length - a.value.length);
  }

  redact(text: string): string {
    return maskSpans(text, this.spans(text));
  }

  /**
   * Screen lines (the AI agent's terminal, `width` columns) redacted as the logical lines they
   * show: a line the terminal wrapped is joined with its continuation first, so a secret cut in
   * two is still found, and both its pieces are masked. A private key's body is masked whole.
   */
  redactLines(lines: readonly string[], options: { width?: number } = {}): string[] {
    const out: string[] = [];
    for (const group of logicalLines(lines, options.width ?? 120)) {
      if (group.privateKey) {
        out.push(...group.lines.map((l) => l.replace(/\S.*$/, '[REDACTED]')));
        continue;
      }
      const spans = this.spans(group.text);
      for (const piece of group.pieces) {
        const inside = spans
          .filter((s) => s.end > piece.at && s.start < piece.at + piece.text.length)
          .map((s) => ({ start: Math.max(s.start, piece.at) - piece.at, end: Math.min(s.end, piece.at + piece.text.length) - piece.at }));
        out.push(piece.indent + maskSpans(piece.text, inside));
      }
    }
    return out;
  }

  /**
   * The command as an operator will see it when asked to approve it: only exact known secret
   * values masked. When anything else in it would have to be hidden (a shape that looks like a
   * secret, an encoded known value), it is not shown with a part hidden: `ok: false`, and why.
   */
  showExactly(command: string): ApprovalDisplay {
    const exact = this.values.flatMap((v) => v.exact(command));
    const found = this.findAll(command);
    const hidden = found.filter((f) => !covers(exact, [f.span]));
    if (!hidden.length) return { ok: true, text: maskSpans(command, exact) };
    const what = [...new Set(hidden.map((h) => h.what))].join(', ');
    return {
      ok: false,
      reason: `refused without asking: the command contains ${what}, which would have to be hidden from the operator asked to approve it, so nobody could see exactly what runs`,
    };
  }

  private spans(text: string): Span[] {
    return this.findAll(text).map((f) => f.span);
  }

  private findAll(text: string): { span: Span; what: string }[] {
    const found: { span: Span; what: string }[] = [];
    const lines = text.split('\n');
    for (const v of this.values) for (const span of v.anyForm(text, lines)) found.push({ span, what: 'a secret the medic knows (in some form)' });
    const lower = text.toLowerCase();
    for (const pattern of PATTERNS) {
      if (pattern.needs && !pattern.needs.some((n) => lower.includes(n))) continue;
      for (const span of matches(text, pattern)) found.push({ span, what: pattern.name });
    }
    return found;
  }
}

function matches(text: string, pattern: SecretPattern): Span[] {
  const spans: Span[] = [];
  for (const m of text.matchAll(pattern.re)) {
    const [start, end] = m.indices?.groups?.s ?? [m.index, m.index + m[0].length];
    spans.push({ start, end });
  }
  return spans;
}

/**
 * Why a tool call of the AI agent is refused outright rather than asked of a person (its display
 * would hide part of what runs), or null. For the ladder's `agentRefuse` option.
 */
export function refuseToShow(redactor: Redactor, command: string): string | null {
  const shown = redactor.showExactly(command);
  return shown.ok ? null : shown.reason;
}
