import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnitValueError } from '../../../src/deploy/escape.js';
import { gatewayShellCommand, type DeployOptions } from '../../../src/deploy/options.js';
import { DeployOptionsError, renderUnits, type UnitFile } from '../../../src/deploy/units.js';
import { deployOptions } from './fakes.js';

/** Values that break naive escaping: XML entities, quotes, systemd specifiers, `$`, spaces, backslashes. */
const AWKWARD = `a & b <c> "double" 'single' 100% $HOME \\back\\slash  two  spaces`;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'clawmedic-units-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function byRole(files: UnitFile[], role: UnitFile['role']): UnitFile {
  const file = files.find((f) => f.role === role);
  if (!file) throw new Error(`no ${role} file`);
  return file;
}

// --- systemd ----------------------------------------------------------------------------

/**
 * `systemd-analyze verify --user` on the files: it needs a runtime directory (there is no user
 * session here) and reports syntax problems ("Unknown key", "Invalid syntax", "Unbalanced
 * quoting") as warnings with exit 0, so any output at all counts as a failure. It also checks that
 * each executable exists, so the units point at real paths (process.execPath, bin/clawmedic.js,
 * /bin/sh); what `openclaw` resolves to is not its concern (it is an argument of /bin/sh).
 */
const systemdAnalyze = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((p) => existsSync(p));

