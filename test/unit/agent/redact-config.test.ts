import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Redactor, secretValuesFromDoc, secretValuesFromFile } from '../../../src/lib/redact.js';

describe('Redactor.add', () => {
  it('masks values added after construction, and keeps masking the earlier ones', () => {
    const r = new Redactor(['first-plain-value']);
    expect(r.redact('gateway said rotated-plain-value')).toBe('gateway said rotated-plain-value');
    r.add(['rotated-plain-value']);
    expect(r.redact('gateway said rotated-plain-value and first-plain-value')).toBe('gateway said [REDACTED] and [REDACTED]');
  });

  it('ignores values shorter than 6 characters', () => {
    const r = new Redactor();
    r.add(['abcde', 'xyz', '', 'abcdef']);
    expect(r.redact('abcde xyz abcdef')).toBe('abcde xyz [REDACTED]');
  });

  it('masks the longest value first, so a secret containing another is masked whole', () => {
    const r = new Redactor(['plain1']);
    r.add(['plain1-plain2-suffix']);
    expect(r.redact('value plain1-plain2-suffix end')).toBe('value [REDACTED] end');
    expect(r.redact('value plain1 end')).toBe('value [REDACTED] end');
  });

  it('takes the same value twice without harm', () => {
    const r = new Redactor(['twice-plain-value']);
    r.add(['twice-plain-value', 'twice-plain-value']);
    expect(r.redact('a twice-plain-value b')).toBe('a [REDACTED] b');
  });
});

describe('secretValuesFromDoc', () => {
  it('takes string values under secret-named keys at any depth and ignores the rest', () => {
    const doc = {
      gateway: { mode: 'local', port: 18789, auth: { token: 'gw-auth-token-1' } },
      channels: { discord: { botToken: 'discord-bot-2', guild: '1234567890' } },
      models: { anthropic: { apiKey: 'anthropic-key-3', api_key: 'anthropic-key-4', model: 'claude' } },
      db: { password: 'db-pass-5', passwd: 'db-pass-6', user: 'admin' },
      signing: { client_secret: 'client-secret-7', private_key: 'private-key-8' },
      alerts: { webhook: 'https://hooks.example/9', credentials: 'cred-10' },
      name: 'gateway-one',
    };
    expect(secretValuesFromDoc(doc).sort()).toEqual(
      [
        'gw-auth-token-1',
        'discord-bot-2',
        'anthropic-key-3',
        'anthropic-key-4',
        'db-pass-5',
        'db-pass-6',
        'client-secret-7',
        'private-key-8',
        'https://hooks.example/9',
        'cred-10',
      ].sort(),
    );
  });

  it('takes every string of an array under a secret key, and secret keys inside arrays', () => {
    const doc = { tokens: ['tok-a-111111', 'tok-b-222222'], accounts: [{ name: 'a', token: 'acct-token-1' }, { name: 'b' }] };
    expect(secretValuesFromDoc(doc).sort()).toEqual(['acct-token-1', 'tok-a-111111', 'tok-b-222222']);
  });

  it('takes every string of an object nested under a secret key', () => {
    const doc = { secrets: { discord: 'nested-one', more: { deeper: 'nested-two', list: ['nested-three'] } }, other: { discord: 'not-secret' } };
    expect(secretValuesFromDoc(doc).sort()).toEqual(['nested-one', 'nested-three', 'nested-two']);
  });

  it('ignores numbers, booleans and null, even under a secret key', () => {
    expect(secretValuesFromDoc({ token: 123456789, password: true, apiKey: null, secret: { pin: 4321 } })).toEqual([]);
  });

  it('gives nothing for a document without secrets, or a scalar document', () => {
    expect(secretValuesFromDoc({ gateway: { mode: 'local', bind: '127.0.0.1' } })).toEqual([]);
    expect(secretValuesFromDoc('a string at the top')).toEqual([]);
    expect(secretValuesFromDoc(null)).toEqual([]);
    expect(secretValuesFromDoc(42)).toEqual([]);
  });
});

describe('secretValuesFromFile', () => {
  let dir: string | null = null;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = null;
  });

  async function file(name: string, text: string): Promise<string> {
    dir ??= await mkdtemp(join(tmpdir(), 'cm-redact-'));
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  }

  it('reads a JSON5 config with comments, unquoted keys and trailing commas', async () => {
    const path = await file(
      'openclaw.json',
      `// OpenClaw config
{
  gateway: {
    mode: 'local', /* the mode */
    auth: { token: 'json5-gateway-token', },
  },
  channels: [{ botToken: "json5-bot-token" }],
}
`,
    );
    expect((await secretValuesFromFile(path)).sort()).toEqual(['json5-bot-token', 'json5-gateway-token']);
  });

  it('gives nothing for a missing file', async () => {
    expect(await secretValuesFromFile(join(tmpdir(), 'cm-redact-no-such-dir', 'openclaw.json'))).toEqual([]);
  });

  it('gives nothing for a broken file', async () => {
    const path = await file('broken.json', '{ gateway: { auth: { token: "half-written-token" ');
    expect(await secretValuesFromFile(path)).toEqual([]);
  });

  it('feeds a Redactor that then masks the config secrets', async () => {
    const path = await file('openclaw.json', '{ "gateway": { "auth": { "token": "file-token-abcdef" } } }');
    const r = new Redactor();
    r.add(await secretValuesFromFile(path));
    expect(r.redact('connect with file-token-abcdef')).toBe('connect with [REDACTED]');
  });
});
