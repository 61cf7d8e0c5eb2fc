import { describe, expect, it } from 'vitest';
import { Redactor, secretValuesFromEnv } from '../../../src/lib/redact.js';

describe('Redactor', () => {
  const r = new Redactor(['watchdog-test-token', 'hunter2-long-secret', 'abc']);

  it('masks the secret values it knows, wherever they stand, and ignores values too short to be secrets', () => {
    expect(r.redact('auth with watchdog-test-token failed; retry hunter2-long-secret')).toBe('auth with [REDACTED] failed; retry [REDACTED]');
    expect(r.redact('abc stays')).toBe('abc stays');
  });

  it.each([
    ['an Anthropic key', 'key sk-ant-api03-AbCdEfGhIjKlMnOpQrStUv here', 'key [REDACTED] here'],
    ['an OpenAI-style key', 'OPENAI sk-proj1234567890abcdefghij', 'OPENAI [REDACTED]'],
    ['a GitHub token', 'ghp_abcdefghijklmnopqrstuvwxyz0123456789', '[REDACTED]'],
    ['a Discord bot token', 'MTAxMjM0NTY3ODkwMTIzNDU2.GhIjKl.abcdefghijklmnopqrstuvwxyz01234', '[REDACTED]'],
    ['a webhook URL', 'post to https://discord.com/api/webhooks/123456/abcDEF_ghi-jkl now', 'post to [REDACTED] now'],
    ['a bearer header', 'Authorization: Bearer abcdefghijklmnop1234', 'Authorization: Bearer [REDACTED]'],
    ['a token= assignment', 'OPENCLAW_GATEWAY_TOKEN=s3cr3tvalue123 openclaw gateway run', 'OPENCLAW_GATEWAY_TOKEN=[REDACTED] openclaw gateway run'],
    ['a --token flag value', 'gateway run --token=abcdefgh1234', 'gateway run --token=[REDACTED]'],
    ['a JSON password', '{"password":"p4ssw0rd-long"}', '{"password":"[REDACTED]"}'],
  ])('masks %s', (_what, text, expected) => {
    expect(new Redactor().redact(text)).toBe(expected);
  });

  it('keeps JSON valid when it redacts inside it', () => {
    const doc = JSON.stringify({ cause: 'token=abcdefghijkl1234 leaked', command: 'node gw.js --token watchdog-test-token' });
    expect(() => JSON.parse(r.redact(doc))).not.toThrow();
    expect(r.redact(doc)).not.toContain('watchdog-test-token');
  });

  it('takes the values of env variables whose names say secret', () => {
    expect(secretValuesFromEnv({ DISCORD_TOKEN: 'x1', MEDIC_API_TOKEN: 'x2', GATEWAY_NAME: 'gw', ANTHROPIC_API_KEY: 'x3', DB_PASSWORD: 'x4' }).sort()).toEqual(['x1', 'x2', 'x3', 'x4']);
  });
});
