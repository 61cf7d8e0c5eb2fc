/**
 * What a production set-up is made of: the options the unit files are rendered from,
 * the names and paths of the units on each platform, and the commands the medic gets
 * to drive a gateway the service manager owns.
 */
import { join } from 'node:path';
import type { CarriedSettings } from './carry-over.js';
import { shellQuote } from './escape.js';
import type { Platform } from './platform.js';

export type { Platform } from './platform.js';

/** The first comment of every file clawmedic writes: uninstall removes only files that carry it. */
export const UNIT_MARKER = 'Written by clawmedic install';

/** Everything the unit files are rendered from. No secrets: the medic reads its `.env` itself. */
export interface DeployOptions {
  platform: Platform;
  /** Absolute path of the node binary that runs clawmedic (`process.execPath`). */
  nodePath: string;
  /** Absolute path of `bin/clawmedic.js`. */
  clawmedicBin: string;
  /** The medic's working directory: relative paths in its `.env` resolve against it. */
  workingDir: string;
  /** Absolute path of the `.env` the medic reads (passed as `MEDIC_ENV_FILE`); it may not exist yet. */
  envFile: string;
  /** The medic's data directory (`MEDIC_DATA_DIR`, as the medic resolves it); created 0700 by the installer. */
  dataDir: string;
  /** Where launchd writes each job's output and both platforms append the gateway's (`gateway.log`). */
  logDir: string;
  /** How to run OpenClaw's gateway in the foreground, a `/bin/sh` command line. */
  gatewayCommand: string;
  /** The user's home directory: the unit folders live under it. */
  home: string;
  /** The user's uid: launchd's per-user domain is `gui/<uid>`. */
  uid: number;
  /** `PATH` for every unit, so `openclaw` and `node` resolve as they did in the installing shell. */
  path: string;
  /** The settings of the user's own gateway unit that the new one keeps (set by the installer). */
  carried?: CarriedSettings;
}

export const DefaultDeployOptions = {
  /** Default `openclaw gateway run`: OpenClaw's foreground gateway. */
  gatewayCommand: 'openclaw gateway run',
  /** Default `<dataDir>/logs`. */
  logDirName: 'logs',
} as const;

/** The roles of the units: the gateway (level 0 by the OS), the medic, the guardian and its timer. */
export type UnitRole = 'gateway' | 'medic' | 'guardian' | 'guardian-timer';

/** A unit as a service manager knows it: a systemd unit name or a launchd label, and its file. */
export interface UnitRef {
  role: UnitRole;
  /** `openclaw-gateway.service`, or the launchd label `ai.openclaw.gateway`. */
  name: string;
  /** The unit file or plist. */
  path: string;
}

/**
 * Unit names. The gateway's are OpenClaw's own (`openclaw gateway install` writes the same
 * ones): there must be one gateway service, never two fighting for the port.
 */
export const UnitNames = {
  systemd: {
    gateway: 'openclaw-gateway.service',
    medic: 'clawmedic.service',
    guardian: 'clawmedic-guardian.service',
    'guardian-timer': 'clawmedic-guardian.timer',
  },
  launchd: {
    gateway: 'ai.openclaw.gateway',
    medic: 'ai.clawmedic.medic',
    guardian: 'ai.clawmedic.guardian',
  },
} as const;

/** Where the unit files go: `~/.config/systemd/user` or `~/Library/LaunchAgents`. */
export function unitDir(platform: Platform, home: string): string {
  return platform === 'systemd' ? join(home, '.config', 'systemd', 'user') : join(home, 'Library', 'LaunchAgents');
}

/** Every file the platform's set-up consists of, in the order they are registered. */
export function unitRefs(platform: Platform, home: string): UnitRef[] {
  const dir = unitDir(platform, home);
  if (platform === 'systemd') {
    const n = UnitNames.systemd;
    return (['gateway', 'medic', 'guardian', 'guardian-timer'] as const).map((role) => ({ role, name: n[role], path: join(dir, n[role]) }));
  }
  const n = UnitNames.launchd;
  return (['gateway', 'medic', 'guardian'] as const).map((role) => ({ role, name: n[role], path: join(dir, `${n[role]}.plist`) }));
}

/**
 * The units the service manager is asked to run (install, uninstall, the guardian's check):
 * on systemd the guardian's service is started by its timer, so the timer is what is enabled.
 */
export function registeredUnits(platform: Platform, home: string): UnitRef[] {
  return unitRefs(platform, home).filter((u) => !(platform === 'systemd' && u.role === 'guardian'));
}

/** The one unit of a role. */
export function unitRef(platform: Platform, home: string, role: UnitRole): UnitRef {
  const ref = unitRefs(platform, home).find((u) => u.role === role);
  if (!ref) throw new Error(`${platform} has no ${role} unit`);
  return ref;
}

/**
 * How the medic restarts and stops the gateway the service manager owns. On launchd a
 * `KeepAlive` job cannot be stopped, only unloaded, so stop is `bootout` and restart
 * loads it again when it is not loaded. On systemd, restart first clears a failed state
 * left by the start limit, which would otherwise refuse the restart.
 */
