import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deployCommand, unitPath, type DeployDeps } from '../../../src/deploy/index.js';
import { memoryLogger } from '../../../src/logger.js';
import { CLAWMEDIC_BIN, FakeServiceManager } from './fakes.js';

let home: string;
let out: string[];
let err: string[];
let sm: FakeServiceManager;
let probed: string[];

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'clawmedic-cmd-'));
  out = [];
  err = [];
  probed = [];
  sm = new FakeServiceManager();
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

function run(argv: string[], env: NodeJS.ProcessEnv = {}, deps: Partial<DeployDeps> = {}): Promise<number> {
  return deployCommand(argv, { HOME: home, PATH: '/usr/bin:/bin', ...env }, {
    os: 'linux',
    cwd: home,
    clawmedicBin: CLAWMEDIC_BIN,
    uid: 501,
    serviceManager: (platform) => Object.assign(sm, { platform }),
    probe: async (url) => {
      probed.push(url);
      return { ok: true, detail: 'HTTP 200' };
    },
    sleep: async () => {},
    log: memoryLogger(),
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    interactive: false,
    temporaryDirs: [],
    ...deps,
  });
}

describe('deployCommand usage', () => {
  it.each([
    [['install'], 'install needs --systemd (Linux) or --launchd (macOS)'],
    [['install', '--systemd', '--launchd'], 'choose one of --systemd and --launchd'],
    [['install', '--launchd'], '--launchd install needs macOS (this is linux); add --dry-run to see the files and commands'],
    [['uninstall', '--systemd', '--gateway-command', 'x'], 'uninstall takes only --systemd|--launchd and --dry-run'],
    [['guardian'], 'guardian runs one pass and exits, started every 60 s by its timer: clawmedic guardian --once'],
    [['install', '--systemd', 'now'], "install takes no argument 'now'"],
    [['reinstall'], "unknown deploy command 'reinstall'"],
  ])('%j exits 2: %s', async (argv, problem) => {
    expect(await run(argv)).toBe(2);
    // One line: what is wrong, then the command's valid form.
    expect(err).toHaveLength(1);
    expect(err[0]).toContain(problem);
    expect(err[0]).toContain(argv[0] === 'reinstall' ? 'clawmedic install --systemd|--launchd [--dry-run]' : `Usage: clawmedic ${argv[0]} `);
    expect(sm.calls).toEqual([]);
  });

  it('an unknown flag exits 2', async () => {
    expect(await run(['install', '--systemd', '--force'])).toBe(2);
    expect(err).toEqual(['unknown option --force. Usage: clawmedic install --systemd|--launchd [--dry-run] [--env-file PATH] [--gateway-command CMD]']);
  });
});

