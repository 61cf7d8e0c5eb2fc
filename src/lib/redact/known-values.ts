/**
 * A secret value the medic knows, and the forms it can take in text: as is, base64 (standard and
 * URL-safe, at any alignment inside a longer encoded blob), hex, and with some or all of its
 * characters escaped (URL `%XX`, JSON `\uXXXX`, `\xXX`); and the pieces a terminal leaves at
 * the end and start of two screen lines when it wraps it.
 */
import type { Span } from './spans.js';

/** Values shorter than this are not taken for secrets: masking them would mask noise. */
export const MIN_SECRET_LENGTH = 6;
/** A piece of a known value at a line's end or start is masked from this length on. */
export const MIN_PIECE_LENGTH = 12;

export class KnownValue {
  /** Encoded forms searched as plain substrings (base64 cores, hex). */
  readonly encoded: readonly string[];
  /** The value with any of its characters escaped; null when no character can be. */
  private readonly escaped: RegExp;

  constructor(readonly value: string) {
    this.encoded = encodedForms(value);
    this.escaped = new RegExp([...value].map(charForms).join(''), 'g');
  }

  /** Where the value stands as is. */
  exact(text: string): Span[] {
    return occurrences(text, this.value);
  }

  /** Where the value stands in any form: as is, encoded, escaped, or cut by a line break (`lines`: the text split at \n). */
  anyForm(text: string, lines: readonly string[] = text.split('\n')): Span[] {
    const spans = this.exact(text);
    for (const form of this.encoded) spans.push(...occurrences(text, form));
    if (text.includes('%') || text.includes('\\')) {
      for (const m of text.matchAll(this.escaped)) spans.push({ start: m.index, end: m.index + m[0].length });
    }
    spans.push(...this.pieces(lines));
    return spans;
  }

  /** A line that ends with the value's beginning, or starts (after its indent) with its end: a wrap cut it there. */
  private pieces(lines: readonly string[]): Span[] {
    const v = this.value;
    if (v.length <= MIN_PIECE_LENGTH) return [];
    const spans: Span[] = [];
    let from = 0;
    for (const line of lines) {
      // (The first character is compared before any slice is made: most lines fail there.)
      for (let k = Math.min(v.length - 1, line.length); k >= MIN_PIECE_LENGTH; k--) {
        if (line.charCodeAt(line.length - k) === v.charCodeAt(0) && line.endsWith(v.slice(0, k))) {
          spans.push({ start: from + line.length - k, end: from + line.length });
          break;
        }
      }
      const indent = /^[\s│┃⎿]*/u.exec(line)![0].length;
      for (let k = Math.min(v.length - 1, line.length - indent); k >= MIN_PIECE_LENGTH; k--) {
        if (line.charCodeAt(indent) === v.charCodeAt(v.length - k) && line.startsWith(v.slice(v.length - k), indent)) {
          spans.push({ start: from + indent, end: from + indent + k });
          break;
        }
      }
      from += line.length + 1;
    }
    return spans;
  }
}

function occurrences(text: string, needle: string): Span[] {
  const spans: Span[] = [];
  for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + 1)) spans.push({ start: i, end: i + needle.length });
  return spans;
}

/**
 * Base64 of the value wherever it starts inside a longer encoded text (three alignments; only the
 * characters that depend on the value alone), in the standard and URL-safe alphabets; hex.
 */
function encodedForms(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const forms = new Set<string>();
  for (const pad of [0, 1, 2]) {
    const padded = Buffer.concat([Buffer.alloc(pad), bytes]);
    const whole = Math.floor(padded.length / 3) * 4;
    const core = padded.toString('base64').slice([0, 2, 3][pad], whole);
    forms.add(core);
    forms.add(core.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  forms.add(bytes.toString('hex'));
  forms.add(bytes.toString('hex').toUpperCase());
  forms.delete(value);
  return [...forms].filter((f) => f.length >= 8);
}

/** One character as a regex: itself, or escaped for a URL (%XX, + for a space), JSON (\uXXXX, \/) or a C string (\xXX). */
function charForms(ch: string): string {
  const hex = (n: number, width: number) => [...n.toString(16).padStart(width, '0')].map((d) => (/[a-f]/.test(d) ? `[${d}${d.toUpperCase()}]` : d)).join('');
  const forms = [ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')];
  forms.push([...Buffer.from(ch, 'utf8')].map((b) => `%${hex(b, 2)}`).join(''));
  for (let i = 0; i < ch.length; i++) forms.push(`\\\\u${hex(ch.charCodeAt(i), 4)}`);
  const code = ch.codePointAt(0)!;
  if (code < 0x100) forms.push(`\\\\x${hex(code, 2)}`);
  if (ch === ' ') forms.push('\\+');
  if (ch === '/') forms.push('\\\\/');
  // As a JSON string escapes it.
  if (ch === '"') forms.push('\\\\"');
  if (ch === '\\') forms.push('\\\\\\\\');
  return `(?:${forms.join('|')})`;
}