function verify(files: UnitFile[], name: string): { status: number | null; output: string } {
  const unitDir = join(dir, name);
  const runtime = join(dir, `${name}-runtime`);
  mkdirSync(unitDir, { recursive: true });
  mkdirSync(runtime, { recursive: true, mode: 0o700 });
  for (const f of files) writeFileSync(join(unitDir, f.name), f.content);
  const r = spawnSync(systemdAnalyze!, ['verify', '--user', '--man=no', ...files.map((f) => join(unitDir, f.name))], {
    env: { ...process.env, XDG_RUNTIME_DIR: runtime, SYSTEMD_LOG_COLOR: '0' },
    encoding: 'utf8',
  });
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

/**
 * Reads back one `Environment=` line the way systemd.syntax(7) says systemd does: specifiers
 * first (`%%` is a `%`), then words split on white space, double-quoted with C escapes.
 * Written from the manual, not from the renderer.
 */
function readEnvironmentLine(line: string): [string, string] {
  const raw = line.replace(/^Environment=/, '').replace(/%%/g, '%');
  expect(raw.startsWith('"') && raw.endsWith('"')).toBe(true);
  let out = '';
  for (let i = 1; i < raw.length - 1; i++) {
    const c = raw[i]!;
    if (c === '"') throw new Error(`unescaped quote inside ${line}`);
    if (c === '\\') {
      const next = raw[++i]!;
      out += ({ n: '\n', t: '\t', '\\': '\\', '"': '"', "'": "'" } as Record<string, string>)[next] ?? `\\${next}`;
    } else out += c;
  }
  const eq = out.indexOf('=');
  return [out.slice(0, eq), out.slice(eq + 1)];
}

function environmentOf(content: string): Record<string, string> {
  return Object.fromEntries(content.split('\n').filter((l) => l.startsWith('Environment=')).map(readEnvironmentLine));
}

describe('systemd units', () => {
  const options = deployOptions({ workingDir: '/tmp', logDir: '/tmp/clawmedic logs' });
  const files = renderUnits(options);

  it('renders the gateway, the medic, the guardian and its timer into ~/.config/systemd/user, mode 0644', () => {
    expect(files.map((f) => [f.role, f.path, f.mode])).toEqual([
      ['gateway', '/home/ada/.config/systemd/user/openclaw-gateway.service', 0o644],
      ['medic', '/home/ada/.config/systemd/user/clawmedic.service', 0o644],
      ['guardian', '/home/ada/.config/systemd/user/clawmedic-guardian.service', 0o644],
      ['guardian-timer', '/home/ada/.config/systemd/user/clawmedic-guardian.timer', 0o644],
    ]);
  });

  it.skipIf(!systemdAnalyze)('pass systemd-analyze verify without a single warning', () => {
    const r = verify(files, 'plain');
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  });

  it.skipIf(!systemdAnalyze)('verify catches what it is there for: a misspelt key fails this test', () => {
    const broken = files.map((f) => (f.role === 'medic' ? { ...f, content: f.content.replace('RestartSec=5', 'RestartSecs=5') } : f));
    expect(verify(broken, 'misspelt').output).toContain("Unknown key 'RestartSecs'");
  });

  it('the gateway is restarted by systemd (level 0) except on exit 78, as OpenClaw\'s own unit', () => {
    const gateway = byRole(files, 'gateway').content;
    for (const line of ['Restart=always', 'RestartSec=5', 'RestartPreventExitStatus=78', 'KillMode=mixed', 'WantedBy=default.target']) {
      expect(gateway.split('\n')).toContain(line);
    }
    expect(gateway).toContain('ExecStart=/bin/sh -c "exec openclaw gateway run"');
    expect(gateway).toContain('StandardOutput=append:/tmp/clawmedic logs/gateway.log');
  });

  it('the medic never starts a gateway itself: it goes through systemctl --user', () => {
    const medic = byRole(files, 'medic').content;
    expect(medic).toContain(`ExecStart=${process.execPath} ${options.clawmedicBin} run`);
    expect(environmentOf(medic)).toEqual({
      MEDIC_ENV_FILE: '/srv/clawmedic/.env',
      GATEWAY_COMMAND: '',
      GATEWAY_RESTART_COMMAND: 'systemctl --user reset-failed openclaw-gateway.service 2>/dev/null; systemctl --user restart openclaw-gateway.service',
      GATEWAY_STOP_COMMAND: 'systemctl --user stop openclaw-gateway.service',
      GATEWAY_LOG_FILE: '/tmp/clawmedic logs/gateway.log',
      PATH: '/usr/local/bin:/usr/bin:/bin',
    });
    expect(medic.split('\n')).toContain('Wants=clawmedic-guardian.timer');
  });

  it('the guardian runs one pass every 60 s from its timer', () => {
    expect(byRole(files, 'guardian').content).toContain(`ExecStart=${process.execPath} ${options.clawmedicBin} guardian --once --systemd`);
    expect(byRole(files, 'guardian').content.split('\n')).toContain('Type=oneshot');
    const timer = byRole(files, 'guardian-timer').content.split('\n');
    expect(timer).toEqual(expect.arrayContaining(['OnActiveSec=60', 'OnUnitActiveSec=60', 'Unit=clawmedic-guardian.service', 'WantedBy=timers.target']));
  });

  it('Environment= values round-trip: quotes, backslashes, % and $ come back as written', () => {
    const env = environmentOf(byRole(renderUnits({ ...options, envFile: `/srv/${AWKWARD}/.env`, path: `/opt/${AWKWARD}:/usr/bin` }), 'medic').content);
    expect(env.MEDIC_ENV_FILE).toBe(`/srv/${AWKWARD}/.env`);
    expect(env.PATH).toBe(`/opt/${AWKWARD}:/usr/bin`);
  });

  it.skipIf(!systemdAnalyze)('awkward values still verify cleanly', () => {
    const awkward = renderUnits({ ...options, envFile: `/srv/${AWKWARD}/.env`, gatewayCommand: `openclaw gateway run --label "${AWKWARD}"`, logDir: '/tmp/100% logs' });
    expect(byRole(awkward, 'gateway').content).toContain('StandardOutput=append:/tmp/100%% logs/gateway.log');
    const r = verify(awkward, 'awkward');
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  });

  it.skipIf(!systemdAnalyze)('an executable path with spaces, &, <, % and $ is read back by systemd as written', () => {
    const weird = join(dir, 'we ird & <100%> $X');
    mkdirSync(weird);
    const node = join(weird, 'node');
    symlinkSync(process.execPath, node);
    const found = verify(renderUnits({ ...options, nodePath: node }), 'exec-found');
    expect(found.output).toBe('');
    // The same path with a file that does not exist: systemd names the path it decoded.
    const missing = verify(renderUnits({ ...options, nodePath: join(weird, 'no-node') }), 'exec-missing');
    expect(missing.status).not.toBe(0);
    expect(missing.output).toContain(`Command ${join(weird, 'no-node')} is not executable`);
  });

  it('refuses what a unit cannot carry, before anything is written', () => {
    expect(() => renderUnits({ ...options, envFile: '/srv/a\nb/.env' })).toThrow(UnitValueError);
    expect(() => renderUnits({ ...options, nodePath: `/opt/it's/node` })).toThrow(/quote or backslash/);
    expect(() => renderUnits({ ...options, workingDir: 'relative/dir' })).toThrow(DeployOptionsError);
  });
});

// --- launchd ----------------------------------------------------------------------------

const python = spawnSync('python3', ['-c', 'import plistlib'], { encoding: 'utf8' }).status === 0;

/** Apple's format read by a real plist parser (Python's plistlib, on expat). */
function readPlist(content: string): Record<string, unknown> {
  const path = join(dir, `p-${Math.random().toString(36).slice(2)}.plist`);
  writeFileSync(path, content);
  const r = spawnSync('python3', ['-c', 'import plistlib,sys,json; print(json.dumps(plistlib.load(open(sys.argv[1],"rb"))))', path], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`plistlib refused ${path}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

/** A small well-formedness check that needs nothing installed: every tag closed in order, no bare `&` or `<`. */
function checkWellFormed(xml: string): void {
  for (const c of xml.matchAll(/<!--([\s\S]*?)-->/g)) expect(c[1], 'XML forbids -- inside a comment').not.toContain('--');
  const body = xml.replace(/^<\?xml[^>]*\?>\s*<!DOCTYPE[^>]*>\s*/, '').replace(/<!--[\s\S]*?-->/g, '');
  const stack: string[] = [];
  for (const m of body.matchAll(/<(\/?)([A-Za-z]+)[^>]*?(\/?)>|&(?!(amp|lt|gt|quot|apos);)/g)) {
    if (m[0].startsWith('&')) throw new Error(`bare & at ${m.index}`);
    if (m[3]) continue;
    if (!m[1]) stack.push(m[2]!);
    else if (stack.pop() !== m[2]) throw new Error(`</${m[2]}> closes the wrong element at ${m.index}`);
  }
  expect(stack).toEqual([]);
  expect(body.replace(/<[^>]*>/g, '')).not.toMatch(/[<>]/);
}

describe('launchd plists', () => {
  const options: DeployOptions = deployOptions({ platform: 'launchd', home: '/Users/ada', dataDir: '/Users/ada/.clawmedic', logDir: '/Users/ada/.clawmedic/logs' });
  const files = renderUnits(options);

  it('renders the gateway, the medic and the guardian into ~/Library/LaunchAgents, mode 0644', () => {
    expect(files.map((f) => [f.role, f.path, f.mode])).toEqual([
      ['gateway', '/Users/ada/Library/LaunchAgents/ai.openclaw.gateway.plist', 0o644],
      ['medic', '/Users/ada/Library/LaunchAgents/ai.clawmedic.medic.plist', 0o644],
      ['guardian', '/Users/ada/Library/LaunchAgents/ai.clawmedic.guardian.plist', 0o644],
    ]);
  });

  it('are well-formed XML', () => {
    for (const f of files) checkWellFormed(f.content);
    expect(() => checkWellFormed('<plist><dict></plist></dict>')).toThrow();
    expect(() => checkWellFormed('<!-- run install --launchd --><plist></plist>')).toThrow();
  });

  it.skipIf(!python)('the gateway keeps running under launchd (level 0), as OpenClaw\'s own agent', () => {
    expect(readPlist(byRole(files, 'gateway').content)).toEqual({
      Label: 'ai.openclaw.gateway',
      ProgramArguments: ['/bin/sh', '-c', 'exec openclaw gateway run'],
      WorkingDirectory: '/Users/ada',
      EnvironmentVariables: { PATH: '/usr/local/bin:/usr/bin:/bin', OPENCLAW_SERVICE_MARKER: 'openclaw', OPENCLAW_SERVICE_KIND: 'gateway' },
      RunAtLoad: true,
      KeepAlive: true,
      ThrottleInterval: 10,
      ExitTimeOut: 20,
      ProcessType: 'Interactive',
      StandardInPath: '/dev/null',
      StandardOutPath: '/Users/ada/.clawmedic/logs/gateway.log',
      StandardErrorPath: '/Users/ada/.clawmedic/logs/gateway.log',
      Umask: 63,
    });
  });

  it.skipIf(!python)('the medic is kept alive and drives the gateway through launchctl', () => {
    const medic = readPlist(byRole(files, 'medic').content);
    expect(medic).toMatchObject({ Label: 'ai.clawmedic.medic', ProgramArguments: [process.execPath, options.clawmedicBin, 'run'], RunAtLoad: true, KeepAlive: true });
    expect(medic.EnvironmentVariables).toEqual({
      MEDIC_ENV_FILE: '/srv/clawmedic/.env',
      GATEWAY_COMMAND: '',
      GATEWAY_RESTART_COMMAND:
        "if launchctl print gui/501/ai.openclaw.gateway >/dev/null 2>&1; then launchctl kickstart -k gui/501/ai.openclaw.gateway; else launchctl bootstrap gui/501 /Users/ada/Library/LaunchAgents/ai.openclaw.gateway.plist; fi",
      GATEWAY_STOP_COMMAND: 'launchctl bootout gui/501/ai.openclaw.gateway',
      GATEWAY_LOG_FILE: '/Users/ada/.clawmedic/logs/gateway.log',
      PATH: '/usr/local/bin:/usr/bin:/bin',
    });
  });

  it.skipIf(!python)('the guardian runs every 60 s, not at load', () => {
    expect(readPlist(byRole(files, 'guardian').content)).toMatchObject({
      Label: 'ai.clawmedic.guardian',
      ProgramArguments: [process.execPath, options.clawmedicBin, 'guardian', '--once', '--launchd'],
      StartInterval: 60,
      RunAtLoad: false,
    });
    expect(readPlist(byRole(files, 'guardian').content)).not.toHaveProperty('KeepAlive');
  });

  it.skipIf(!python)('awkward values round-trip through a real plist parser', () => {
    const awkward = renderUnits({ ...options, envFile: `/Users/ada/${AWKWARD}/.env`, gatewayCommand: `openclaw gateway run --label "${AWKWARD}"` });
    for (const f of awkward) checkWellFormed(f.content);
    expect((readPlist(byRole(awkward, 'medic').content).EnvironmentVariables as Record<string, string>).MEDIC_ENV_FILE).toBe(`/Users/ada/${AWKWARD}/.env`);
    // `&` and `<` make the command look compound, so it is not prefixed with exec.
    expect(readPlist(byRole(awkward, 'gateway').content).ProgramArguments).toEqual(['/bin/sh', '-c', `openclaw gateway run --label "${AWKWARD}"`]);
  });

  it('refuses a control character XML cannot carry', () => {
    expect(() => renderUnits({ ...options, envFile: '/Users/ada/\u0007.env' })).toThrow(UnitValueError);
  });
});

// --- shared -----------------------------------------------------------------------------

describe('options', () => {
  it('a gateway command with a secret is refused: unit files are world-readable', () => {
    for (const command of ['openclaw gateway run --token abc', 'openclaw gateway run --password=abc', 'OPENCLAW_GATEWAY_TOKEN=abc openclaw gateway run']) {
      expect(() => renderUnits(deployOptions({ gatewayCommand: command }))).toThrow(/carries a secret/);
    }
    expect(() => renderUnits(deployOptions({ gatewayCommand: 'openclaw gateway run --auth token' }))).not.toThrow();
  });

  it('a simple gateway command is exec-ed (the gateway gets the SIGTERM); a compound one runs as given', () => {
    expect(gatewayShellCommand('openclaw gateway run')).toBe('exec openclaw gateway run');
    expect(gatewayShellCommand('exec openclaw gateway run')).toBe('exec openclaw gateway run');
    expect(gatewayShellCommand('cd /srv && openclaw gateway run')).toBe('cd /srv && openclaw gateway run');
  });

  it('the medic\'s restart and stop commands run under /bin/sh as meant, even with a space in HOME', () => {
    // Fake launchctl/systemctl that print their arguments, one per line, in brackets.
    const bin = join(dir, 'fake-bin');
    mkdirSync(bin, { recursive: true });
    for (const tool of ['launchctl', 'systemctl']) {
      writeFileSync(join(bin, tool), `#!/bin/sh\nprintf '${tool}'; for a in "$@"; do printf ' [%s]' "$a"; done; echo\n[ "$1" = print ] && exit 113\nexit 0\n`);
      chmodSync(join(bin, tool), 0o755);
    }
    const run = (command: string) =>
      spawnSync('/bin/sh', ['-c', command], { env: { ...process.env, PATH: `${bin}:/usr/bin:/bin` }, encoding: 'utf8' }).stdout.trim().split('\n');
    const launchd = Object.fromEntries(environmentPairs(deployOptions({ platform: 'launchd', home: '/Users/Ada Lovelace' })));
    // Not loaded (the fake `print` exits 113, its output goes to /dev/null): bootstrap it.
    expect(run(launchd.GATEWAY_RESTART_COMMAND!)).toEqual([
      'launchctl [bootstrap] [gui/501] [/Users/Ada Lovelace/Library/LaunchAgents/ai.openclaw.gateway.plist]',
    ]);
    expect(run(launchd.GATEWAY_STOP_COMMAND!)).toEqual(['launchctl [bootout] [gui/501/ai.openclaw.gateway]']);
    const systemd = Object.fromEntries(environmentPairs(deployOptions()));
    expect(run(systemd.GATEWAY_RESTART_COMMAND!)).toEqual([
      'systemctl [--user] [reset-failed] [openclaw-gateway.service]',
      'systemctl [--user] [restart] [openclaw-gateway.service]',
    ]);
  });
});

function environmentPairs(o: DeployOptions): [string, string][] {
  const medic = byRole(renderUnits(o), 'medic').content;
  if (o.platform === 'systemd') return Object.entries(environmentOf(medic));
  // Undo the five XML entities; enough for these values, which the plistlib test covers fully.
  const text = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  const env = medic.slice(medic.indexOf('<key>EnvironmentVariables</key>'), medic.indexOf('</dict>'));
  return [...env.matchAll(/<key>([^<]*)<\/key>\s*<string>([^<]*)<\/string>/g)].map((m) => [text(m[1]!), text(m[2]!)]);
}
