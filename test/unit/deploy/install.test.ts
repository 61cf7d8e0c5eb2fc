import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { installUnits, uninstallUnits } from '../../../src/deploy/install.js';
import type { DeployOptions, Platform } from '../../../src/deploy/options.js';
import { renderUnits } from '../../../src/deploy/units.js';
import { deployOptions, FakeServiceManager } from './fakes.js';

let home: string;

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'clawmedic-home-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

function options(platform: Platform): DeployOptions {
  return deployOptions({ platform, home, dataDir: join(home, '.clawmedic'), logDir: join(home, '.clawmedic', 'logs'), workingDir: home, envFile: join(home, '.env') });
}

function tree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

const mode = (path: string) => statSync(path).mode & 0o777;

describe('installUnits', () => {
  it.each(['systemd', 'launchd'] as const)('%s dry run writes nothing, runs nothing, and prints every file and command', async (platform) => {
    const sm = new FakeServiceManager(platform);
    const report = await installUnits({ ...options(platform), dryRun: true, serviceManager: sm });
    expect(report.ok).toBe(true);
    expect(tree(home)).toEqual([]);
    expect(sm.calls).toEqual([]);
    const text = report.lines.join('\n');
    expect(report.lines[0]).toBe(`dry run: clawmedic install --${platform} would do this (nothing is written, no command is run)`);
    for (const file of renderUnits(options(platform))) {
      expect(text).toContain(`--- ${file.path} (mode 0644) ---\n${file.content.trimEnd()}\n`);
    }
    const after = report.lines.slice(report.lines.indexOf('commands, in this order:') + 1);
    const commands = after.includes('') ? after.slice(0, after.indexOf('')) : after;
    if (platform === 'systemd') expect(after.at(-1)).toBe('afterwards, to keep them running without a login session: loginctl enable-linger $USER');
    expect(commands).toEqual(
      platform === 'systemd'
        ? ['  fakectl reload', '  fakectl load openclaw-gateway.service', '  fakectl load clawmedic.service', '  fakectl load clawmedic-guardian.timer']
        : [
            '  if loaded: fakectl unload ai.openclaw.gateway',
            '  fakectl load ai.openclaw.gateway',
            '  if loaded: fakectl unload ai.clawmedic.medic',
            '  fakectl load ai.clawmedic.medic',
            '  if loaded: fakectl unload ai.clawmedic.guardian',
            '  fakectl load ai.clawmedic.guardian',
          ],
    );
  });

  it('systemd: writes the files 0644, the data and log folders 0700, then reloads and loads in order', async () => {
    const sm = new FakeServiceManager('systemd');
    const o = options('systemd');
    const report = await installUnits({ ...o, dryRun: false, serviceManager: sm });
    expect(report.ok).toBe(true);
    const dir = join(home, '.config/systemd/user');
    expect(tree(dir)).toEqual(['clawmedic-guardian.service', 'clawmedic-guardian.timer', 'clawmedic.service', 'openclaw-gateway.service']);
    for (const file of renderUnits(o)) {
      expect(readFileSync(file.path, 'utf8')).toBe(file.content);
      expect(mode(file.path)).toBe(0o644);
    }
    expect(mode(o.dataDir)).toBe(0o700);
    expect(mode(o.logDir)).toBe(0o700);
    expect(sm.calls).toEqual(['reload-definitions', 'load openclaw-gateway.service', 'load clawmedic.service', 'load clawmedic-guardian.timer']);
    expect(report.lines).toContain(`  wrote ${join(dir, 'clawmedic.service')}`);
    expect(report.lines).toContain('  loaded clawmedic-guardian.timer');
    expect(report.lines).toContain('  to keep them running without a login session: loginctl enable-linger $USER');
  });

  it('launchd: a loaded agent is unloaded before it is loaded again, so the new plist counts', async () => {
    const sm = new FakeServiceManager('launchd');
    sm.loaded.add('ai.clawmedic.medic');
    const report = await installUnits({ ...options('launchd'), dryRun: false, serviceManager: sm });
    expect(report.ok).toBe(true);
    expect(tree(join(home, 'Library/LaunchAgents'))).toEqual(['ai.clawmedic.guardian.plist', 'ai.clawmedic.medic.plist', 'ai.openclaw.gateway.plist']);
    expect(sm.calls).toEqual([
      'is-loaded ai.openclaw.gateway',
      'load ai.openclaw.gateway',
      'is-loaded ai.clawmedic.medic',
      'unload ai.clawmedic.medic',
      'load ai.clawmedic.medic',
      'is-loaded ai.clawmedic.guardian',
      'load ai.clawmedic.guardian',
    ]);
  });

  it('installing again reports unchanged files', async () => {
    const o = { ...options('systemd'), dryRun: false, serviceManager: new FakeServiceManager() };
    await installUnits(o);
    const again = await installUnits(o);
    expect(again.lines).toContain(`  unchanged ${join(home, '.config/systemd/user/clawmedic.service')}`);
  });

  it("keeps a copy of a unit it did not write (OpenClaw's own) before replacing it", async () => {
    const dir = join(home, '.config/systemd/user');
    mkdirSync(dir, { recursive: true });
    const theirs = '[Service]\nExecStart=/usr/bin/openclaw gateway --port 18789\n';
    writeFileSync(join(dir, 'openclaw-gateway.service'), theirs);
    const report = await installUnits({ ...options('systemd'), dryRun: false, serviceManager: new FakeServiceManager() });
    const backup = join(home, '.clawmedic/replaced-units/openclaw-gateway.service');
    expect(readFileSync(backup, 'utf8')).toBe(theirs);
    expect(mode(backup)).toBe(0o600);
    expect(report.lines).toContain(`  kept a copy of the replaced ${join(dir, 'openclaw-gateway.service')} in ${backup}`);
    expect(report.lines).toContain(`  replaced ${join(dir, 'openclaw-gateway.service')}`);
  });

  it('stops at a failing service manager call and says what to do; the files stay written', async () => {
    const sm = new FakeServiceManager('systemd');
    sm.failOn.add('reload-definitions');
    const report = await installUnits({ ...options('systemd'), dryRun: false, serviceManager: sm });
    expect(report.ok).toBe(false);
    expect(sm.calls).toEqual(['reload-definitions']);
    expect(report.lines).toContain('  FAILED: fakectl reload: reload-definitions failed: Failed to connect to bus');
    expect(report.lines).toContain('The files are written; fix the problem above and run `clawmedic install --systemd` again.');
    expect(tree(join(home, '.config/systemd/user'))).toHaveLength(4);
  });

  it('refuses options it cannot render before touching anything', async () => {
    const sm = new FakeServiceManager();
    await expect(installUnits({ ...options('systemd'), gatewayCommand: 'openclaw gateway run --token s3cret', dryRun: false, serviceManager: sm })).rejects.toThrow(
      /carries a secret/,
    );
    expect(tree(home)).toEqual([]);
    expect(sm.calls).toEqual([]);
  });
});

