import { describe, expect, it } from 'vitest';
import { Redactor, secretValuesFromDoc, secretValuesFromEnv } from '../../../src/lib/redact.js';

const SECRET = 'gw-Token/42+secret value';
const r = new Redactor([SECRET]);
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('Redactor: encoded forms of a known value', () => {
  it.each([
    ['base64', `echo ${b64(SECRET)}`],
    ['base64 inside a longer blob (offset 1)', b64(`x${SECRET}yz`)],
    ['base64 inside a longer blob (offset 2)', b64(`{"${SECRET}"}`)],
    ['base64url', Buffer.from(`ab${SECRET}`).toString('base64url')],
    ['hex', Buffer.from(SECRET).toString('hex')],
    ['upper-case hex', Buffer.from(SECRET).toString('hex').toUpperCase()],
    ['URL-encoding', `?t=${encodeURIComponent(SECRET)}&x=1`],
    ['form encoding', `t=${encodeURIComponent(SECRET).replace(/%20/g, '+')}`],
    ['JSON \\u escapes of every character', `{"v": "${[...SECRET].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}"}`],
    ['mixed escapes', 'gw-\\u0054oken\\/42%2Bsecret\\x20value'],
  ])('masks it in %s', (_what, text) => {
    const out = r.redact(text);
    expect(out).toContain('[REDACTED]');
    // Nothing long enough to rebuild the value stays: at most a few characters at the ends of an encoding.
    expect(out.replace('[REDACTED]', '').length).toBeLessThan(text.length - 8);
  });

  it('leaves other base64, hex and escaped text alone', () => {
    for (const text of [b64('an ordinary message of the gateway'), Buffer.from('something else entirely').toString('hex'), 'a%20b%2Fc', '\\u0041BC']) {
      expect(r.redact(text)).toBe(text);
    }
  });

  it('masks the piece of a known value a line break left at the end or start of a line', () => {
    const token = 'discord-bot-token-0123456789abcdef';
    const k = new Redactor([token]);
    expect(k.redact(`TOKEN=${token.slice(0, 20)}`)).toBe('TOKEN=[REDACTED]');
    expect(k.redact(`     ${token.slice(20)} rest`)).toBe('     [REDACTED] rest');
    // A short piece could be anything: it stays.
    expect(k.redact('discord-bot')).toBe('discord-bot');
  });
});

describe('secretValuesFromDoc: the keys of a gateway config that hold credentials', () => {
  const config = {
    gateway: { mode: 'local', port: 18789, auth: { mode: 'password', password: 'gw-password-1' }, remote: { token: 'gw-remote-2' } },
    channels: {
      telegram: { botToken: 'tg-bot-token-3' },
      slack: { botToken: 'slack-bot-4', appToken: 'slack-app-5', signingSecret: 'slack-signing-6' },
      discord: { token: 'discord-token-7', guildId: '123456789012345678' },
    },
    models: { providers: { openai: { apiKey: 'openai-key-8', baseUrl: 'https://api.example', headers: { Authorization: 'Bearer provider-bearer-9' } } } },
    tools: { web: { search: { key: 'search-key-10' } } },
    skills: { entries: { weather: { auth: 'skill-auth-11', env: { WEATHER_API_KEY: 'weather-key-12', UNITS: 'metric' } } } },
    hooks: { token: 'hooks-token-13', webhookUrl: 'https://hooks.example/14' },
    agents: { defaults: { model: 'anthropic/claude', workspace: '~/.openclaw/workspace' } },
  };

  it('takes every credential, and the token after a Bearer scheme', () => {
    expect(secretValuesFromDoc(config).sort()).toEqual(
      [
        'gw-password-1',
        'gw-remote-2',
        'tg-bot-token-3',
        'slack-bot-4',
        'slack-app-5',
        'slack-signing-6',
        'discord-token-7',
        'openai-key-8',
        'Bearer provider-bearer-9',
        'provider-bearer-9',
        'search-key-10',
        'skill-auth-11',
        'weather-key-12',
        'hooks-token-13',
        'https://hooks.example/14',
      ].sort(),
    );
  });

  it('does not take how a secret is used for a secret (auth.mode "password" would mask the word everywhere)', () => {
    expect(secretValuesFromDoc({ auth: { mode: 'password', type: 'bearer-token', token: 'real-token-1' } })).toEqual(['real-token-1']);
  });

  it('takes env values by their names', () => {
    const env = { SLACK_WEBHOOK_URL: 'https://hooks.example/1', AWS_SECRET_ACCESS_KEY: 'aws-secret-2', SENTRY_DSN: 'https://k@sentry/3', GATEWAY_NAME: 'gw', PORT: '18789' };
    expect(secretValuesFromEnv(env).sort()).toEqual(['aws-secret-2', 'https://hooks.example/1', 'https://k@sentry/3']);
  });
});

describe('Redactor on JSON text (the watchdog redacts incidents as JSON)', () => {
  it('keeps it valid and masks a known value with quotes and backslashes in it', () => {
    const odd = 'pa"ss\\word-123';
    const k = new Redactor([odd]);
    const doc = {
      url: 'http://user:pw-in-url@host/x',
      next: 'a@b',
      key: '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC',
      after: 'still here',
      odd: `say ${odd}`,
      head: 'Authorization: Bearer abcdefghijklmnop1234',
    };
    const out = k.redact(JSON.stringify(doc));
    const back = JSON.parse(out) as typeof doc;
    expect(back).toEqual({
      url: 'http://user:[REDACTED]@host/x',
      next: 'a@b',
      key: '-----BEGIN PRIVATE KEY-----[REDACTED]',
      after: 'still here',
      odd: 'say [REDACTED]',
      head: 'Authorization: Bearer [REDACTED]',
    });
  });
});