export function gatewayServiceCommands(o: Pick<DeployOptions, 'platform' | 'home' | 'uid'>): { restart: string; stop: string } {
  const gateway = unitRef(o.platform, o.home, 'gateway');
  if (o.platform === 'systemd') {
    return {
      restart: `systemctl --user reset-failed ${gateway.name} 2>/dev/null; systemctl --user restart ${gateway.name}`,
      stop: `systemctl --user stop ${gateway.name}`,
    };
  }
  const target = `gui/${o.uid}/${gateway.name}`;
  return {
    restart: `if launchctl print ${target} >/dev/null 2>&1; then launchctl kickstart -k ${target}; else launchctl bootstrap gui/${o.uid} ${shellQuote(gateway.path)}; fi`,
    stop: `launchctl bootout ${target}`,
  };
}

/** The gateway's output, appended by the service manager and tailed by the medic. */
export function gatewayLogFile(o: Pick<DeployOptions, 'logDir'>): string {
  return join(o.logDir, 'gateway.log');
}

/**
 * The medic's environment in its unit. `GATEWAY_COMMAND` is set empty so that a value in
 * `.env` cannot make the medic start a second gateway beside the service (the unit's
 * environment wins over the file). Nothing here is a secret.
 */
export function medicEnvironment(o: DeployOptions): [string, string][] {
  const commands = gatewayServiceCommands(o);
  return [
    ['MEDIC_ENV_FILE', o.envFile],
    ['GATEWAY_COMMAND', ''],
    ['GATEWAY_RESTART_COMMAND', commands.restart],
    ['GATEWAY_STOP_COMMAND', commands.stop],
    ['GATEWAY_LOG_FILE', gatewayLogFile(o)],
    ['PATH', o.path],
  ];
}

/** The guardian reads the same `.env` as the medic, so both agree on `MEDIC_HTTP_PORT`. */
export function guardianEnvironment(o: DeployOptions): [string, string][] {
  return [
    ['MEDIC_ENV_FILE', o.envFile],
    ['PATH', o.path],
  ];
}

/**
 * The gateway's environment: OpenClaw's service markers, as in its own units, then what the
 * user's own gateway unit set (its port, tokens, NODE_OPTIONS), carried over.
 */
export function gatewayEnvironment(o: DeployOptions): [string, string][] {
  const env: [string, string][] = [
    ['PATH', o.path],
    ['OPENCLAW_SERVICE_MARKER', 'openclaw'],
    ['OPENCLAW_SERVICE_KIND', 'gateway'],
  ];
  if (o.platform === 'systemd') env.push(['OPENCLAW_SYSTEMD_UNIT', UnitNames.systemd.gateway]);
  const carried = o.carried;
  if (!carried) return env;
  const nodeOptions = carried.nodeOptions.join(' ');
  let hasNodeOptions = false;
  for (const [name, value] of carried.env) {
    if (name === 'NODE_OPTIONS' && nodeOptions) {
      hasNodeOptions = true;
      env.push([name, [value, ...carried.nodeOptions.filter((f) => !value.split(/\s+/).includes(f))].join(' ').trim()]);
    } else env.push([name, value]);
  }
  if (nodeOptions && !hasNodeOptions) env.push(['NODE_OPTIONS', nodeOptions]);
  return env;
}

/**
 * The gateway command for `/bin/sh -c`: a simple command gets `exec`, so the gateway itself is
 * the service's main process and receives the manager's SIGTERM; a compound one runs as given.
 */
export function gatewayShellCommand(command: string): string {
  const trimmed = command.trim();
  if (/^exec\s/.test(trimmed) || /[;&|()<>`\n]|\$\(/.test(trimmed)) return trimmed;
  return `exec ${trimmed}`;
}

/**
 * Problems that make the options unusable, each with how to fix it; empty when fine.
 * A secret on the gateway's command line would end up in a world-readable unit file.
 */
export function checkDeployOptions(o: DeployOptions): string[] {
  const problems: string[] = [];
  for (const [field, value] of [
    ['nodePath', o.nodePath],
    ['clawmedicBin', o.clawmedicBin],
    ['workingDir', o.workingDir],
    ['envFile', o.envFile],
    ['dataDir', o.dataDir],
    ['logDir', o.logDir],
    ['home', o.home],
  ] as const) {
    if (!value.startsWith('/')) problems.push(`${field} must be an absolute path (got '${value}')`);
  }
  if (!o.gatewayCommand.trim()) problems.push('the gateway command is empty: pass --gateway-command, e.g. "openclaw gateway run"');
  if (/(^|\s)--(token|password)(\s|=|$)|\b[A-Z0-9_]*(TOKEN|PASSWORD|SECRET|API_KEY)=/i.test(o.gatewayCommand)) {
    problems.push(
      'the gateway command carries a secret (--token, --password or a *_TOKEN=/*_PASSWORD= assignment): unit files are readable by other users; put the gateway auth in its config (~/.openclaw/openclaw.json) instead',
    );
  }
  if (!Number.isInteger(o.uid) || o.uid < 0) problems.push(`uid must be a whole number (got ${o.uid})`);
  return problems;
}
