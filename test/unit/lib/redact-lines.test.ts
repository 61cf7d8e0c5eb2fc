import { describe, expect, it } from 'vitest';
import { Redactor } from '../../../src/lib/redact.js';

// The agent's screen is 120 columns: Ink breaks a word longer than the room left at the edge and
// indents the rest under the gutter.
const WIDTH = 120;
const TOKEN = 'OPENCLAW-gw-token-0123456789abcdefghijklmnop';

/** `prefix` + `word` laid out on 120-column lines, the continuation indented by `indent`. */
function wrap(prefix: string, word: string, indent = '     '): string[] {
  const room = WIDTH - prefix.length;
  return [prefix + word.slice(0, room), indent + word.slice(room)];
}

describe('Redactor.redactLines', () => {
  const r = new Redactor([TOKEN]);

  it('masks both pieces of a known value the terminal wrapped, whatever the cut', () => {
    for (let cut = 1; cut < TOKEN.length; cut++) {
      const prefix = `  ⎿  ${'x'.repeat(WIDTH - 5 - cut - 1)} `;
      const lines = wrap(prefix, `${TOKEN} and more`);
      const out = r.redactLines(lines);
      // Pieces of 6 characters or more are gone, from either line.
      if (cut >= 6) expect(out.join('\n')).not.toContain(TOKEN.slice(0, cut));
      if (TOKEN.length - cut >= 6) expect(out.join('\n')).not.toContain(TOKEN.slice(cut));
      expect(out.join('\n')).toContain('[REDACTED]');
      expect(out[1]).toMatch(/^ {5}/);
    }
  });

  it('masks a wrapped secret shape (a bearer header, a Slack token)', () => {
    const bearer = `Authorization: Bearer ${'A1b2C3d4'.repeat(8)}`;
    const out = r.redactLines(wrap(`${'-'.repeat(90)} `, bearer, '  '));
    expect(out.join('')).not.toMatch(/A1b2C3d4/);
    const slack = `xoxb-1234567890-1234567890123-${'AbCdEfGhIjKlMnOp'.repeat(2)}`;
    const out2 = r.redactLines(wrap(`${'-'.repeat(100)} `, slack, '  '));
    expect(out2.join('')).not.toMatch(/AbCdEf/);
  });

  it('keeps lines that did not reach the edge apart (no secret shape made of two lines)', () => {
    const lines = ['api_key:', 'some-ordinary-words', 'Bearer', 'zyxwvutsrqponmlkjihgfedc'];
    expect(r.redactLines(lines)).toEqual(lines);
  });

  it('masks every line of a private key between BEGIN and END, and the lines after a BEGIN without END', () => {
    const lines = ['cat key.pem', '-----BEGIN PRIVATE KEY-----', '  MIIEvQIBADANBgkqhkiG9w0BAQEFAASC', '  short+tail==', '-----END PRIVATE KEY-----', 'done'];
    expect(r.redactLines(lines)).toEqual(['cat key.pem', '-----BEGIN PRIVATE KEY-----', '  [REDACTED]', '  [REDACTED]', '-----END PRIVATE KEY-----', 'done']);
    expect(r.redactLines(['-----BEGIN EC PRIVATE KEY-----', 'MHcCAQEEIIrYSSNQFaA2Hwf1duRSxKtLYX5CB04fSeQ6tF1aY/PuoAoGCCqGSM49'])).toEqual([
      '-----BEGIN EC PRIVATE KEY-----',
      '[REDACTED]',
    ]);
  });

  it('keeps ordinary screen lines as they are, full-width ones too', () => {
    const lines = [`● Bash(ls -la ${'/var/lib/openclaw/'.repeat(6)})`.slice(0, WIDTH), '  ⎿  total 12', '     drwx------ 2 openclaw openclaw 4096 Dec  3 10:24 .'];
    expect(r.redactLines(lines)).toEqual(lines);
  });

  it('masks a known value cut by a batch boundary (one line at a time)', () => {
    const [a, b] = wrap(`${'x'.repeat(90)} `, TOKEN);
    expect(r.redactLines([a!])[0]).not.toContain(TOKEN.slice(0, 12));
    expect(r.redactLines([b!])[0]).toBe('     [REDACTED]');
  });
});
