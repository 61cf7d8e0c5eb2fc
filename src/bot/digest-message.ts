/**
 * The scheduled digest as a Discord message in the incident channel: the Markdown itself (Discord
 * renders its headings and lists), and when it is longer than a message, its beginning with the
 * whole of it attached.
 */
import { LIMITS, type MessagePayload } from './render.js';

export function renderDigestMessage(d: { to: number; markdown: string }): MessagePayload {
  const body = d.markdown.trimEnd();
  if (body.length <= LIMITS.message) return { content: body, allowedMentions: { parse: [] } };
  const file = `clawmedic-digest-${new Date(d.to).toISOString().slice(0, 10)}.md`;
  const note = `\n… the whole digest is attached (${file}).`;
  const lines: string[] = [];
  let size = note.length;
  for (const line of body.split('\n')) {
    if (size + line.length + 1 > LIMITS.message) break;
    lines.push(line);
    size += line.length + 1;
  }
  return { content: `${lines.join('\n')}${note}`, files: [{ name: file, data: Buffer.from(d.markdown, 'utf8') }], allowedMentions: { parse: [] } };
}
