import { describe, expect, it } from 'vitest';
import { Redactor } from '../../../src/lib/redact.js';

// Shapes of secrets the medic does not know by value, and ordinary output that must stay readable.
const r = new Redactor();

describe('Redactor: secret shapes', () => {
  it.each([
    ['a Telegram bot token', 'bot 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawx up', 'bot [REDACTED] up'],
    ['a Telegram token in an API URL', 'GET https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawx/getMe', 'GET https://api.telegram.org/bot[REDACTED]/getMe'],
    ['a Slack bot token', 'slack xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx ok', 'slack [REDACTED] ok'],
    ['a Slack user token', 'xoxp-1234567890-1234567890-AbCdEfGhIj', '[REDACTED]'],
    ['a Slack app token', 'appToken xapp-1-A0123456789-1234567890123-abcdef0123456789', 'appToken [REDACTED]'],
    ['a Slack webhook URL', 'post https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXXXXXXXXXX done', 'post [REDACTED] done'],
    ['an AWS access key id', 'id AKIAIOSFODNN7EXAMPLE used', 'id [REDACTED] used'],
    ['a Google API key', 'key AIzaSyA1234567890abcdefghijklmnopqrstuv!', 'key [REDACTED]!'],
    [
      'a JSON web token',
      'jwt eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U end',
      'jwt [REDACTED] end',
    ],
    ['a password in a URL', 'db postgres://admin:s3cret-pw@db.local:5432/x', 'db postgres://admin:[REDACTED]@db.local:5432/x'],
    ['a lowercase bearer', 'authorization: bearer abcdefghijklmnop1234', 'authorization: bearer [REDACTED]'],
    ['a bare Authorization header', 'Authorization: abcdefghijklmnop1234', 'Authorization: [REDACTED]'],
    ['a Discord token starting OT', 'token? OTAxMjM0NTY3ODkwMTIzNDU2.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789', 'token? [REDACTED]'],
    ['a Discord token starting OD', 'ODAxMjM0NTY3ODkwMTIzNDU2Nzg.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789', '[REDACTED]'],
    ['a Discord token starting MT', 'MTAxMjM0NTY3ODkwMTIzNDU2Nzg5.GhIjKl.abcdefghijklmnopqrstuvwxyz012345', '[REDACTED]'],
    ['a --password flag with a space', 'openclaw gateway run --password hunter2-xyz --port 1', 'openclaw gateway run --password [REDACTED] --port 1'],
    ['an apiKey in JSON', '{"apiKey": "abcdef123456"}', '{"apiKey": "[REDACTED]"}'],
    ['an auth value with a digit', 'auth=abc123def456', 'auth=[REDACTED]'],
  ])('masks %s', (_what, text, expected) => {
    expect(r.redact(text)).toBe(expected);
  });

  it('masks a PEM private key given as one text, BEGIN and END kept', () => {
    const pem = ['-----BEGIN RSA PRIVATE KEY-----', 'MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun', 'VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK', 'LxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo', 'END-->', '-----END RSA PRIVATE KEY-----'].join('\n');
    const out = r.redact(`key:\n${pem}\nafter`);
    expect(out).toBe('key:\n-----BEGIN RSA PRIVATE KEY-----[REDACTED]-----END RSA PRIVATE KEY-----\nafter');
  });

  it('masks a PEM key cut before its END line', () => {
    expect(r.redact('-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ')).toBe('-----BEGIN OPENSSH PRIVATE KEY-----[REDACTED]');
  });

  it('masks a line of a PEM body seen on its own', () => {
    expect(r.redact('MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun')).toBe('[REDACTED]');
  });
});

describe('Redactor: ordinary output stays readable', () => {
  it.each([
    ['a git sha', 'HEAD is now at e83c5163316f89bfbd7d9ab23ca2e25604af290a fix'],
    ['a sha256 on its own line', '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'],
    ['an upper-case sha256 on its own line', '9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08'],
    ['pids and timestamps', 'pid 12345 exited at 2026-12-03T10:24:43.123Z (1733220283123)'],
    ['token counts', '"input_tokens": 123456, "output_tokens":42, total_token=1733220283'],
    ['a URL with a port', 'probe http://127.0.0.1:18789/healthz answered 200'],
    ['a URL with a user but no password', 'ssh://git@github.com/openclaw/openclaw.git'],
    ['ordinary words', 'the bot reconnected successfully; token expired; password prompt; auth: ok; auth=enabled'],
    ['an Authorization failure', 'Authorization failed for user bob'],
    ['a UUID', 'session 3f2b9c1e-8d4a-4e6b-9f0a-1c2d3e4f5a6b started'],
    ['flags that name token files', 'openclaw gateway run --token-file /etc/openclaw/token --port 18789'],
    ['a Discord snowflake', 'channel 1234567890123456789 message 1234567890123456780'],
    ['a cache key', 'cache key=abcdef1234 hit'],
  ])('keeps %s', (_what, text) => {
    expect(r.redact(text)).toBe(text);
  });
});