describe('uninstallUnits', () => {
  it.each(['systemd', 'launchd'] as const)('%s: unloads the guardian first, removes only its own files, keeps the data', async (platform) => {
    const sm = new FakeServiceManager(platform);
    await installUnits({ ...options(platform), dryRun: false, serviceManager: sm });
    sm.calls.length = 0;
    const dir = platform === 'systemd' ? join(home, '.config/systemd/user') : join(home, 'Library/LaunchAgents');
    writeFileSync(join(dir, 'someone-else.service'), 'not ours');

    const dry = await uninstallUnits({ platform, home, dryRun: true, serviceManager: sm });
    expect(sm.calls).toEqual([]);
    expect(tree(dir)).toHaveLength(platform === 'systemd' ? 5 : 4);
    expect(dry.lines.filter((l) => l.includes('rm '))).toHaveLength(platform === 'systemd' ? 4 : 3);

    const report = await uninstallUnits({ platform, home, dryRun: false, serviceManager: sm });
    expect(report.ok).toBe(true);
    expect(tree(dir)).toEqual(['someone-else.service']);
    expect(existsSync(join(home, '.clawmedic/logs'))).toBe(true);
    expect(sm.calls).toEqual(
      platform === 'systemd'
        ? [
            'is-loaded clawmedic-guardian.timer',
            'unload clawmedic-guardian.timer',
            'is-loaded clawmedic.service',
            'unload clawmedic.service',
            'is-loaded openclaw-gateway.service',
            'unload openclaw-gateway.service',
            'reload-definitions',
          ]
        : [
            'is-loaded ai.clawmedic.guardian',
            'unload ai.clawmedic.guardian',
            'is-loaded ai.clawmedic.medic',
            'unload ai.clawmedic.medic',
            'is-loaded ai.openclaw.gateway',
            'unload ai.openclaw.gateway',
          ],
    );
  });

  it('leaves a unit it did not write in place, running', async () => {
    const dir = join(home, '.config/systemd/user');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'openclaw-gateway.service'), "[Service]\nExecStart=/usr/bin/openclaw gateway\n");
    const sm = new FakeServiceManager();
    sm.loaded.add('openclaw-gateway.service');
    const report = await uninstallUnits({ platform: 'systemd', home, dryRun: false, serviceManager: sm });
    expect(report.lines).toContain(`  ${join(dir, 'openclaw-gateway.service')} was not written by clawmedic: left in place, not stopped or disabled`);
    expect(tree(dir)).toEqual(['openclaw-gateway.service']);
    // Before issue 14 it planned `systemctl --user disable --now openclaw-gateway.service` here.
    expect(sm.calls).toEqual(['reload-definitions']);
    expect(sm.loaded.has('openclaw-gateway.service')).toBe(true);
  });

  it('goes on past a failing call (best effort) and reports it', async () => {
    const sm = new FakeServiceManager('systemd');
    await installUnits({ ...options('systemd'), dryRun: false, serviceManager: sm });
    sm.failOn.add('is-loaded clawmedic.service');
    const report = await uninstallUnits({ platform: 'systemd', home, dryRun: false, serviceManager: sm });
    expect(report.ok).toBe(false);
    expect(report.lines).toContain('  FAILED: if loaded: fakectl unload clawmedic.service: is-loaded clawmedic.service failed: Failed to connect to bus');
    expect(tree(join(home, '.config/systemd/user'))).toEqual([]);
  });
});
