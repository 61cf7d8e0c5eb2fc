/** Installing over a user's own gateway unit (OpenClaw's real formats) keeps its settings, or refuses and says which. */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readExistingGatewayUnit, splitSystemdWords } from '../../../src/deploy/carry-over.js';
import { installUnits, uninstallUnits } from '../../../src/deploy/install.js';
import { unitRef, type DeployOptions, type Platform } from '../../../src/deploy/options.js';
import { deployOptions, FakeServiceManager } from './fakes.js';
import { openclawPlist, openclawSystemdUnit, USER_ENV } from './openclaw-units.js';

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'clawmedic-home-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

function options(platform: Platform): DeployOptions {
  return deployOptions({ platform, home, dataDir: join(home, '.clawmedic'), logDir: join(home, '.clawmedic', 'logs'), workingDir: home, envFile: join(home, '.env') });
}

function putGatewayUnit(platform: Platform, text: string): string {
  const path = unitRef(platform, home, 'gateway').path;
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

describe('reading a unit', () => {
  it('splits systemd words as systemd does', () => {
    expect(splitSystemdWords(`a "b c" 'd e' f\\ g "h\\"i"`)).toEqual(['a', 'b c', 'd e', 'f g', 'h"i']);
  });

  it.each([
    ['systemd', openclawSystemdUnit()],
    ['launchd', openclawPlist()],
  ] as const)("%s: OpenClaw's unit -> its environment, --port, the node flags", (platform, text) => {
    const carried = readExistingGatewayUnit(platform, '/u', text);
    expect(carried.env).toEqual(USER_ENV);
    expect(carried.flags).toEqual([['--port', '18789']]);
    expect(carried.nodeOptions).toEqual(platform === 'systemd' ? ['--max-old-space-size=4096'] : []);
  });
});

describe.each(['systemd', 'launchd'] as const)('install --%s over OpenClaw\'s own gateway unit', (platform) => {
  it('keeps every Environment= line and flag, writes the unit 0600 (it holds a token), keeps a copy, says what it carried', async () => {
    const theirs = platform === 'systemd' ? openclawSystemdUnit() : openclawPlist();
    const path = putGatewayUnit(platform, theirs);
    const report = await installUnits({ ...options(platform), dryRun: false, serviceManager: new FakeServiceManager(platform) });
    expect(report.ok).toBe(true);

    const written = readFileSync(path, 'utf8');
    const after = readExistingGatewayUnit(platform, path, written);
    for (const [name, value] of USER_ENV) {
      const want = name === 'NODE_OPTIONS' && platform === 'systemd' ? `${value} --max-old-space-size=4096` : value;
      expect(after.env).toContainEqual([name, want]);
    }
    expect(after.flags).toEqual([['--port', '18789']]);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(home, '.clawmedic/replaced-units', path.split('/').pop()!), 'utf8')).toBe(theirs);
    const text = report.lines.join('\n');
    expect(text).toContain(`carried over from ${path} (not written by clawmedic; a copy is kept in `);
    expect(text).toContain('  environment: OPENCLAW_GATEWAY_PORT, NODE_OPTIONS, OPENCLAW_GATEWAY_TOKEN, OPENCLAW_STATE_DIR (it holds a credential: the gateway unit is written 0600)');
    expect(text).toContain('  gateway flags: --port 18789');
    expect(text).not.toContain('tok-0123456789abcdef'); // names, never values

    // Installing again over its own unit keeps what it carried.
    const again = await installUnits({ ...options(platform), dryRun: false, serviceManager: new FakeServiceManager(platform) });
    expect(again.lines).toContain(`  unchanged ${path}`);
  });

  it('--dry-run shows what changes in the existing unit and touches nothing', async () => {
    const theirs = platform === 'systemd' ? openclawSystemdUnit() : openclawPlist();
    const path = putGatewayUnit(platform, theirs);
    const sm = new FakeServiceManager(platform);
    const report = await installUnits({ ...options(platform), dryRun: true, serviceManager: sm });
    const text = report.lines.join('\n');
    expect(text).toContain(`--- ${path} (mode 0600): what changes ---`);
    expect(text).toContain(`--- ${path} (now)`);
    expect(text).toContain(`+++ ${path} (after install)`);
    if (platform === 'systemd') {
      expect(text).toMatch(/^-ExecStart=\/home\/ada\/.*gateway --port 18789$/m);
      expect(text).toContain('+ExecStart=/bin/sh -c "exec openclaw gateway run --port 18789"');
      expect(text).toContain('-Environment=OPENCLAW_GATEWAY_TOKEN=[hidden]');
      expect(text).toContain('+Environment="OPENCLAW_GATEWAY_TOKEN=[hidden]"');
      expect(text).toContain('afterwards, to keep them running without a login session: loginctl enable-linger $USER');
    } else {
      expect(text).toContain('+    <string>exec openclaw gateway run --port 18789</string>');
    }
    expect(text).not.toContain('tok-0123456789abcdef'); // the file keeps it; the terminal does not see it
    expect(readFileSync(path, 'utf8')).toBe(theirs);
    expect(existsSync(join(home, '.clawmedic'))).toBe(false);
    expect(sm.calls).toEqual([]);
  });
});

describe('refusing', () => {
  it('a token on the old command line: refuses, says which, touches nothing', async () => {
    const path = putGatewayUnit('systemd', openclawSystemdUnit('--port 18789 --token tok-0123456789abcdef'));
    const sm = new FakeServiceManager();
    await expect(installUnits({ ...options('systemd'), dryRun: false, serviceManager: sm })).rejects.toThrow(
      `${path} passes --token on the gateway's command line, which clawmedic will not copy into a unit file`,
    );
    expect(sm.calls).toEqual([]);
    expect(existsSync(join(home, '.clawmedic'))).toBe(false);
  });
});

describe('uninstall next to a unit clawmedic did not write', () => {
  it.each(['systemd', 'launchd'] as const)('%s: never stops, disables or removes it', async (platform) => {
    const sm = new FakeServiceManager(platform);
    await installUnits({ ...options(platform), dryRun: false, serviceManager: sm });
    const theirs = platform === 'systemd' ? openclawSystemdUnit() : openclawPlist();
    const path = putGatewayUnit(platform, theirs); // `openclaw gateway install` ran again afterwards
    const gateway = unitRef(platform, home, 'gateway').name;
    sm.calls.length = 0;
    const dry = await uninstallUnits({ platform, home, dryRun: true, serviceManager: sm });
    expect(dry.lines.join('\n')).not.toContain(`unload ${gateway}`);
    const report = await uninstallUnits({ platform, home, dryRun: false, serviceManager: sm });
    expect(report.ok).toBe(true);
    expect(sm.calls.filter((c) => c.endsWith(` ${gateway}`))).toEqual([]);
    expect(sm.calls).toContain(`unload ${unitRef(platform, home, 'medic').name}`);
    expect(readFileSync(path, 'utf8')).toBe(theirs);
    expect(report.lines).toContain(`  ${path} was not written by clawmedic: left in place, not stopped or disabled`);
  });
});