describe('deployCommand install', () => {
  it('warns when clawmedic or its working folder is in a temporary folder (units would break when it is cleaned)', async () => {
    writeFileSync(join(home, '.env'), 'MEDIC_DATA_DIR=~/medic-data\n', { mode: 0o600 });
    expect(await run(['install', '--systemd', '--dry-run'], {}, { temporaryDirs: [home] })).toBe(0);
    expect(err).toEqual([
      `warning: the working folder is in a temporary folder (${home}, under ${home}): the units will break when it is cleaned up; install from a permanent clone of clawmedic instead`,
    ]);
  });

  it('--dry-run prints the units built from the .env in the working directory and touches nothing', async () => {
    writeFileSync(join(home, '.env'), 'GATEWAY_COMMAND=openclaw gateway run --port 18789\nMEDIC_DATA_DIR=~/medic-data\n', { mode: 0o600 });
    expect(await run(['install', '--systemd', '--dry-run'])).toBe(0);
    const text = out.join('\n');
    expect(text).toContain(`Environment="MEDIC_ENV_FILE=${join(home, '.env')}"`);
    expect(text).toContain('ExecStart=/bin/sh -c "exec openclaw gateway run --port 18789"');
    expect(text).toContain(`StandardOutput=append:${join(home, 'medic-data/logs/gateway.log')}`);
    expect(err).toEqual([`note: the gateway unit runs GATEWAY_COMMAND from ${join(home, '.env')}: openclaw gateway run --port 18789; the medic no longer starts it itself`]);
    expect(existsSync(join(home, '.config'))).toBe(false);
    expect(sm.calls).toEqual([]);
  });

  it('--launchd --dry-run works on Linux too; --gateway-command wins over the .env', async () => {
    expect(await run(['install', '--launchd', '--dry-run', '--gateway-command', 'openclaw gateway run --dev'])).toBe(0);
    expect(out.join('\n')).toContain('<string>exec openclaw gateway run --dev</string>');
    expect(err).toContain(`note: ${join(home, '.env')} does not exist yet; the medic runs on its defaults until you create it (see .env.example)`);
  });

  it('warns about an .env others can read', async () => {
    writeFileSync(join(home, 'medic.env'), 'LOG_LEVEL=debug\n', { mode: 0o644 });
    expect(await run(['install', '--systemd', '--dry-run', '--env-file', 'medic.env'])).toBe(0);
    expect(err).toContain(`warning: ${join(home, 'medic.env')} is readable by other users; it may hold tokens: chmod 600 ${join(home, 'medic.env')}`);
  });

  it('an .env the medic would refuse fails the install with every problem (exit 2)', async () => {
    writeFileSync(join(home, '.env'), 'MEDIC_HTTP_PORT=0\nPROBE_INTERVAL_MS=soon\n', { mode: 0o600 });
    expect(await run(['install', '--systemd'])).toBe(2);
    expect(err.join('\n')).toContain('MEDIC_HTTP_PORT must be at least 1');
    expect(err.join('\n')).toContain('PROBE_INTERVAL_MS must be a whole number');
    expect(existsSync(join(home, '.config'))).toBe(false);
  });

  it('a secret on the gateway command line is refused (exit 2)', async () => {
    expect(await run(['install', '--systemd', '--gateway-command', 'openclaw gateway run --token hunter2'])).toBe(2);
    expect(err.join('\n')).toContain('carries a secret');
  });

  it('installs for real into HOME and registers with the service manager; uninstall reverses it', async () => {
    expect(await run(['install', '--systemd'])).toBe(0);
    expect(existsSync(join(home, '.config/systemd/user/clawmedic.service'))).toBe(true);
    expect(sm.calls).toEqual(['reload-definitions', 'load openclaw-gateway.service', 'load clawmedic.service', 'load clawmedic-guardian.timer']);
    expect(await run(['uninstall', '--systemd'])).toBe(0);
    expect(existsSync(join(home, '.config/systemd/user/clawmedic.service'))).toBe(false);
  });

  it('exits 1 when the service manager fails', async () => {
    sm.failOn.add('reload-definitions');
    expect(await run(['install', '--systemd'])).toBe(1);
    expect(out).toContain('  FAILED: fakectl reload: reload-definitions failed: Failed to connect to bus');
  });
});

describe('deployCommand guardian', () => {
  it('probes the port from MEDIC_HTTP_PORT and exits 0 when all is well', async () => {
    sm.loaded.add('clawmedic.service').add('openclaw-gateway.service');
    expect(await run(['guardian', '--once'], { MEDIC_HTTP_PORT: '19999' })).toBe(0);
    expect(probed).toEqual(['http://127.0.0.1:19999/healthz']);
    expect(out).toEqual([]);
  });

  it('picks launchd on macOS and prints a summary to a person', async () => {
    expect(await run(['guardian', '--once'], {}, { os: 'darwin', interactive: true })).toBe(0);
    expect(sm.calls[0]).toBe('is-loaded ai.clawmedic.medic');
    expect(out).toEqual([
      'medic ai.clawmedic.medic: healthy (HTTP 200)',
      'ai.clawmedic.medic: loaded again: it was not loaded',
      'ai.openclaw.gateway: left alone: not loaded, but the medic is healthy and owns it (it may be stopped for a repair)',
    ]);
  });

  it('on systemd a disabled gateway is enabled again beside a healthy medic (the medic never disables it)', async () => {
    sm.loaded.add('clawmedic.service');
    expect(await run(['guardian', '--once', '--systemd'])).toBe(0);
    expect(sm.calls).toEqual(['is-loaded clawmedic.service', 'is-loaded openclaw-gateway.service', 'load openclaw-gateway.service']);
  });

  it('exits 1 when a service manager call failed', async () => {
    sm.failOn.add('load');
    expect(await run(['guardian', '--once', '--systemd'])).toBe(1);
  });

  it('exits 2 on a port that is not one', async () => {
    expect(await run(['guardian', '--once'], { MEDIC_HTTP_PORT: 'soon' })).toBe(2);
    expect(err[0]).toContain("MEDIC_HTTP_PORT must be a port number (got 'soon')");
  });
});

describe('unitPath', () => {
  it("keeps the shell's PATH minus npm's node_modules/.bin folders and repeats", () => {
    expect(unitPath('/work/app/node_modules/.bin:/opt/node24/bin:/usr/bin:/opt/node24/bin:relative:/bin')).toBe('/opt/node24/bin:/usr/bin:/bin');
    expect(unitPath(undefined)).toBe('/usr/local/bin:/usr/bin:/bin');
  });
});
