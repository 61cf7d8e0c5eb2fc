/** Zero config: OpenClaw's own gateway service found in a fake $HOME (its real unit and plist formats). */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeDetection, detectGatewayService, serviceEnvironment } from '../../../src/deploy/detect.js';
import { installUnits } from '../../../src/deploy/install.js';
import { deployOptions, FakeServiceManager } from './fakes.js';
import { openclawPlist, openclawSystemdUnit } from './openclaw-units.js';

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'clawmedic-detect-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

function put(rel: string, text: string): string {
  const path = join(home, rel);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

describe('detectGatewayService', () => {
  it('systemd: the unit, its port, its state dir config; driven with systemctl --user', async () => {
    const path = put('.config/systemd/user/openclaw-gateway.service', openclawSystemdUnit('--port 18795'));
    const d = await detectGatewayService({ home, os: 'linux' });
    expect(d).toMatchObject({ platform: 'systemd', unit: { name: 'openclaw-gateway.service', path }, port: 18795, configPath: '/home/ada/.openclaw state/openclaw.json', logFile: null, others: [] });
    const vars = serviceEnvironment(d!, { home, uid: 501 }, {});
    expect(vars).toEqual({
      GATEWAY_COMMAND: '',
      GATEWAY_RESTART_COMMAND: 'systemctl --user reset-failed openclaw-gateway.service 2>/dev/null; systemctl --user restart openclaw-gateway.service',
      GATEWAY_STOP_COMMAND: 'systemctl --user stop openclaw-gateway.service',
      GATEWAY_HEALTH_URL: 'http://127.0.0.1:18795/healthz',
      GATEWAY_CONFIG_PATH: '/home/ada/.openclaw state/openclaw.json',
    });
    expect(describeDetection(d!, vars!)[0]).toBe(
      `found OpenClaw's gateway service openclaw-gateway.service (${path}): supervising it through systemctl --user (health http://127.0.0.1:18795/healthz, config /home/ada/.openclaw state/openclaw.json, log in the journal); set GATEWAY_COMMAND or GATEWAY_RESTART_COMMAND in .env to choose otherwise`,
    );
  });

  it('systemd profiles: the default unit first, the others named', async () => {
    put('.config/systemd/user/openclaw-gateway-work.service', openclawSystemdUnit('--port 18800'));
    const d = await detectGatewayService({ home, os: 'linux' });
    expect(d?.unit.name).toBe('openclaw-gateway-work.service');
    expect(serviceEnvironment(d!, { home, uid: 501 }, {})?.GATEWAY_STOP_COMMAND).toBe('systemctl --user stop openclaw-gateway-work.service');
    put('.config/systemd/user/openclaw-gateway.service', openclawSystemdUnit());
    const both = await detectGatewayService({ home, os: 'linux' });
    expect(both?.unit.name).toBe('openclaw-gateway.service');
    expect(both?.others).toEqual([join(home, '.config/systemd/user/openclaw-gateway-work.service')]);
  });

  it('launchd: the agent, its port and log file; driven with launchctl in gui/<uid>', async () => {
    const path = put('Library/LaunchAgents/ai.openclaw.gateway.plist', openclawPlist());
    const d = await detectGatewayService({ home, os: 'darwin' });
    expect(d).toMatchObject({ platform: 'launchd', unit: { name: 'ai.openclaw.gateway', path }, port: 18789, logFile: '/home/ada/.openclaw/logs/gateway.log' });
    const vars = serviceEnvironment(d!, { home, uid: 501 }, {});
    expect(vars?.GATEWAY_STOP_COMMAND).toBe('launchctl bootout gui/501/ai.openclaw.gateway');
    expect(vars?.GATEWAY_RESTART_COMMAND).toContain(`launchctl bootstrap gui/501 ${path}`);
    expect(vars?.GATEWAY_LOG_FILE).toBe('/home/ada/.openclaw/logs/gateway.log');
  });

  it('nothing found, another OS, or clawmedic\'s own unit (its medic unit drives it): null', async () => {
    expect(await detectGatewayService({ home, os: 'linux' })).toBeNull();
    put('.config/systemd/user/openclaw-gateway.service', openclawSystemdUnit());
    expect(await detectGatewayService({ home, os: 'win32' })).toBeNull();
    const o = deployOptions({ home, dataDir: join(home, '.clawmedic'), logDir: join(home, '.clawmedic/logs'), workingDir: home, envFile: join(home, '.env') });
    await installUnits({ ...o, dryRun: false, serviceManager: new FakeServiceManager() });
    expect(await detectGatewayService({ home, os: 'linux' })).toBeNull();
  });

  it('a target the user configured wins: no service environment', async () => {
    put('.config/systemd/user/openclaw-gateway.service', openclawSystemdUnit());
    const d = await detectGatewayService({ home, os: 'linux' });
    for (const k of ['GATEWAY_COMMAND', 'GATEWAY_RESTART_COMMAND', 'GATEWAY_HEALTH_URL', 'MEDIC_TARGETS_FILE']) {
      expect(serviceEnvironment(d!, { home, uid: 501 }, { [k]: 'x' })).toBeNull();
    }
    expect(serviceEnvironment(d!, { home, uid: 501 }, { GATEWAY_CONFIG_PATH: '/etc/oc.json' })?.GATEWAY_CONFIG_PATH).toBeUndefined();
  });
});
