import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { unitRef } from '../../../src/deploy/options.js';
import { CommandServiceManager, ServiceManagerError } from '../../../src/deploy/service-manager.js';
import { runCommand } from '../../../src/lib/run-command.js';

/**
 * The adapters against fake `systemctl` and `launchctl` executables on PATH: each logs its
 * arguments, answers `is-enabled` with $FAKE_STATE, and fails the subcommand named in $FAKE_FAIL.
 */
let dir: string;
let log: string;

const FAKE = `#!/bin/sh
echo "$(basename "$0") $*" >> "$FAKE_LOG"
for a in "$@"; do
  if [ "$a" = "$FAKE_FAIL" ]; then echo "Failed to $a: Access denied" >&2; exit 1; fi
done
case " $* " in
  *" is-enabled "*) echo "$FAKE_STATE"; [ "$FAKE_STATE" = enabled ] && exit 0; exit 1;;
  *" print "*) [ "$FAKE_STATE" = enabled ] && exit 0; echo 'Could not find service' >&2; exit 113;;
esac
exit 0
`;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'clawmedic-sm-'));
  log = join(dir, 'calls.log');
  mkdirSync(join(dir, 'bin'));
  for (const tool of ['systemctl', 'launchctl']) {
    writeFileSync(join(dir, 'bin', tool), FAKE);
    chmodSync(join(dir, 'bin', tool), 0o755);
  }
  writeFileSync(log, '');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function manager(platform: 'systemd' | 'launchd', env: Record<string, string> = {}, path = `${join(dir, 'bin')}:/usr/bin:/bin`) {
  return new CommandServiceManager({
    platform,
    uid: 501,
    timeoutMs: 10_000,
    run: (command, options) => runCommand(command, { ...options, env: { ...process.env, PATH: path, FAKE_LOG: log, FAKE_STATE: 'disabled', FAKE_FAIL: '', ...env } }),
  });
}

const calls = () => readFileSync(log, 'utf8').trim().split('\n').filter(Boolean);

describe('CommandServiceManager (systemd)', () => {
  const medic = unitRef('systemd', '/home/ada', 'medic');

  it('reads is-enabled: enabled is loaded, disabled is not', async () => {
    expect(await manager('systemd', { FAKE_STATE: 'enabled' }).isLoaded(medic)).toBe(true);
    expect(await manager('systemd', { FAKE_STATE: 'disabled' }).isLoaded(medic)).toBe(false);
    expect(calls()).toEqual(['systemctl --user is-enabled clawmedic.service', 'systemctl --user is-enabled clawmedic.service']);
  });

  it('an answer that is not a state (no user bus) is an error, not a "no"', async () => {
    const sm = manager('systemd', { FAKE_STATE: 'Failed to connect to bus: No medium found' });
    await expect(sm.isLoaded(medic)).rejects.toThrow(ServiceManagerError);
  });

  it('load enables and (re)starts; unload disables and stops; reload is daemon-reload', async () => {
    const sm = manager('systemd');
    await sm.reloadDefinitions();
    await sm.load(medic);
    await sm.restart(medic);
    await sm.unload(medic);
    expect(calls()).toEqual([
      'systemctl --user daemon-reload',
      'systemctl --user enable clawmedic.service',
      'systemctl --user restart clawmedic.service',
      'systemctl --user restart clawmedic.service',
      'systemctl --user disable --now clawmedic.service',
    ]);
  });

  it('a failing command rejects with its exit and last line; load stops after a failed enable', async () => {
    const sm = manager('systemd', { FAKE_FAIL: 'enable' });
    const err = await sm.load(medic).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceManagerError);
    expect((err as Error).message).toMatch(/^systemctl --user enable clawmedic.service && systemctl --user restart clawmedic.service: exit 1 in [\d.]+ s: Failed to enable: Access denied$/);
    expect(calls()).toEqual(['systemctl --user enable clawmedic.service']);
  });

  it('a missing systemctl or launchctl is an error, not a "not loaded"', async () => {
    await expect(manager('systemd', {}, join(dir, 'empty')).isLoaded(medic)).rejects.toThrow(ServiceManagerError);
    await expect(manager('launchd', {}, join(dir, 'empty')).isLoaded(unitRef('launchd', '/Users/ada', 'medic'))).rejects.toThrow(/exit 127/);
  });
});

describe('CommandServiceManager (launchd)', () => {
  const gateway = unitRef('launchd', '/Users/Ada Lovelace', 'gateway');

  it('print answers whether the agent is loaded in gui/<uid>', async () => {
    expect(await manager('launchd', { FAKE_STATE: 'enabled' }).isLoaded(gateway)).toBe(true);
    expect(await manager('launchd').isLoaded(gateway)).toBe(false);
    expect(calls()).toEqual(['launchctl print gui/501/ai.openclaw.gateway', 'launchctl print gui/501/ai.openclaw.gateway']);
  });

  it('load enables then bootstraps the plist (a path with a space stays one argument); restart is kickstart -k', async () => {
    const sm = manager('launchd');
    await sm.load(gateway);
    await sm.restart(gateway);
    await sm.unload(gateway);
    await sm.reloadDefinitions();
    expect(calls()).toEqual([
      'launchctl enable gui/501/ai.openclaw.gateway',
      'launchctl bootstrap gui/501 /Users/Ada Lovelace/Library/LaunchAgents/ai.openclaw.gateway.plist',
      'launchctl kickstart -k gui/501/ai.openclaw.gateway',
      'launchctl bootout gui/501/ai.openclaw.gateway',
    ]);
    expect(sm.describe({ op: 'load', unit: gateway })).toBe(
      "launchctl enable gui/501/ai.openclaw.gateway && launchctl bootstrap gui/501 '/Users/Ada Lovelace/Library/LaunchAgents/ai.openclaw.gateway.plist'",
    );
  });
});
