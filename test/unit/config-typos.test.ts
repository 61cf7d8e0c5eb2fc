/** Configuration mistakes never pass silently: typos of known names, the rule a value breaks, where it was set. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nearMiss } from '../../src/config/typos.js';
import { CONFIG_VARIABLES, loadConfig } from '../../src/config.js';
import { loadEnv } from '../../src/env-file.js';
import { ConfigError } from '../../src/errors.js';

const KNOWN = CONFIG_VARIABLES.map((v) => v.name);

function problems(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env, '/tmp');
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

function envFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'clawmedic-env-')), '.env');
  writeFileSync(file, text);
  return file;
}

describe('typos of clawmedic variables', () => {
  it.each([
    ['GATEWAY_HEALT_URL', 'GATEWAY_HEALTH_URL'],
    ['GATEWAY_COMAND', 'GATEWAY_COMMAND'],
    ['DISCORD_TOKN', 'DISCORD_TOKEN'],
    ['GATEWY_COMMAND', 'GATEWAY_COMMAND'],
    ['PROBE_INTERVAL', 'PROBE_INTERVAL_MS'],
  ])('%s -> did you mean %s', (typo, meant) => {
    expect(nearMiss(typo, KNOWN)).toBe(meant);
  });

  it.each(['GATEWAY_HEALTH_URL', 'MEDIC_ENV_FILE', 'PATH', 'HOME', 'OPENCLAW_STATE_DIR', 'ANTHROPIC_API_KEY', 'LOG_DIR', 'DISCORD_WEBHOOK_URL'])(
    '%s is not a typo',
    (name) => {
      expect(nearMiss(name, KNOWN)).toBeNull();
    },
  );

  it('a .env with typos fails check-config, each with its fix and where it was set', () => {
    const file = envFile('GATEWAY_HEALT_URL=http://127.0.0.1:1/healthz\nGATEWAY_COMAND=openclaw gateway run\nDISCORD_TOKN=abc\n');
    const found = problems(loadEnv({ PATH: '/usr/bin', HOME: '/tmp', MEDIC_ENV_FILE: file }));
    expect(found).toEqual([
      `GATEWAY_HEALT_URL is not a clawmedic variable: did you mean GATEWAY_HEALTH_URL? (set in ${file}; see .env.example)`,
      `GATEWAY_COMAND is not a clawmedic variable: did you mean GATEWAY_COMMAND? (set in ${file}; see .env.example)`,
      `DISCORD_TOKN is not a clawmedic variable: did you mean DISCORD_TOKEN? (set in ${file}; see .env.example)`,
    ]);
  });
});

describe('messages state the rule, and where the value came from', () => {
  it('a short MEDIC_API_TOKEN or DISCORD_TOKEN: the length rule, never the value', () => {
    const found = problems({ HOME: '/tmp', MEDIC_API_TOKEN: 'short-secret', DISCORD_TOKEN: 'tiny' });
    expect(found).toContain('MEDIC_API_TOKEN must be at least 16 characters long (got a value of 12 characters): set it in .env (default null), see .env.example');
    expect(found.some((p) => p.startsWith('DISCORD_TOKEN must be at least 20 characters long (got a value of 4 characters)'))).toBe(true);
    expect(found.join('\n')).not.toMatch(/short-secret|'tiny'/);
  });

  it('a value from the shell environment is not said to be set in .env', () => {
    const file = envFile('PROBE_TIMEOUT_MS=soon\n');
    const found = problems(loadEnv({ HOME: '/tmp', MEDIC_ENV_FILE: file, PROBE_INTERVAL_MS: 'later' }));
    expect(found).toContain("PROBE_INTERVAL_MS must be a whole number (got 'later'): fix PROBE_INTERVAL_MS in the environment, see .env.example");
    expect(found).toContain(`PROBE_TIMEOUT_MS must be a whole number (got 'soon'): fix PROBE_TIMEOUT_MS in ${file}, see .env.example`);
  });
});
