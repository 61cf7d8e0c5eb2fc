/**
 * Screen lines back into the logical lines they show. A terminal program (the agent's CLI
 * renders with Ink) breaks a word longer than the room left only at the right edge, and
 * indents the continuation under its gutter; a line that reaches the edge is therefore joined
 * with the next one, without the next one's indent.
 */

/** How far from the right edge a line may end and still count as wrapped (gutters, borders). */
const EDGE_SLACK = 12;
const INDENT = /^[\s│┃⎿]*/u;
const BEGIN_KEY = /-----BEGIN[A-Z0-9 ]*PRIVATE KEY-----/;
const END_KEY = /-----END[A-Z0-9 ]*PRIVATE KEY-----/;

export interface Piece {
  /** The continuation's indent, kept as it was (empty for a group's first line). */
  indent: string;
  text: string;
  /** Where `text` starts in the group's joined text. */
  at: number;
}

export interface LineGroup {
  lines: string[];
  /** Lines inside a private key's BEGIN/END: masked whole. */
  privateKey: boolean;
  /** The logical line: the pieces joined. */
  text: string;
  pieces: Piece[];
}

export function logicalLines(lines: readonly string[], width: number): LineGroup[] {
  const groups: LineGroup[] = [];
  let inKey = false;
  let i = 0;
  while (i < lines.length) {
    const first = lines[i]!;
    if (inKey && !END_KEY.test(first)) {
      groups.push({ lines: [first], privateKey: true, text: first, pieces: [] });
      i += 1;
      continue;
    }
    inKey = false;
    const group: LineGroup = { lines: [first], privateKey: false, text: first, pieces: [{ indent: '', text: first, at: 0 }] };
    let last = first;
    while (i + 1 < lines.length && last.length >= width - EDGE_SLACK && !BEGIN_KEY.test(last)) {
      const next = lines[i + 1]!;
      const indent = INDENT.exec(next)![0];
      group.lines.push(next);
      group.pieces.push({ indent, text: next.slice(indent.length), at: group.text.length });
      group.text += next.slice(indent.length);
      last = next;
      i += 1;
    }
    if (BEGIN_KEY.test(group.text) && !END_KEY.test(group.text.slice(group.text.search(BEGIN_KEY)))) inKey = true;
    groups.push(group);
    i += 1;
  }
  return groups;
}
