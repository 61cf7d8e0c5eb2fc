/** The digest in Discord: the Markdown as it is when it fits a message; else its beginning and the whole attached. */
import { describe, expect, it } from 'vitest';
import { renderDigestMessage } from '../../../src/bot/digest-message.js';
import { LIMITS } from '../../../src/bot/render.js';

const TO = Date.UTC(2026, 11, 7, 9);

describe('renderDigestMessage', () => {
  it('a short digest is the message, no pings', () => {
    expect(renderDigestMessage({ to: TO, markdown: '# clawmedic digest\n\n- Incidents: 0\n' })).toEqual({ content: '# clawmedic digest\n\n- Incidents: 0', allowedMentions: { parse: [] } });
  });

  it('a long one: whole lines up to the limit, a note, and the whole digest attached', () => {
    const markdown = ['# clawmedic digest', ...Array.from({ length: 200 }, (_, i) => `- ${i} × cause number ${i}`)].join('\n');
    const p = renderDigestMessage({ to: TO, markdown });
    expect(p.content!.length).toBeLessThanOrEqual(LIMITS.message);
    expect(p.content).toMatch(/^# clawmedic digest\n- 0 × cause number 0\n/);
    expect(p.content).toMatch(/\n- \d+ × cause number \d+\n… the whole digest is attached \(clawmedic-digest-2026-12-07\.md\)\.$/);
    expect(p.files).toEqual([{ name: 'clawmedic-digest-2026-12-07.md', data: Buffer.from(markdown, 'utf8') }]);
  });
});
