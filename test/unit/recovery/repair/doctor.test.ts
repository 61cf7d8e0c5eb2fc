import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../../../src/recovery/ports.js';
import { ConfigGuard } from '../../../../src/recovery/repair/config-guard.js';
import { lastMeaningfulLine, runDoctor } from '../../../../src/recovery/repair/doctor.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const NO_MODE = '{ "gateway": { "port": 18789 } }';

let dir: string;
let configPath: string;
let guard: ConfigGuard;

/** A doctor script; it finds the config through OPENCLAW_CONFIG_PATH as OpenClaw's does. */
async function doctor(name: string, body: string): Promise<string> {
  const path = join(dir, `${name}.sh`);
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
  return path;
}

function run(command: string, timeoutMs = 5000) {
  return runDoctor({ command, timeoutMs, guard, env: { ...process.env, OPENCLAW_CONFIG_PATH: configPath } });
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'clawmedic-doctor-'));
  configPath = join(dir, 'openclaw.json');
  guard = new ConfigGuard({ configPath, dataDir: join(dir, 'data'), kind: 'openclaw', clock: Date, log: silent });
  await writeFile(configPath, NO_MODE);
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('runDoctor', () => {
  it('is ok when the doctor exits 0 and the config validates afterwards', async () => {
    const fix = await doctor('fix', `echo 'Doctor: setting gateway.mode'\necho '{ "gateway": { "mode": "local", "port": 18789 } }' > "$OPENCLAW_CONFIG_PATH"\necho '│'\necho '└ Doctor complete.'`);
    const result = await run(fix);
    expect(result.ok).toBe(true);
    expect(result.detail).toMatch(/^doctor exit 0 in \d+\.\d s; last output: "Doctor complete\."; config validates$/);
  });

  it('treats exit 0 as no verdict when the config is still invalid (a missing gateway.mode)', async () => {
    const noop = await doctor('noop', `echo 'gateway.mode is unset; gateway start will be blocked.'\necho '{ "gateway": { "port": 18789 }, "wizard": {} }' > "$OPENCLAW_CONFIG_PATH"`);
    const result = await run(noop);
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(
      /^doctor exit 0 in \d+\.\d s; last output: "gateway\.mode is unset; gateway start will be blocked\."; exit 0 but the config is still invalid: .*openclaw\.json: gateway\.mode: missing/,
    );
    expect(await readFile(configPath, 'utf8')).toContain('wizard');
  });

  it('fails on a non-zero exit, even when the config happens to be valid', async () => {
    await writeFile(configPath, '{ gateway: { mode: "local" } }');
    const broken = await doctor('exit1', `echo 'Config at x is not parseable and cannot be repaired automatically.' >&2\nexit 1`);
    const result = await run(broken);
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/^doctor exit 1 in \d+\.\d s; last output: "Config at x is not parseable and cannot be repaired automatically\."; config validates$/);
  });

  it('stops a doctor that hangs past the timeout', async () => {
    const hang = await doctor('hang', `echo 'Health check: waiting for gateway'\nsleep 30`);
    // Without the timeout the script sleeps 30 s, past the test's own limit; how soon it is stopped is measured in bench/doctor-timeout.ts.
    const result = await run(hang, 300);
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/^doctor timed out after \d s; last output: "Health check: waiting for gateway"; config invalid: .*gateway\.mode: missing/);
  });

  it('says so when the doctor cannot be found', async () => {
    const result = await run(join(dir, 'missing-doctor'));
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/^doctor exit 127 in/);
  });
});

describe('lastMeaningfulLine', () => {
  it('skips borders, blank lines and colour codes, and trims long lines', () => {
    expect(lastMeaningfulLine('\u001b[32mRestored openclaw.json\u001b[0m\n│\n└──\n\n')).toBe('Restored openclaw.json');
    expect(lastMeaningfulLine('')).toBeNull();
    expect(lastMeaningfulLine('x'.repeat(300))).toHaveLength(200);
  });
});
