/** A secret added to the gateway's config while the medic runs is learnt when the config is next read. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Redactor, secretValuesFromText } from '../../../../src/lib/redact.js';
import { ConfigGuard } from '../../../../src/recovery/repair/config-guard.js';
import { captureLogger } from '../../../fixtures/gateways.js';

let dir: string | null = null;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = null;
});

describe('ConfigGuard onRead', () => {
  it('feeds the redactor the secrets of the config as it is now (a rotated channel token)', async () => {
    dir = await mkdtemp(join(tmpdir(), 'clawmedic-guard-secrets-'));
    const configPath = join(dir, 'openclaw.json');
    await writeFile(configPath, JSON.stringify({ gateway: { mode: 'local', auth: { token: 'first-gateway-token' } } }));
    const redactor = new Redactor();
    const guard = new ConfigGuard({
      configPath,
      dataDir: join(dir, 'data'),
      kind: 'openclaw',
      clock: { now: () => 1_700_000_000_000 },
      log: captureLogger(),
      onRead: (text) => redactor.add(secretValuesFromText(text)),
    });
    await guard.capture();
    expect(redactor.redact('auth first-gateway-token')).toBe('auth [REDACTED]');
    await writeFile(configPath, JSON.stringify({ gateway: { mode: 'local', auth: { token: 'first-gateway-token' } }, channels: { telegram: { botToken: 'rotated-tg-token-2' } } }));
    await guard.drift(); // what the probe loop calls while the gateway answers
    expect(redactor.redact('tg rotated-tg-token-2, gw first-gateway-token')).toBe('tg [REDACTED], gw [REDACTED]');
  });

  it('secretValuesFromText gives nothing for text that does not parse', () => {
    expect(secretValuesFromText('{ "token": "half')).toEqual([]);
  });
});
